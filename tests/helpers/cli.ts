// Runs the agentwall command line in this process, capturing what it prints.
import { main } from '../../src/cli/main.js';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function runMain(args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stopSignal: () => new Promise(() => undefined),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
