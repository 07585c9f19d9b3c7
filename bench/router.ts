import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Pool } from 'undici';
import { createLlmRouter } from '../src/routing/router.js';
import { routingSchema } from '../src/routing/schema.js';
import { startVllmStandin } from '../tests/support/vllm-standin.js';
import { describeCacheLookups, measureCacheLookups } from './router-cache.js';
import type { BenchContext, BenchOutcome, Benchmark } from './lib/benchmark.js';
import { measureInterleaved, type Subject } from './lib/measure.js';
import { summarize } from './lib/stats.js';
import { formatTable } from './lib/table.js';

/** Issue 7's targets: ≤ 1 ms added to a non-streamed call's p50 and to a stream's time to first byte. */
const ADDED_TARGET_US = 1000;
/** Requests in flight at once for the throughput rows. */
const CONCURRENCY = 32;
/** Requests per throughput run; each side runs twice, interleaved, and its better run counts. */
const THROUGHPUT_REQUESTS = 4000;

export const routerBenchmark: Benchmark = {
  name: 'router',
  description:
    'LLM router: direct-to-stand-in vs through agentwall /v1: non-streamed p50, stream TTFB, req/s at concurrency 32',
  run: runRouterBenchmark,
};

async function runRouterBenchmark(ctx: BenchContext): Promise<BenchOutcome> {
  const standin = await startVllmStandin({ models: [{ id: 'm', task: 'generate' }] });
  ctx.cleanup.defer('stand-in', () => standin.close());
  const routing = routingSchema.parse({
    upstreams: [{ name: 'a', url: `${standin.url}/v1` }],
    models: { m: { upstreams: ['a'] } },
    default_model: 'm',
    signals: { keywords: [{ name: 'urgent', any: ['urgent'] }] },
    decisions: [{ name: 'urgent', when: 'signals.keywords.urgent', model: 'm' }],
    cache: { mode: 'off' },
  });
  const router = await createLlmRouter({
    routing,
    env: {},
    log: pino({ level: 'silent' }),
    maxBodyBytes: 1 << 20,
    models: {},
  });
  const principal = { id: 'bench', roles: [], claims: {} };
  const server = createServer((req, res) => void router.handle(req, res, principal, req.url ?? '/'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  ctx.cleanup.defer('router', async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await router.close();
  });
  const agentwall = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pools = {
    direct: new Pool(standin.url, { connections: CONCURRENCY }),
    agentwall: new Pool(agentwall, { connections: CONCURRENCY }),
  };
  ctx.cleanup.defer('clients', async () => {
    await pools.direct.close();
    await pools.agentwall.close();
  });

  const body = (i: number, stream: boolean) =>
    JSON.stringify({
      model: 'm',
      stream,
      messages: [{ role: 'user', content: `question ${i}: is this urgent?` }],
    });
  const call = (pool: Pool, stream: boolean) => async (i: number) => {
    const r = await pool.request({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      body: body(i, stream),
    });
    if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`);
    if (stream) {
      // Time to first byte: the call ends at the first chunk; the rest of the stream is dropped.
      for await (const _ of r.body) break;
      r.body.destroy();
    } else await r.body.text();
  };
  const subjects: Subject[] = [
    { name: 'direct', run: call(pools.direct, false) },
    { name: 'agentwall', run: call(pools.agentwall, false) },
    { name: 'direct stream TTFB', run: call(pools.direct, true) },
    { name: 'agentwall stream TTFB', run: call(pools.agentwall, true) },
  ];
  const series = await measureInterleaved(subjects, {
    iterations: ctx.options.iterations,
    warmup: ctx.options.warmup,
    blockSize: 50,
    signal: ctx.signal,
  });
  const p50 = (name: string) => summarize(series.find((s) => s.name === name)?.samplesUs ?? [0]).p50;
  const added = p50('agentwall') - p50('direct');
  const addedTtfb = p50('agentwall stream TTFB') - p50('direct stream TTFB');
  const rps = { direct: 0, agentwall: 0 };
  for (let round = 0; round < 2; round++)
    for (const side of ['direct', 'agentwall'] as const) {
      ctx.signal.throwIfAborted();
      rps[side] = Math.max(rps[side], await throughput(call(pools[side], false)));
    }
  console.log(
    formatTable(
      [
        { header: 'subject', align: 'left' },
        { header: 'p50 µs', align: 'right' },
        { header: 'p99 µs', align: 'right' },
      ],
      series.map((s) => {
        const sum = summarize(s.samplesUs.length > 0 ? s.samplesUs : [0]);
        return [s.name + (s.error ? ` (failed: ${s.error})` : ''), sum.p50.toFixed(0), sum.p99.toFixed(0)];
      }),
    ),
  );
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
  console.log(
    `non-streamed p50: added ${added.toFixed(0)} µs, ×${ratio(p50('agentwall'), p50('direct'))} (target ≤ ${ADDED_TARGET_US} µs added)`,
  );
  console.log(
    `stream TTFB p50: added ${addedTtfb.toFixed(0)} µs, ×${ratio(p50('agentwall stream TTFB'), p50('direct stream TTFB'))} (target ≤ ${ADDED_TARGET_US} µs added)`,
  );
  console.log(
    `throughput at concurrency ${CONCURRENCY} (non-streamed, ${THROUGHPUT_REQUESTS} requests, best of 2): direct ${rps.direct.toFixed(0)} req/s, agentwall ${rps.agentwall.toFixed(0)} req/s (×${ratio(rps.agentwall, rps.direct)})`,
  );
  for (const line of describeCacheLookups(await measureCacheLookups())) console.log(line);
  return { ok: series.every((s) => s.error === undefined) };
}

/** Requests per second with CONCURRENCY callers each looping until THROUGHPUT_REQUESTS are done. */
async function throughput(run: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < THROUGHPUT_REQUESTS) await run(next++);
    }),
  );
  return THROUGHPUT_REQUESTS / (Number(process.hrtime.bigint() - started) / 1e9);
}
