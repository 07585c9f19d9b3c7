import { indexKeysOf, INDEX, type MemoryDbs } from './memory-keys.js';
import type { ExternalWrite, MemoryVersion, NewVersion } from './memory-types.js';

/** The writing half of the memory store: what runs inside its write transactions (src/state/memory.ts). */

/** Inside the write transaction: the item's next seq, the version, its item entry and index entries. */
export function putVersion(d: MemoryDbs, input: NewVersion, id: number, now: number): MemoryVersion {
  // The head is a point read: a range read would open a cursor, which lmdb-js does anew for every
  // range inside a write transaction.
  const seq = (d.heads.get([input.namespace, input.key])?.[0] ?? 0) + 1;
  const version: MemoryVersion = {
    id,
    namespace: input.namespace,
    key: input.key,
    seq,
    value: input.value,
    tombstone: input.tombstone === true,
    principal: input.principal,
    session: input.session,
    time: input.time ?? now,
    labels: [...new Set(input.labels ?? [])],
    derived_from: input.derived_from ?? [],
    status: input.status ?? 'active',
    ...(input.event_id === undefined ? {} : { event_id: input.event_id }),
    ...(input.rules === undefined ? {} : { rules: [...input.rules] }),
  };
  void d.versions.put(id, version);
  void d.items.put([version.namespace, version.key, seq], id);
  void d.heads.put([version.namespace, version.key], [seq, id]);
  indexAndInherit(d, id, version);
  return version;
}

/**
 * Index entries, and revocations inherited from revoked parents: a version written from one that is
 * revoked (the session read it before the revocation) is held by the same revocations.
 */
export function indexAndInherit(d: MemoryDbs, id: number, record: MemoryVersion | ExternalWrite): void {
  const labels = 'labels' in record ? record.labels : [];
  for (const key of indexKeysOf(id, { ...record, labels }, record.derived_from)) void d.index.put(key, null);
  const inherited = new Set<number>();
  for (const src of record.derived_from) {
    if (src.type === 'memory') for (const rid of d.status.get(src.id) ?? []) inherited.add(rid);
  }
  if (inherited.size === 0) return;
  void d.status.put(id, [...inherited]);
  for (const rid of inherited) void d.index.put([INDEX.inherit, rid, id], null);
}

/**
 * Checks the store's invariants (after a crash, or on demand): every version has its item entry and
 * its writer's index entries, every item entry names a version of that address, and the id counter
 * is past every id. Reads everything: for verification, not the request path.
 */
export function verifyMemory(d: MemoryDbs): { ok: boolean; versions: number; problems: string[] } {
  const problems: string[] = [];
  let versions = 0;
  let maxId = 0;
  for (const { key: id, value: v } of d.versions.getRange({})) {
    versions += 1;
    maxId = Math.max(maxId, id);
    if (d.items.get([v.namespace, v.key, v.seq]) !== id) problems.push(`version ${id}: no item entry`);
    const head = d.heads.get([v.namespace, v.key]);
    if (head === undefined || head[0] < v.seq) problems.push(`version ${id}: the item's head is behind it`);
    if (!d.index.doesExist([INDEX.session, v.session, id])) problems.push(`version ${id}: not indexed`);
  }
  for (const { key, value: id } of d.items.getRange({})) {
    const v = d.versions.get(id);
    if (v === undefined || v.namespace !== key[0] || v.key !== key[1] || v.seq !== key[2]) {
      problems.push(`item ${JSON.stringify(key)}: names ${id}, which is not that version`);
    }
  }
  for (const { key } of d.external.getRange({})) maxId = Math.max(maxId, key);
  if ((d.meta.get('next_id') ?? 0) < maxId) problems.push(`the id counter is behind id ${maxId}`);
  return { ok: problems.length === 0, versions, problems };
}

/** Takes `count` ids from a counter of the `meta` database (inside a write transaction); returns the first. */
export function takeIds(d: MemoryDbs, name: 'next_id' | 'next_revocation', count = 1): number {
  const first = (d.meta.get(name) ?? 0) + 1;
  void d.meta.put(name, first + count - 1);
  return first;
}

/** Adds a batch's versions to the per-namespace counters (inside the write transaction). */
export function countNamespaces(d: MemoryDbs, versions: readonly MemoryVersion[]): void {
  const byNs = new Map<string, { n: number; last: number }>();
  for (const v of versions) {
    const c = byNs.get(v.namespace) ?? { n: 0, last: 0 };
    byNs.set(v.namespace, { n: c.n + 1, last: Math.max(c.last, v.time) });
  }
  for (const [ns, c] of byNs) {
    const info = d.namespaces.get(ns);
    void d.namespaces.put(ns, {
      versions: (info?.versions ?? 0) + c.n,
      last_write: Math.max(info?.last_write ?? 0, c.last),
    });
  }
}
