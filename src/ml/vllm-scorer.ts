/**
 * Remote scorers served by vLLM's OpenAI-compatible server (`vllm serve <model>`):
 *
 *   POST {url}/classify       {model, input: [texts]}  → {data: [{index, label, probs, num_classes}]}
 *   POST {url}/v1/embeddings  {model, input: [texts]}  → {data: [{index, embedding}]}
 *
 * (shapes per vLLM's `entrypoints/pooling/{classify,embed}/protocol.py`; see docs/scorer-backends.md).
 *
 * Each attempt has its own timeout. Connection errors and 5xx are retried (both routes are pure, so a
 * repeat is harmless) with exponential backoff; 4xx and timeouts are not (a 4xx will not change, and a
 * server that is too slow now would only get more load). Every attempt goes through a circuit breaker:
 * after N consecutive failures calls fail at once with `SCORER_CIRCUIT_OPEN` until a cool-down passes.
 * Failures are `AgentwallError`s with `SCORER_*` codes; the scorer stage turns a throw into
 * `pipeline.on_stage_error` (deny by default).
 */
import { Agent, request, type Dispatcher } from 'undici';
import { AgentwallError, ErrorCode, isAgentwallError } from '../core/errors.js';
import { createCircuitBreaker, type CircuitBreaker } from './circuit-breaker.js';
import { reduceByOwner, validateChunk, windowsOf, type ChunkOptions } from './onnx-session.js';
import type { TextClassifier, TextEmbedder, TextScorer } from './scorer.js';

export interface VllmClientOptions {
  /** Base URL of the server, e.g. `http://10.0.0.5:8000` (a trailing `/v1` is dropped). */
  readonly url: string;
  /** Sent as `Authorization: Bearer …` (vLLM checks it on `/v1…` routes only). */
  readonly apiKey?: string;
  /** Per-attempt timeout in ms, from sending the request to the end of the body (default 2000). */
  readonly timeoutMs?: number;
  /** Extra attempts after a connection error or 5xx (default 1). */
  readonly retries?: number;
  /** First backoff in ms, doubled per retry, capped at 2 s (default 50). */
  readonly backoffMs?: number;
  readonly breaker?: { readonly failureThreshold?: number; readonly cooldownMs?: number };
  /** Clock for the breaker; defaults to `Date.now`. */
  readonly now?: () => number;
  /** Waits between retries; defaults to a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Defaults to a keep-alive pool owned (and closed) by the client. */
  readonly dispatcher?: Dispatcher;
}

export interface ClassifyResult {
  readonly label: string | null;
  readonly probs: Float32Array;
}

export interface VllmClient {
  readonly url: string;
  readonly breaker: CircuitBreaker;
  classify(model: string, texts: readonly string[]): Promise<ClassifyResult[]>;
  embed(model: string, texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

const MAX_BACKOFF_MS = 2000;
const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function fail(code: ErrorCode, message: string, data: Record<string, unknown> = {}, cause?: unknown) {
  return new AgentwallError(code, message, { data, cause });
}

/** vLLM's error bodies: [new] `{error: {message}}`, [old] `{message}`, 401 `{error: "…"}`, 404 `{detail}`. */
function errorMessage(text: string): string {
  try {
    const b = JSON.parse(text) as Record<string, unknown>;
    const e = b.error;
    if (typeof e === 'string') return e;
    if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') {
      return (e as { message: string }).message;
    }
    if (typeof b.message === 'string') return b.message;
    if (typeof b.detail === 'string') return b.detail;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200) || '(empty body)';
}

/** The last attempt's error, saying how many attempts were made. */
function afterAttempts(err: unknown, attempts: number): unknown {
  if (!isAgentwallError(err)) return err;
  return new AgentwallError(err.code, `${err.message} (after ${attempts} attempts)`, {
    cause: err.cause,
    data: { ...err.data, attempts },
  });
}

const isRetryable = (err: unknown) => isAgentwallError(err, ErrorCode.SCORER_UNAVAILABLE);
/** What counts against the server for the breaker: not a 4xx, which says the request was wrong. */
const isServerFailure = (err: unknown) => !isAgentwallError(err, ErrorCode.SCORER_REJECTED);

export function createVllmClient(o: VllmClientOptions): VllmClient {
  // vLLM's /classify is not under /v1, so a base URL given with /v1 (as OpenAI clients take it) is cut.
  const base = o.url.replace(/\/+$/, '').replace(/\/v1$/, '');
  const timeoutMs = o.timeoutMs ?? 2000;
  const retries = o.retries ?? 1;
  const backoffMs = o.backoffMs ?? 50;
  const sleep = o.sleep ?? sleepFor;
  // uvicorn closes idle connections after 5 s; staying below avoids reusing a socket it is closing.
  const owned =
    o.dispatcher === undefined ? new Agent({ keepAliveTimeout: 4000, connections: 16 }) : undefined;
  const dispatcher = o.dispatcher ?? owned;
  const breaker = createCircuitBreaker({
    name: `vllm ${base}`,
    failureThreshold: o.breaker?.failureThreshold,
    cooldownMs: o.breaker?.cooldownMs,
    now: o.now,
    isFailure: isServerFailure,
  });
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (o.apiKey !== undefined) headers.authorization = `Bearer ${o.apiKey}`;

  async function attempt(path: string, payload: unknown): Promise<unknown> {
    const where = `vllm ${base}${path}`;
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, timeoutMs);
    try {
      const res = await request(`${base}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(payload),
        dispatcher,
        signal: abort.signal,
      });
      const text = await res.body.text();
      if (res.statusCode >= 500) {
        throw fail(ErrorCode.SCORER_UNAVAILABLE, `${where}: ${res.statusCode} ${errorMessage(text)}`, {
          status: res.statusCode,
        });
      }
      if (res.statusCode >= 400) {
        throw fail(ErrorCode.SCORER_REJECTED, `${where}: ${res.statusCode} ${errorMessage(text)}`, {
          status: res.statusCode,
        });
      }
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        throw fail(ErrorCode.SCORER_BAD_RESPONSE, `${where}: the body is not JSON`, {}, err);
      }
    } catch (err) {
      if (isAgentwallError(err)) throw err;
      if (timedOut)
        throw fail(ErrorCode.SCORER_TIMEOUT, `${where}: no answer within ${timeoutMs} ms`, {}, err);
      const code = (err as { code?: unknown }).code;
      const why = typeof code === 'string' ? `${code} ${(err as Error).message}` : (err as Error).message;
      throw fail(ErrorCode.SCORER_UNAVAILABLE, `${where}: ${why}`, { cause_code: code }, err);
    } finally {
      clearTimeout(timer);
    }
  }

  async function post(path: string, payload: unknown): Promise<unknown> {
    for (let n = 0; ; n++) {
      try {
        return await breaker.run(() => attempt(path, payload));
      } catch (err) {
        if (!isRetryable(err) || n >= retries) throw n === 0 ? err : afterAttempts(err, n + 1);
        await sleep(Math.min(MAX_BACKOFF_MS, backoffMs * 2 ** n));
      }
    }
  }

  return {
    url: base,
    breaker,
    async classify(model, texts) {
      if (texts.length === 0) return [];
      // use_activation: probabilities, not logits (vLLM's default, made explicit); -1: truncate, not 400.
      const body = await post('/classify', {
        model,
        input: texts,
        use_activation: true,
        truncate_prompt_tokens: -1,
      });
      return itemsOf(body, texts.length, `vllm ${base}/classify`).map((item) => classifyItem(item, base));
    },
    async embed(model, texts) {
      if (texts.length === 0) return [];
      const body = await post('/v1/embeddings', {
        model,
        input: texts,
        encoding_format: 'float',
        truncate_prompt_tokens: -1,
      });
      return itemsOf(body, texts.length, `vllm ${base}/v1/embeddings`).map((item) =>
        embeddingItem(item, base),
      );
    },
    async close() {
      await owned?.close();
    },
  };
}

/** `data` ordered by `index`, one item per input. */
function itemsOf(body: unknown, n: number, where: string): Record<string, unknown>[] {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length !== n) {
    throw fail(ErrorCode.SCORER_BAD_RESPONSE, `${where}: expected data with ${n} items`);
  }
  const out = new Array<Record<string, unknown>>(n);
  for (const item of data as Record<string, unknown>[]) {
    const i = item?.index;
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= n || out[i] !== undefined) {
      throw fail(ErrorCode.SCORER_BAD_RESPONSE, `${where}: bad or repeated data[].index ${String(i)}`);
    }
    out[i] = item;
  }
  return out;
}

function numbers(v: unknown, where: string, field: string): Float32Array {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw fail(ErrorCode.SCORER_BAD_RESPONSE, `${where}: ${field} is not a list of numbers`);
  }
  return Float32Array.from(v as number[]);
}

function classifyItem(item: Record<string, unknown>, base: string): ClassifyResult {
  const probs = numbers(item.probs, `vllm ${base}/classify`, 'probs');
  if (probs.some((p) => p < 0 || p > 1)) {
    throw fail(ErrorCode.SCORER_BAD_RESPONSE, `vllm ${base}/classify: probs outside [0, 1] (logits?)`);
  }
  return { label: typeof item.label === 'string' ? item.label : null, probs };
}

function embeddingItem(item: Record<string, unknown>, base: string): Float32Array {
  const v = numbers(item.embedding, `vllm ${base}/v1/embeddings`, 'embedding');
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm;
  return v;
}

export interface VllmScorerOptions extends VllmClientOptions {
  readonly name: string;
  /** The served model name (`--served-model-name`). */
  readonly model: string;
  /** P(positive) ≥ threshold flags a text (default 0.5). */
  readonly threshold?: number;
  /** Index of the positive class in `probs` (default 1, e.g. `LABEL_1`). */
  readonly positiveIndex?: number;
  /** Or its label (`id2label`); vLLM reports only the argmax label, so two-class models only. */
  readonly positiveLabel?: string;
  /** Long texts are sent as windows and scored by the max (default 2048 chars, 256 overlap). */
  readonly chunk?: ChunkOptions | false;
}

/** P(positive) of one result, by index or by the argmax label of a two-class model. */
function positiveProb(r: ClassifyResult, o: VllmScorerOptions): number {
  const where = `vllm ${o.url} model ${o.model}`;
  let index = o.positiveIndex ?? 1;
  if (o.positiveLabel !== undefined && o.positiveIndex === undefined) {
    if (r.probs.length !== 2) {
      throw fail(ErrorCode.SCORER_BAD_RESPONSE, `${where}: ${r.probs.length} classes; set positive_index`);
    }
    const top = (r.probs[1] as number) > (r.probs[0] as number) ? 1 : 0;
    index = r.label === o.positiveLabel ? top : 1 - top;
  }
  const p = r.probs[index];
  if (p === undefined) {
    throw fail(ErrorCode.SCORER_BAD_RESPONSE, `${where}: no class ${index} in ${r.probs.length} probs`);
  }
  return p;
}

export function createVllmScorer(o: VllmScorerOptions): TextScorer & { readonly client: VllmClient } {
  const chunk = o.chunk === false ? false : validateChunk(o.chunk ?? { size: 2048, overlap: 256 });
  const client = createVllmClient(o);
  return {
    name: o.name,
    threshold: o.threshold ?? 0.5,
    client,
    async score(texts) {
      const { inputs, owner } = windowsOf(texts, chunk);
      const results = await client.classify(o.model, inputs);
      const p = Float32Array.from(results, (r) => positiveProb(r, o));
      return reduceByOwner(p, 1, owner, texts.length, 'max').map((row) => row[0] as number);
    },
    close: () => client.close(),
  };
}

export interface VllmClassifierOptions extends VllmClientOptions {
  readonly name: string;
  readonly model: string;
  /** The model's `id2label`, in index order; vLLM's API does not list them. */
  readonly labels: readonly string[];
  readonly chunk?: ChunkOptions | false;
}

/** Per-label probabilities; a long text's windows are averaged. */
export function createVllmClassifier(
  o: VllmClassifierOptions,
): TextClassifier & { readonly client: VllmClient } {
  const chunk = o.chunk === false ? false : validateChunk(o.chunk ?? { size: 2048, overlap: 256 });
  const client = createVllmClient(o);
  const k = o.labels.length;
  return {
    name: o.name,
    labels: o.labels,
    client,
    async classify(texts) {
      const { inputs, owner } = windowsOf(texts, chunk);
      const results = await client.classify(o.model, inputs);
      const probs = new Float32Array(results.length * k);
      results.forEach((r, i) => {
        if (r.probs.length !== k) {
          throw fail(ErrorCode.SCORER_BAD_RESPONSE, `vllm ${o.url}: ${r.probs.length} classes, ${k} labels`);
        }
        probs.set(r.probs, i * k);
      });
      return reduceByOwner(probs, k, owner, texts.length, 'mean');
    },
    close: () => client.close(),
  };
}

export interface VllmEmbedderOptions extends VllmClientOptions {
  readonly name: string;
  readonly model: string;
  /** Vector length; when absent, one probe request at creation finds it. */
  readonly dim?: number;
}

/** L2-normalised embeddings; every vector is checked against `dim`. */
export async function createVllmEmbedder(
  o: VllmEmbedderOptions,
): Promise<TextEmbedder & { readonly client: VllmClient }> {
  const client = createVllmClient(o);
  let dim = o.dim;
  if (dim === undefined) {
    try {
      dim = ((await client.embed(o.model, ['dimension probe']))[0] as Float32Array).length;
    } catch (err) {
      await client.close();
      throw err;
    }
  }
  const want = dim;
  return {
    name: o.name,
    dim: want,
    client,
    async embed(texts) {
      const vectors = await client.embed(o.model, texts);
      for (const v of vectors) {
        if (v.length !== want) {
          throw fail(
            ErrorCode.SCORER_BAD_RESPONSE,
            `vllm ${o.url}: embedding of ${v.length}, expected ${want}`,
          );
        }
      }
      return vectors;
    },
    close: () => client.close(),
  };
}
