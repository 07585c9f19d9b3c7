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

/**
 * Messages nested deeper than this are refused. JSON.parse takes any depth, but much of what handles a
 * message afterwards recurses (JSON.stringify, RFC 8785 hashing for the audit chain, CEL values, the
 * SDK's schemas) and overflows the stack near 5,000 levels: found by tests/hardening/fuzz-http.test.ts,
 * where such a call lost its own audit record and those of every call in the same audit batch.
 */
export const MAX_JSON_DEPTH = 100;

/** Whether `value` has objects or arrays nested more than `max` levels deep (iterative: no recursion). */
export function isDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [v, depth] = top;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as object)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** What the MCP SDK accepts as a request id or progress token: a string or an integer (types.ts). */
const isRequestId = (v: unknown) => typeof v === 'string' || Number.isSafeInteger(v);

const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);
const RESULT_KEYS = new Set(['jsonrpc', 'id', 'result']);
const ERROR_KEYS = new Set(['jsonrpc', 'id', 'error']);

/**
 * Why one message is not one the MCP SDK accepts; mirrors its strict JSONRPCMessageSchema in a few
 * cheap checks. The SDK silently drops a message its schema rejects — on stdio a request with a
 * fractional id or array params would never be answered (found by tests/hardening/fuzz-stdio.test.ts) —
 * so the fronts refuse those here with -32600 instead.
 */
function messageProblem(msg: Record<string, unknown>): string | undefined {
  if (msg.jsonrpc !== '2.0') return '"jsonrpc" must be "2.0"';
  const hasId = 'id' in msg;
  if (hasId && !isRequestId(msg.id)) return '"id" must be a string or an integer';
  if ('method' in msg) {
    if (typeof msg.method !== 'string') return '"method" must be a string';
    const extra = Object.keys(msg).find((k) => !REQUEST_KEYS.has(k));
    if (extra !== undefined) return `unexpected member ${JSON.stringify(extra)}`;
    if (!('params' in msg) || msg.params === undefined) return undefined;
    if (!isObject(msg.params)) return '"params" must be an object';
    const meta = msg.params._meta;
    if (meta === undefined) return undefined;
    if (!isObject(meta)) return '"params._meta" must be an object';
    if (meta.progressToken !== undefined && !isRequestId(meta.progressToken)) {
      return '"params._meta.progressToken" must be a string or an integer';
    }
    return undefined;
  }
  if (!hasId || !('result' in msg || 'error' in msg))
    return 'neither a request, a notification nor a response';
  const keys = 'result' in msg ? RESULT_KEYS : ERROR_KEYS;
  const extra = Object.keys(msg).find((k) => !keys.has(k));
  if (extra !== undefined) return `unexpected member ${JSON.stringify(extra)}`;
  if ('result' in msg) return isObject(msg.result) ? undefined : '"result" must be an object';
  const error = msg.error;
  if (!isObject(error) || !Number.isSafeInteger(error.code) || typeof error.message !== 'string') {
    return '"error" must be an object with an integer "code" and a string "message"';
  }
  return undefined;
}

/** Why a parsed body is not a JSON-RPC 2.0 message (or batch of them); undefined when it is one. */
export function jsonRpcProblem(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && isDeeperThan(body, MAX_JSON_DEPTH)) {
    return `nested deeper than ${MAX_JSON_DEPTH} levels`;
  }
  const messages = Array.isArray(body) ? body : [body];
  if (messages.length === 0) return 'empty batch';
  for (const [i, m] of messages.entries()) {
    const at = Array.isArray(body) ? `message ${i}: ` : '';
    if (!isObject(m)) return `${at}not a JSON object`;
    const problem = messageProblem(m);
    if (problem !== undefined) return `${at}${problem}`;
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
