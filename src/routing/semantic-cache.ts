import type { Database, RootDatabase } from 'lmdb';
import type { Logger } from 'pino';
import type { TextEmbedder } from '../ml/scorer.js';
import type { CacheQuery } from './cache.js';
import { VectorIndex } from './vector-index.js';

/**
 * The answer cache: exact lookup by the request's fingerprint, then (mode `exact_then_semantic`) the
 * nearest cached last user turn of the same group — same model, scope, system prompt, tools, sampling
 * parameters and earlier turns — if its cosine reaches `threshold`. A bounded LRU in memory with a TTL
 * from the write; with a store, every entry is also kept in LMDB (`llm-cache`) and reloaded at start.
 * The caller decides what is stored: complete, successful answers only.
 */
export interface AnswerCache {
  lookup(q: CacheQuery): Promise<CacheHit | undefined>;
  store(q: CacheQuery, body: string): Promise<void>;
  readonly size: number;
  /** Waits for the writes in flight. */
  close(): Promise<void>;
}

export interface CacheHit {
  readonly body: string;
  /** 1 for an exact hit. */
  readonly similarity: number;
  readonly exact: boolean;
}

export interface AnswerCacheOptions {
  readonly mode: 'exact' | 'exact_then_semantic';
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly threshold: number;
  /** Needed for semantic lookups; without it the cache is exact only. */
  readonly embedder?: TextEmbedder | undefined;
  readonly root?: RootDatabase | undefined;
  readonly clock?: (() => number) | undefined;
  readonly log?: Logger | undefined;
}

interface Entry {
  readonly group: string;
  readonly body: string;
  readonly expires: number;
  readonly vector?: Float32Array | undefined;
}

/** As stored in LMDB: the vector's float32 bytes (msgpack keeps a Uint8Array as binary). */
interface Stored {
  readonly group: string;
  readonly body: string;
  readonly expires: number;
  readonly vector?: Uint8Array;
}

export function createAnswerCache(o: AnswerCacheOptions): AnswerCache {
  const clock = o.clock ?? Date.now;
  const embedder = o.mode === 'exact_then_semantic' ? o.embedder : undefined;
  // A Map iterates in insertion order: re-inserting on a hit makes it an LRU.
  const entries = new Map<string, Entry>();
  const index = embedder ? new VectorIndex(embedder.dim) : undefined;
  const db = o.root?.openDB<Stored, string>({ name: 'llm-cache' });
  const writes = new Set<Promise<unknown>>();
  const vectors = new WeakMap<CacheQuery, Promise<Float32Array | undefined>>();

  const persist = (p: Promise<unknown>) => {
    const tracked = p.catch((err: unknown) => o.log?.warn({ err }, 'LLM cache write failed'));
    writes.add(tracked);
    void tracked.finally(() => writes.delete(tracked));
  };
  const remove = (key: string, stored = true) => {
    entries.delete(key);
    index?.remove(key);
    if (db && stored) persist(db.remove(key));
  };
  const insert = (key: string, e: Entry) => {
    entries.delete(key);
    entries.set(key, e);
    if (e.vector && index) index.add(e.group, key, e.vector);
    while (entries.size > o.maxEntries) remove(entries.keys().next().value as string);
  };
  /** The query's embedding, computed once for its lookup and store. */
  const vectorOf = (q: CacheQuery) => {
    if (!embedder || q.text === '') return Promise.resolve(undefined);
    let v = vectors.get(q);
    if (!v) {
      v = embedder.embed([q.text]).then((r) => r[0]);
      vectors.set(q, v);
    }
    return v;
  };

  if (db) reload(db, clock(), embedder?.dim, insert, (k) => persist(db.remove(k)));

  return {
    get size() {
      return entries.size;
    },
    async lookup(q) {
      const now = clock();
      const exact = entries.get(q.key);
      if (exact && exact.expires > now) {
        insert(q.key, exact);
        return { body: exact.body, similarity: 1, exact: true };
      }
      if (exact) remove(q.key);
      const vector = index ? await vectorOf(q) : undefined;
      if (!index || !vector) return undefined;
      for (;;) {
        const near = index.nearest(q.group, vector, o.threshold);
        if (!near) return undefined;
        const e = entries.get(near.key) as Entry;
        if (e.expires <= now) {
          remove(near.key);
          continue;
        }
        insert(near.key, e);
        return { body: e.body, similarity: near.similarity, exact: false };
      }
    },
    async store(q, body) {
      const vector = await vectorOf(q);
      const e: Entry = { group: q.group, body, expires: clock() + o.ttlMs, vector };
      insert(q.key, e);
      if (db) persist(db.put(q.key, toStored(e)));
    },
    async close() {
      await Promise.all([...writes]);
    },
  };
}

function toStored(e: Entry): Stored {
  const { vector, ...rest } = e;
  if (!vector) return rest;
  return { ...rest, vector: new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength) };
}

/** Loads the unexpired entries, oldest first (so the LRU order follows their age); drops the others. */
function reload(
  db: Database<Stored, string>,
  now: number,
  dim: number | undefined,
  insert: (key: string, e: Entry) => void,
  drop: (key: string) => void,
): void {
  const live: [string, Entry][] = [];
  for (const { key, value } of db.getRange()) {
    if (value.expires <= now) {
      drop(key);
      continue;
    }
    const bytes = value.vector;
    // A vector from another embedding model (other size) cannot be compared: the entry stays exact-only.
    const vector =
      bytes && dim !== undefined && bytes.byteLength === dim * 4
        ? new Float32Array(Uint8Array.from(bytes).buffer)
        : undefined;
    live.push([key, { group: value.group, body: value.body, expires: value.expires, vector }]);
  }
  live.sort((a, b) => a[1].expires - b[1].expires);
  for (const [key, e] of live) insert(key, e);
}
