import type { IncomingMessage } from 'node:http';

export type BodyResult =
  { ok: true; value: unknown } | { ok: false; status: 400 | 413; code: number; message: string };

/** Reads a JSON body of at most `limit` bytes. Stops reading as soon as the limit is passed. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return { ok: false, status: 413, code: -32600, message: `request body exceeds ${limit} bytes` };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      return { ok: false, status: 413, code: -32600, message: `request body exceeds ${limit} bytes` };
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, status: 400, code: -32700, message: `Parse error: ${(err as Error).message}` };
  }
}

/** Why a parsed body is not a JSON-RPC 2.0 message (or batch of them); undefined when it is one. */
export function jsonRpcProblem(body: unknown): string | undefined {
  const messages = Array.isArray(body) ? body : [body];
  if (messages.length === 0) return 'empty batch';
  for (const [i, m] of messages.entries()) {
    const at = Array.isArray(body) ? `message ${i}: ` : '';
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return `${at}not a JSON object`;
    const msg = m as Record<string, unknown>;
    if (msg.jsonrpc !== '2.0') return `${at}"jsonrpc" must be "2.0"`;
    const hasId = 'id' in msg;
    if (hasId && !(typeof msg.id === 'string' || (typeof msg.id === 'number' && Number.isFinite(msg.id)))) {
      return `${at}"id" must be a string or a number`;
    }
    if ('method' in msg) {
      if (typeof msg.method !== 'string') return `${at}"method" must be a string`;
      if ('params' in msg && (typeof msg.params !== 'object' || msg.params === null)) {
        return `${at}"params" must be an object or an array`;
      }
    } else if (!hasId || !('result' in msg || 'error' in msg)) {
      return `${at}neither a request, a notification nor a response`;
    }
  }
  return undefined;
}

/** The id of a request, if the body is a single message with a usable one (for error replies). */
export function idOf(body: unknown): string | number | null {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const id = (body as { id?: unknown }).id;
    if (typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))) return id;
  }
  return null;
}
