import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benignPool } from './benign-pool.js';
import { readRows, splitByGroup, type DataRow } from './data.js';
import { binaryReport, multiClassReport, type BinaryReport } from './evaluate.js';
import { atThreshold, thresholdForFpr } from './metrics.js';
import { exportOnnx } from './onnx-export.js';
import { createOnnxScorer } from './onnx-session.js';
import { SHIPPED_DIM, SHIPPED_FEATURES, TASK_SPECS, type TaskName } from './tasks.js';
import type { EpochReport } from './train.js';
import { trainTask } from './train-task.js';

export interface BuildOptions {
  /** The task's data directory (holding train.jsonl), e.g. ../shared/data/injection. */
  readonly dataDir: string;
  readonly seed?: number;
  readonly devShare?: number;
  /** A benign pool to calibrate on (installed packages' docs); absent: dev benign rows only. */
  readonly poolRoot?: string | undefined;
  readonly onEpoch?: (r: EpochReport) => void;
}

/** The model card written beside each shipped model (`models/<task>.card.json`). */
export interface ModelCard {
  readonly task: TaskName;
  readonly version: 1;
  readonly created: string;
  readonly labels: readonly string[];
  readonly features: { readonly buckets: number; readonly minN: number; readonly maxN: number };
  readonly dim: number;
  readonly data: readonly { file: string; sha256: string; rows: number }[];
  readonly split: { method: string; dev_share: number; seed: number; train_rows: number; dev_rows: number };
  readonly training: {
    best_epoch: number;
    epochs_run: number;
    seed: number;
    max_epochs: number;
    learning_rate: number;
    optimiser: string;
  };
  /** Binary tasks: P(positive) at or above this flags the text. */
  readonly threshold?: number;
  readonly calibration?: Record<string, unknown>;
  readonly dev_metrics: BinaryReport | ReturnType<typeof multiClassReport>;
  readonly onnx: { bytes: number; sha256: string };
}

/** Trains one task from its data, scores dev through ONNX Runtime, calibrates, and writes the card. */
export async function buildModel(
  task: TaskName,
  o: BuildOptions,
): Promise<{ onnx: Uint8Array; card: ModelCard }> {
  const spec = TASK_SPECS[task];
  const file = join(o.dataDir, 'train.jsonl');
  const rows = await readRows(file);
  const seed = o.seed ?? 1;
  const devShare = o.devShare ?? 0.2;
  const { train, dev } = splitByGroup(rows, devShare, seed);
  const labels =
    spec.labels === 'from-data' ? [...new Set(rows.map((r) => r.label))].sort() : [...spec.labels];
  const result = trainTask(train, dev, {
    labels,
    features: SHIPPED_FEATURES,
    dim: SHIPPED_DIM,
    seed,
    epochs: 12,
    learningRate: 0.003,
    ...(o.onEpoch ? { onEpoch: o.onEpoch } : {}),
  });
  const onnx = exportOnnx(result.model);
  const scorer = await createOnnxScorer({ model: onnx, features: SHIPPED_FEATURES });
  try {
    const devScores = await scoreAll(
      scorer,
      dev.map((r) => r.text),
    );
    const base = {
      task,
      version: 1 as const,
      created: new Date().toISOString(),
      labels,
      features: { ...SHIPPED_FEATURES },
      dim: SHIPPED_DIM,
      data: [{ file: `${task}/train.jsonl`, sha256: sha256(readFileSync(file)), rows: rows.length }],
      split: {
        method: 'by source family and template (src/ml/data.ts groupOf)',
        dev_share: devShare,
        seed,
        train_rows: train.length,
        dev_rows: dev.length,
      },
      training: {
        best_epoch: result.bestEpoch,
        epochs_run: result.history.length,
        seed,
        max_epochs: 12,
        learning_rate: 0.003,
        optimiser: 'Adam (lazy on the embedding), batch 32, early stopping on dev loss (patience 3)',
      },
      onnx: { bytes: onnx.length, sha256: sha256(onnx) },
    };
    if (spec.labels === 'from-data') {
      return { onnx, card: { ...base, dev_metrics: multiClassReport(dev, devScores, labels) } };
    }
    const positive = spec.labels[1];
    const p = devScores.map((s) => s[0] ?? 0);
    const { threshold, calibration } = await calibrate(
      dev,
      p,
      positive,
      spec.maxFpr ?? 0.01,
      // Only tasks that score tool outputs calibrate on the pool of package docs (a tool-output stand-in).
      spec.calibrateOnPool ? o.poolRoot : undefined,
      scorer,
    );
    return {
      onnx,
      card: { ...base, threshold, calibration, dev_metrics: binaryReport(dev, p, positive, threshold) },
    };
  } finally {
    await scorer.close();
  }
}

/**
 * The operating threshold: the lowest one that keeps the false-positive rate within `maxFpr` on the
 * dev split's benign rows (tool outputs where the data has channels) and, where given, on a large
 * pool of benign tool-output-like text. The stricter of the two is taken.
 */
async function calibrate(
  dev: readonly DataRow[],
  p: readonly number[],
  positive: string,
  maxFpr: number,
  poolRoot: string | undefined,
  scorer: { score(texts: readonly string[]): Promise<Float32Array[]> },
) {
  const benign = dev.map((r, i) => ({ r, s: p[i] ?? 0 })).filter(({ r }) => r.label !== positive);
  const toolOutputs = benign.filter(({ r }) => r.channel === 'tool_output');
  const devNeg = (toolOutputs.length > 0 ? toolOutputs : benign).map(({ s }) => s);
  let threshold = thresholdForFpr(devNeg, maxFpr);
  const calibration: Record<string, unknown> = {
    max_fpr: maxFpr,
    dev_benign: { rows: devNeg.length, channel: toolOutputs.length > 0 ? 'tool_output' : 'all', threshold },
  };
  if (poolRoot !== undefined) {
    const pool = benignPool(poolRoot);
    const poolScores = (await scoreAll(scorer, pool.texts)).map((s) => s[0] ?? 0);
    const poolThreshold = thresholdForFpr(poolScores, maxFpr);
    threshold = Math.max(threshold, poolThreshold);
    const fprAt = atThreshold(
      poolScores.map((score) => ({ score, positive: false })),
      threshold,
    ).fpr;
    calibration.benign_pool = {
      what: 'READMEs, docs and sources of installed npm packages (node_modules), 4 KB chunks; pino and fastify left out (their docs are in the training data)',
      files: pool.files,
      chunks: pool.texts.length,
      threshold: poolThreshold,
      fpr_at_operating_threshold: fprAt,
    };
  }
  return { threshold, calibration };
}

async function scoreAll(
  scorer: { score(texts: readonly string[]): Promise<Float32Array[]> },
  texts: readonly string[],
) {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += 256) out.push(...(await scorer.score(texts.slice(i, i + 256))));
  return out;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
