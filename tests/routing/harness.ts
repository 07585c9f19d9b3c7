import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RootDatabase } from 'lmdb';
import OpenAI from 'openai';
import pino from 'pino';
import type { LlmRequestEvent, LlmResponseEvent, ToolCallEvent } from '../../src/core/events.js';
import type { Pipeline } from '../../src/core/pipeline.js';
import type { Principal } from '../../src/core/session.js';
import type { LlmMetrics } from '../../src/metrics/metrics.js';
import { createLlmRouter, type LlmRouter } from '../../src/routing/router.js';
import { routingSchema } from '../../src/routing/schema.js';
import type { SignalModels } from '../../src/routing/signals.js';
import { createUpstreamPool, type UpstreamPool } from '../../src/routing/upstream-pool.js';
import { startVllmStandin, type StandinModel, type VllmStandin } from '../support/vllm-standin.js';

export const GENERATE_MODELS: readonly StandinModel[] = [
  { id: 'qwen3-8b', task: 'generate' },
  { id: 'qwen3-32b', task: 'generate' },
  { id: 'embedder', task: 'embed', dim: 16 },
];

export interface Harness {
  readonly client: OpenAI;
  readonly url: string;
  readonly router: LlmRouter;
  /** The router's upstream pool (health checks can be run from the test). */
  readonly pool: UpstreamPool;
  readonly upstreams: readonly VllmStandin[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** The `routing:` section without `upstreams` (filled with one entry per stand-in: a, b, …). */
  readonly routing: Record<string, unknown>;
  readonly standins?: number;
  /** More fields of each `upstreams` entry, by stand-in index (`weight`, …). */
  readonly upstreamFields?: readonly Record<string, unknown>[];
  readonly models?: SignalModels;
  readonly toolCall?: Pipeline<ToolCallEvent>;
  readonly principal?: Principal;
  /** For `/v1/responses`: the LMDB root whose `responses` database keeps them. */
  readonly root?: RootDatabase;
  readonly metrics?: LlmMetrics;
  /** The `llm_request` / `llm_response` checkpoints (src/cli/compose.ts builds them in `serve`). */
  readonly llmRequest?: Pipeline<LlmRequestEvent>;
  readonly llmResponse?: Pipeline<LlmResponseEvent>;
}

/** Stand-ins on loopback, the router mounted on a plain HTTP server, and the official OpenAI client. */
export async function startHarness(o: HarnessOptions): Promise<Harness> {
  const upstreams = await Promise.all(
    Array.from({ length: o.standins ?? 1 }, () => startVllmStandin({ models: GENERATE_MODELS })),
  );
  const names = upstreams.map((_, i) => String.fromCharCode(97 + i));
  const routing = routingSchema.parse({
    upstreams: upstreams.map((u, i) => ({ name: names[i], url: `${u.url}/v1`, ...o.upstreamFields?.[i] })),
    ...o.routing,
  });
  const pool = createUpstreamPool({ routing, env: {} });
  const router = await createLlmRouter({
    pool,
    routing,
    env: {},
    log: pino({ level: 'silent' }),
    maxBodyBytes: 1 << 20,
    toolCall: o.toolCall,
    models: o.models ?? {},
    root: o.root,
    metrics: o.metrics,
    llmRequest: o.llmRequest,
    llmResponse: o.llmResponse,
  });
  const principal = o.principal ?? { id: 'alice', roles: [], claims: {} };
  const server: Server = createServer((req, res) => {
    void router.handle(req, res, principal, (req.url ?? '/').split('?')[0] ?? '/');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
  return {
    client,
    url,
    router,
    pool,
    upstreams,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await router.close();
      await pool.close();
      await Promise.all(upstreams.map((u) => u.close().catch(() => undefined)));
    },
  };
}

/** The chat bodies that reached a stand-in. */
export function chatBodies(u: VllmStandin): Record<string, unknown>[] {
  return u.requests
    .filter((r) => r.path === '/v1/chat/completions')
    .map((r) => r.body as Record<string, unknown>);
}
