import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Pool } from 'undici';
import { createLlmRouter } from '../src/routing/router.js';
import { routingSchema } from '../src/routing/schema.js';
import { startVllmStandin } from '../tests/support/vllm-standin.js';
import type { BenchContext, BenchOutcome, Benchmark } from './lib/benchmark.js';
import { measureInterleaved, type Subject } from './lib/measure.js';
import { summarize } from './lib/stats.js';
import { formatTable } from './lib/table.js';

/** Issue 7's targets: ≤ 1 ms added to a non-streamed call's p50 and to a stream's time to first byte. */
const ADDED_TARGET_US = 1000;

export const routerBenchmark: Benchmark = {
  name: 'router',
  description: 'LLM router: direct-to-stand-in vs through agentwall /v1, non-streamed p50 and stream TTFB',
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
  const pools = { direct: new Pool(standin.url), agentwall: new Pool(agentwall) };
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
  console.log(
    `added p50: ${added.toFixed(0)} µs (target ≤ ${ADDED_TARGET_US}); added TTFB p50: ${addedTtfb.toFixed(0)} µs (target ≤ ${ADDED_TARGET_US})`,
  );
  return { ok: series.every((s) => s.error === undefined) };
}
