import { createHash } from 'node:crypto';
import type { Principal } from '../core/session.js';
import { textOfContent, type ChatMessage, type ChatRequest } from './chat.js';

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

/** What the cache looks an answer up by. */
export interface CacheQuery {
  /** Exact: everything that changes the answer, the whole conversation included. */
  readonly key: string;
  /** Semantic: the same, without the last user turn — only entries of the same group can match. */
  readonly group: string;
  /** The last user turn (what is embedded for the semantic lookup). */
  readonly text: string;
}

/**
 * The keys of a request: `key` over the resolved model, scope and whole body; `group` over the same
 * with the last user message left out, so a semantic hit differs from the request in that turn only —
 * never in the system prompt, tools, sampling parameters or earlier turns.
 */
export function cacheQuery(model: string, scope: string, body: ChatRequest): CacheQuery {
  const last = lastUserIndex(body.messages);
  const rest = body.messages.filter((_, i) => i !== last);
  return {
    key: fingerprint(model, scope, body),
    group: fingerprint(model, `${scope}\0semantic`, { ...body, messages: rest }),
    text: last < 0 ? '' : textOfContent(body.messages[last]?.content),
  };
}

function lastUserIndex(messages: readonly ChatMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === 'user') return i;
  return -1;
}

/** Who shares cached answers: `user` the principal, `tenant` its `tenant` claim (else its id), `global` all. */
export function cacheScope(scope: 'user' | 'tenant' | 'global', principal: Principal): string {
  if (scope === 'global') return 'global';
  const tenant = principal.claims.tenant;
  if (scope === 'tenant' && typeof tenant === 'string' && tenant !== '') return `tenant:${tenant}`;
  return `user:${principal.id}`;
}

/** `Cache-Control` (RFC 9111 §5.2.1): `no-store` neither reads nor writes; `no-cache` does not read. */
export function cacheDirectives(header: string | string[] | undefined): { read: boolean; write: boolean } {
  const v = (Array.isArray(header) ? header.join(',') : (header ?? '')).toLowerCase();
  const has = (d: string) => v.split(',').some((p) => p.trim() === d);
  if (has('no-store')) return { read: false, write: false };
  return { read: !has('no-cache'), write: true };
}
