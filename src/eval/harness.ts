import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EvalCase } from './cases.js';
import { runCase, type CaseRecord, type RunCaseDeps } from './run-case.js';
import { summarize, type EvalSummary } from './summary.js';

/** The launcher and the compiled scripted server: two levels above this module, in src/ and dist/ alike. */
export const AGENTWALL_BIN = fileURLToPath(new URL('../../bin/agentwall.js', import.meta.url));
export const SCRIPTED_SERVER = fileURLToPath(new URL('../../dist/eval/scripted-server.js', import.meta.url));

export interface EvalOptions extends Omit<RunCaseDeps, 'agentwallBin' | 'scriptedServer'> {
  readonly concurrency: number;
  /** Called as each case finishes (in completion order). */
  readonly onCase?: (record: CaseRecord, done: number, total: number) => void;
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
 * agentwall process, scripted server and data directory. Aborting `signal` stops the running cases
 * (their processes and files are cleaned up) and starts no more.
 */
export async function runAgentEval(cases: readonly EvalCase[], o: EvalOptions): Promise<EvalRun> {
  const deps: RunCaseDeps = {
    ...o,
    agentwallBin: o.agentwallBin ?? AGENTWALL_BIN,
    scriptedServer: o.scriptedServer ?? SCRIPTED_SERVER,
  };
  for (const file of [
    deps.agentwallBin,
    deps.scriptedServer,
    fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url)),
  ]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build`);
  }
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
    summary: summarize(finished, { elapsedMs: performance.now() - started, concurrency: width }),
    records: finished,
    isStopped: isStopped(),
  };
}
