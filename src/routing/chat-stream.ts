import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Session } from '../core/session.js';
import type { CacheQuery } from './cache.js';
import type { ChatRequest } from './chat.js';
import { sendUpstreamFailure } from './http-io.js';
import type { AnswerCache, CacheHit } from './semantic-cache.js';
import { createSseDecoder, sseEvent } from './sse.js';
import { createStreamRecorder, replayEvents } from './stream-cache.js';
import { createStreamGuard, type StreamGuard } from './stream-guard.js';
import type { ToolGuardDeps } from './tool-guard.js';
import type { UpstreamPool } from './upstream-pool.js';

/** The cache's part in one request: what was found, and whether the answer may be stored. */
export interface CacheState {
  readonly cache: AnswerCache;
  readonly query: CacheQuery;
  readonly hit: CacheHit | undefined;
  readonly write: boolean;
}

export interface StreamContext {
  readonly session: () => Session;
  readonly guard: ToolGuardDeps | undefined;
  readonly cache: CacheState | undefined;
  /** Sees each event's `data` as the upstream or the cache sent it (the `llm_response` audit). */
  readonly observe?: ((data: string) => void) | undefined;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

/**
 * A streamed chat answer: a cached one replayed as SSE, or the upstream's stream — both through the
 * tool-call guard. An upstream stream that runs to `[DONE]` complete is stored in the cache before
 * its `[DONE]` goes to the client (so the client's next request can hit it). Resolves to the tools the
 * guard refused.
 */
export async function streamChat(
  res: ServerResponse,
  upstream: ChatRequest,
  headers: Record<string, string>,
  signal: AbortSignal,
  ctx: StreamContext,
  deps: { readonly pool: UpstreamPool; readonly log: Logger },
): Promise<readonly string[]> {
  const guard = ctx.guard ? createStreamGuard(ctx.session(), ctx.guard) : undefined;
  const denied = () => guard?.denied ?? [];
  const hit = ctx.cache?.hit;
  if (hit) {
    res.writeHead(200, { ...headers, ...SSE_HEADERS });
    const options = upstream.stream_options as { include_usage?: unknown } | undefined;
    // vLLM sends usage whenever a stream_options object is sent, unless include_usage is false (§3).
    const events = replayEvents(hit.body, options !== undefined && options.include_usage !== false);
    await pipeStream(res, events.map(sseEvent), signal, deps.log, { guard, observe: ctx.observe });
    return denied();
  }
  let r;
  try {
    r = await deps.pool.post(upstream.model as string, '/chat/completions', JSON.stringify(upstream), signal);
  } catch (err) {
    if (signal.aborted) return [];
    throw err;
  }
  if (!r.ok) {
    sendUpstreamFailure(res, r.failure, headers);
    return [];
  }
  const { status, body } = r.response;
  const type = String(r.response.headers['content-type'] ?? 'application/json');
  res.writeHead(status, { ...headers, 'content-type': type, 'cache-control': 'no-cache' });
  res.flushHeaders();
  if (status !== 200 || !type.startsWith('text/event-stream')) {
    await pipeStream(res, body, signal, deps.log);
    return [];
  }
  const observe = both(recordInto(ctx.cache), ctx.observe);
  await pipeStream(res, body, signal, deps.log, { guard, observe });
  return denied();
}

/** Both taps, in order (the cache's first: it may store before `[DONE]` goes on). */
function both(
  first: StreamTaps['observe'],
  second: ((data: string) => void) | undefined,
): StreamTaps['observe'] {
  if (!first || !second) return first ?? second;
  return async (data) => {
    await first(data);
    second(data);
  };
}

/** Records the stream and stores it at `[DONE]` when it is complete; undefined when nothing is stored. */
function recordInto(state: CacheState | undefined): StreamTaps['observe'] {
  if (!state?.write) return undefined;
  const recorder = createStreamRecorder();
  return async (data) => {
    recorder.observe(data);
    if (data !== '[DONE]') return;
    const completion = recorder.result();
    if (completion !== undefined) await state.cache.store(state.query, completion);
  };
}

export interface StreamTaps {
  /** Holds back and checks tool calls (stream-guard.ts); absent: events go on as they came. */
  readonly guard?: StreamGuard | undefined;
  /** Sees each event's `data` as the upstream sent it (the cache records the answer with it). */
  readonly observe?: ((data: string) => void | Promise<void>) | undefined;
}

/**
 * Sends an SSE body on. With no tap, chunk by chunk as the bytes come (no parsing, no buffering);
 * with a tap, event by event (an event is sent as soon as its blank line arrives). A failure midway
 * destroys the client's connection, so the client sees an incomplete stream, not a clean end.
 */
export async function pipeStream(
  res: ServerResponse,
  source: AsyncIterable<unknown> | Iterable<unknown>,
  signal: AbortSignal,
  log: Logger,
  taps: StreamTaps = {},
): Promise<void> {
  try {
    if (taps.guard === undefined && taps.observe === undefined) {
      // vLLM flushes per event (reference §6): each chunk is sent on as it comes.
      for await (const chunk of source) res.write(chunk);
    } else {
      await pipeEvents(res, source, taps);
    }
    res.end();
  } catch (err) {
    if (!signal.aborted) log.warn({ err }, 'upstream stream failed midway');
    res.destroy();
  }
}

async function pipeEvents(
  res: ServerResponse,
  source: AsyncIterable<unknown> | Iterable<unknown>,
  taps: StreamTaps,
) {
  const decoder = createSseDecoder();
  for await (const chunk of source) {
    for (const data of decoder.push(chunk as Buffer)) {
      await taps.observe?.(data);
      const out = taps.guard ? await taps.guard.onEvent(data) : sseEvent(data);
      if (out !== '') res.write(out);
    }
  }
  decoder.end();
}
