import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchContext, BenchOutcome, Benchmark } from './lib/benchmark.js';
import {
  compare,
  describeComparison,
  formatComparisonValue,
  formatLimit,
  type Availability,
  type Comparison,
} from './lib/compare.js';
import { errorMessage } from './lib/errors.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { measureInterleaved } from './lib/measure.js';
import { writeResults } from './lib/results.js';
import { summarize, type Summary } from './lib/stats.js';
import { formatNumber, formatTable } from './lib/table.js';
import { targets, type Target, type TargetContext } from './mcp-targets.js';

/** Calls per turn: long enough to keep a connection's caches warm, short enough to spread drift. */
const BLOCK_SIZE = 50;
const CALL_TIMEOUT_MS = 10_000;

interface TargetId {
  readonly name: string;
  readonly command: readonly string[];
}

type TargetReport = TargetId &
  (
    | { readonly status: 'ok'; readonly summary: Summary; readonly samplesUs: readonly number[] }
    | { readonly status: 'skipped' | 'failed'; readonly reason: string }
  );

export const mcpBenchmark: Benchmark = {
  name: 'mcp',
  description: 'tools/call latency: direct stdio vs agentwall (stdio, HTTP) vs mcp-proxy (HTTP)',
  run: runMcpBenchmark,
};

async function runMcpBenchmark({ options, cleanup, signal }: BenchContext): Promise<BenchOutcome> {
  const machine = machineInfo();
  const date = new Date().toISOString();
  console.log(`mcp benchmark — ${date}\n${describeMachine(machine)}`);
  console.log(
    `${options.iterations} calls of server-everything's echo per target after ${options.warmup} warm-up calls, ` +
      `interleaved in blocks of ${BLOCK_SIZE}`,
  );

  const workDir = await mkdtemp(path.join(os.tmpdir(), 'agentwall-bench-mcp-'));
  cleanup.defer('remove work dir', () => rm(workDir, { recursive: true, force: true }));

  // All targets stay connected for the whole run, so that every turn finds the others idle but present.
  const { connected, byName } = await connectTargets({ workDir, cleanup }, signal);
  if (connected.length === 0) throw new Error('no target could be reached');

  const series = await measureInterleaved(
    connected.map(({ id, client }) => ({ name: id.name, run: (i: number) => callEcho(client, i) })),
    { ...options, blockSize: BLOCK_SIZE, signal },
  );
  connected.forEach(({ id }, k) => {
    const { samplesUs, error } = series[k]!;
    byName.set(
      id.name,
      error === undefined
        ? { ...id, status: 'ok', summary: summarize(samplesUs), samplesUs }
        : { ...id, status: 'failed', reason: error },
    );
  });
  const reports = targets.map((t) => byName.get(t.name)!);
  const comparisons = compareTargets(reports);

  printReport(reports, comparisons);
  const file = await writeResults('mcp', {
    benchmark: 'mcp',
    date,
    machine,
    options: { ...options, blockSize: BLOCK_SIZE, tool: 'echo' },
    targets: reports,
    comparisons,
  });
  console.log(`\nresults: ${path.relative(process.cwd(), file)}`);
  return { ok: reports.every((r) => r.status !== 'failed') };
}

interface Connected {
  readonly id: TargetId;
  readonly client: Client;
}

/** Connects each target in turn; `byName` holds the report of each that is skipped or failed. */
async function connectTargets(context: TargetContext, signal: AbortSignal) {
  const connected: Connected[] = [];
  const byName = new Map<string, TargetReport>();
  for (const target of targets) {
    signal.throwIfAborted();
    const id = { name: target.name, command: target.command(context.workDir) };
    const outcome = await connectTarget(target, id, context);
    if ('client' in outcome) connected.push({ id, client: outcome.client });
    else byName.set(id.name, outcome);
  }
  return { connected, byName };
}

async function connectTarget(
  target: Target,
  id: TargetId,
  context: TargetContext,
): Promise<{ client: Client } | TargetReport> {
  const skipped = target.unavailable();
  if (skipped !== undefined) {
    console.log(`${target.name}: skipped (see below)`);
    return { ...id, status: 'skipped', reason: skipped };
  }
  try {
    const client = await target.connect(context, id.command);
    await callEcho(client, -1);
    return { client };
  } catch (err) {
    console.log(`${target.name}: FAILED (see below)`);
    return { ...id, status: 'failed', reason: errorMessage(err) };
  }
}

/** One tools/call; the answer is checked so a target that denies or rewrites the call cannot look fast. */
async function callEcho(client: Client, i: number): Promise<void> {
  const message = `bench ${i}`;
  const result = await client.callTool({ name: 'echo', arguments: { message } }, undefined, {
    timeout: CALL_TIMEOUT_MS,
  });
  const content = result.content as { type: string; text?: string }[] | undefined;
  const text = content?.[0]?.text;
  if (result.isError === true || text !== `Echo: ${message}`) {
    throw new Error(`unexpected echo result: ${JSON.stringify(result).slice(0, 300)}`);
  }
}

function compareTargets(reports: readonly TargetReport[]): Comparison[] {
  const lookup = (name: string): Availability => {
    const report = reports.find((r) => r.name === name);
    if (!report) return { reason: 'not measured' };
    return report.status === 'ok' ? { summary: report.summary } : { reason: `${report.status}` };
  };
  return [
    compare({ subject: 'agentwall-stdio', baseline: 'direct-stdio', kind: 'difference', limit: 150 }, lookup),
    compare({ subject: 'agentwall-stdio', baseline: 'direct-stdio', kind: 'ratio' }, lookup),
    compare({ subject: 'agentwall-http', baseline: 'mcp-proxy-http', kind: 'ratio', limit: 1 }, lookup),
    compare({ subject: 'agentwall-http', baseline: 'mcp-proxy-http', kind: 'difference' }, lookup),
  ];
}

function printReport(reports: readonly TargetReport[], comparisons: readonly Comparison[]): void {
  const right = { align: 'right' } as const;
  const columns = [{ header: 'target' }, { header: 'status' }, { header: 'n', ...right }];
  const stats = ['p50 µs', 'p90 µs', 'p99 µs', 'mean µs'].map((header) => ({ header, ...right }));
  const rows = reports.map((r) =>
    r.status === 'ok'
      ? [
          r.name,
          r.status,
          String(r.summary.count),
          ...[r.summary.p50, r.summary.p90, r.summary.p99, r.summary.mean].map((x) => formatNumber(x)),
        ]
      : [r.name, r.status],
  );
  console.log(`\n${formatTable([...columns, ...stats], rows)}\n`);
  const comparisonRows = comparisons.map((c) => [
    describeComparison(c),
    formatComparisonValue(c.value, c.unit),
    formatLimit(c),
    c.verdict,
  ]);
  console.log(
    formatTable(
      [{ header: 'comparison' }, { header: 'value', ...right }, { header: 'target' }, { header: 'result' }],
      comparisonRows,
    ),
  );
  for (const r of reports) if (r.status !== 'ok') console.log(`\n${r.name} ${r.status}: ${r.reason}`);
}
