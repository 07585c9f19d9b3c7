import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EvalMode, LaunchAgentwall } from './agent-client.js';
import type { EvalCase } from './cases.js';
import { inProcessAgentwall } from './in-process-agentwall.js';
import { runCase, type CaseRecord, type RunCaseDeps } from './run-case.js';
import { spawnAgentwall } from './spawn-agentwall.js';
import { summarize, type EvalSummary } from './summary.js';

/** The launcher and the compiled scripted server: two levels above this module, in src/ and dist/ alike. */
export const AGENTWALL_BIN = fileURLToPath(new URL('../../bin/agentwall.js', import.meta.url));
export const SCRIPTED_SERVER = fileURLToPath(new URL('../../dist/eval/scripted-server.js', import.meta.url));

export interface EvalOptions extends Omit<RunCaseDeps, 'launch' | 'scriptedServer'> {
  readonly concurrency: number;
  /** `in-process` (the default) or `spawn` (an `agentwall mcp` process per case, as users run it). */
  readonly mode?: EvalMode;
  /** Called as each case finishes (in completion order). */
  readonly onCase?: (record: CaseRecord, done: number, total: number) => void;
  /** What `--mode spawn` runs. */
  readonly agentwallBin?: string;
  readonly scriptedServer?: string;
}

export interface EvalRun {
  readonly summary: EvalSummary;
  /** In the order of `cases`; fewer when the run was stopped. */
  readonly records: readonly CaseRecord[];
  readonly isStopped: boolean;
}

/**
 * Runs the cases through agentwall, `concurrency` at a time, and sums them up. Each case has its own
 * agentwall (a process, or a runtime in this one), scripted server and data directory. Aborting
 * `signal` stops the running cases (their processes and files are cleaned up) and starts no more.
 */
export async function runAgentEval(cases: readonly EvalCase[], o: EvalOptions): Promise<EvalRun> {
  const mode = o.mode ?? 'in-process';
  const agentwallBin = o.agentwallBin ?? AGENTWALL_BIN;
  const scriptedServer = o.scriptedServer ?? SCRIPTED_SERVER;
  const needed =
    mode === 'spawn'
      ? [agentwallBin, scriptedServer, fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))]
      : [scriptedServer];
  for (const file of needed) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build`);
  }
  const launch: LaunchAgentwall = mode === 'spawn' ? spawnAgentwall(agentwallBin) : inProcessAgentwall();
  const deps: RunCaseDeps = { ...o, launch, scriptedServer };
  const started = performance.now();
  const records: (CaseRecord | undefined)[] = new Array<CaseRecord | undefined>(cases.length);
  let next = 0;
  let done = 0;
  // A function, not `o.signal?.aborted` inline: the signal changes while a case runs.
  const isStopped = () => o.signal?.aborted === true;
  const worker = async () => {
    while (next < cases.length && !isStopped()) {
      const i = next++;
      const record = await runCase(cases[i]!, deps);
      if (isStopped() && record.error !== undefined) continue; // stopped mid-case
      records[i] = record;
      o.onCase?.(record, ++done, cases.length);
    }
  };
  const width = Math.max(1, Math.min(o.concurrency, cases.length));
  await Promise.all(Array.from({ length: width }, worker));
  const finished = records.filter((r): r is CaseRecord => r !== undefined);
  return {
    summary: summarize(finished, { elapsedMs: performance.now() - started, concurrency: width, mode }),
    records: finished,
    isStopped: isStopped(),
  };
}
