// Raw HTTP for the checks the SDK client never trips: node:http lets a test send any Host header and any
// body, malformed ones included.
import { request, type IncomingHttpHeaders } from 'node:http';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface RawRequest {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

/** Sends one request to `base` (e.g. `http://127.0.0.1:PORT`) and reads the whole response. */
export function rawRequest(base: string, r: RawRequest = {}): Promise<RawResponse> {
  const url = new URL(r.path ?? '/mcp', base);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: r.method ?? 'POST', headers: { ...r.headers }, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no response from ${url.href} within 30 s`)));
    req.on('error', reject);
    req.end(r.body);
  });
}

/** The headers a Streamable HTTP POST carries (MCP spec, transports: "Sending Messages to the Server"). */
export function mcpHeaders(sessionId?: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
    ...(sessionId === undefined ? {} : { 'mcp-session-id': sessionId }),
    ...extra,
  };
}

/** The JSON-RPC messages of a response: a JSON body, or the `data:` lines of an SSE stream. */
export function messagesOf(res: RawResponse): unknown[] {
  if (String(res.headers['content-type']).startsWith('text/event-stream')) {
    return res.body
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice('data:'.length).trim())
      .filter((data) => data !== '')
      .map((data) => JSON.parse(data) as unknown);
  }
  const parsed = JSON.parse(res.body) as unknown;
  return Array.isArray(parsed) ? parsed : [parsed];
}
