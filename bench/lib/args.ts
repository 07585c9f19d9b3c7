import { parseArgs } from 'node:util';
import { errorMessage } from './errors.js';

export interface BenchOptions {
  /** Measured calls per subject. */
  readonly iterations: number;
  /** Unmeasured calls per subject before measuring. */
  readonly warmup: number;
}

export type ParsedBenchArgs =
  | {
      readonly ok: true;
      readonly names: readonly string[];
      readonly options: BenchOptions;
      readonly isHelp: boolean;
    }
  | { readonly ok: false; readonly message: string };

export const DEFAULT_OPTIONS: BenchOptions = { iterations: 1000, warmup: 100 };

/** `[name…] [--iterations N] [--warmup N] [--help]`; no name means every benchmark. */
export function parseBenchArgs(argv: readonly string[]): ParsedBenchArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        iterations: { type: 'string' },
        warmup: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
  const iterations = parseCount('--iterations', parsed.values.iterations, DEFAULT_OPTIONS.iterations, 1);
  if (typeof iterations === 'string') return { ok: false, message: iterations };
  const warmup = parseCount('--warmup', parsed.values.warmup, DEFAULT_OPTIONS.warmup, 0);
  if (typeof warmup === 'string') return { ok: false, message: warmup };
  return {
    ok: true,
    names: parsed.positionals,
    options: { iterations, warmup },
    isHelp: parsed.values.help ?? false,
  };
}

/** The count, or an error message. */
function parseCount(flag: string, text: string | undefined, fallback: number, min: number): number | string {
  if (text === undefined) return fallback;
  const value = Number(text);
  return /^\d+$/.test(text) && Number.isSafeInteger(value) && value >= min
    ? value
    : `${flag} must be an integer ≥ ${min}, got '${text}'`;
}
