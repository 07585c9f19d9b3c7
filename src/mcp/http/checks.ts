import { timingSafeEqual } from 'node:crypto';
import type { ResolvedToken } from '../../config/load.js';
import type { Principal } from '../../core/session.js';

/**
 * Pure checks of the HTTP front; the server only maps their results to responses (as the MCP SDK's
 * host-header middleware does).
 */
export type HostCheck =
  { ok: true; hostname: string } | { ok: false; code: 'missing_host' | 'invalid_host'; message: string };

/** Hostname of a `Host` header: `[::1]:8787` → `::1`, `localhost:8787` → `localhost`. */
export function hostnameOf(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * DNS-rebinding protection (MCP spec, transports, "Security Warning"): a page on attacker.example that
 * resolves its name to 127.0.0.1 still sends `Host: attacker.example`, which is refused here.
 */
export function checkHost(host: string | undefined, allowed: ReadonlySet<string>): HostCheck {
  if (host === undefined || host === '')
    return { ok: false, code: 'missing_host', message: 'missing Host header' };
  const hostname = hostnameOf(host);
  if (hostname === undefined || !allowed.has(hostname)) {
    return { ok: false, code: 'invalid_host', message: `Host header ${JSON.stringify(host)} is not allowed` };
  }
  return { ok: true, hostname };
}

export type OriginCheck = { ok: true } | { ok: false; code: 'invalid_origin'; message: string };

/** Browsers send `Origin`; non-browser clients usually do not, and are not refused for its absence. */
export function checkOrigin(
  origin: string | undefined,
  allowedOrigins: ReadonlySet<string>,
  allowedHostnames: ReadonlySet<string>,
): OriginCheck {
  if (origin === undefined) return { ok: true };
  if (allowedOrigins.has(origin)) return { ok: true };
  let hostname: string | undefined;
  try {
    hostname = new URL(origin).hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  } catch {
    hostname = undefined;
  }
  if (hostname !== undefined && allowedHostnames.has(hostname)) return { ok: true };
  return { ok: false, code: 'invalid_origin', message: `Origin ${JSON.stringify(origin)} is not allowed` };
}

export type AuthCheck =
  | { ok: true; principal: Principal }
  | { ok: false; code: 'missing_token' | 'invalid_token'; message: string };

/** Bearer tokens decide the principal; comparison is constant-time per configured token. */
export function checkBearer(authorization: string | undefined, tokens: readonly ResolvedToken[]): AuthCheck {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!m) return { ok: false, code: 'missing_token', message: 'a bearer token is required' };
  const given = Buffer.from(m[1] ?? '');
  let found: ResolvedToken | undefined;
  for (const t of tokens) {
    const expected = Buffer.from(t.token);
    if (expected.length === given.length && timingSafeEqual(expected, given)) found = t;
  }
  if (!found) return { ok: false, code: 'invalid_token', message: 'the bearer token is not valid' };
  return { ok: true, principal: { id: found.principal, roles: found.roles, claims: {} } };
}

/** The hostnames a front on `listenHost` answers to. */
export function allowedHostnames(
  listenHost: string,
  extra: readonly string[],
  isLoopback: boolean,
): Set<string> {
  const names = new Set([listenHost.toLowerCase(), ...extra.map((h) => hostnameOf(h) ?? h.toLowerCase())]);
  if (isLoopback) for (const h of ['localhost', '127.0.0.1', '::1']) names.add(h);
  return names;
}
