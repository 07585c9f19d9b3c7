import { globToRegExp, INDEX, MAX_INDEXED_URL, toolKey, type MemoryDbs } from './memory-keys.js';
import type {
  ContentSource,
  ExternalWrite,
  MemoryVersion,
  RestorePlan,
  RevocationPlan,
  RevocationRecord,
  RevokeCriteria,
} from './memory-types.js';

/**
 * Revocation as index walks (docs/memory.md, "Revocation"): each criterion is a range of the provenance
 * index, the criteria intersect, and the cascade is a breadth-first walk over `from` entries — nothing
 * here scans the versions. These functions only read: `MemoryStore` runs them inside the write
 * transaction that applies the plan (so the plan is exactly what is applied), and outside it for a dry run.
 */

const MAX_ID = Number.MAX_SAFE_INTEGER;

/** The ids under one index entry `[kind, value]`, ascending. */
export function idsOf(dbs: MemoryDbs, kind: string, value: string | number): number[] {
  const out: number[] = [];
  for (const key of dbs.index.getKeys({ start: [kind, value] as never, end: [kind, value, MAX_ID] })) {
    out.push(key[2]);
  }
  return out;
}

/** Ids under every value of `kind` that `matches` accepts (the index's values of one kind, not the versions). */
function idsWhere(dbs: MemoryDbs, kind: string, matches: (value: string) => boolean): number[] {
  const out: number[] = [];
  for (const key of dbs.index.getKeys({ start: [kind] as never, end: [`${kind}\u0000`] as never })) {
    const [, value, id] = key;
    if (typeof value === 'string' && matches(value)) out.push(id);
  }
  return out;
}

/** Ids under every value of `kind` that starts with `prefix` (one range). */
function idsWithPrefix(dbs: MemoryDbs, kind: string, prefix: string): number[] {
  const out: number[] = [];
  for (const key of dbs.index.getKeys({
    start: [kind, prefix] as never,
    end: [kind, `${prefix}\uffff`] as never,
  })) {
    out.push(key[2]);
  }
  return out;
}

export function hasCriteria(c: RevokeCriteria): boolean {
  return (
    (c.ids !== undefined && c.ids.length > 0) ||
    [c.session, c.principal, c.server, c.tool, c.url, c.content_hash, c.label, c.namespace].some(
      (v) => v !== undefined && v !== '',
    ) ||
    c.since !== undefined ||
    c.until !== undefined
  );
}

/** The ids each index criterion selects; undefined when the criteria name none (window or namespace only). */
function indexSets(dbs: MemoryDbs, c: RevokeCriteria): number[][] {
  const sets: number[][] = [];
  if (c.ids !== undefined && c.ids.length > 0) {
    sets.push(c.ids.filter((id) => dbs.versions.doesExist(id) || dbs.external.doesExist(id)));
  }
  if (c.session) sets.push(idsOf(dbs, INDEX.session, c.session));
  if (c.principal) sets.push(idsOf(dbs, INDEX.principal, c.principal));
  if (c.label) sets.push(idsOf(dbs, INDEX.label, c.label));
  if (c.content_hash) sets.push(idsOf(dbs, INDEX.hash, c.content_hash.toLowerCase()));
  if (c.tool && c.server) sets.push(idsOf(dbs, INDEX.tool, toolKey(c.server, c.tool)));
  else if (c.tool) sets.push(idsWhere(dbs, INDEX.tool, (v) => v.endsWith(`/${c.tool ?? ''}`)));
  else if (c.server) sets.push(idsWithPrefix(dbs, INDEX.tool, `${c.server}/`));
  if (c.url) {
    const re = globToRegExp(c.url);
    sets.push(idsWhere(dbs, INDEX.url, (v) => re.test(v)));
  }
  return sets;
}

function intersect(sets: number[][]): Set<number> {
  const sorted = [...sets].sort((a, b) => a.length - b.length);
  let acc = new Set(sorted[0] ?? []);
  for (const s of sorted.slice(1)) {
    const next = new Set(s);
    acc = new Set([...acc].filter((id) => next.has(id)));
  }
  return acc;
}

/** The ids written in the window (the time index), or of one namespace (its items). */
function baseSet(dbs: MemoryDbs, c: RevokeCriteria): number[] {
  if (c.since !== undefined || c.until !== undefined) {
    const out: number[] = [];
    const start = [INDEX.time, c.since ?? 0];
    const end = [INDEX.time, c.until ?? MAX_ID, MAX_ID];
    for (const key of dbs.index.getKeys({ start: start as never, end: end as never })) {
      out.push(key[2]);
    }
    return out;
  }
  const out: number[] = [];
  for (const { value } of dbs.items.getRange({
    start: [c.namespace ?? ''] as never,
    end: [c.namespace ?? '', '\uffff'] as never,
  })) {
    out.push(value);
  }
  return out;
}

/** Keeps the ids whose record is in the namespace and the window the criteria give. */
function filterByRecord(dbs: MemoryDbs, ids: Iterable<number>, c: RevokeCriteria): number[] {
  const hasWindow = c.since !== undefined || c.until !== undefined;
  if (!c.namespace && !hasWindow) return [...ids];
  const out: number[] = [];
  for (const id of ids) {
    const v = dbs.versions.get(id);
    const record = v ?? dbs.external.get(id);
    if (record === undefined) continue;
    if (c.namespace && v?.namespace !== c.namespace) continue;
    if (c.since !== undefined && record.time < c.since) continue;
    if (c.until !== undefined && record.time > c.until) continue;
    out.push(id);
  }
  return out;
}

/** Every id transitively derived from `seeds` (the seeds included): a walk over the `from` index. */
export function descendantsOf(dbs: MemoryDbs, seeds: Iterable<number>): Set<number> {
  const seen = new Set<number>(seeds);
  let frontier = [...seen];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const id of frontier) {
      for (const child of idsOf(dbs, INDEX.from, id)) {
        if (!seen.has(child)) {
          seen.add(child);
          next.push(child);
        }
      }
    }
    frontier = next;
  }
  return seen;
}

/** What revoking by `criteria` covers now: matched ids, their descendants (cascade), what changes. */
export function planRevocation(dbs: MemoryDbs, criteria: RevokeCriteria): RevocationPlan {
  const sets = indexSets(dbs, criteria);
  const matched = filterByRecord(dbs, sets.length > 0 ? intersect(sets) : baseSet(dbs, criteria), criteria);
  const all = criteria.cascade === false ? new Set(matched) : descendantsOf(dbs, matched);
  return splitPlan(
    dbs,
    [...all].sort((a, b) => a - b),
  );
}

function splitPlan(dbs: MemoryDbs, ids: readonly number[]): RevocationPlan {
  const versions: number[] = [];
  const external: number[] = [];
  const changed: number[] = [];
  for (const id of ids) {
    if (dbs.versions.doesExist(id)) versions.push(id);
    else if (dbs.external.doesExist(id)) external.push(id);
    else continue;
    if (!dbs.status.doesExist(id)) changed.push(id);
  }
  return { versions, external, changed };
}

/** Marks every id of the plan as held by revocation `rid` (inside the caller's write transaction). */
export function applyRevocation(dbs: MemoryDbs, plan: RevocationPlan, rid: number): void {
  const fresh = new Set(plan.changed);
  for (const id of [...plan.versions, ...plan.external]) {
    // Most ids of a revocation were held by none before (the plan says which): no read needed.
    const held = fresh.has(id) ? [] : (dbs.status.get(id) ?? []);
    if (!held.includes(rid)) void dbs.status.put(id, [...held, rid]);
  }
}

/**
 * Brings a plan made on a read snapshot up to date inside the write transaction that applies it: ids
 * written after the snapshot (above `snapshotNextId`, in id order, so a parent comes before its
 * children) join the plan when they match the criteria or derive from something in it, and `changed`
 * is taken again. Range reads are slow inside lmdb-js write transactions (a new cursor each), so the
 * walk is done on the snapshot and only this delta, usually empty, is read here.
 */
export function refreshPlan(
  dbs: MemoryDbs,
  plan: RevocationPlan,
  criteria: RevokeCriteria,
  snapshotNextId: number,
): RevocationPlan {
  const versions = [...plan.versions];
  const external = [...plan.external];
  const held = new Set([...versions, ...external]);
  const later = [
    ...[...dbs.versions.getRange({ start: snapshotNextId + 1 })].map((e) => ({
      id: e.key,
      record: e.value,
      isVersion: true,
    })),
    ...[...dbs.external.getRange({ start: snapshotNextId + 1 })].map((e) => ({
      id: e.key,
      record: e.value,
      isVersion: false,
    })),
  ].sort((a, b) => a.id - b.id);
  for (const { id, record, isVersion } of later) {
    const derives =
      criteria.cascade !== false && record.derived_from.some((d) => d.type === 'memory' && held.has(d.id));
    if (!derives && !matchesCriteria(id, record, criteria)) continue;
    held.add(id);
    (isVersion ? versions : external).push(id);
  }
  const changed = [...versions, ...external].filter((id) => !dbs.status.doesExist(id)).sort((a, b) => a - b);
  return { versions, external, changed };
}

/** Whether one record meets every criterion (the predicate form of the index sets above). */
export function matchesCriteria(id: number, r: MemoryVersion | ExternalWrite, c: RevokeCriteria): boolean {
  const sources = r.derived_from.filter((d): d is ContentSource => d.type === 'content');
  const url = c.url ? globToRegExp(c.url) : undefined;
  const checks = [
    !c.ids?.length || c.ids.includes(id),
    !c.session || r.session === c.session,
    !c.principal || r.principal === c.principal,
    !c.label || ('labels' in r && r.labels.includes(c.label)),
    !c.content_hash || sources.some((s) => s.content_hash === c.content_hash?.toLowerCase()),
    !c.tool ||
      sources.some((s) =>
        c.server
          ? toolKey(s.server, s.subject) === toolKey(c.server, c.tool ?? '')
          : toolKey(s.server, s.subject).endsWith(`/${c.tool ?? ''}`),
      ),
    !c.server || c.tool !== undefined || sources.some((s) => s.server === c.server),
    !url || sources.some((s) => s.url !== undefined && url.test(s.url.slice(0, MAX_INDEXED_URL))),
    !c.namespace || ('namespace' in r && r.namespace === c.namespace),
    c.since === undefined || r.time >= c.since,
    c.until === undefined || r.time <= c.until,
  ];
  return checks.every(Boolean);
}

/** What restoring `record` releases: what it covered, and ids written later from what it held. */
export function planRestore(dbs: MemoryDbs, record: RevocationRecord): RestorePlan {
  const inherited = idsOf(dbs, INDEX.inherit, record.id);
  const ids = [...new Set([...record.versions, ...record.external, ...inherited])].sort((a, b) => a - b);
  const versions: number[] = [];
  const external: number[] = [];
  const changed: number[] = [];
  for (const id of ids) {
    (dbs.versions.doesExist(id) ? versions : external).push(id);
    const held = dbs.status.get(id) ?? [];
    if (held.length === 1 && held[0] === record.id) changed.push(id);
  }
  return { versions, external, changed };
}

/** Releases every id of the plan from revocation `rid`; an id no revocation holds leaves the table. */
export function applyRestore(dbs: MemoryDbs, plan: RestorePlan, rid: number): void {
  for (const id of [...plan.versions, ...plan.external]) {
    const held = (dbs.status.get(id) ?? []).filter((r) => r !== rid);
    if (held.length === 0) void dbs.status.remove(id);
    else void dbs.status.put(id, held);
  }
}
