import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDeeperThan, MAX_JSON_DEPTH } from '../mcp/http/body.js';
import type { UpstreamFailure } from './upstream-pool.js';

/** OpenAI's error body: `{"error": {"message", "type", "param", "code"}}` (what the SDKs parse). */
export function sendOpenAiError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  code: string | null = null,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return void res.destroy();
  sendJsonText(res, status, JSON.stringify({ error: { message, type, param: null, code } }), headers);
}

/** Every endpoint of a model failed (or timed out): 502/504 with code `upstream_unavailable`. */
export function sendUpstreamFailure(
  res: ServerResponse,
  failure: UpstreamFailure,
  headers: Record<string, string> = {},
): void {
  sendOpenAiError(res, failure.status, 'upstream_error', failure.message, 'upstream_unavailable', headers);
}

export function sendJsonText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

export type BodyRead = { ok: true; value: unknown } | { ok: false; status: number; message: string };

/** Reads a JSON body up to `limit` bytes (413 beyond it, 400 when it is not JSON). */
export async function readJson(req: IncomingMessage, limit: number): Promise<BodyRead> {
  const type = String(req.headers['content-type'] ?? '');
  if (!type.toLowerCase().startsWith('application/json'))
    return { ok: false, status: 415, message: "Unsupported Media Type: Only 'application/json' is allowed" };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) return { ok: false, status: 413, message: `the body exceeds ${limit} bytes` };
    chunks.push(c as Buffer);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    return { ok: false, status: 400, message: `invalid JSON: ${(err as Error).message}` };
  }
  // Fingerprinting, inspection and CEL recurse over the body: refuse what would overflow the stack.
  if (typeof value === 'object' && value !== null && isDeeperThan(value, MAX_JSON_DEPTH))
    return { ok: false, status: 400, message: `the body is nested deeper than ${MAX_JSON_DEPTH} levels` };
  return { ok: true, value };
}

export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
