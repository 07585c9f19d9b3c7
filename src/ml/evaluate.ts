import type { DataRow } from './data.js';
import {
  atThreshold,
  auc,
  multiClass,
  tprAtFpr,
  type ClassReport,
  type MultiClassReport,
  type Scored,
} from './metrics.js';

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

export interface LabelReport extends ClassReport {
  readonly auc: number;
  readonly threshold: number;
}

export interface MultiLabelReport {
  readonly n: number;
  readonly per_label: Readonly<Record<string, LabelReport>>;
  /** Over every (item, label) decision. */
  readonly micro: { readonly precision: number; readonly recall: number; readonly f1: number };
  /** Mean F1 over labels with support. */
  readonly macro_f1: number;
  /** Items whose flagged set equals their true set. */
  readonly exact_match: number;
}

/**
 * Per-label precision/recall/F1 of multi-label predictions. `thresholds[i][l]` is the threshold item i
 * was decided with (they differ by fold in cross-validation); `reported` is what the report shows
 * as each label's threshold.
 */
export function multiLabelReport(
  truth: readonly (readonly string[])[],
  scores: readonly ArrayLike<number>[],
  labels: readonly string[],
  thresholds: readonly ArrayLike<number>[],
  reported: readonly number[],
): MultiLabelReport {
  const per_label: Record<string, LabelReport> = {};
  let [tpAll, fpAll, fnAll] = [0, 0, 0];
  const exact = truth.map(() => true);
  labels.forEach((label, l) => {
    let [tp, fp, fn] = [0, 0, 0];
    const items = truth.map((t, i) => {
      const score = scores[i]?.[l] ?? 0;
      const positive = t.includes(label);
      const flagged = score >= (thresholds[i]?.[l] ?? 0.5);
      if (flagged !== positive) exact[i] = false;
      if (flagged && positive) tp++;
      else if (flagged) fp++;
      else if (positive) fn++;
      return { score, positive };
    });
    [tpAll, fpAll, fnAll] = [tpAll + tp, fpAll + fp, fnAll + fn];
    per_label[label] = {
      ...prf(tp, fp, fn),
      support: tp + fn,
      auc: auc(items),
      threshold: reported[l] ?? 0.5,
    };
  });
  const withSupport = Object.values(per_label).filter((r) => r.support > 0);
  return {
    n: truth.length,
    per_label,
    micro: prf(tpAll, fpAll, fnAll),
    macro_f1: withSupport.reduce((a, r) => a + r.f1, 0) / Math.max(1, withSupport.length),
    exact_match: exact.filter(Boolean).length / Math.max(1, truth.length),
  };
}

function prf(tp: number, fp: number, fn: number) {
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

/**
 * The threshold with the best F1 on these scores: halfway between the lowest flagged positive's
 * score and the next lower score, so it does not sit on a training point. No positives: `fallback`.
 */
export function bestF1Threshold(items: readonly Scored[], fallback = 0.5): number {
  const positives = items.filter((i) => i.positive).length;
  if (positives === 0) return fallback;
  const sorted = [...items].sort((a, b) => b.score - a.score);
  let [tp, fp, bestF1, best] = [0, 0, -1, 0];
  for (let k = 0; k < sorted.length; k++) {
    const it = sorted[k] as Scored;
    if (it.positive) tp++;
    else fp++;
    const next = sorted[k + 1]?.score;
    if (next === it.score) continue; // a threshold cannot split tied scores
    const f1 = (2 * tp) / (2 * tp + fp + (positives - tp));
    if (f1 > bestF1) [bestF1, best] = [f1, k];
  }
  const at = (sorted[best] as Scored).score;
  const below = sorted[best + 1]?.score ?? 0;
  return (at + below) / 2;
}

/**
 * Assigns groups to `k` folds of about equal size (in items): groups in a seeded order, each to the
 * fold with the fewest items so far. Returns the fold of every group.
 */
export function groupFolds(groupSizes: ReadonlyMap<string, number>, k: number, seed: number) {
  const order = [...groupSizes.keys()].sort(
    (a, b) => hash(`${seed}:${a}`) - hash(`${seed}:${b}`) || (a < b ? -1 : 1),
  );
  const load = new Array<number>(k).fill(0);
  const fold = new Map<string, number>();
  for (const g of order) {
    const f = load.indexOf(Math.min(...load));
    fold.set(g, f);
    load[f] = (load[f] as number) + (groupSizes.get(g) ?? 0);
  }
  return fold;
}

function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
