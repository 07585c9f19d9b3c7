// What the fuzzers accept as an answer, as a pure classification of one reply: a JSON-RPC result, a
// JSON-RPC error (by code), an accepted notification or response (HTTP 202, no body), or a `bad:` outcome
// the suite reports as a failure (an HTTP 5xx, a body that is not JSON-RPC, a reply without error code).

export type Outcome = string;

/** The JSON-RPC messages of an HTTP body: JSON, or the `data:` lines of an SSE stream. */
export function messagesOfBody(contentType: string, body: string): unknown[] | undefined {
  try {
    if (contentType.startsWith('text/event-stream')) {
      return body
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice('data:'.length).trim())
        .filter((data) => data !== '')
        .map((data): unknown => JSON.parse(data));
    }
    const parsed = JSON.parse(body) as unknown;
    return Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
  } catch {
    return undefined;
  }
}

/** `result`, `error:<code>`, or `bad:<why>` for one JSON-RPC message sent to the client. */
export function classifyMessage(m: unknown): Outcome {
  if (typeof m !== 'object' || m === null || (m as { jsonrpc?: unknown }).jsonrpc !== '2.0') {
    return 'bad:not-json-rpc';
  }
  const msg = m as { result?: unknown; error?: { code?: unknown; message?: unknown }; method?: unknown };
  if ('result' in msg) return 'result';
  if (msg.error !== undefined) {
    const { code, message } = msg.error;
    return Number.isInteger(code) && typeof message === 'string'
      ? `error:${String(code)}`
      : 'bad:error-shape';
  }
  return typeof msg.method === 'string' ? 'notification' : 'bad:not-json-rpc';
}

/** One HTTP reply to a fuzzed POST /mcp. */
export function classifyHttp(status: number, contentType: string, body: string): Outcome {
  if (status >= 500) return `bad:http-${status}`;
  if (status === 202) return body === '' ? 'accepted' : 'bad:202-with-body';
  const messages = messagesOfBody(contentType, body);
  if (messages === undefined || messages.length === 0) return `bad:http-${status}-not-json-rpc`;
  // The reply to the request is the last message (SSE may carry notifications before it).
  const outcomes = messages.map(classifyMessage);
  const bad = outcomes.find((o) => o.startsWith('bad:'));
  if (bad !== undefined) return bad;
  const last = outcomes.filter((o) => o !== 'notification').at(-1) ?? 'notification';
  if (status >= 400 && !last.startsWith('error:')) return `bad:http-${status}-without-error`;
  return `${status >= 400 ? `http-${status} ` : ''}${last}`;
}

/** Counts of outcomes, most frequent first, as printed by the suites. */
export function formatCounts(counts: ReadonlyMap<string, number>): string {
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `  ${String(n).padStart(7)}  ${k}`)
    .join('\n');
}

export function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
