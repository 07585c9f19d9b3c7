// A raw Streamable HTTP client for the fuzzers: opens one MCP session with `initialize`, then sends any
// bytes as a POST /mcp on a keep-alive undici pool, and reads each reply whole.
import { Pool } from 'undici';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { HeaderVariant } from './frames.js';
import { messagesOfBody } from './outcome.js';

export interface RawReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly sessionId: string | undefined;
}

export interface FuzzClient {
  readonly sessionId: string;
  post(body: Buffer | string, variant?: HeaderVariant): Promise<RawReply>;
  /** A well-formed `tools/call` of `echo` on the session; resolves to the text it answered. */
  echo(text: string): Promise<string>;
  close(): Promise<void>;
}

export function headersFor(
  variant: HeaderVariant,
  sessionId: string | undefined,
  extra: Record<string, string> = {},
): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
    ...extra,
  };
  if (sessionId !== undefined && variant !== 'no-session') h['mcp-session-id'] = sessionId;
  if (variant === 'bad-accept') h.accept = 'text/html';
  if (variant === 'bad-content-type') h['content-type'] = 'text/plain';
  if (variant === 'bad-version') h['mcp-protocol-version'] = '1999-01-01';
  return h;
}

async function send(pool: Pool, body: Buffer | string, headers: Record<string, string>): Promise<RawReply> {
  const r = await pool.request({ method: 'POST', path: '/mcp', headers, body });
  const text = await r.body.text();
  const sid = r.headers['mcp-session-id'];
  return {
    status: r.statusCode,
    contentType: String(r.headers['content-type'] ?? ''),
    body: text,
    sessionId: typeof sid === 'string' ? sid : undefined,
  };
}

let probes = 0;

/** `connections` keep-alive connections to `base` (`http://127.0.0.1:PORT`), one initialized session. */
export async function openFuzzClient(
  base: string,
  options: { connections?: number; pipelining?: number; headers?: Record<string, string> } = {},
): Promise<FuzzClient> {
  const pool = new Pool(base, {
    connections: options.connections ?? 4,
    pipelining: options.pipelining ?? 1,
    // A reply that takes this long is a hang, reported as a failure rather than waited for.
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
  });
  const extra = options.headers ?? {};
  const init = await send(
    pool,
    JSON.stringify({
      jsonrpc: '2.0',
      id: 'init',
      method: 'initialize',
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'hardening-fuzz', version: '1.0.0' },
      },
    }),
    headersFor('normal', undefined, extra),
  );
  if (init.status !== 200 || init.sessionId === undefined) {
    await pool.close();
    throw new Error(`initialize failed: ${init.status} ${init.body}`);
  }
  const sessionId = init.sessionId;
  const initialized = await send(
    pool,
    JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    headersFor('normal', sessionId, extra),
  );
  if (initialized.status !== 202) throw new Error(`notifications/initialized: ${initialized.status}`);
  return {
    sessionId,
    post: (body, variant = 'normal') => send(pool, body, headersFor(variant, sessionId, extra)),
    async echo(text) {
      const id = `probe-${(probes += 1)}`;
      const r = await send(
        pool,
        JSON.stringify({
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: { name: 'echo', arguments: { text } },
        }),
        headersFor('normal', sessionId, extra),
      );
      const reply = messagesOfBody(r.contentType, r.body)?.find((m) => (m as { id?: unknown }).id === id) as
        { result?: { content?: { text?: string }[] } } | undefined;
      const out = reply?.result?.content?.[0]?.text;
      if (r.status !== 200 || out === undefined) throw new Error(`probe ${id}: ${r.status} ${r.body}`);
      return out;
    },
    async close() {
      // DELETE ends the session (MCP spec, transports: "Session Management"), stopping its upstreams now.
      await pool
        .request({ method: 'DELETE', path: '/mcp', headers: headersFor('normal', sessionId, extra) })
        .then((r) => r.body.dump())
        .catch(() => undefined);
      await pool.close();
    },
  };
}
