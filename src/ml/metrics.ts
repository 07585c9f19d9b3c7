/**
 * Evaluation metrics for the scorers (`agentwall models eval`). Pure functions over scores and labels;
 * `positive` is true for the class the score is for (injection, jailbreak).
 */

export interface Scored {
  readonly score: number;
  readonly positive: boolean;
}

export interface AtThreshold {
  readonly tpr: number;
  readonly fpr: number;
  readonly precision: number;
  readonly f1: number;
}

/** ROC AUC as the Mann–Whitney statistic: the chance a positive outranks a negative (ties count half). */
export function auc(items: readonly Scored[]): number {
  const sorted = [...items].sort((a, b) => a.score - b.score);
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j < sorted.length && sorted[j]?.score === sorted[i]?.score) j += 1;
    const meanRank = (i + 1 + j) / 2; // ranks i+1 … j share their mean
    for (let k = i; k < j; k++) {
      if (sorted[k]?.positive) {
        rankSum += meanRank;
        positives += 1;
      }
    }
    i = j;
  }
  const negatives = sorted.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Rates when "positive" means `score >= threshold`. */
export function atThreshold(items: readonly Scored[], threshold: number): AtThreshold {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const { score, positive } of items) {
    const flagged = score >= threshold;
    if (positive && flagged) tp += 1;
    else if (positive) fn += 1;
    else if (flagged) fp += 1;
    else tn += 1;
  }
  const tpr = tp + fn === 0 ? 0 : tp / (tp + fn);
  const fpr = fp + tn === 0 ? 0 : fp / (fp + tn);
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const f1 = precision + tpr === 0 ? 0 : (2 * precision * tpr) / (precision + tpr);
  return { tpr, fpr, precision, f1 };
}

/**
 * The lowest threshold whose false-positive rate on the negatives is at most `maxFpr`: just above the
 * (k+1)-th highest negative score, k = ⌊maxFpr · negatives⌋. This is how the operating threshold is
 * calibrated on a benign pool.
 */
export function thresholdForFpr(negativeScores: readonly number[], maxFpr: number): number {
  if (negativeScores.length === 0) return 0.5;
  const desc = [...negativeScores].sort((a, b) => b - a);
  const k = Math.floor(maxFpr * desc.length);
  if (k >= desc.length) return Math.min(...desc);
  const bound = desc[k] as number;
  return bound + Math.max(Number.EPSILON, Math.abs(bound) * Number.EPSILON * 4);
}

export function tprAtFpr(items: readonly Scored[], maxFpr: number): number {
  const t = thresholdForFpr(
    items.filter((i) => !i.positive).map((i) => i.score),
    maxFpr,
  );
  return atThreshold(items, t).tpr;
}

export interface ClassReport {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

export interface MultiClassReport {
  readonly accuracy: number;
  readonly macro_f1: number;
  readonly per_label: Readonly<Record<string, ClassReport>>;
  /** confusion[truth][predicted] = count */
  readonly confusion: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export function multiClass(truth: readonly string[], predicted: readonly string[]): MultiClassReport {
  const labels = [...new Set([...truth, ...predicted])].sort();
  const confusion: Record<string, Record<string, number>> = {};
  for (const t of labels) confusion[t] = Object.fromEntries(labels.map((p) => [p, 0]));
  let correct = 0;
  truth.forEach((t, i) => {
    const p = predicted[i] as string;
    (confusion[t] as Record<string, number>)[p] = ((confusion[t] as Record<string, number>)[p] ?? 0) + 1;
    if (t === p) correct += 1;
  });
  const per_label: Record<string, ClassReport> = {};
  for (const l of labels) {
    const tp = confusion[l]?.[l] ?? 0;
    const support = Object.values(confusion[l] ?? {}).reduce((a, b) => a + b, 0);
    const predictedAs = labels.reduce((a, t) => a + (confusion[t]?.[l] ?? 0), 0);
    const precision = predictedAs === 0 ? 0 : tp / predictedAs;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    per_label[l] = { precision, recall, f1, support };
  }
  const withSupport = labels.filter((l) => (per_label[l]?.support ?? 0) > 0);
  const macro_f1 =
    withSupport.reduce((a, l) => a + (per_label[l]?.f1 ?? 0), 0) / Math.max(1, withSupport.length);
  return { accuracy: truth.length === 0 ? 0 : correct / truth.length, macro_f1, per_label, confusion };
}
