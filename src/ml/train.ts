/**
 * Deterministic minibatch trainer for the fastText-style classifier in model.ts.
 *
 * Binary and multilabel models minimise binary cross-entropy (summed over the labels for
 * multilabel: each output is its own sigmoid), multiclass ones softmax cross-entropy.
 * Adam with lazy (sparse) updates for the embedding table: only rows a batch touched are updated,
 * with the global step's bias correction (as TF's LazyAdam) — a dense update of a 2^18 × 32 table
 * per batch would dominate training time. Early stopping keeps the weights of the epoch with the
 * lowest dev loss. Same inputs and seed → bit-identical weights (no Math.random, no parallelism).
 */
import type { FeaturiserOptions } from './features.js';
import {
  activate,
  logits,
  meanEmbedding,
  outputCount,
  type ModelKind,
  type TextClassifier,
} from './model.js';
import { seededRandom, shuffle, type Random } from './prng.js';

export interface Example {
  /** Feature ids from `featurise`, each < features.buckets. */
  readonly ids: Int32Array;
  /**
   * Index into labels (binary: 0 = negative, 1 = positive); for a multilabel model, the indices of
   * every label that applies (none is allowed: a tool that does none of the things labelled).
   */
  readonly label: number | readonly number[];
}

export interface TrainOptions {
  readonly kind: ModelKind;
  readonly labels: readonly string[];
  readonly features: FeaturiserOptions;
  readonly dim?: number;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly seed?: number;
  /** Epochs without dev-loss improvement before stopping. */
  readonly patience?: number;
  /**
   * False: run every epoch and return the last one's weights (dev is then only reported on), e.g.
   * to refit on all data for an epoch count chosen by cross-validation. Default true.
   */
  readonly earlyStopping?: boolean;
  /** Progress hook (the CLI draws its progress bar from it; src/ never writes to the console). */
  readonly onEpoch?: (report: EpochReport) => void;
}

export interface EpochReport {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly devLoss: number;
  /** Share right at 0.5 (binary), at the argmax (multiclass), or per label at 0.5 (multilabel). */
  readonly devAccuracy: number;
}

export interface TrainResult {
  readonly model: TextClassifier;
  readonly history: readonly EpochReport[];
  readonly bestEpoch: number;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;
const LOG_FLOOR = 1e-12;

interface Params {
  embedding: Float32Array;
  weight: Float32Array;
  bias: Float32Array;
}

interface Moments {
  m: Params;
  v: Params;
}

function zerosLike(p: Params): Params {
  return {
    embedding: new Float32Array(p.embedding.length),
    weight: new Float32Array(p.weight.length),
    bias: new Float32Array(p.bias.length),
  };
}

function copyParams(p: Params): Params {
  return { embedding: p.embedding.slice(), weight: p.weight.slice(), bias: p.bias.slice() };
}

/** fastText's init: embeddings uniform in ±1/dim, output layer zero. */
function initParams(buckets: number, dim: number, outputs: number, random: Random): Params {
  const embedding = new Float32Array(buckets * dim);
  for (let i = 0; i < embedding.length; i++) embedding[i] = (random() * 2 - 1) / dim;
  return { embedding, weight: new Float32Array(outputs * dim), bias: new Float32Array(outputs) };
}

function asModel(o: TrainOptions, dim: number, p: Params): TextClassifier {
  return { kind: o.kind, labels: [...o.labels], features: { ...o.features }, dim, ...p };
}

/** Loss of one example given its activated outputs p; writes dLoss/dLogit into dz. */
function lossAndGrad(kind: ModelKind, p: Float64Array, label: Example['label'], dz: Float64Array): number {
  if (kind === 'multilabel') {
    const on = label as readonly number[];
    let loss = 0;
    for (let o = 0; o < p.length; o++) {
      const y = on.includes(o) ? 1 : 0;
      const q = p[o] as number;
      dz[o] = q - y;
      loss -= Math.log(Math.max(y === 1 ? q : 1 - q, LOG_FLOOR));
    }
    return loss;
  }
  const k = label as number;
  if (kind === 'binary') {
    const y = k === 1 ? 1 : 0;
    const q = p[0] as number;
    dz[0] = q - y;
    return -Math.log(Math.max(y === 1 ? q : 1 - q, LOG_FLOOR));
  }
  for (let o = 0; o < p.length; o++) dz[o] = (p[o] as number) - (o === k ? 1 : 0);
  return -Math.log(Math.max(p[k] as number, LOG_FLOOR));
}

/** 1 or 0 for one prediction; for multilabel, the share of labels decided right at 0.5. */
function correctness(kind: ModelKind, p: Float64Array, label: Example['label']): number {
  if (kind === 'multilabel') {
    const on = label as readonly number[];
    let right = 0;
    for (let o = 0; o < p.length; o++) if ((p[o] as number) >= 0.5 === on.includes(o)) right++;
    return right / p.length;
  }
  if (kind === 'binary') return ((p[0] as number) >= 0.5 ? 1 : 0) === label ? 1 : 0;
  let best = 0;
  for (let o = 1; o < p.length; o++) if ((p[o] as number) > (p[best] as number)) best = o;
  return best === label ? 1 : 0;
}

/** Mean loss and accuracy over a set, without gradients. */
export function evaluate(
  m: TextClassifier,
  examples: readonly Example[],
): { loss: number; accuracy: number } {
  const h = new Float64Array(m.dim);
  const z = new Float64Array(outputCount(m.kind, m.labels));
  const dz = new Float64Array(z.length);
  let loss = 0;
  let correct = 0;
  for (const ex of examples) {
    meanEmbedding(m, ex.ids, h);
    logits(m, h, z);
    activate(m.kind, z);
    loss += lossAndGrad(m.kind, z, ex.label, dz);
    correct += correctness(m.kind, z, ex.label);
  }
  const n = Math.max(examples.length, 1);
  return { loss: loss / n, accuracy: correct / n };
}

interface BatchGrads {
  weight: Float64Array;
  bias: Float64Array;
  rows: Map<number, Float64Array>;
}

/** Accumulates one batch's gradients; returns the summed loss. */
function batchGradients(m: TextClassifier, batch: readonly Example[], g: BatchGrads): number {
  const d = m.dim;
  const h = new Float64Array(d);
  const z = new Float64Array(g.bias.length);
  const dz = new Float64Array(z.length);
  const dh = new Float64Array(d);
  let loss = 0;
  for (const ex of batch) {
    meanEmbedding(m, ex.ids, h);
    logits(m, h, z);
    activate(m.kind, z);
    loss += lossAndGrad(m.kind, z, ex.label, dz);
    dh.fill(0);
    for (let o = 0; o < z.length; o++) {
      const dzo = dz[o] as number;
      g.bias[o] = (g.bias[o] as number) + dzo;
      for (let j = 0; j < d; j++) {
        g.weight[o * d + j] = (g.weight[o * d + j] as number) + dzo * (h[j] as number);
        dh[j] = (dh[j] as number) + dzo * (m.weight[o * d + j] as number);
      }
    }
    const inv = 1 / Math.max(ex.ids.length, 1);
    for (const id of ex.ids) {
      let row = g.rows.get(id);
      if (row === undefined) g.rows.set(id, (row = new Float64Array(d)));
      for (let j = 0; j < d; j++) row[j] = (row[j] as number) + (dh[j] as number) * inv;
    }
  }
  return loss;
}

/** One Adam update of p[offset .. offset+grad.length) from the batch-mean gradient. */
function adamStep(
  p: Float32Array,
  mo: Float32Array,
  ve: Float32Array,
  offset: number,
  grad: Float64Array,
  scale: number,
  lrT: number,
): void {
  for (let j = 0; j < grad.length; j++) {
    const k = offset + j;
    const gj = (grad[j] as number) * scale;
    const m = BETA1 * (mo[k] as number) + (1 - BETA1) * gj;
    const v = BETA2 * (ve[k] as number) + (1 - BETA2) * gj * gj;
    mo[k] = m;
    ve[k] = v;
    p[k] = (p[k] as number) - (lrT * m) / (Math.sqrt(v) + EPS);
  }
}

function applyAdam(
  p: Params,
  s: Moments,
  g: BatchGrads,
  dim: number,
  batchSize: number,
  lr: number,
  t: number,
): void {
  const lrT = (lr * Math.sqrt(1 - BETA2 ** t)) / (1 - BETA1 ** t);
  const scale = 1 / batchSize;
  adamStep(p.weight, s.m.weight, s.v.weight, 0, g.weight, scale, lrT);
  adamStep(p.bias, s.m.bias, s.v.bias, 0, g.bias, scale, lrT);
  for (const [id, row] of g.rows)
    adamStep(p.embedding, s.m.embedding, s.v.embedding, id * dim, row, scale, lrT);
}

function checkInputs(train: readonly Example[], dev: readonly Example[], o: TrainOptions): void {
  if (train.length === 0 || dev.length === 0)
    throw new RangeError('train and dev sets must both be non-empty');
  if (o.kind === 'binary' ? o.labels.length !== 2 : o.labels.length < 2)
    throw new RangeError('binary needs exactly 2 labels, multiclass and multilabel at least 2');
  const isIndex = (k: number) => Number.isInteger(k) && k >= 0 && k < o.labels.length;
  for (const ex of [...train, ...dev]) {
    const multi = typeof ex.label !== 'number';
    if (multi !== (o.kind === 'multilabel'))
      throw new RangeError(
        `a ${o.kind} example needs ${multi ? 'one label index' : 'a list of label indices'}`,
      );
    const indices = typeof ex.label === 'number' ? [ex.label] : ex.label;
    for (const k of indices) if (!isIndex(k)) throw new RangeError(`label index ${k} out of range`);
    for (const id of ex.ids)
      if (id < 0 || id >= o.features.buckets)
        throw new RangeError(`feature id ${id} outside [0, ${o.features.buckets})`);
  }
}

/** Trains on `train`, early-stops on `dev` (held out by the caller), returns the best epoch's model. */
export function trainClassifier(
  train: readonly Example[],
  dev: readonly Example[],
  o: TrainOptions,
): TrainResult {
  checkInputs(train, dev, o);
  const dim = o.dim ?? 32;
  const epochs = o.epochs ?? 20;
  const batchSize = o.batchSize ?? 32;
  const lr = o.learningRate ?? 0.01;
  const patience = o.patience ?? 3;
  const random = seededRandom(o.seed ?? 1);
  const outputs = outputCount(o.kind, o.labels);
  const params = initParams(o.features.buckets, dim, outputs, random);
  const moments: Moments = { m: zerosLike(params), v: zerosLike(params) };
  const order = [...train];
  const history: EpochReport[] = [];
  let best = { loss: Infinity, epoch: 0, params: copyParams(params) };
  let step = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    shuffle(order, random);
    let trainLoss = 0;
    for (let b = 0; b < order.length; b += batchSize) {
      const batch = order.slice(b, b + batchSize);
      const g: BatchGrads = {
        weight: new Float64Array(outputs * dim),
        bias: new Float64Array(outputs),
        rows: new Map(),
      };
      trainLoss += batchGradients(asModel(o, dim, params), batch, g);
      applyAdam(params, moments, g, dim, batch.length, lr, ++step);
    }
    const devEval = evaluate(asModel(o, dim, params), dev);
    const report = {
      epoch,
      trainLoss: trainLoss / order.length,
      devLoss: devEval.loss,
      devAccuracy: devEval.accuracy,
    };
    history.push(report);
    o.onEpoch?.(report);
    if (o.earlyStopping === false) continue;
    if (devEval.loss < best.loss) best = { loss: devEval.loss, epoch, params: copyParams(params) };
    else if (epoch - best.epoch >= patience) break;
  }
  if (o.earlyStopping === false) return { model: asModel(o, dim, params), history, bestEpoch: epochs };
  return { model: asModel(o, dim, best.params), history, bestEpoch: best.epoch };
}
