// Load (issue 9; a benchmark, not a CI pass/fail): `agentwall serve` with the shipped defaults (default
// policy bundle, pinning, audit, injection and capability models) as its own process, driven on loopback
// by 32 concurrent MCP sessions calling `echo` on a fast Streamable HTTP upstream, then by 64 concurrent
// streamed chat completions through the LLM router to the vLLM stand-in. Each phase runs for
// BENCH_DURATION seconds (default 60) and reports throughput, p50/p99, errors and agentwall's RSS.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { writeConfig } from '../tests/helpers/agentwall.js';
import { makeTempDir } from '../tests/helpers/temp-dir.js';
import { openFuzzClient, type FuzzClient } from '../tests/hardening/fuzz-client.js';
import { startHeaderRecorder } from '../tests/hardening/header-recorder.js';
import { startServeChild, type ServeChild } from '../tests/hardening/serve-child.js';
import { startVllmStandin } from '../tests/support/vllm-standin.js';
import type { BenchContext, BenchOutcome, Benchmark } from './lib/benchmark.js';
import { summarize } from './lib/stats.js';
import { formatTable } from './lib/table.js';

const MCP_SESSIONS = 32;
const LLM_STREAMS = 64;
const WARMUP_CALLS = 200;

export const loadBenchmark: Benchmark = {
  name: 'load',
  description: `${MCP_SESSIONS} MCP sessions, then ${LLM_STREAMS} LLM streams, for BENCH_DURATION s each (default 60)`,
  run: runLoadBenchmark,
};

interface PhaseResult {
  readonly name: string;
  readonly concurrency: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly rssStartMiB: number;
  readonly rssEndMiB: number;
}

/** Resident set size of a process (Linux /proc), in MiB. */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Runs `call` in `workers` loops until `seconds` have passed; latencies of successful calls only. */
async function drive(
  name: string,
  aw: ServeChild,
  workers: number,
  seconds: number,
  signal: AbortSignal,
  call: (worker: number, i: number) => Promise<void>,
): Promise<PhaseResult> {
  const rssStartMiB = rssMiB(aw.pid);
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; performance.now() < deadline && !signal.aborted; i++) {
        const t0 = performance.now();
        try {
          await call(w, i);
          latenciesMs.push(performance.now() - t0);
        } catch (err) {
          errors += 1;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
      }
    }),
  );
  return {
    name,
    concurrency: workers,
    seconds,
    latenciesMs,
    errors,
    firstError,
    rssStartMiB,
    rssEndMiB: rssMiB(aw.pid),
  };
}

async function mcpPhase(aw: ServeChild, seconds: number, signal: AbortSignal): Promise<PhaseResult> {
  const clients: FuzzClient[] = [];
  try {
    for (let i = 0; i < MCP_SESSIONS; i++) clients.push(await openFuzzClient(aw.url, { connections: 1 }));
    // Warm-up (JIT, first listing and pinning of the tools) before the RSS baseline.
    for (let i = 0; i < WARMUP_CALLS; i++) await clients[i % MCP_SESSIONS]!.echo(`warm ${i}`);
    return await drive(
      `MCP tools/call, ${MCP_SESSIONS} sessions`,
      aw,
      MCP_SESSIONS,
      seconds,
      signal,
      async (w, i) => {
        const text = `s${w} call ${i}`;
        const out = await clients[w]!.echo(text);
        if (out !== `echo: ${text}`) throw new Error(`unexpected answer ${out.slice(0, 80)}`);
      },
    );
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }
}

async function llmPhase(aw: ServeChild, seconds: number, signal: AbortSignal): Promise<PhaseResult> {
  const pool = new Pool(aw.url, { connections: LLM_STREAMS });
  try {
    return await drive(
      `LLM streams, ${LLM_STREAMS} concurrent`,
      aw,
      LLM_STREAMS,
      seconds,
      signal,
      async (w, i) => {
        const r = await pool.request({
          method: 'POST',
          path: '/v1/chat/completions',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'm',
            stream: true,
            messages: [{ role: 'user', content: `stream ${w} ${i}` }],
          }),
        });
        const text = await r.body.text();
        if (r.statusCode !== 200 || !text.includes('data: [DONE]')) {
          throw new Error(`status ${r.statusCode}: ${text.slice(0, 120)}`);
        }
      },
    );
  } finally {
    await pool.close();
  }
}

function report(results: readonly PhaseResult[]): void {
  const rows = results.map((r) => {
    const s = summarize(r.latenciesMs.length > 0 ? r.latenciesMs : [Number.NaN]);
    return [
      r.name,
      String(r.latenciesMs.length),
      (r.latenciesMs.length / r.seconds).toFixed(0),
      s.p50.toFixed(2),
      s.p99.toFixed(2),
      String(r.errors),
      `${r.rssStartMiB.toFixed(0)} → ${r.rssEndMiB.toFixed(0)} (${(r.rssEndMiB - r.rssStartMiB >= 0 ? '+' : '') + (r.rssEndMiB - r.rssStartMiB).toFixed(0)})`,
    ];
  });
  console.log(
    formatTable(
      [
        { header: 'phase', align: 'left' },
        { header: 'ok calls', align: 'right' },
        { header: 'per s', align: 'right' },
        { header: 'p50 ms', align: 'right' },
        { header: 'p99 ms', align: 'right' },
        { header: 'errors', align: 'right' },
        { header: 'agentwall RSS MiB', align: 'right' },
      ],
      rows,
    ),
  );
  for (const r of results)
    if (r.firstError !== undefined) console.log(`${r.name}: first error: ${r.firstError}`);
}

async function runLoadBenchmark(ctx: BenchContext): Promise<BenchOutcome> {
  const seconds = Number(process.env.BENCH_DURATION ?? 60);
  if (!(seconds > 0))
    throw new Error(`BENCH_DURATION must be a positive number of seconds, got ${process.env.BENCH_DURATION}`);
  const tmp = await makeTempDir('agentwall-load-');
  ctx.cleanup.defer('temp dir', () => tmp.remove());
  const upstream = await startHeaderRecorder({ record: false });
  ctx.cleanup.defer('MCP upstream', () => upstream.close());
  const standin = await startVllmStandin({ models: [{ id: 'm', task: 'generate' }] });
  ctx.cleanup.defer('vLLM stand-in', () => standin.close());
  const configFile = await writeConfig(tmp.path, {
    servers: { echo: { url: upstream.url } },
    policies: { watch: false, params: { max_calls_per_session: 1_000_000_000 } },
    routing: {
      upstreams: [{ name: 'a', url: `${standin.url}/v1` }],
      models: { m: { upstreams: ['a'] } },
      default_model: 'm',
    },
  });
  const aw = await startServeChild(configFile, join(tmp.path, 'data'));
  ctx.cleanup.defer('agentwall serve', async () => void (await aw.running.stop()));
  console.log(`load: ${seconds} s per phase, agentwall serve pid ${aw.pid} (shipped defaults, models on)`);
  const results = [await mcpPhase(aw, seconds, ctx.signal), await llmPhase(aw, seconds, ctx.signal)];
  report(results);
  // Errors under load are a finding to report, not a failed run: the figures are what this bench is for.
  return { ok: true };
}
