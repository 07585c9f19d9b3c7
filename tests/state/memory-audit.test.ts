// Revocations, rollbacks and restores are audited: each one that changes what reads see is appended to
// the hash-chained audit log once it is durable, and a dry run or an empty revocation appends nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/state/memory.js';
import type { AuditRecord } from '../../src/state/audit-log.js';
import { openStore, type Store } from '../../src/state/store.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const stores: Store[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const c of cleanups.splice(0)) await c();
});

async function open(): Promise<{ store: Store; memory: MemoryStore }> {
  const dir = await makeTempDir('agentwall-memory-audit-');
  cleanups.push(() => dir.remove());
  const store = openStore(dir.path);
  stores.push(store);
  return { store, memory: new MemoryStore(store.root, store.audit) };
}

const memoryRecords = (store: Store): AuditRecord[] =>
  [...store.audit.records()].filter((r) => r.kind.startsWith('memory_'));

describe('audited revocations', () => {
  it('appends a record for a revoke and one for its restore, and the chain verifies', async () => {
    const { store, memory } = await open();
    const a = await memory.write({ namespace: 'team', key: 'k', value: 1, principal: 'p', session: 's1' });
    await memory.write({ namespace: 'team', key: 'k2', value: 2, principal: 'p', session: 's2' });

    const dry = await memory.revoke({ session: 's1' }, { by: 'admin', dryRun: true });
    expect(dry.ok && dry.versions).toEqual([a.id]);
    expect(memoryRecords(store)).toEqual([]);

    const done = await memory.revoke({ session: 's1' }, { by: 'admin', reason: 'poisoned' });
    if (!done.ok || !done.revocation) throw new Error('revocation expected');
    const restored = await memory.restore(done.revocation.id, { by: 'sec', reason: 'false alarm' });
    expect(restored.ok).toBe(true);

    const records = memoryRecords(store);
    expect(records.map((r) => [r.kind, r.action, r.principal])).toEqual([
      ['memory_revoke', 'revoke', 'admin'],
      ['memory_restore', 'restore', 'sec'],
    ]);
    expect(records[0]?.detail).toMatchObject({
      revocation: done.revocation.id,
      reason: 'poisoned',
      criteria: { session: 's1' },
      versions: 1,
      version_ids: [a.id],
    });
    expect(records[1]?.detail).toMatchObject({ reason: 'false alarm' });
    expect(store.audit.verify()).toMatchObject({ ok: true });
  });

  it('records a rollback as such, and nothing for a revocation that matches nothing', async () => {
    const { store, memory } = await open();
    const t0 = Date.now();
    await memory.write({ namespace: 'notes', key: 'x', value: 'v1', principal: 'p', session: 's' });
    const none = await memory.revoke({ session: 'nobody' }, { by: 'admin' });
    expect(none.ok && none.versions).toEqual([]);
    expect(memoryRecords(store)).toEqual([]);

    const back = await memory.rollback({ namespace: 'notes', to: t0 - 1 }, { by: 'admin' });
    expect(back.ok && back.changed.length).toBe(1);
    expect(memoryRecords(store).map((r) => r.kind)).toEqual(['memory_rollback']);
  });
});
