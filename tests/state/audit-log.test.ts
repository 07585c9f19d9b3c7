import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GENESIS, hashRecord, type AuditEntry, type AuditRecord } from '../../src/state/audit-log.js';
import { openStore, type Store } from '../../src/state/store.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fresh(): { dir: string; store: Store } {
  const dir = mkdtempSync(join(tmpdir(), 'agentwall-audit-'));
  dirs.push(dir);
  const store = openStore(dir);
  stores.push(store);
  return { dir, store };
}

const entry = (i: number): AuditEntry => ({
  time: 1_700_000_000_000 + i,
  event_id: `e${i}`,
  kind: 'tool_call',
  session: 's',
  principal: 'alice',
  server: 'files',
  subject: 'read_file',
  action: 'allow',
  rules: [],
  latency_ms: 0.01,
  detail: { args: { path: `/tmp/${i}` } },
});

describe('AuditLog', () => {
  it('chains records: each points to the hash of the one before', async () => {
    const { store } = fresh();
    const records = await Promise.all([0, 1, 2].map((i) => store.audit.append(entry(i))));
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(records[0]?.prev).toBe(GENESIS);
    expect(records[1]?.prev).toBe(records[0]?.hash);
    expect(records[2]?.prev).toBe(records[1]?.hash);
    const { hash, ...body } = records[2] as AuditRecord;
    expect(hashRecord(body)).toBe(hash);
    expect(store.audit.verify()).toEqual({ ok: true, count: 3, head: records[2]?.hash });
  });

  it('keeps one linear chain while another process appends to the same file', async () => {
    const { dir, store } = fresh();
    const child = spawn(process.execPath, [
      '--import',
      'tsx',
      join(import.meta.dirname, 'append-worker.ts'),
      dir,
      '200',
    ]);
    let exitCode: number | null | undefined;
    const exited = new Promise<void>((resolve) =>
      child.on('exit', (code) => resolve(void (exitCode = code))),
    );
    // Append for as long as the child runs, so that the two writers interleave.
    let mine = 0;
    while (exitCode === undefined) {
      await store.audit.append(entry(mine));
      mine += 1;
    }
    await exited;
    expect(exitCode).toBe(0);
    const v = store.audit.verify();
    expect(v).toMatchObject({ ok: true, count: mine + 200 });
    const sessions = new Set([...store.audit.records()].map((r) => r.session));
    expect(sessions).toEqual(new Set(['s', 'child']));
  });

  it.each([
    [
      'a modified record',
      (db: ReturnType<typeof raw>) => {
        const r = db.get(2) as AuditRecord;
        db.putSync(2, { ...r, action: 'deny' });
      },
      2,
      'modified',
    ],
    ['a deleted record', (db: ReturnType<typeof raw>) => db.removeSync(2), 2, 'missing'],
    [
      'a re-hashed forgery',
      (db: ReturnType<typeof raw>) => {
        const { hash: _h, ...body } = db.get(2) as AuditRecord;
        const forged = { ...body, action: 'deny' };
        db.putSync(2, { ...forged, hash: hashRecord(forged) });
      },
      3,
      'does not point',
    ],
  ])('reports %s as the first broken record', async (_name, tamper, seq, reason) => {
    const { store } = fresh();
    await Promise.all([0, 1, 2, 3].map((i) => store.audit.append(entry(i))));
    tamper(raw(store));
    const v = store.audit.verify();
    expect(v.ok).toBe(false);
    expect(v).toMatchObject({ seq });
    expect(!v.ok && v.reason).toContain(reason);
  });
});

/** The audit table itself, written behind the log's back as an attacker with file access would. */
function raw(store: Store) {
  return store.root.openDB<AuditRecord, number>({ name: 'audit' });
}
