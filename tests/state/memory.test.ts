import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/state/memory.js';
import { openMemoryDbs } from '../../src/state/memory-keys.js';
import { matchesCriteria, planRevocation, refreshPlan } from '../../src/state/memory-revoke.js';
import type { ContentSource, NewVersion, RevokeCriteria } from '../../src/state/memory-types.js';
import { openStore, type Store } from '../../src/state/store.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(dir?: string): { dir: string; store: Store; memory: MemoryStore } {
  const at = dir ?? mkdtempSync(join(tmpdir(), 'agentwall-memory-'));
  if (dir === undefined) dirs.push(at);
  const store = openStore(at);
  stores.push(store);
  return { dir: at, store, memory: new MemoryStore(store.root) };
}

const T0 = 1_700_000_000_000;
const HASH = 'ab'.repeat(32);
const OTHER_HASH = 'cd'.repeat(32);

const web = (hash = HASH, url = 'https://evil.example/page'): ContentSource => ({
  type: 'content',
  kind: 'resource',
  server: 'web',
  subject: url,
  content_hash: hash,
  url,
  labels: ['untrusted_content'],
  time: T0,
});

const note = (key: string, value: unknown, extra: Partial<NewVersion> = {}): NewVersion => ({
  namespace: 'principal:alice',
  key,
  value,
  principal: 'alice',
  session: 'sA',
  ...extra,
});

const admin = { by: 'test' };

describe('MemoryStore: versions and reads', () => {
  it('keeps every write as a new version and reads the newest', async () => {
    const { memory } = open();
    const v1 = await memory.write(note('k', 'one'));
    const v2 = await memory.write(note('k', 'two'));
    expect([v1.seq, v2.seq]).toEqual([1, 2]);
    expect(v2.id).toBeGreaterThan(v1.id);
    expect(memory.get('principal:alice', 'k')?.value).toBe('two');
    const history = memory.history('principal:alice', 'k');
    expect(history.map((v) => [v.seq, v.value, v.status])).toEqual([
      [2, 'two', 'active'],
      [1, 'one', 'active'],
    ]);
  });

  it('keeps items apart by namespace and key (a key that is a prefix of another is its own item)', async () => {
    const { memory } = open();
    await memory.writeMany([note('a', 1), note('ab', 2), note('a', 3, { namespace: 'team' })]);
    expect(memory.get('principal:alice', 'a')?.value).toBe(1);
    expect(memory.get('principal:alice', 'ab')?.value).toBe(2);
    expect(memory.get('team', 'a')?.value).toBe(3);
    expect(memory.list('principal:alice').map((v) => v.key)).toEqual(['a', 'ab']);
    expect(memory.list('principal:alice', { prefix: 'ab' }).map((v) => v.key)).toEqual(['ab']);
    expect(memory.namespaces().map((n) => [n.namespace, n.versions])).toEqual([
      ['principal:alice', 2],
      ['team', 1],
    ]);
  });

  it('reads a tombstone as absent, and history still has every version', async () => {
    const { memory } = open();
    await memory.write(note('k', 'v'));
    await memory.write(note('k', null, { tombstone: true }));
    expect(memory.get('principal:alice', 'k')).toBeUndefined();
    expect(memory.list('principal:alice')).toEqual([]);
    expect(memory.history('principal:alice', 'k').map((v) => v.tombstone)).toEqual([true, false]);
    await memory.write(note('k', 'back'));
    expect(memory.get('principal:alice', 'k')?.value).toBe('back');
  });

  it('skips quarantined versions on reads; history shows them', async () => {
    const { memory } = open();
    await memory.write(note('k', 'good'));
    await memory.write(note('k', 'held', { status: 'quarantined' }));
    expect(memory.get('principal:alice', 'k')?.value).toBe('good');
    expect(memory.history('principal:alice', 'k')[0]?.status).toBe('quarantined');
  });

  it('refuses an empty key or one with control characters', async () => {
    const { memory } = open();
    await expect(memory.write(note('', 'x'))).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
    await expect(memory.write(note('a\u0000b', 'x'))).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
  });

  it('writes a batch in one transaction: all or none', async () => {
    const { memory } = open();
    await expect(memory.writeMany([note('ok', 1), note('', 2)])).rejects.toMatchObject({
      code: 'INVALID_PARAMS',
    });
    expect(memory.get('principal:alice', 'ok')).toBeUndefined();
  });

  it('persists across reopening', async () => {
    const first = open();
    await first.memory.write(note('k', { nested: [1, 2] }, { labels: ['x'] }));
    await first.store.close();
    stores.splice(stores.indexOf(first.store), 1);
    const again = open(first.dir);
    expect(again.memory.get('principal:alice', 'k')).toMatchObject({
      value: { nested: [1, 2] },
      labels: ['x'],
    });
  });
});

/** A little world: A reads web content and writes; B reads A's note and derives one; A also writes clean notes. */
async function world(memory: MemoryStore) {
  const clean = await memory.write(note('clean', 'from A, no sources', { time: T0 }));
  const tainted = await memory.write(
    note('tainted', 'from the page', { derived_from: [web()], time: T0 + 10 }),
  );
  const derived = await memory.write({
    namespace: 'team',
    key: 'summary',
    value: 'B summarises A',
    principal: 'bob',
    session: 'sB',
    labels: ['summary'],
    derived_from: [{ type: 'memory', id: tainted.id }],
    time: T0 + 20,
  });
  const grandchild = await memory.write({
    namespace: 'principal:carol',
    key: 'todo',
    value: 'C acts on B',
    principal: 'carol',
    session: 'sC',
    derived_from: [{ type: 'memory', id: derived.id }],
    time: T0 + 30,
  });
  const other = await memory.write(
    note('other', 'another page', { derived_from: [web(OTHER_HASH, 'https://ok.example/x')], time: T0 + 40 }),
  );
  return { clean, tainted, derived, grandchild, other };
}

describe('MemoryStore: revocation criteria', () => {
  const cases: [
    string,
    (w: Awaited<ReturnType<typeof world>>) => RevokeCriteria,
    (w: Awaited<ReturnType<typeof world>>) => number[],
  ][] = [
    [
      'version id, cascading',
      (w) => ({ ids: [w.tainted.id] }),
      (w) => [w.tainted.id, w.derived.id, w.grandchild.id],
    ],
    ['version id, no cascade', (w) => ({ ids: [w.tainted.id], cascade: false }), (w) => [w.tainted.id]],
    ['session', () => ({ session: 'sB', cascade: false }), (w) => [w.derived.id]],
    [
      'principal',
      () => ({ principal: 'alice', cascade: false }),
      (w) => [w.clean.id, w.tainted.id, w.other.id],
    ],
    [
      'content hash (cascade across sessions)',
      () => ({ content_hash: HASH }),
      (w) => [w.tainted.id, w.derived.id, w.grandchild.id],
    ],
    ['server', () => ({ server: 'web', cascade: false }), (w) => [w.tainted.id, w.other.id]],
    [
      'server and tool',
      () => ({ server: 'web', tool: 'https://ok.example/x', cascade: false }),
      (w) => [w.other.id],
    ],
    [
      'url glob',
      () => ({ url: 'https://evil.example/*' }),
      (w) => [w.tainted.id, w.derived.id, w.grandchild.id],
    ],
    ['label', () => ({ label: 'summary' }), (w) => [w.derived.id, w.grandchild.id]],
    [
      'time window',
      () => ({ since: T0 + 15, until: T0 + 35, cascade: false }),
      (w) => [w.derived.id, w.grandchild.id],
    ],
    [
      'principal within a window',
      () => ({ principal: 'alice', since: T0 + 5, cascade: false }),
      (w) => [w.tainted.id, w.other.id],
    ],
    ['namespace', () => ({ namespace: 'team', cascade: false }), (w) => [w.derived.id]],
  ];

  it.each(cases)('by %s', async (_name, criteria, expected) => {
    const { memory } = open();
    const w = await world(memory);
    const dry = await memory.revoke(criteria(w), { ...admin, dryRun: true });
    const real = await memory.revoke(criteria(w), { ...admin, reason: 'test' });
    const want = expected(w).sort((a, b) => a - b);
    expect(dry).toMatchObject({ ok: true, dry_run: true, versions: want, changed: want });
    expect(real).toMatchObject({ ok: true, dry_run: false, versions: want, changed: want });
    for (const id of want) expect(memory.version(id)?.status).toBe('revoked');
    const untouched = Object.values(w).filter((v) => !want.includes(v.id));
    for (const v of untouched) expect(memory.version(v.id)?.status).toBe('active');
  });

  it('refuses a revocation without criteria', async () => {
    const { memory } = open();
    expect(await memory.revoke({ cascade: true }, admin)).toMatchObject({ ok: false, code: 'no_criteria' });
  });

  it('records nothing when nothing matches', async () => {
    const { memory } = open();
    await world(memory);
    const r = await memory.revoke({ content_hash: 'ff'.repeat(32) }, admin);
    expect(r).toMatchObject({ ok: true, versions: [], changed: [] });
    expect(memory.revocations()).toEqual([]);
  });
});

describe('MemoryStore: reads after revocation, restore, rollback', () => {
  it('hides revoked versions from reads and falls back to the previous visible version', async () => {
    const { memory } = open();
    await memory.write(note('k', 'old'));
    const bad = await memory.write(note('k', 'poisoned', { derived_from: [web()] }));
    await memory.revoke({ content_hash: HASH }, admin);
    expect(memory.get('principal:alice', 'k')?.value).toBe('old');
    expect(memory.history('principal:alice', 'k')[0]).toMatchObject({ id: bad.id, status: 'revoked' });
  });

  it('restore undoes exactly one revocation; what another revocation holds stays hidden', async () => {
    const { memory } = open();
    const w = await world(memory);
    const byHash = await memory.revoke({ content_hash: HASH }, admin);
    const bySession = await memory.revoke({ session: 'sB', cascade: false }, admin);
    if (!byHash.ok || !bySession.ok) throw new Error('revoke failed');
    expect(bySession.changed).toEqual([]); // already hidden by the first
    const rid = byHash.revocation?.id ?? 0;
    const dry = await memory.restore(rid, { ...admin, dryRun: true });
    const real = await memory.restore(rid, { by: 'restorer', reason: 'false alarm' });
    const visibleAgain = [w.tainted.id, w.grandchild.id];
    expect(dry).toMatchObject({ ok: true, dry_run: true, changed: visibleAgain });
    expect(real).toMatchObject({ ok: true, dry_run: false, changed: visibleAgain });
    expect(memory.get('principal:alice', 'tainted')?.value).toBe('from the page');
    expect(memory.get('team', 'summary')).toBeUndefined();
    expect(memory.version(w.derived.id)).toMatchObject({
      status: 'revoked',
      revoked_by: [bySession.revocation?.id],
    });
    expect(memory.revocation(rid)?.restored).toMatchObject({ by: 'restorer', reason: 'false alarm' });
    expect(await memory.restore(rid, admin)).toMatchObject({ ok: false, code: 'already_restored' });
    expect(await memory.restore(999, admin)).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('a version written later from a revoked one is born revoked, and restored with it', async () => {
    const { memory } = open();
    const w = await world(memory);
    const r = await memory.revoke({ content_hash: HASH }, admin);
    if (!r.ok || r.revocation === undefined) throw new Error('revoke failed');
    // Session B had read the tainted note before the revocation and writes from it afterwards.
    const late = await memory.write(
      note('late', 'written after', { derived_from: [{ type: 'memory', id: w.tainted.id }] }),
    );
    expect(memory.version(late.id)?.status).toBe('revoked');
    expect(memory.get('principal:alice', 'late')).toBeUndefined();
    const restored = await memory.restore(r.revocation.id, admin);
    expect(restored.ok && restored.changed).toContain(late.id);
    expect(memory.get('principal:alice', 'late')?.value).toBe('written after');
  });

  it('rollback revokes what a namespace got after a time, and nothing else', async () => {
    const { memory } = open();
    const w = await world(memory);
    const dry = await memory.rollback(
      { namespace: 'principal:alice', to: T0 + 5 },
      { ...admin, dryRun: true },
    );
    const real = await memory.rollback({ namespace: 'principal:alice', to: T0 + 5 }, admin);
    const want = [w.tainted.id, w.other.id];
    expect(dry).toMatchObject({ versions: want, changed: want });
    expect(real).toMatchObject({ versions: want, changed: want, revocation: { action: 'rollback' } });
    expect(memory.list('principal:alice').map((v) => v.key)).toEqual(['clean']);
    expect(memory.get('team', 'summary')?.value).toBe('B summarises A');
  });

  it('never deletes: every version is still in history after revoke and restore', async () => {
    const { memory } = open();
    const w = await world(memory);
    const r = await memory.revoke({ principal: 'alice' }, admin);
    if (!r.ok || !r.revocation) throw new Error('revoke failed');
    await memory.restore(r.revocation.id, admin);
    for (const v of Object.values(w))
      expect(memory.version(v.id)).toMatchObject({ id: v.id, value: v.value });
    expect(memory.revocations()).toHaveLength(1);
  });
});

describe('MemoryStore: provenance and external writes', () => {
  it('gives the graph of one version: ancestors and descendants', async () => {
    const { memory } = open();
    const w = await world(memory);
    const g = memory.provenance(w.derived.id);
    expect(g?.nodes.map((n) => n.id).sort((a, b) => a - b)).toEqual([
      w.tainted.id,
      w.derived.id,
      w.grandchild.id,
    ]);
    expect(g?.edges).toEqual(
      expect.arrayContaining([
        { from: w.tainted.id, to: w.derived.id },
        { from: w.derived.id, to: w.grandchild.id },
      ]),
    );
    expect(g?.nodes.find((n) => n.id === w.tainted.id)?.sources[0]?.content_hash).toBe(HASH);
  });

  it('journals external writes, and revocation by source and cascade covers them', async () => {
    const { memory } = open();
    const w = await world(memory);
    const x1 = await memory.journalExternal({
      server: 'kg',
      tool: 'create_entities',
      args: { entities: [{ name: 'E' }] },
      principal: 'bob',
      session: 'sB',
      call_id: 'c1',
      derived_from: [{ type: 'memory', id: w.derived.id }],
      compensation: { tool: 'delete_entities', args: { entityNames: ['E'] } },
    });
    const x2 = await memory.journalExternal({
      server: 'kg',
      tool: 'create_entities',
      args: {},
      principal: 'bob',
      session: 'sB',
      call_id: 'c2',
      derived_from: [],
    });
    const r = await memory.revoke({ content_hash: HASH }, admin);
    expect(r).toMatchObject({ external: [x1.id] });
    expect(memory.external(x1.id)?.status).toBe('revoked');
    expect(memory.external(x2.id)?.status).toBe('active');
    await memory.recordCompensation(x1.id, { revocation: 1, ok: true, detail: 'deleted' });
    expect(memory.externalWrites({ status: 'revoked' }).map((x) => [x.id, x.compensations.length])).toEqual([
      [x1.id, 1],
    ]);
  });
});

describe('MemoryStore: plans made on a snapshot, applied in a transaction', () => {
  it('the predicate form of the criteria selects what the index walks select', async () => {
    const { store, memory } = open();
    const w = await world(memory);
    const dbs = openMemoryDbs(store.root);
    const criteria: RevokeCriteria[] = [
      { ids: [w.tainted.id] },
      { session: 'sB' },
      { principal: 'alice' },
      { content_hash: HASH },
      { server: 'web' },
      { server: 'web', tool: 'https://ok.example/x' },
      { tool: 'https://ok.example/x' },
      { url: 'https://evil.example/*' },
      { label: 'summary' },
      { since: T0 + 15, until: T0 + 35 },
      { principal: 'alice', since: T0 + 5 },
      { namespace: 'team' },
    ];
    for (const c of criteria) {
      const byIndex = planRevocation(dbs, { ...c, cascade: false }).versions;
      const byPredicate = Object.values(w)
        .filter((v) => matchesCriteria(v.id, v, c))
        .map((v) => v.id)
        .sort((a, b) => a - b);
      expect(byPredicate, JSON.stringify(c)).toEqual(byIndex);
    }
  });

  it('takes in what was written between the snapshot and the transaction', async () => {
    const { store, memory } = open();
    const w = await world(memory);
    const dbs = openMemoryDbs(store.root);
    const snapshot = planRevocation(dbs, { content_hash: HASH });
    const nextId = dbs.meta.get('next_id') ?? 0;
    const child = await memory.write(
      note('late-child', 'x', { derived_from: [{ type: 'memory', id: w.grandchild.id }] }),
    );
    const direct = await memory.write(note('late-direct', 'y', { derived_from: [web()] }));
    const unrelated = await memory.write(note('late-other', 'z'));
    const plan = await store.root.transaction(() =>
      refreshPlan(dbs, snapshot, { content_hash: HASH }, nextId),
    );
    expect(plan.versions).toEqual([w.tainted.id, w.derived.id, w.grandchild.id, child.id, direct.id]);
    expect(plan.versions).not.toContain(unrelated.id);
    expect(plan.changed).toEqual(plan.versions);
  });
});
