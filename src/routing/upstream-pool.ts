import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import type { RoutingConfig } from './schema.js';

/** An upstream's answer with its status below 500 (4xx pass through to the client as they are). */
export interface UpstreamResponse {
  readonly endpoint: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Dispatcher.ResponseData['body'];
}

/** Every endpoint failed: what the client gets (502, or 504 when the last attempt timed out). */
export interface UpstreamFailure {
  readonly status: 502 | 504;
  readonly message: string;
  readonly attempts: readonly string[];
}

export interface UpstreamPool {
  /** POSTs `body` to `path` (below the upstream's base URL) on the model's endpoints, with failover. */
  post(
    model: string,
    path: string,
    body: string,
    signal: AbortSignal,
  ): Promise<{ ok: true; response: UpstreamResponse } | { ok: false; failure: UpstreamFailure }>;
  /** The endpoints of a model, in failover order. */
  endpointsOf(model: string): readonly string[];
  /** Each upstream's last health check (true when there are none). */
  health(): Record<string, boolean>;
  /** Runs the health checks now (they also run every `health_check.interval`). */
  checkHealth(): Promise<void>;
  close(): Promise<void>;
}

interface Endpoint {
  readonly name: string;
  readonly pool: Pool;
  readonly basePath: string;
  readonly auth: string | undefined;
  readonly weight: number;
  downUntil: number;
  isHealthy: boolean;
}

export interface UpstreamPoolOptions {
  readonly routing: RoutingConfig;
  /** `api_key_env` values resolved by config/load.ts. */
  readonly env: Readonly<Record<string, string>>;
  readonly clock?: () => number;
}

/**
 * Keep-alive pools (undici), one per upstream. Idle sockets are dropped after 4 s, below uvicorn's 5 s
 * keep-alive (vLLM reference §6), so a reused socket is not one the server is closing. A request is
 * retried on the next endpoint only when nothing was streamed to the client yet: on a connect error,
 * a reset before the response, a headers timeout, or a 5xx; an endpoint that refused a connection is
 * tried last for `down_for`. POSTs that reached an engine may run twice — the price of failover.
 */
export function createUpstreamPool(o: UpstreamPoolOptions): UpstreamPool {
  const { routing } = o;
  const clock = o.clock ?? Date.now;
  const endpoints = new Map<string, Endpoint>();
  for (const u of routing.upstreams) {
    const url = new URL(u.url);
    const key = u.api_key_env === undefined ? undefined : o.env[u.api_key_env];
    endpoints.set(u.name, {
      name: u.name,
      pool: new Pool(url.origin, {
        connections: u.connections,
        keepAliveTimeout: 4_000,
        keepAliveMaxTimeout: 4_000,
        headersTimeout: routing.timeout,
        bodyTimeout: routing.timeout,
      }),
      basePath: url.pathname.replace(/\/$/, ''),
      auth: key === undefined ? undefined : `Bearer ${key}`,
      weight: u.weight,
      downUntil: 0,
      isHealthy: true,
    });
  }
  const wrr = new Map<string, Map<string, number>>();

  /** Up and healthy endpoints first (the weighted pick at their head), then the others, in order. */
  function order(model: string): Endpoint[] {
    const names = routing.models[model]?.upstreams ?? [];
    const list = names.map((n) => endpoints.get(n)).filter((e): e is Endpoint => e !== undefined);
    const now = clock();
    const isUp = (e: Endpoint) => e.downUntil <= now && e.isHealthy;
    const up = list.filter(isUp);
    if (routing.models[model]?.balance === 'weighted' && up.length > 1) {
      const first = pickWeighted(wrr, model, up);
      up.splice(up.indexOf(first), 1);
      up.unshift(first);
    }
    return [...up, ...list.filter((e) => !isUp(e))];
  }

  const hc = routing.health_check;
  async function probe(e: Endpoint): Promise<void> {
    if (!hc) return;
    try {
      const r = await e.pool.request({
        method: 'GET',
        path: hc.path,
        headersTimeout: hc.timeout,
        bodyTimeout: hc.timeout,
      });
      await r.body.dump();
      e.isHealthy = r.statusCode === 200;
    } catch {
      e.isHealthy = false;
    }
  }
  // One round at a time: a round asked for while one runs starts after it (so a caller that awaits
  // `checkHealth` knows that no earlier probe is still in flight).
  let rounds = Promise.resolve();
  const checkHealth = () =>
    (rounds = rounds.then(async () => void (await Promise.all([...endpoints.values()].map(probe)))));
  const timer = hc ? setInterval(() => void checkHealth(), hc.interval).unref() : undefined;
  if (hc) void checkHealth();

  return {
    endpointsOf: (model) => routing.models[model]?.upstreams ?? [],
    health: () => Object.fromEntries([...endpoints.values()].map((e) => [e.name, e.isHealthy])),
    checkHealth,
    async post(model, path, body, signal) {
      const list = order(model);
      const attempts: string[] = [];
      let timedOut = false;
      let last = 'no endpoint';
      for (let i = 0; i <= routing.retries && list.length > 0; i++) {
        const e = list[i % list.length] as Endpoint;
        attempts.push(e.name);
        try {
          const r = await e.pool.request({
            method: 'POST',
            path: e.basePath + path,
            body,
            signal,
            headers: {
              'content-type': 'application/json',
              ...(e.auth === undefined ? {} : { authorization: e.auth }),
            },
          });
          if (r.statusCode >= 500) {
            last = `${e.name} answered ${r.statusCode}: ${(await r.body.text()).slice(0, 200)}`;
            timedOut = false;
            continue;
          }
          return {
            ok: true,
            response: { endpoint: e.name, status: r.statusCode, headers: r.headers, body: r.body },
          };
        } catch (err) {
          if (signal.aborted) throw err;
          timedOut = err instanceof undiciErrors.HeadersTimeoutError;
          if (isConnectError(err)) e.downUntil = clock() + routing.down_for;
          last = `${e.name}: ${(err as Error).message}`;
        }
      }
      return {
        ok: false,
        failure: {
          status: timedOut ? 504 : 502,
          message: `no upstream answered for ${model} (${last})`,
          attempts,
        },
      };
    },
    async close() {
      clearInterval(timer);
      await Promise.all([...endpoints.values()].map((e) => e.pool.close().catch(() => undefined)));
    },
  };
}

/**
 * Smooth weighted round robin (as nginx): every pick adds each endpoint's weight to its score, takes
 * the highest and subtracts the total from it — over `sum(weights)` picks each endpoint is chosen
 * `weight` times, interleaved rather than in runs.
 */
function pickWeighted(
  state: Map<string, Map<string, number>>,
  model: string,
  up: readonly Endpoint[],
): Endpoint {
  let scores = state.get(model);
  if (!scores) state.set(model, (scores = new Map<string, number>()));
  let best = up[0] as Endpoint;
  let total = 0;
  for (const e of up) {
    const score = (scores.get(e.name) ?? 0) + e.weight;
    scores.set(e.name, score);
    total += e.weight;
    if (score > (scores.get(best.name) ?? 0)) best = e;
  }
  scores.set(best.name, (scores.get(best.name) ?? 0) - total);
  return best;
}

function isConnectError(err: unknown): boolean {
  const code = (err as { code?: string; cause?: { code?: string } }).code;
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  return [code, cause].some(
    (c) => c === 'ECONNREFUSED' || c === 'UND_ERR_CONNECT_TIMEOUT' || c === 'ENOTFOUND',
  );
}
