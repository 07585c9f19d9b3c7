import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkBearer } from '../mcp/http/checks.js';
import { readJsonBody } from '../mcp/http/body.js';

/** What an admin route sees: no node:http types, so routes are plain functions and easy to test. */
export interface AdminRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
  /** Who called: the principal of the admin token. */
  readonly principal: string;
}

export interface AdminResponse {
  readonly status: number;
  readonly body: unknown;
  /**
   * Set by a route that answers with a stream (SSE): the handler gives it the raw response after the
   * token check instead of sending `body`.
   */
  readonly stream?: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface AdminRoute {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** `/admin/approvals/:id/approve`: `:name` segments become `params.name`. */
  readonly path: string;
  handle(req: AdminRequest): Promise<AdminResponse> | AdminResponse;
}

interface Compiled {
  readonly route: AdminRoute;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

function compile(route: AdminRoute): Compiled {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((seg) => {
      if (!seg.startsWith(':')) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(seg.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names };
}

export interface AdminHandlerOptions {
  readonly routes: readonly AdminRoute[];
  /** The admin bearer token (constant-time compared). */
  readonly token: string;
  readonly maxBodyBytes: number;
}

/**
 * The `/admin` HTTP surface: one bearer token, JSON in and out, stable error bodies
 * `{ error: { code, message } }`. Returns false for paths outside `/admin` so the caller can go on.
 */
export function createAdminHandler(options: AdminHandlerOptions) {
  const compiled = options.routes.map(compile);
  const tokens = [{ token: options.token, principal: 'admin', roles: ['admin'] }];
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  return async function adminHandler(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
  ): Promise<boolean> {
    if (path !== '/admin' && !path.startsWith('/admin/')) return false;
    const auth = checkBearer(req.headers.authorization, tokens);
    if (!auth.ok) {
      res.setHeader('www-authenticate', 'Bearer realm="agentwall-admin"');
      send(res, 401, { error: { code: 'UNAUTHORIZED', message: `admin API: ${auth.message}` } });
      return true;
    }
    const candidates = compiled.filter((c) => c.pattern.test(path));
    const match = candidates.find((c) => c.route.method === req.method);
    if (!match) {
      if (candidates.length > 0) {
        res.setHeader('allow', candidates.map((c) => c.route.method).join(', '));
        send(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method ?? ''} ${path}` } });
      } else send(res, 404, { error: { code: 'NOT_FOUND', message: `no admin route ${path}` } });
      return true;
    }
    let body: unknown;
    if (req.method === 'POST') {
      const read = await readJsonBody(req, options.maxBodyBytes).catch(() => undefined);
      if (read && !read.ok && req.headers['content-length'] !== '0' && read.status === 413) {
        send(res, 413, { error: { code: 'BODY_TOO_LARGE', message: read.message } });
        return true;
      }
      body = read?.ok ? read.value : undefined;
    }
    const groups = match.pattern.exec(path) ?? [];
    const params = Object.fromEntries(
      match.names.map((n, i) => [n, decodeURIComponent(groups[i + 1] ?? '')]),
    );
    const url = new URL(req.url ?? '/', 'http://admin');
    const out = await match.route.handle({
      params,
      query: url.searchParams,
      body,
      principal: auth.principal.id,
    });
    if (out.stream) out.stream(req, res);
    else send(res, out.status, out.body);
    return true;
  };
}
