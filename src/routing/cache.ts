import { createHash } from 'node:crypto';

/**
 * The exact-match answer cache: a bounded LRU in memory, keyed by a fingerprint of everything that
 * changes the answer. Only complete, successful, non-streamed answers are stored (the caller decides).
 */
export interface AnswerCache {
  get(key: string): string | undefined;
  set(key: string, body: string): void;
  readonly size: number;
}

/** Fields that do not change the answer: how it is delivered, and who asks (scope is keyed separately). */
const DELIVERY_FIELDS = new Set(['stream', 'stream_options', 'user', 'request_id', 'metadata', 'store']);

/**
 * SHA-256 over the resolved model, the scope (principal for `user`), and the body with its keys
 * sorted — messages (system prompt included), tools, tool_choice and every sampling parameter — minus
 * the delivery fields. So an answer is never served under another system prompt, tool set or temperature.
 */
export function fingerprint(model: string, scope: string, body: Readonly<Record<string, unknown>>): string {
  const h = createHash('sha256');
  h.update(model).update('\0').update(scope).update('\0');
  const kept: Record<string, unknown> = {};
  for (const k of Object.keys(body).sort()) if (!DELIVERY_FIELDS.has(k) && k !== 'model') kept[k] = body[k];
  h.update(canonical(kept));
  return h.digest('base64url');
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function createAnswerCache(o: {
  ttlMs: number;
  maxEntries: number;
  clock?: () => number;
}): AnswerCache {
  const clock = o.clock ?? Date.now;
  // A Map iterates in insertion order: re-inserting on a hit makes it an LRU.
  const entries = new Map<string, { body: string; expires: number }>();
  return {
    get(key) {
      const e = entries.get(key);
      if (!e) return undefined;
      entries.delete(key);
      if (e.expires <= clock()) return undefined;
      entries.set(key, e);
      return e.body;
    },
    set(key, body) {
      entries.delete(key);
      entries.set(key, { body, expires: clock() + o.ttlMs });
      while (entries.size > o.maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    },
    get size() {
      return entries.size;
    },
  };
}

/** `Cache-Control` (RFC 9111 §5.2.1): `no-store` neither reads nor writes; `no-cache` does not read. */
export function cacheDirectives(header: string | string[] | undefined): { read: boolean; write: boolean } {
  const v = (Array.isArray(header) ? header.join(',') : (header ?? '')).toLowerCase();
  const has = (d: string) => v.split(',').some((p) => p.trim() === d);
  if (has('no-store')) return { read: false, write: false };
  return { read: !has('no-cache'), write: true };
}
