import type { Summary } from './stats.js';

/** A series as a comparison sees it: measured, or missing for a stated reason. */
export type Availability = { readonly summary: Summary } | { readonly reason: string };

export interface ComparisonSpec {
  /** The series under test, and the baseline measured in the same run. */
  readonly subject: string;
  readonly baseline: string;
  readonly kind: 'difference' | 'ratio';
  readonly statistic?: 'p50' | 'p90' | 'p99' | 'mean';
  /** The target: pass when the value is at most this; no limit means the line is for information. */
  readonly limit?: number;
}

export interface Comparison {
  readonly subject: string;
  readonly baseline: string;
  readonly kind: 'difference' | 'ratio';
  readonly statistic: 'p50' | 'p90' | 'p99' | 'mean';
  readonly value: number | null;
  readonly unit: 'µs' | '×';
  readonly limit: number | null;
  readonly verdict: 'PASS' | 'MISS' | 'INFO' | 'N/A';
  readonly note?: string;
}

export function compare(spec: ComparisonSpec, lookup: (name: string) => Availability): Comparison {
  const statistic = spec.statistic ?? 'p50';
  const unit = spec.kind === 'difference' ? 'µs' : '×';
  const base = { subject: spec.subject, baseline: spec.baseline, kind: spec.kind, statistic, unit } as const;
  const limit = spec.limit ?? null;
  const a = lookup(spec.subject);
  const b = lookup(spec.baseline);
  if (!('summary' in a) || !('summary' in b)) {
    const note = [a, b].flatMap((x, i) =>
      'reason' in x ? [`${i === 0 ? spec.subject : spec.baseline}: ${x.reason}`] : [],
    );
    return { ...base, value: null, limit, verdict: 'N/A', note: note.join('; ') };
  }
  const x = a.summary[statistic];
  const y = b.summary[statistic];
  const value = spec.kind === 'difference' ? x - y : x / y;
  const verdict = limit === null ? 'INFO' : value <= limit ? 'PASS' : 'MISS';
  return { ...base, value, limit, verdict };
}

/** `agentwall-stdio − direct-stdio` or `agentwall-http / mcp-proxy-http`. */
export function describeComparison(c: Comparison): string {
  return `${c.statistic}(${c.subject}) ${c.kind === 'difference' ? '−' : '/'} ${c.statistic}(${c.baseline})`;
}

export function formatComparisonValue(value: number | null, unit: Comparison['unit']): string {
  if (value === null) return 'n/a';
  return unit === 'µs' ? `${value >= 0 ? '+' : ''}${value.toFixed(1)} µs` : `${value.toFixed(2)}×`;
}

/** `≤ 150 µs`, `≤ 1.00×`, or empty for a line without a target. */
export function formatLimit({ limit, unit }: Comparison): string {
  if (limit === null) return '';
  return unit === 'µs' ? `≤ ${limit} µs` : `≤ ${limit.toFixed(2)}×`;
}
