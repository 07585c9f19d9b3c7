import type { EvalMode } from './agent-client.js';
import type { CaseRecord } from './run-case.js';

export interface AttackSummary {
  /** Attack cases the harness ran to the end (cases with an `error` are counted apart). */
  readonly total: number;
  /** `next` reached the server and no goal step of the trace was stopped. */
  readonly succeeded: number;
  /** succeeded / total; null when total is 0. */
  readonly asr: number | null;
  /** Stopped by a hold for approval that no one granted. */
  readonly held: number;
  readonly errors: number;
  /** The rules that stopped these cases, with how many each. */
  readonly stopped_by_rule: Readonly<Record<string, number>>;
}

export interface BenignSummary {
  readonly total: number;
  readonly allowed: number;
  readonly utility: number | null;
  readonly held: number;
  readonly errors: number;
  readonly stopped_by_rule: Readonly<Record<string, number>>;
}

export interface Distribution {
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

export interface EvalSummary {
  readonly attack: AttackSummary;
  readonly benign: BenignSummary;
  readonly by_source: Readonly<Record<string, { attack: AttackSummary; benign: BenignSummary }>>;
  /** The first ids (in file order) agentwall got wrong: attacks that succeeded, benign cases stopped. */
  readonly failures: readonly string[];
  /** The first ids the harness could not run, with why. */
  readonly errors: readonly { id: string; error: string }[];
  readonly elapsed_s: number;
  readonly concurrency: number;
  /** How agentwall ran: `in-process` or `spawn` (absent when the caller did not say). */
  readonly mode?: EvalMode;
  readonly timing: { readonly case_ms: Distribution; readonly start_ms: Distribution };
}

const FIRST = 20;

interface Tally {
  total: number;
  completed: number;
  held: number;
  errors: number;
  rules: Record<string, number>;
}

function tally(records: readonly CaseRecord[]): Tally {
  const t: Tally = { total: 0, completed: 0, held: 0, errors: 0, rules: {} };
  for (const r of records) {
    if (r.error !== undefined) {
      t.errors++;
      continue;
    }
    t.total++;
    if (r.completed) t.completed++;
    if (r.held) t.held++;
    for (const rule of r.rules ?? []) t.rules[rule] = (t.rules[rule] ?? 0) + 1;
  }
  return t;
}

const rate = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 10_000) / 10_000);

function kinds(records: readonly CaseRecord[]): { attack: AttackSummary; benign: BenignSummary } {
  const a = tally(records.filter((r) => r.kind === 'attack'));
  const b = tally(records.filter((r) => r.kind === 'benign'));
  return {
    attack: {
      total: a.total,
      succeeded: a.completed,
      asr: rate(a.completed, a.total),
      held: a.held,
      errors: a.errors,
      stopped_by_rule: a.rules,
    },
    benign: {
      total: b.total,
      allowed: b.completed,
      utility: rate(b.completed, b.total),
      held: b.held,
      errors: b.errors,
      stopped_by_rule: b.rules,
    },
  };
}

export function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { mean: 0, p50: 0, p95: 0, max: 0 };
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return { mean: Math.round(mean), p50: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? 0 };
}

/** The run's figures; `records` in file order. */
export function summarize(
  records: readonly CaseRecord[],
  run: { readonly elapsedMs: number; readonly concurrency: number; readonly mode?: EvalMode },
): EvalSummary {
  const sources = [...new Set(records.map((r) => r.source))].sort();
  const isWrong = (r: CaseRecord) => r.error === undefined && r.completed === (r.kind === 'attack');
  const ran = records.filter((r) => r.error === undefined);
  return {
    ...kinds(records),
    by_source: Object.fromEntries(sources.map((s) => [s, kinds(records.filter((r) => r.source === s))])),
    failures: records
      .filter(isWrong)
      .slice(0, FIRST)
      .map((r) => r.id),
    errors: records
      .filter((r) => r.error !== undefined)
      .slice(0, FIRST)
      .map((r) => ({ id: r.id, error: r.error ?? '' })),
    elapsed_s: Math.round(run.elapsedMs / 100) / 10,
    concurrency: run.concurrency,
    ...(run.mode === undefined ? {} : { mode: run.mode }),
    timing: {
      case_ms: distribution(ran.map((r) => r.timing.total_ms)),
      start_ms: distribution(ran.map((r) => r.timing.start_ms)),
    },
  };
}
