import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { isLoopback } from '../../config/load.js';
import type { Principal } from '../../core/session.js';
import { openFrontSession, type FrontSession, type FrontSessionDeps } from '../front-session.js';
import { HeldTransport } from '../held-transport.js';
import { VERSION } from '../version.js';
import { idOf, jsonRpcProblem, readJsonBody } from './body.js';
import { allowedHostnames, checkBearer, checkHost, checkOrigin } from './checks.js';

export interface HttpFront {
  /** Base URL, e.g. `http://127.0.0.1:8787`; the MCP endpoint is `${url}/mcp`. */
  readonly url: string;
  readonly port: number;
  readonly sessions: ReadonlyMap<string, SessionEntry>;
  close(): Promise<void>;
}

interface SessionEntry {
  readonly transport: StreamableHTTPServerTransport;
  readonly principal: Principal;
  front: FrontSession | undefined;
  lastSeen: number;
}

const LOCAL_PRINCIPAL: Principal = { id: 'local', roles: [], claims: {} };

/**
 * The Streamable HTTP front (MCP spec 2025-06-18, transports): `POST/GET/DELETE /mcp`, `GET /healthz`.
 * Every request passes Host/Origin validation, then the bearer check when auth is configured; bodies
 * are size-limited, parsed and shape-checked here so a malformed message gets a JSON-RPC error and
 * never reaches (or disturbs) a session.
 */
export interface HttpFrontOptions {
  /** Serves `/admin/*` (returns false for other paths); Host/Origin checks apply before it. */
  readonly admin?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;
  /** Serves the dashboard under `/ui` (returns false for other paths); Host/Origin checks apply before it. */
  readonly ui?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;
  /**
   * Serves `GET /metrics` (Prometheus text, docs/routing.md "Metrics") after the Host/Origin checks;
   * with `token` (the admin token) it needs that bearer, as `/admin` does.
   */
  readonly metrics?: {
    render(): Promise<{ contentType: string; body: string }>;
    readonly token?: string | undefined;
  };
  /** Serves `/v1/*` (the LLM router, docs/routing.md) after the same Host/Origin and bearer checks as `/mcp`. */
  readonly v1?: (
    req: IncomingMessage,
    res: ServerResponse,
    principal: Principal,
    path: string,
  ) => Promise<void>;
}

export async function startHttpFront(
  deps: FrontSessionDeps,
  options: HttpFrontOptions = {},
): Promise<HttpFront> {
  const { config, log } = deps;
  const loopback = isLoopback(config.listen.host);
  const hostnames = allowedHostnames(config.listen.host, config.http.allowed_hosts, loopback);
  const origins = new Set(config.http.allowed_origins);
  const sessions = new Map<string, SessionEntry>();

  const reply = (res: ServerResponse, status: number, code: number, message: string, id: unknown = null) => {
    if (res.headersSent) return void res.end();
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } }));
  };

  async function handleMcp(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const sessionId = req.headers['mcp-session-id'];
    const entry = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (typeof sessionId === 'string' && !entry) return reply(res, 404, -32001, 'Session not found');
    if (entry && entry.principal.id !== principal.id) {
      return reply(res, 403, -32000, 'this session belongs to another principal');
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (!entry) return reply(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      entry.lastSeen = Date.now();
      return entry.transport.handleRequest(req, res);
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'GET, POST, DELETE');
      return reply(res, 405, -32000, 'Method not allowed');
    }
    const body = await readJsonBody(req, config.http.max_body_bytes);
    if (!body.ok) return reply(res, body.status, body.code, body.message);
    const problem = jsonRpcProblem(body.value);
    if (problem !== undefined)
      return reply(res, 400, -32600, `Invalid Request: ${problem}`, idOf(body.value));
    if (entry) {
      entry.lastSeen = Date.now();
      return entry.transport.handleRequest(req, res, body.value);
    }
    const messages = Array.isArray(body.value) ? (body.value as unknown[]) : [body.value];
    if (!messages.some((m) => isInitializeRequest(m))) {
      return reply(
        res,
        400,
        -32000,
        'Bad Request: no valid session; send initialize first',
        idOf(body.value),
      );
    }
    return openSession(req, res, body.value, principal);
  }

  async function openSession(req: IncomingMessage, res: ServerResponse, body: unknown, principal: Principal) {
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, principal, front: undefined, lastSeen: Date.now() });
      },
    });
    await transport.start();
    const held = new HeldTransport(transport, (init) => {
      const id = transport.sessionId ?? randomUUID();
      openFrontSession(held, init, id, principal, deps).then(
        (front) => {
          const e = sessions.get(id);
          if (e) e.front = front;
          else void front.close();
        },
        (err: unknown) => {
          log.error({ err, sessionId: id }, 'session failed to open');
          void held.reject(-32603, `agentwall could not open the session: ${String(err)}`);
        },
      );
    });
    // Set on the held transport: the SDK's Server chains this handler when it connects.
    held.onclose = () => {
      const id = transport.sessionId;
      if (id === undefined) return;
      const e = sessions.get(id);
      sessions.delete(id);
      void e?.front?.close();
    };
    await transport.handleRequest(req, res, body);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = checkHost(req.headers.host, hostnames);
    if (!host.ok) return reply(res, 403, -32000, `Forbidden: ${host.message}`);
    const origin = checkOrigin(req.headers.origin, origins, hostnames);
    if (!origin.ok) return reply(res, 403, -32000, `Forbidden: ${origin.message}`);
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ status: 'ok', version: VERSION, sessions: sessions.size }));
    }
    if (path === '/metrics' && options.metrics) return serveMetrics(req, res, options.metrics);
    if (options.admin && (await options.admin(req, res, path ?? '/'))) return;
    if (options.ui && (await options.ui(req, res, path ?? '/'))) return;
    const isV1 = options.v1 !== undefined && (path === '/v1' || path?.startsWith('/v1/') === true);
    if (path !== '/mcp' && !isV1) return reply(res, 404, -32601, `Not found: ${path}`);
    let principal = LOCAL_PRINCIPAL;
    if (config.auth) {
      const auth = checkBearer(req.headers.authorization, config.auth.tokens);
      if (!auth.ok) {
        res.setHeader(
          'www-authenticate',
          `Bearer error="${auth.code === 'missing_token' ? 'invalid_request' : 'invalid_token'}"`,
        );
        return reply(res, 401, -32000, `Unauthorized: ${auth.message}`);
      }
      principal = auth.principal;
    }
    if (isV1 && options.v1) return options.v1(req, res, principal, path ?? '/v1');
    return handleMcp(req, res, principal);
  }

  async function serveMetrics(
    req: IncomingMessage,
    res: ServerResponse,
    metrics: NonNullable<HttpFrontOptions['metrics']>,
  ): Promise<void> {
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET', 'content-type': 'text/plain' });
      return void res.end('GET only\n');
    }
    if (metrics.token !== undefined) {
      const auth = checkBearer(req.headers.authorization, [
        { token: metrics.token, principal: 'admin', roles: ['admin'] },
      ]);
      if (!auth.ok) {
        res.writeHead(401, {
          'www-authenticate': 'Bearer realm="agentwall-admin"',
          'content-type': 'text/plain',
        });
        return void res.end(`metrics: ${auth.message}\n`);
      }
    }
    const { contentType, body } = await metrics.render();
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(body);
  }

  const http: HttpServer = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      log.error({ err, url: req.url }, 'HTTP request failed');
      reply(res, 500, -32603, 'Internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.listen.port, config.listen.host, () => resolve());
  });
  const sweep = setInterval(
    () => {
      const cutoff = Date.now() - config.http.session_idle_timeout;
      for (const [id, e] of sessions)
        if (e.lastSeen < cutoff) {
          log.info({ sessionId: id }, 'closing idle session');
          void e.transport.close();
        }
    },
    Math.min(60_000, config.http.session_idle_timeout),
  ).unref();

  const port = (http.address() as AddressInfo).port;
  const hostForUrl = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    sessions,
    async close() {
      clearInterval(sweep);
      await Promise.all([...sessions.values()].map((e) => e.transport.close().catch(() => undefined)));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
