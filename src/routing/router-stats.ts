import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { LlmMetrics } from '../metrics/metrics.js';

/** Per-model and per-decision counts and the cache's hits and misses since start (`LlmRouter.stats`). */
export interface RouterStats {
  requests: Record<string, number>;
  decisions: Record<string, number>;
  cache: { hits: number; misses: number };
}

export interface RequestObserver {
  /** Watches one response: counted when it closes, from its status and `x-agentwall-*` headers. */
  watch(req: IncomingMessage, res: ServerResponse, path: string): void;
  stats(): RouterStats;
}

/** `/v1/responses/resp_…` → `/v1/responses/{id}`, so ids do not become metric labels. */
function routeLabel(method: string, path: string): string {
  if (/^\/v1\/responses\/[^/]+$/.test(path)) return `${method} /v1/responses/{id}`;
  if (/^\/v1\/(chat\/completions|completions|embeddings|models|responses)$/.test(path))
    return `${method} ${path}`;
  return `${method} other`;
}

/** The two methods watched, as plain function properties (wrapped, then put back). */
interface Patchable {
  writeHead: (...args: unknown[]) => unknown;
  write: (...args: unknown[]) => boolean;
}

/** Headers given to `writeHead` as an object (they never reach `getHeader`), lower-cased. */
function headersOf(args: readonly unknown[]): Record<string, string> {
  const h = args.find((a) => typeof a === 'object' && a !== null && !Array.isArray(a));
  if (h === undefined) return {};
  return Object.fromEntries(Object.entries(h as object).map(([k, v]) => [k.toLowerCase(), String(v)]));
}

/**
 * Reads what every `/v1` handler already says in its response headers (`x-agentwall-model`,
 * `-decision`, `-cache`, `-tool-calls-denied`), so the handlers need no metrics code; the time to the
 * first body chunk is taken at the first `res.write` (streams write chunks, JSON answers `end` once).
 * `writeHead` and `write` are wrapped once per response and put back at their first call.
 */
export function createRequestObserver(metrics: LlmMetrics | undefined): RequestObserver {
  const stats: RouterStats = { requests: {}, decisions: {}, cache: { hits: 0, misses: 0 } };
  return {
    watch(req, res, path) {
      const started = performance.now();
      let firstByte: number | undefined;
      const given: Record<string, string> = {};
      const header = (name: string) => given[name] ?? String(res.getHeader(name) ?? '');
      const target = res as unknown as Patchable;
      const { writeHead, write } = target;
      target.writeHead = (...args) => {
        Object.assign(given, headersOf(args));
        target.writeHead = writeHead;
        return writeHead.apply(res, args);
      };
      target.write = (...args) => {
        firstByte ??= performance.now();
        target.write = write;
        return write.apply(res, args);
      };
      res.once('close', () => {
        const model = header('x-agentwall-model');
        const decision = header('x-agentwall-decision');
        const cache = header('x-agentwall-cache');
        const denied = header('x-agentwall-tool-calls-denied');
        if (model !== '') stats.requests[model] = (stats.requests[model] ?? 0) + 1;
        if (decision !== '') stats.decisions[decision] = (stats.decisions[decision] ?? 0) + 1;
        if (cache.startsWith('hit')) stats.cache.hits++;
        else if (cache === 'miss') stats.cache.misses++;
        if (!metrics) return;
        const ended = performance.now();
        const isStream = header('content-type').startsWith('text/event-stream');
        metrics.observe({
          route: routeLabel(req.method ?? 'GET', path),
          model,
          decision,
          status: res.writableFinished ? res.statusCode : 499,
          cache: cache === '' ? undefined : cache.split(';')[0]?.trim(),
          seconds: (ended - started) / 1000,
          ttftSeconds: isStream && firstByte !== undefined ? (firstByte - started) / 1000 : undefined,
          deniedToolCalls: denied === '' ? 0 : denied.split(',').length,
        });
      });
    },
    stats: () => structuredClone(stats),
  };
}
