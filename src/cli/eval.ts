import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { parseDuration } from '../config/index.js';
import { isAgentwallError } from '../core/errors.js';
import type { EvalMode } from '../eval/agent-client.js';
import { loadBaseConfig } from '../eval/case-config.js';
import { parseCases, type EvalCase } from '../eval/cases.js';
import { runAgentEval } from '../eval/harness.js';
import { progressLine, renderSummary } from '../eval/render.js';

export interface EvalCommandDeps {
  readonly io: {
    readonly out: (line: string) => void;
    readonly err: (line: string) => void;
    /** Resolves on SIGINT/SIGTERM: the run stops, cleans up, and reports what finished. */
    readonly stopSignal: () => Promise<string>;
  };
  readonly exit: (code: number) => void;
  /** Where the progress bar goes, when it is a terminal. */
  readonly tty?: { readonly isTTY?: boolean; write(s: string): unknown };
}

interface AgentFlags {
  cases?: string;
  config?: string;
  json?: boolean;
  concurrency: string;
  mode: string;
  limit?: string;
  filter?: string;
  report?: string;
  trust: string;
  callTimeout: string;
  startTimeout: string;
}

/** Exit status for bad input (a malformed case, a bad configuration or flag); 0 is any finished run. */
const BAD_INPUT = 2;

/** `agentwall eval agent` (docs/eval.md). */
export function registerEvalCommands(program: Command, deps: EvalCommandDeps): void {
  const evalCmd = program.command('eval').description('Measure agentwall end to end');
  evalCmd
    .command('agent')
    .description(
      'Replay agent cases through agentwall with a gullible agent: attack success rate and utility',
    )
    .option('--cases <file>', 'JSONL cases (docs/eval.md)')
    .option('-c, --config <file>', 'agentwall configuration; embedded defaults without it')
    .option('--json', 'print one JSON object')
    .option('--concurrency <n>', 'cases run in parallel', String(availableParallelism()))
    .option(
      '--mode <mode>',
      'agentwall in this process, or spawned per case: in-process | spawn',
      'in-process',
    )
    .option('--limit <n>', 'run only the first N cases (after --filter)')
    .option('--filter <regex>', 'run only cases whose id matches')
    .option('--report <file>', 'write one JSON line per case')
    .option('--trust <trust>', 'trust of the scripted server: trusted | untrusted', 'untrusted')
    .option('--call-timeout <duration>', 'a call with no answer by then counts as not executed', '30s')
    .option('--start-timeout <duration>', 'time for agentwall to start and initialize', '60s')
    .action(async (flags: AgentFlags) => deps.exit(await evalAgent(flags, deps)));
}

async function evalAgent(flags: AgentFlags, deps: EvalCommandDeps): Promise<number> {
  const { io } = deps;
  const input = await readInput(flags).catch((err: unknown) => [describe(err)]);
  if (Array.isArray(input)) {
    for (const line of input) io.err(`agentwall eval agent: ${line}`);
    return BAD_INPUT;
  }
  const tty = deps.tty ?? process.stderr;
  const isBar = tty.isTTY === true;
  const controller = new AbortController();
  void io.stopSignal().then(() => controller.abort());
  const counts = { attacks: 0, succeeded: 0, benign: 0, allowed: 0 };
  const t0 = performance.now();
  const run = await runAgentEval(input.cases, {
    ...input.options,
    signal: controller.signal,
    onCase: (r, done, total) => {
      if (r.error === undefined && r.kind === 'attack') {
        counts.attacks++;
        if (r.completed) counts.succeeded++;
      } else if (r.error === undefined) {
        counts.benign++;
        if (r.completed) counts.allowed++;
      }
      if (isBar) tty.write(`\r${progressLine(done, total, performance.now() - t0, counts)}`);
    },
  });
  if (isBar) tty.write('\n');
  if (flags.report !== undefined) {
    await writeFile(flags.report, run.records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
  if (flags.json) io.out(JSON.stringify(run.summary));
  else for (const line of renderSummary(run.summary)) io.out(line);
  if (run.isStopped) {
    io.err(`agentwall eval agent: stopped after ${run.records.length} of ${input.cases.length} cases`);
    return 130;
  }
  return 0;
}

type Input = { cases: readonly EvalCase[]; options: Parameters<typeof runAgentEval>[1] };

/** Everything the run needs, checked before any case starts; problems come back as lines. */
async function readInput(flags: AgentFlags): Promise<Input | string[]> {
  const problems: string[] = [];
  const count = (name: string, v: string | undefined, min: number) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (Number.isInteger(n) && n >= min) return n;
    problems.push(`${name}: expected an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return undefined;
  };
  const duration = (name: string, v: string) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms <= 0) problems.push(`${name}: invalid duration ${JSON.stringify(v)}`);
    return ms ?? 0;
  };
  if (flags.cases === undefined) problems.push('--cases FILE is required');
  const concurrency = count('--concurrency', flags.concurrency, 1) ?? 1;
  const limit = count('--limit', flags.limit, 1);
  const callTimeoutMs = duration('--call-timeout', flags.callTimeout);
  const startTimeoutMs = duration('--start-timeout', flags.startTimeout);
  if (flags.mode !== 'in-process' && flags.mode !== 'spawn')
    problems.push(`--mode: expected in-process or spawn, got ${JSON.stringify(flags.mode)}`);
  if (flags.trust !== 'trusted' && flags.trust !== 'untrusted')
    problems.push(`--trust: expected trusted or untrusted, got ${JSON.stringify(flags.trust)}`);
  let filter: RegExp | undefined;
  try {
    filter = flags.filter === undefined ? undefined : new RegExp(flags.filter);
  } catch (err) {
    problems.push(`--filter: ${(err as Error).message}`);
  }
  if (problems.length > 0 || flags.cases === undefined) return problems;
  const parsed = parseCases(await readFile(flags.cases, 'utf8'), flags.cases);
  if (!parsed.ok) return [...parsed.errors];
  const base = await loadBaseConfig(flags.config);
  const chosen = parsed.cases.filter((c) => filter?.test(c.id) ?? true);
  return {
    cases: chosen.slice(0, limit ?? chosen.length),
    options: {
      base,
      concurrency,
      mode: flags.mode as EvalMode,
      callTimeoutMs,
      startTimeoutMs,
      trust: flags.trust as 'trusted' | 'untrusted',
    },
  };
}

function describe(err: unknown): string {
  if (isAgentwallError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
