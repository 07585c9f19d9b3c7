import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventBase } from '../core/events.js';
import type { VerdictSink } from '../core/pipeline.js';

/**
 * Prometheus metrics (prom-client), one `Registry` per runtime — never the global default registry,
 * so two runtimes in one process (tests, an embedding caller) do not share counters. Served at
 * `GET /metrics` by the HTTP front (docs/routing.md, "Metrics"). Label values come from the
 * configuration (models, decisions, rule ids) or fixed sets, so cardinality stays bounded.
 */

/** One finished `/v1` request, as the router's handle wrapper saw it. */
export interface LlmObservation {
  /** `POST /v1/chat/completions`, `GET /v1/responses/{id}`, … (ids replaced). */
  readonly route: string;
  /** `x-agentwall-model`, or `""` when no model was picked (deny, bad request). */
  readonly model: string;
  /** `x-agentwall-decision`, or `""`. */
  readonly decision: string;
  /** The HTTP status; 499 when the client went away first. */
  readonly status: number;
  /** `hit`, `miss`, `bypass` (from `x-agentwall-cache`), or undefined when the cache was not asked. */
  readonly cache: string | undefined;
  readonly seconds: number;
  /** Streams: seconds to the first body chunk. */
  readonly ttftSeconds: number | undefined;
  /** Tool calls the outbound gate removed from the answer. */
  readonly deniedToolCalls: number;
}

export interface LlmMetrics {
  observe(o: LlmObservation): void;
  /** Reads the upstreams' health at each scrape (`agentwall_llm_upstream_up`). */
  watchUpstreams(read: () => Record<string, boolean>): void;
}

export interface Metrics {
  readonly registry: Registry;
  readonly llm: LlmMetrics;
  /** Counts every verdict of a checkpoint and times its pipeline and stages. */
  verdictSink<E extends EventBase>(): VerdictSink<E>;
  /** The text exposition format and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const PIPELINE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({
    name: 'agentwall_llm_requests_total',
    help: 'LLM router requests by route, model, decision and HTTP status',
    labelNames: ['route', 'model', 'decision', 'status'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'agentwall_llm_request_duration_seconds',
    help: 'LLM router request duration to the last byte, by route and model',
    labelNames: ['route', 'model'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const ttft = new Histogram({
    name: 'agentwall_llm_time_to_first_token_seconds',
    help: 'Streamed LLM answers: time to the first body chunk, by route and model',
    labelNames: ['route', 'model'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const decisions = new Counter({
    name: 'agentwall_llm_decisions_total',
    help: 'Routing decisions taken (the decision name, default or explicit)',
    labelNames: ['decision'] as const,
    registers,
  });
  const cache = new Counter({
    name: 'agentwall_llm_cache_total',
    help: 'Answer cache lookups by result (hit, miss, bypass)',
    labelNames: ['result'] as const,
    registers,
  });
  const guard = new Counter({
    name: 'agentwall_llm_guard_actions_total',
    help: 'Guard actions on LLM traffic (tool_call_denied, request_denied)',
    labelNames: ['action'] as const,
    registers,
  });
  let readUpstreams: () => Record<string, boolean> = () => ({});
  new Gauge({
    name: 'agentwall_llm_upstream_up',
    help: "1 when the upstream's last health check passed (or none is configured), else 0",
    labelNames: ['upstream'] as const,
    registers,
    collect() {
      this.reset();
      for (const [upstream, isUp] of Object.entries(readUpstreams())) this.set({ upstream }, isUp ? 1 : 0);
    },
  });
  const verdicts = new Counter({
    name: 'agentwall_verdicts_total',
    help: 'Checkpoint verdicts by event kind and action',
    labelNames: ['kind', 'action'] as const,
    registers,
  });
  const rules = new Counter({
    name: 'agentwall_rules_fired_total',
    help: 'Rules that fired, by event kind, rule id, action and mode (enforce or shadow)',
    labelNames: ['kind', 'rule', 'action', 'mode'] as const,
    registers,
  });
  const pipeline = new Histogram({
    name: 'agentwall_pipeline_duration_seconds',
    help: 'Checkpoint pipeline duration by event kind',
    labelNames: ['kind'] as const,
    buckets: PIPELINE_BUCKETS,
    registers,
  });
  const stages = new Histogram({
    name: 'agentwall_pipeline_stage_duration_seconds',
    help: 'Pipeline stage duration by stage',
    labelNames: ['stage'] as const,
    buckets: PIPELINE_BUCKETS,
    registers,
  });

  return {
    registry,
    llm: {
      observe(o) {
        requests.inc({ route: o.route, model: o.model, decision: o.decision, status: String(o.status) });
        latency.observe({ route: o.route, model: o.model }, o.seconds);
        if (o.ttftSeconds !== undefined) ttft.observe({ route: o.route, model: o.model }, o.ttftSeconds);
        if (o.decision !== '') decisions.inc({ decision: o.decision });
        if (o.cache !== undefined) cache.inc({ result: o.cache });
        if (o.deniedToolCalls > 0) guard.inc({ action: 'tool_call_denied' }, o.deniedToolCalls);
        if (o.status === 403 && o.decision !== '') guard.inc({ action: 'request_denied' });
      },
      watchUpstreams(read) {
        readUpstreams = read;
      },
    },
    verdictSink() {
      return (event, verdict) => {
        verdicts.inc({ kind: event.kind, action: verdict.action });
        for (const r of verdict.rules)
          rules.inc({ kind: event.kind, rule: r.id, action: r.action, mode: r.mode });
        pipeline.observe({ kind: event.kind }, verdict.latencyMs / 1000);
        for (const t of verdict.timings) stages.observe({ stage: t.stage }, t.ms / 1000);
      };
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
