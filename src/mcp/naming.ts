import { AgentwallError, ErrorCode } from '../core/errors.js';

/**
 * How tools, prompts and resource URIs of many servers share one listing. Server names cannot contain
 * the separator (the config schema checks), so splitting a public name at the first separator gives
 * back exactly one (server, name) pair: two servers can never produce the same public name.
 *
 * Resource URIs are prefixed as a URI scheme, `<server>+<uri>` (`files+file:///tmp/a.txt`): still a
 * valid absolute URI (RFC 3986 allows `+` in a scheme) and reversible at the first `+`.
 */
export interface Naming {
  /** False when names pass through unchanged (one server, `naming.prefix: auto`). */
  readonly isPrefixed: boolean;
  publicName(server: string, name: string): string;
  parseName(publicName: string): { server: string; name: string } | undefined;
  publicUri(server: string, uri: string): string;
  parseUri(publicUri: string): { server: string; uri: string } | undefined;
}

/**
 * A server agentwall runs itself, whose tools carry their own distinctive names (`memory_write`): they
 * are listed and called under those names whatever the prefix mode, and the built-in does not count as a
 * server for `naming.prefix: auto`. So turning the built-in on (the default) changes no existing tool
 * name: one wrapped server still passes its names through unchanged. An upstream tool whose public name
 * would equal a built-in's is shadowed by it (the listing leaves it out: {@link owns}).
 */
export interface BuiltinNames {
  readonly server: string;
  readonly tools: readonly string[];
}

export function createNaming(
  servers: readonly string[],
  separator: string,
  prefix: 'auto' | 'always',
  builtins: readonly BuiltinNames[] = [],
): Naming {
  const base = upstreamNaming(servers, separator, prefix);
  if (builtins.length === 0) return base;
  const fixed = new Map<string, string>();
  for (const b of builtins) for (const t of b.tools) fixed.set(t, b.server);
  const isBuiltin = new Set(builtins.map((b) => b.server));
  return {
    isPrefixed: base.isPrefixed,
    publicName: (server, name) => (isBuiltin.has(server) ? name : base.publicName(server, name)),
    parseName(publicName) {
      const server = fixed.get(publicName);
      return server !== undefined ? { server, name: publicName } : base.parseName(publicName);
    },
    publicUri: (server, uri) => base.publicUri(server, uri),
    parseUri: (uri) => base.parseUri(uri),
  };
}

/** Whether `server`'s item listed as `publicName` is reachable by that name (a built-in may shadow it). */
export function owns(naming: Naming, server: string, publicName: string): boolean {
  return naming.parseName(publicName)?.server === server;
}

function upstreamNaming(servers: readonly string[], separator: string, prefix: 'auto' | 'always'): Naming {
  const known = new Set(servers);
  const only = servers.length === 1 ? servers[0] : undefined;
  if (prefix === 'auto' && only !== undefined) {
    return {
      isPrefixed: false,
      publicName: (_server, name) => name,
      parseName: (name) => ({ server: only, name }),
      publicUri: (_server, uri) => uri,
      parseUri: (uri) => ({ server: only, uri }),
    };
  }
  return {
    isPrefixed: true,
    publicName: (server, name) => `${server}${separator}${name}`,
    parseName(publicName) {
      const at = publicName.indexOf(separator);
      if (at <= 0) return undefined;
      const server = publicName.slice(0, at);
      return known.has(server) ? { server, name: publicName.slice(at + separator.length) } : undefined;
    },
    publicUri: (server, uri) => `${server}+${uri}`,
    parseUri(publicUri) {
      const at = publicUri.indexOf('+');
      if (at <= 0) return undefined;
      const server = publicUri.slice(0, at);
      return known.has(server) ? { server, uri: publicUri.slice(at + 1) } : undefined;
    },
  };
}

/** Position in a listing that spans servers: which server, and that server's own cursor. */
export interface AggregateCursor {
  readonly server: string;
  readonly cursor?: string;
}

export function encodeCursor(c: AggregateCursor): string {
  return Buffer.from(JSON.stringify(c.cursor === undefined ? [c.server] : [c.server, c.cursor])).toString(
    'base64url',
  );
}

export function decodeCursor(text: string): AggregateCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    Array.isArray(parsed) &&
    (parsed.length === 1 || parsed.length === 2) &&
    parsed.every((p) => typeof p === 'string')
  ) {
    const [server, cursor] = parsed as [string, string?];
    return cursor === undefined ? { server } : { server, cursor };
  }
  throw new AgentwallError(ErrorCode.INVALID_CURSOR, `invalid cursor ${JSON.stringify(text.slice(0, 64))}`);
}
