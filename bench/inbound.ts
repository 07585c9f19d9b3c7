import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { McpEvent, ToolResultEvent } from '../src/core/events.js';
import { createPipeline } from '../src/core/pipeline.js';
import { createSession } from '../src/core/session.js';
import { createInboundCheckpoint } from '../src/inbound/checkpoint.js';
import { createInspector } from '../src/inbound/inspect.js';
import { scoreStage } from '../src/inbound/score-stage.js';
import { inspectionSignalsStage } from '../src/inbound/signals-stage.js';
import { benignPool } from '../src/ml/benign-pool.js';
import { seededRandom } from '../src/ml/prng.js';
import { loadShippedScorer } from '../src/ml/scorer.js';
import { PolicyHolder } from '../src/policy/holder.js';
import { resolveBundlePaths } from '../src/policy/paths.js';
import { policyStage } from '../src/policy/stage.js';
import type { QuarantineStore } from '../src/state/quarantine.js';
import type { BenchContext, BenchOutcome, Benchmark } from './lib/benchmark.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { repoRoot } from './lib/paths.js';
import { writeResults } from './lib/results.js';
import { formatNumber, formatTable } from './lib/table.js';

/** Issue 5's target: the whole inbound pipeline, MB/s per core on 1–64 KB tool outputs. */
const MBPS_TARGET = 20;
const SIZES_KB = [1, 4, 16, 64] as const;
const TEXTS_PER_SIZE = 60;
const ROUNDS = 3;

export const inboundBenchmark: Benchmark = {
  name: 'inbound',
  description: 'whole inbound checkpoint (normalise, detect, injection model, default policy): MB/s per core',
  run: runInboundBenchmark,
};

/** Installed packages' docs and sources (never trained on), cut at the given size. */
function toolOutputs(kb: number, count: number, pool: readonly string[]): string[] {
  const random = seededRandom(kb);
  const out: string[] = [];
  const want = kb * 1024;
  for (let i = 0; out.length < count && i < pool.length * 4; i++) {
    let text = '';
    while (text.length < want) text += pool[Math.floor(random() * pool.length)]!;
    out.push(text.slice(0, want));
  }
  return out;
}

async function runInboundBenchmark(ctx: BenchContext): Promise<BenchOutcome> {
  const machine = machineInfo();
  console.log(`inbound: ${describeMachine(machine)}`);
  const { texts: pool } = benignPool(path.join(repoRoot, 'node_modules'), {
    chunkChars: 8192,
    maxFiles: 1500,
  });
  const injection = await loadShippedScorer('injection');
  ctx.cleanup.defer('injection model', () => injection.close());
  const policy = await PolicyHolder.load({ files: resolveBundlePaths(['@default'], repoRoot) });
  ctx.cleanup.defer('policy', () => policy.close());
  const pipeline = createPipeline<McpEvent>({
    stages: [
      inspectionSignalsStage(),
      scoreStage({ scorer: injection, timeoutMs: 60_000 }),
      policyStage({
        current: () => policy.current(),
        onError: 'deny',
        params: { fs_roots: [], max_calls_per_session: 1e9 },
      }),
    ],
    defaultAction: 'allow',
    onStageError: 'deny',
    sinks: [],
  });
  const quarantine = { put: () => Promise.resolve({ id: 'q' }) } as unknown as QuarantineStore;
  const inspector = createInspector({ allowHosts: [], maxChars: 4_000_000 });
  const inbound = createInboundCheckpoint({ inspector, quarantine, stripInvisible: true });
  const principal = { id: 'bench', roles: [], claims: {} };
  const session = createSession('bench', principal);
  const event = (text: string): ToolResultEvent => ({
    id: 'e',
    kind: 'tool_result',
    time: 0,
    session,
    principal,
    server: 'files',
    tool: { name: 'read_text_file' },
    callId: 'c',
    result: { content: [{ type: 'text', text }] },
    isError: false,
  });

  const rows: string[][] = [];
  const results: Record<string, unknown>[] = [];
  let worst = Infinity;
  for (const kb of SIZES_KB) {
    const texts = toolOutputs(kb, TEXTS_PER_SIZE, pool);
    for (const t of texts.slice(0, 5)) await inbound.process(event(t), pipeline, source);
    const mbps: number[] = [];
    const cpu: number[] = [];
    const inspectOnly: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (ctx.signal.aborted) return { ok: false };
      const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (const t of texts) await inbound.process(event(t), pipeline, source);
      const wall = (performance.now() - t0) / 1000;
      const used = process.cpuUsage(c0);
      mbps.push(bytes / 1e6 / wall);
      cpu.push(bytes / 1e6 / ((used.user + used.system) / 1e6));
      const i0 = performance.now();
      for (const t of texts)
        inspector.inspect([{ key: 'content.0.text', path: ['content', 0, 'text'], text: t }], t);
      inspectOnly.push(bytes / 1e6 / ((performance.now() - i0) / 1000));
    }
    const best = Math.max(...mbps);
    worst = Math.min(worst, best);
    rows.push([
      `${kb} KB`,
      formatNumber(best),
      formatNumber(Math.max(...cpu)),
      formatNumber(Math.max(...inspectOnly)),
      `${formatNumber(best / MBPS_TARGET, 2)}×`,
      best >= MBPS_TARGET ? 'PASS' : 'MISS',
    ]);
    results.push({ kb, texts: texts.length, mbps_wall: mbps, mbps_cpu: cpu, mbps_inspect_only: inspectOnly });
  }
  const right = { align: 'right' as const };
  console.log(
    `\n${formatTable(
      [
        { header: 'tool output' },
        { header: 'MB/s (wall, 1 core)', ...right },
        { header: 'MB/s per CPU-s', ...right },
        { header: 'inspect only MB/s', ...right },
        { header: `vs ${MBPS_TARGET} MB/s`, ...right },
        { header: 'result' },
      ],
      rows,
    )}\n`,
  );
  const file = await writeResults('inbound', { machine, target_mbps: MBPS_TARGET, results });
  console.log(`results: ${file}`);
  return { ok: Number.isFinite(worst) };
}

const source = { trust: 'untrusted' as const, openWorld: false, label: 'tool "read_text_file"' };
