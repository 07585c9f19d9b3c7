import { parseBenchArgs, type BenchOptions } from './lib/args.js';
import type { Benchmark } from './lib/benchmark.js';
import { Cleanup } from './lib/cleanup.js';
import { mcpBenchmark } from './mcp.js';
import { memoryBenchmark } from './memory.js';
import { inboundBenchmark } from './inbound.js';
import { routerBenchmark } from './router.js';
import { mlBenchmark } from './ml.js';
import { policyBenchmark } from './policy.js';
import { loadBenchmark } from './load.js';
import { capturingLog, writeBenchmarksMd, type BenchRun } from './report.js';

/** Every benchmark, in the order `npm run bench` with no name runs them. Add new ones here. */
const benchmarks: readonly Benchmark[] = [
  mcpBenchmark,
  policyBenchmark,
  mlBenchmark,
  memoryBenchmark,
  inboundBenchmark,
  routerBenchmark,
  loadBenchmark,
];

function usage(): string {
  const names = benchmarks.map((b) => `  ${b.name.padEnd(10)} ${b.description}`).join('\n');
  return `usage: npm run bench -- [name…] [--iterations N] [--warmup N]\n\nbenchmarks (all when none is named):\n${names}`;
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseBenchArgs(argv);
  if (!parsed.ok) {
    console.error(`bench: ${parsed.message}\n${usage()}`);
    return 2;
  }
  if (parsed.isHelp) {
    console.log(usage());
    return 0;
  }
  const unknown = parsed.names.filter((name) => !benchmarks.some((b) => b.name === name));
  if (unknown.length > 0) {
    console.error(`bench: no benchmark named ${unknown.join(', ')}\n${usage()}`);
    return 2;
  }
  const selected =
    parsed.names.length === 0 ? benchmarks : benchmarks.filter((b) => parsed.names.includes(b.name));
  let exitCode = 0;
  const runs: BenchRun[] = [];
  for (const benchmark of selected) {
    const startedAt = new Date();
    const { value: isOk, output } = await capturingLog(() => runBenchmark(benchmark, parsed.options));
    if (!isOk) exitCode = 1;
    const seconds = (Date.now() - startedAt.getTime()) / 1000;
    runs.push({
      name: benchmark.name,
      description: benchmark.description,
      ok: isOk,
      startedAt,
      seconds,
      output,
    });
  }
  // Every ratio each benchmark printed, with the machine and the date, goes to BENCHMARKS.md.
  await writeBenchmarksMd(runs);
  console.log(`bench: BENCHMARKS.md updated (${runs.map((r) => r.name).join(', ')})`);
  return exitCode;
}

/** Runs one benchmark and always its cleanup: on success, on error, and on SIGINT/SIGTERM. */
async function runBenchmark(benchmark: Benchmark, options: BenchOptions): Promise<boolean> {
  const cleanup = new Cleanup();
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\nbench: ${signal}, cleaning up`);
    abort.abort(new Error(`interrupted by ${signal}`));
    void reportCleanup(cleanup).then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let isOk: boolean;
  try {
    isOk = (await benchmark.run({ options, cleanup, signal: abort.signal })).ok;
  } catch (err) {
    const detail = abort.signal.aborted
      ? 'interrupted'
      : err instanceof Error
        ? (err.stack ?? err.message)
        : String(err);
    console.error(`bench ${benchmark.name} failed: ${detail}`);
    isOk = false;
  }
  const isClean = await reportCleanup(cleanup);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return isOk && isClean;
}

async function reportCleanup(cleanup: Cleanup): Promise<boolean> {
  const errors = await cleanup.run();
  for (const err of errors) console.error(`bench: ${err.message}`);
  return errors.length === 0;
}

process.exitCode = await main(process.argv.slice(2));
