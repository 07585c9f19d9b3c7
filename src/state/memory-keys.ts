import type { Database, RootDatabase } from 'lmdb';
import type {
  CompensationOutcome,
  DerivedFrom,
  ExternalWrite,
  MemoryVersion,
  RevocationRecord,
} from './memory-types.js';

/**
 * The memory databases of the shared LMDB environment (docs/state.md). Keys are ordered-binary arrays,
 * so one item's versions (`[namespace, key, seq]`) and one source's dependants (`[kind, value, id]`) are
 * contiguous ranges.
 */
export interface MemoryDbs {
  readonly root: RootDatabase;
  /** id → version (never rewritten). */
  readonly versions: Database<MemoryVersion, number>;
  /** `[namespace, key, seq]` → version id. */
  readonly items: Database<number, [string, string, number]>;
  /** `[namespace, key]` → `[seq, id]` of the item's newest version: a point read for writes and reads. */
  readonly heads: Database<[number, number], [string, string]>;
  /** `[kind, value, id]` → null: the provenance index (what each id derives from, and who wrote it). */
  readonly index: Database<null, IndexKey>;
  /** id → the revocations that hold it; absent when none does. */
  readonly status: Database<number[], number>;
  readonly revocations: Database<RevocationRecord, number>;
  /** id → journaled external write (never rewritten). */
  readonly external: Database<ExternalWrite, number>;
  /** id of an external write → the compensating calls issued for it. */
  readonly compensations: Database<CompensationOutcome[], number>;
  /** namespace → counters, for listing namespaces without a scan. */
  readonly namespaces: Database<NamespaceInfo, string>;
  /** `next_id`, `next_revocation`. */
  readonly meta: Database<number, string>;
}

export interface NamespaceInfo {
  readonly versions: number;
  readonly last_write: number;
}

export type IndexKey = [string, string | number, number];

export function openMemoryDbs(root: RootDatabase): MemoryDbs {
  return {
    root,
    versions: root.openDB({ name: 'memory.versions', keyEncoding: 'uint32' }),
    items: root.openDB({ name: 'memory.items' }),
    heads: root.openDB({ name: 'memory.heads' }),
    index: root.openDB({ name: 'memory.index' }),
    status: root.openDB({ name: 'memory.status', keyEncoding: 'uint32' }),
    revocations: root.openDB({ name: 'memory.revocations', keyEncoding: 'uint32' }),
    external: root.openDB({ name: 'memory.external', keyEncoding: 'uint32' }),
    compensations: root.openDB({ name: 'memory.compensations', keyEncoding: 'uint32' }),
    namespaces: root.openDB({ name: 'memory.namespaces' }),
    meta: root.openDB({ name: 'memory.meta' }),
  };
}

/** Index kinds: `from` (a parent memory version id), then the sources and the writer. */
export const INDEX = {
  from: 'from',
  hash: 'hash',
  tool: 'tool',
  url: 'url',
  session: 'session',
  principal: 'principal',
  label: 'label',
  time: 'time',
  /** `[inherit, revocation, id]`: an id written from a revoked parent, held by that revocation. */
  inherit: 'inherit',
} as const;

/** LMDB keys are bounded; URLs longer than this are indexed by their first characters. */
export const MAX_INDEXED_URL = 1024;
export const MAX_NAMESPACE = 200;
export const MAX_KEY = 512;

/** `server/subject`: the value of a `tool` index entry. */
export function toolKey(server: string, subject: string): string {
  return `${server}/${subject}`;
}

/** Every index entry of a version or external write (deduplicated). */
export function indexKeysOf(
  id: number,
  writer: { principal: string; session: string; time: number; labels?: readonly string[] },
  derived: readonly DerivedFrom[],
): IndexKey[] {
  const seen = new Set<string>();
  const out: IndexKey[] = [];
  const add = (kind: string, value: string | number) => {
    const k = `${kind}\0${value}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push([kind, value, id]);
  };
  add(INDEX.session, writer.session);
  add(INDEX.principal, writer.principal);
  add(INDEX.time, writer.time);
  for (const l of writer.labels ?? []) add(INDEX.label, l);
  for (const d of derived) {
    if (d.type === 'memory') {
      add(INDEX.from, d.id);
      continue;
    }
    add(INDEX.hash, d.content_hash);
    // By server is a prefix range of the `tool` entries (`server/…`): no entry of its own.
    add(INDEX.tool, toolKey(d.server, d.subject));
    if (d.url !== undefined) add(INDEX.url, d.url.slice(0, MAX_INDEXED_URL));
  }
  return out;
}

/** Why a namespace or key cannot be stored, or undefined when it can. */
export function checkAddress(namespace: string, key: string): string | undefined {
  if (namespace.length === 0 || namespace.length > MAX_NAMESPACE) {
    return `a namespace has 1 to ${MAX_NAMESPACE} characters`;
  }
  if (key.length === 0 || key.length > MAX_KEY) return `a key has 1 to ${MAX_KEY} characters`;
  // Control characters would make listings unreadable, and NUL is the index's own separator.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(namespace + key)) return 'namespaces and keys have no control characters';
  return undefined;
}

/** A URL glob as a RegExp: `*` any run of characters, `?` one; everything else literal. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}
