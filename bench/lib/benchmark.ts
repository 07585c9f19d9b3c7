import type { BenchOptions } from './args.js';
import type { Cleanup } from './cleanup.js';

export interface BenchContext {
  readonly options: BenchOptions;
  /** Register here everything the run must undo; it is run after the benchmark, also on failure or signal. */
  readonly cleanup: Cleanup;
  /** Aborted on SIGINT/SIGTERM: stop measuring and write nothing, the cleanup is already under way. */
  readonly signal: AbortSignal;
}

export interface BenchOutcome {
  /** False when something did not work (a target failed); a missed performance target is still ok. */
  readonly ok: boolean;
}

/** One entry of the registry in bench/index.ts. */
export interface Benchmark {
  readonly name: string;
  readonly description: string;
  run(context: BenchContext): Promise<BenchOutcome>;
}
