import type { DataRow } from './data.js';
import { atThreshold, auc, multiClass, tprAtFpr, type MultiClassReport, type Scored } from './metrics.js';

export interface BinaryReport {
  readonly n: number;
  readonly auc: number;
  readonly threshold: number;
  readonly at_threshold: ReturnType<typeof atThreshold>;
  readonly tpr_at_fpr_1pct: number;
  readonly by_channel?: Readonly<Record<string, Omit<BinaryReport, 'by_channel' | 'threshold'>>>;
}

/** The JSON `models eval --json` prints for a binary task (issue 4, "Evaluation"). */
export function binaryReport(
  rows: readonly DataRow[],
  scores: readonly number[],
  positive: string,
  threshold: number,
): BinaryReport {
  const items = rows.map((r, i) => ({ score: scores[i] ?? 0, positive: r.label === positive }));
  const channels = [
    ...new Set(rows.map((r) => r.channel).filter((c): c is string => c !== undefined)),
  ].sort();
  const part = (subset: readonly Scored[]) => ({
    n: subset.length,
    auc: auc(subset),
    at_threshold: atThreshold(subset, threshold),
    tpr_at_fpr_1pct: tprAtFpr(subset, 0.01),
  });
  const by = Object.fromEntries(
    channels.map((c) => [c, part(items.filter((_, i) => rows[i]?.channel === c))]),
  );
  return { ...part(items), threshold, ...(channels.length > 0 ? { by_channel: by } : {}) };
}

export function multiClassReport(
  rows: readonly DataRow[],
  probabilities: readonly Float32Array[],
  labels: readonly string[],
) {
  const predicted = probabilities.map((p) => labels[argmax(p)] ?? '');
  const report: MultiClassReport & { n: number } = {
    n: rows.length,
    ...multiClass(
      rows.map((r) => r.label),
      predicted,
    ),
  };
  return report;
}

export function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if ((p[i] as number) > (p[best] as number)) best = i;
  return best;
}
