/**
 * The fastText-style classifier: embedding bag → mean → linear → sigmoid (binary, and one per label
 * for multi-label) or softmax (multi-class). `forward` here is the reference the ONNX export is
 * checked against.
 */
import type { FeaturiserOptions } from './features.js';

/** binary: one sigmoid; multiclass: one softmax over the labels; multilabel: one sigmoid per label. */
export type ModelKind = 'binary' | 'multiclass' | 'multilabel';

export interface TextClassifier {
  readonly kind: ModelKind;
  /**
   * Class names. Binary: [negative, positive]; the single output is P(labels[1]). Multi-label: one
   * independent P(label applies) per name.
   */
  readonly labels: readonly string[];
  readonly features: FeaturiserOptions;
  readonly dim: number;
  /** Row-major [features.buckets, dim]. */
  readonly embedding: Float32Array;
  /** Row-major [outputs, dim] (Gemm with transB = 1). */
  readonly weight: Float32Array;
  readonly bias: Float32Array;
}

/** Number of output units: one logit for binary, one per class otherwise. */
export function outputCount(kind: ModelKind, labels: readonly string[]): number {
  return kind === 'binary' ? 1 : labels.length;
}

/** Mean of the embedding rows of ids into h (zeros for no ids, matching the ONNX max(count, 1)). */
export function meanEmbedding(m: TextClassifier, ids: ArrayLike<number>, h: Float64Array): void {
  h.fill(0);
  const d = m.dim;
  for (let k = 0; k < ids.length; k++) {
    const row = (ids[k] as number) * d;
    for (let j = 0; j < d; j++) h[j] = (h[j] as number) + (m.embedding[row + j] as number);
  }
  const inv = 1 / Math.max(ids.length, 1);
  for (let j = 0; j < d; j++) h[j] = (h[j] as number) * inv;
}

/**
 * Σ countᵢ·rowᵢ / max(Σ countᵢ, 1) over a bag of unique ids and their counts (bag.ts) into `out`, in
 * float32 as ONNX Runtime computes it: the exported graph's mean, without the runtime.
 */
export function bagMean(m: TextClassifier, ids: Int32Array, counts: Float32Array, out: Float32Array): void {
  out.fill(0);
  const d = m.dim;
  const e = m.embedding;
  let total = 0;
  for (let k = 0; k < ids.length; k++) {
    const c = counts[k] as number;
    const row = (ids[k] as number) * d;
    total += c;
    for (let j = 0; j < d; j++) out[j] = (out[j] as number) + c * (e[row + j] as number);
  }
  const inv = 1 / Math.max(total, 1);
  for (let j = 0; j < d; j++) out[j] = (out[j] as number) * inv;
}

/** Logits W·h + b into z. */
export function logits(m: TextClassifier, h: ArrayLike<number>, z: Float64Array): void {
  const d = m.dim;
  for (let o = 0; o < z.length; o++) {
    let s = m.bias[o] as number;
    for (let j = 0; j < d; j++) s += (m.weight[o * d + j] as number) * (h[j] as number);
    z[o] = s;
  }
}

/** Sigmoid per output (binary, multilabel) or softmax (multiclass) in place. */
export function activate(kind: ModelKind, z: Float64Array): void {
  if (kind !== 'multiclass') {
    for (let o = 0; o < z.length; o++) z[o] = 1 / (1 + Math.exp(-(z[o] as number)));
    return;
  }
  let max = -Infinity;
  for (const v of z) max = Math.max(max, v);
  let sum = 0;
  for (let o = 0; o < z.length; o++) {
    z[o] = Math.exp((z[o] as number) - max);
    sum += z[o] as number;
  }
  for (let o = 0; o < z.length; o++) z[o] = (z[o] as number) / sum;
}

/**
 * Scores for one featurised text: [P(positive)] for binary, class probabilities for multiclass, one
 * independent probability per label for multilabel.
 */
export function forward(m: TextClassifier, ids: ArrayLike<number>): Float64Array {
  const h = new Float64Array(m.dim);
  const z = new Float64Array(outputCount(m.kind, m.labels));
  meanEmbedding(m, ids, h);
  logits(m, h, z);
  activate(m.kind, z);
  return z;
}
