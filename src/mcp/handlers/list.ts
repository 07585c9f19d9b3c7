import type { Result } from '@modelcontextprotocol/sdk/types.js';
import { AgentwallError, ErrorCode } from '../../core/errors.js';
import { decodeCursor, encodeCursor } from '../naming.js';
import type { SessionContext } from '../session-context.js';
import type { Upstream } from '../upstream.js';

export interface ListSpec<T> {
  readonly method: 'tools/list' | 'resources/list' | 'resources/templates/list' | 'prompts/list';
  /** The key of the items in the result: `tools`, `resources`, `resourceTemplates`, `prompts`. */
  readonly key: string;
  /** Whether an upstream offers this kind of listing. */
  readonly offers: (u: Upstream) => boolean;
  /** Renames one item into the shared namespace; undefined leaves it out (its name is shadowed). */
  readonly rename: (server: string, item: T) => T | undefined;
}

/**
 * One page of a listing that spans every upstream in configuration order. The cursor names the server
 * and carries that server's own cursor, so each upstream paginates as it likes and a page never mixes
 * two servers. Empty pages are skipped while agentwall can tell (the last page may be empty when the
 * remaining servers turn out to have nothing: MCP allows that); an unavailable upstream is left out.
 */
export async function listAcross<T>(
  ctx: SessionContext,
  spec: ListSpec<T>,
  cursor?: string,
): Promise<Result> {
  const servers = [...ctx.upstreams.values()].filter(spec.offers);
  let at = 0;
  let upstreamCursor: string | undefined;
  if (cursor !== undefined) {
    const c = decodeCursor(cursor);
    at = servers.findIndex((u) => u.name === c.server);
    if (at < 0)
      throw new AgentwallError(ErrorCode.INVALID_CURSOR, `cursor names unknown server "${c.server}"`);
    upstreamCursor = c.cursor;
  }
  while (at < servers.length) {
    const u = servers[at] as Upstream;
    if (u.status !== 'ready') {
      ctx.log.warn({ server: u.name, method: spec.method }, 'upstream unavailable; left out of the listing');
      at += 1;
      upstreamCursor = undefined;
      continue;
    }
    const page = await u.request({
      method: spec.method,
      params: upstreamCursor === undefined ? {} : { cursor: upstreamCursor },
    });
    const items = ((page as Record<string, unknown>)[spec.key] as T[] | undefined) ?? [];
    const upstreamNext = typeof page.nextCursor === 'string' ? page.nextCursor : undefined;
    const next = nextCursor(servers, at, upstreamNext);
    if (items.length > 0 || next === undefined) {
      return {
        [spec.key]: items.flatMap((item) => {
          const renamed = spec.rename(u.name, item);
          return renamed === undefined ? [] : [renamed];
        }),
        ...(next === undefined ? {} : { nextCursor: next }),
      };
    }
    // An empty page with more to come: keep going rather than hand the client an empty page.
    if (upstreamNext !== undefined) {
      upstreamCursor = upstreamNext;
    } else {
      at += 1;
      upstreamCursor = undefined;
    }
  }
  return { [spec.key]: [] };
}

function nextCursor(
  servers: readonly Upstream[],
  at: number,
  upstreamNext: string | undefined,
): string | undefined {
  const here = servers[at] as Upstream;
  if (upstreamNext !== undefined) return encodeCursor({ server: here.name, cursor: upstreamNext });
  const following = servers.slice(at + 1).find((u) => u.status === 'ready');
  return following === undefined ? undefined : encodeCursor({ server: following.name });
}
