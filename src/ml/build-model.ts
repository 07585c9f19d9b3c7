import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benignPool, poolSnippets } from './benign-pool.js';
import { readCapabilityData, type CapabilityCardCore, type CapabilityItem } from './capability.js';
import { addTrainingRows, readRows, splitByGroup, type DataRow } from './data.js';
import {
  bestF1Threshold,
  binaryReport,
  groupFolds,
  multiClassReport,
  multiLabelReport,
  type BinaryReport,
  type MultiLabelReport,
} from './evaluate.js';
import { createFeaturiser, normaliseText } from './features.js';
import { forward, type TextClassifier } from './model.js';
import { modelsDir } from './model-files.js';
import { thresholdForFpr } from './metrics.js';
import { exportOnnx } from './onnx-export.js';
import { createOnnxScorer } from './onnx-session.js';
import {
  CAPABILITY_DIM,
  CAPABILITY_FEATURES,
  CAPABILITY_LABELS,
  SHIPPED_DIM,
  SHIPPED_FEATURES,
  TASK_SPECS,
  type TaskName,
} from './tasks.js';
import type { EpochReport } from './train.js';
import { trainTask } from './train-task.js';

export interface BuildOptions {
  /** The task's data directory (holding train.jsonl), e.g. ../shared/data/injection. */
  readonly dataDir: string;
  readonly seed?: number;
  readonly devShare?: number;
  /**
   * Installed npm packages (normally the repository's `node_modules`), split by package: one half
   * adds benign training rows, the other calibrates the threshold (`src/ml/benign-pool.ts`). Absent:
   * neither; the threshold then comes from the dev benign rows only.
   */
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
  /** Rows added to the training side only (binary tasks with `trainingAdditions`). */
  readonly training_additions?: Record<string, unknown>;
  readonly training: {
    best_epoch: number;
    epochs_run: number;
    seed: number;
    max_epochs: number;
    learning_rate: number;
    optimiser: string;
    rows: number;
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
  if (spec.kind === 'multilabel') throw new RangeError(`${task} is built by buildCapabilityModel`);
  const file = join(o.dataDir, 'train.jsonl');
  const rows = await readRows(file);
  const seed = o.seed ?? 1;
  const devShare = o.devShare ?? 0.2;
  const split = splitByGroup(rows, devShare, seed);
  const { dev } = split;
  const labels =
    spec.kind === 'multiclass' ? [...new Set(rows.map((r) => r.label))].sort() : [...spec.labels];
  // Added rows join the training side only: dev stays the data's own held-out groups.
  const added =
    spec.kind === 'binary' && spec.trainingAdditions
      ? addTrainingRows(split.train, spec.trainingAdditions, {
          negative: spec.labels[0],
          positive: spec.labels[1],
          poolRoot: o.poolRoot,
          seed,
        })
      : undefined;
  const train = added?.rows ?? split.train;
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
  // The runtime's scorer with its defaults (chunked long texts, max over windows), so the threshold
  // is calibrated on the scores production computes.
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
        train_rows: split.train.length,
        dev_rows: dev.length,
      },
      ...(added ? { training_additions: added.card } : {}),
      training: {
        best_epoch: result.bestEpoch,
        epochs_run: result.history.length,
        seed,
        max_epochs: 12,
        learning_rate: 0.003,
        optimiser: 'Adam (lazy on the embedding), batch 32, early stopping on dev loss (patience 3)',
        rows: train.length,
      },
      onnx: { bytes: onnx.length, sha256: sha256(onnx) },
    };
    if (spec.kind === 'multiclass') {
      return { onnx, card: { ...base, dev_metrics: multiClassReport(dev, devScores, labels) } };
    }
    const positive = spec.labels[1];
    const p = devScores.map((s) => s[0] ?? 0);
    const { threshold, calibration } = calibrateOnDev(dev, p, positive, spec.maxFpr);
    // Only tasks that score tool outputs calibrate on the pool of package text (a tool-output stand-in).
    if (spec.calibrateOnPool && o.poolRoot !== undefined) {
      const trained = new Set(train.map((r) => normaliseText(r.text)));
      const pool = await calibrateOnPool(o.poolRoot, trained, threshold, spec.maxFpr, seed, scorer);
      return {
        onnx,
        card: {
          ...base,
          threshold: pool.threshold,
          calibration: { ...calibration, ...pool.calibration },
          dev_metrics: binaryReport(dev, p, positive, pool.threshold),
        },
      };
    }
    return {
      onnx,
      card: { ...base, threshold, calibration, dev_metrics: binaryReport(dev, p, positive, threshold) },
    };
  } finally {
    await scorer.close();
  }
}

/**
 * The dev threshold: the lowest one that keeps the false-positive rate within `maxFpr` on the dev
 * split's benign rows (tool outputs where the data has channels).
 */
function calibrateOnDev(dev: readonly DataRow[], p: readonly number[], positive: string, maxFpr: number) {
  const benign = dev.map((r, i) => ({ r, s: p[i] ?? 0 })).filter(({ r }) => r.label !== positive);
  const toolOutputs = benign.filter(({ r }) => r.channel === 'tool_output');
  const devNeg = (toolOutputs.length > 0 ? toolOutputs : benign).map(({ s }) => s);
  const threshold = thresholdForFpr(devNeg, maxFpr);
  const calibration = {
    max_fpr: maxFpr,
    dev_benign: { rows: devNeg.length, channel: toolOutputs.length > 0 ? 'tool_output' : 'all', threshold },
  };
  return { threshold, calibration };
}

/** Texts of the pool's calibration half drawn per kind; `line` calibrates, the rest are reported. */
const POOL_CALIBRATION = { line: 5000, sentence: 1000, paragraph: 500, json: 1000, message: 1000 } as const;
const REPORTED_KINDS = ['sentence', 'paragraph', 'json', 'message'] as const;

/**
 * The operating threshold over the pool's `calibration` half (packages never trained on): the
 * stricter of `devThreshold`, the 1 % threshold on long 4 KB chunks and the one on short lines
 * (2–80 characters), so the false-positive budget covers short tool outputs too. Lines equal to a
 * training text (after normalisation) are left out. Sentences, paragraphs, JSON results and source
 * string messages are scored and their false-positive rate reported, not calibrated on.
 */
async function calibrateOnPool(
  root: string,
  trained: ReadonlySet<string>,
  devThreshold: number,
  maxFpr: number,
  seed: number,
  scorer: Scorer,
) {
  const long = benignPool(root, { half: 'calibration', seed });
  const short = poolSnippets(root, { half: 'calibration', seed, counts: POOL_CALIBRATION, exclude: trained });
  const longScores = await scoreTexts(scorer, long.texts);
  const shortScores = await scoreTexts(
    scorer,
    short.snippets.map((s) => s.text),
  );
  const byKind = new Map<string, number[]>();
  short.snippets.forEach((s, i) => {
    const list = byKind.get(s.kind) ?? [];
    list.push(shortScores[i] ?? 0);
    byKind.set(s.kind, list);
  });
  const lines = byKind.get('line') ?? [];
  const longThreshold = thresholdForFpr(longScores, maxFpr);
  const lineThreshold = thresholdForFpr(lines, maxFpr);
  const threshold = Math.max(devThreshold, longThreshold, lineThreshold);
  const fpr = (scores: readonly number[]) =>
    scores.filter((s) => s >= threshold).length / Math.max(1, scores.length);
  const calibration = {
    benign_pool: {
      what: 'the calibration half of the installed npm packages (node_modules): packages whose name hashes to the other half than the training augmentation (src/ml/benign-pool.ts halfOf); pino, fastify and @pinojs left out (their docs are in the training data)',
      packages: long.packages,
      long: {
        what: 'READMEs, docs and sources in 4 KB chunks (≥ 200 characters), 3,000 files chosen evenly',
        files: long.files,
        chunks: long.texts.length,
        threshold: longThreshold,
        fpr_at_operating_threshold: fpr(longScores),
      },
      short: {
        what: 'single lines of 2–80 characters (docs lines, one in twenty code lines, package.json name/version/description/licence/author), drawn as for training, none equal (normalised) to a training text',
        rows: lines.length,
        candidates: short.candidates.line,
        threshold: lineThreshold,
        fpr_at_operating_threshold: fpr(lines),
      },
      reported_only: Object.fromEntries(
        REPORTED_KINDS.map((k) => {
          const s = byKind.get(k) ?? [];
          return [
            k,
            {
              rows: s.length,
              fpr_at_operating_threshold: fpr(s),
              threshold_at_max_fpr: thresholdForFpr(s, maxFpr),
            },
          ];
        }),
      ),
    },
  };
  return { threshold, calibration };
}

type Scorer = { score(texts: readonly string[]): Promise<Float32Array[]> };

async function scoreTexts(scorer: Scorer, texts: readonly string[]): Promise<number[]> {
  return (await scoreAll(scorer, texts)).map((s) => s[0] ?? 0);
}

async function scoreAll(scorer: Scorer, texts: readonly string[]) {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += 256) out.push(...(await scorer.score(texts.slice(i, i + 256))));
  return out;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface CapabilityBuildOptions {
  /** The data root (holding injection/train.jsonl and agent/cases.jsonl) or the injection folder. */
  readonly dataDir: string;
  /** `models/capability.labels.jsonl` by default. */
  readonly labelsFile?: string;
  readonly seed?: number;
  readonly onEpoch?: (r: EpochReport) => void;
}

/** `models/capability.card.json`. */
export interface CapabilityCard extends CapabilityCardCore {
  readonly version: 1;
  readonly created: string;
  readonly dim: number;
  readonly data: readonly { file: string; sha256: string; rows: number; tools_described: number }[];
  readonly labels_file: { file: string; sha256: string; tools: number; label_counts: Record<string, number> };
  readonly labelling: string;
  readonly text: string;
  readonly split: CapabilitySplit;
  readonly training: Record<string, unknown>;
  readonly threshold_method: string;
  readonly annotations: string;
  readonly agent_cases?: { file: string; tools: number; labelled: number; note: string };
  readonly dev_metrics: MultiLabelReport;
  readonly onnx: { bytes: number; sha256: string; max_abs_diff_vs_typescript: number };
}

interface CapabilitySplit {
  method: string;
  folds: number;
  seed: number;
  toolkits: number;
  tools: number;
  fold_tools: number[];
}

const CV_FOLDS = 5;
const CAP_MAX_EPOCHS = 100;
const CAP_LEARNING_RATE = 0.01;

/**
 * Trains the capability classifier: 5-fold cross-validation grouped by toolkit estimates the metrics
 * (per fold: train on 3 folds, early-stop and pick per-label thresholds on the 4th, score the 5th),
 * then the shipped model is refitted on every labelled tool for the median best epoch, with the
 * median per-label thresholds. Tools of one toolkit share names and wording, so a row split would
 * flatter every number.
 */
export async function buildCapabilityModel(
  o: CapabilityBuildOptions,
): Promise<{ onnx: Uint8Array; card: CapabilityCard }> {
  const seed = o.seed ?? 1;
  const data = await readCapabilityData(
    o.dataDir,
    o.labelsFile ?? join(modelsDir(), 'capability.labels.jsonl'),
  );
  const { items } = data;
  const cv = crossValidate(items, seed);
  const thresholds = CAPABILITY_LABELS.map((_, j) => median(cv.perFold.map((t) => t[j] ?? 0.5)));
  const epochs = Math.max(1, Math.round(median(cv.bestEpochs)));
  const final = trainTask(items, items, {
    ...capabilityTraining(seed),
    epochs,
    earlyStopping: false,
    ...(o.onEpoch ? { onEpoch: o.onEpoch } : {}),
  });
  const onnx = exportOnnx(final.model);
  const maxDiff = await onnxParity(
    onnx,
    final.model,
    items.map((it) => it.text),
  );
  const labels = [...CAPABILITY_LABELS];
  const card: CapabilityCard = {
    task: 'capability',
    version: 1,
    created: new Date().toISOString(),
    labels,
    features: { ...CAPABILITY_FEATURES },
    dim: CAPABILITY_DIM,
    thresholds: Object.fromEntries(labels.map((l, j) => [l, thresholds[j] as number])),
    data: [data.source],
    labels_file: data.labelsFile,
    labelling: LABELLING,
    text: 'toolText() in src/ml/capability.ts: the name split at camelCase/snake_case (twice), the description, and the input property names (split); chosen among 5 variants by cross-validated micro F1',
    split: cv.split,
    training: {
      refit: 'shipped model trained on every labelled tool for the median cross-validated best epoch',
      epochs,
      cv_best_epochs: cv.bestEpochs,
      max_epochs: CAP_MAX_EPOCHS,
      learning_rate: CAP_LEARNING_RATE,
      seed,
      loss: 'binary cross-entropy summed over the labels (one sigmoid per label)',
      optimiser: 'Adam (lazy on the embedding), batch 32',
    },
    threshold_method:
      'per label, the best-F1 threshold on the tuning fold (0.5 when that fold has no positive); shipped: the median over the folds. dev_metrics decide each tool with its own fold’s thresholds.',
    annotations: ANNOTATIONS,
    ...(data.agentCases ? { agent_cases: data.agentCases } : {}),
    dev_metrics: multiLabelReport(
      items.map((it) => it.label),
      cv.scores,
      labels,
      cv.thresholds,
      thresholds,
    ),
    onnx: { bytes: onnx.length, sha256: sha256(onnx), max_abs_diff_vs_typescript: maxDiff },
  };
  return { onnx, card };
}

function capabilityTraining(seed: number) {
  return {
    labels: [...CAPABILITY_LABELS],
    multiLabel: true,
    features: CAPABILITY_FEATURES,
    dim: CAPABILITY_DIM,
    seed,
    learningRate: CAP_LEARNING_RATE,
  };
}

/**
 * Out-of-fold scores for every item, each from a model that saw none of its toolkit, with the
 * thresholds its fold picked; plus every fold's thresholds and best epoch.
 */
function crossValidate(items: readonly CapabilityItem[], seed: number) {
  const labels = CAPABILITY_LABELS;
  const sizes = new Map<string, number>();
  for (const it of items) sizes.set(it.toolkit, (sizes.get(it.toolkit) ?? 0) + 1);
  const fold = groupFolds(sizes, CV_FOLDS, seed);
  const foldOf = (it: CapabilityItem) => fold.get(it.toolkit) as number;
  const part = (p: (k: number) => boolean) => items.filter((it) => p(foldOf(it)));
  const scores = new Array<Float64Array>(items.length);
  const thresholds = new Array<number[]>(items.length);
  const perFold: number[][] = [];
  const bestEpochs: number[] = [];
  const featuriser = createFeaturiser(CAPABILITY_FEATURES);
  for (let f = 0; f < CV_FOLDS; f++) {
    const tune = (f + 1) % CV_FOLDS;
    const tuneSet = part((k) => k === tune);
    const r = trainTask(
      part((k) => k !== f && k !== tune),
      tuneSet,
      { ...capabilityTraining(seed), epochs: CAP_MAX_EPOCHS },
    );
    bestEpochs.push(r.bestEpoch);
    const score = (it: CapabilityItem) => forward(r.model, featuriser.featurise(it.text));
    const tuneScores = tuneSet.map(score);
    const t = labels.map((l, j) =>
      bestF1Threshold(
        tuneSet.map((it, i) => ({ score: tuneScores[i]?.[j] ?? 0, positive: it.label.includes(l) })),
      ),
    );
    perFold.push(t);
    items.forEach((it, i) => {
      if (foldOf(it) !== f) return;
      scores[i] = score(it);
      thresholds[i] = t;
    });
  }
  const split: CapabilitySplit = {
    method: `${CV_FOLDS}-fold cross-validation grouped by toolkit (a toolkit's tools are all in one fold); per fold, train on 3 folds, early-stop and pick thresholds on the next fold, score the held-out fold`,
    folds: CV_FOLDS,
    seed,
    toolkits: sizes.size,
    tools: items.length,
    fold_tools: Array.from({ length: CV_FOLDS }, (_, f) => part((k) => k === f).length),
  };
  return { scores, thresholds, perFold, bestEpochs, split };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Scores texts through ONNX Runtime and returns the largest difference from the TypeScript forward pass. */
async function onnxParity(
  onnx: Uint8Array,
  model: TextClassifier,
  texts: readonly string[],
): Promise<number> {
  const scorer = await createOnnxScorer({ model: onnx, features: model.features });
  try {
    const got = await scoreAll(scorer, texts);
    const featuriser = createFeaturiser(model.features);
    let max = 0;
    texts.forEach((t, i) => {
      const want = forward(model, featuriser.featurise(t));
      want.forEach((w, j) => (max = Math.max(max, Math.abs(w - (got[i]?.[j] ?? NaN)))));
    });
    if (!(max < 1e-4)) throw new Error(`ONNX scores differ from the TypeScript forward pass by ${max}`);
    return max;
  } finally {
    await scorer.close();
  }
}

const LABELLING =
  'Written for this project, one line per tool in models/capability.labels.jsonl. A verb lexicon over the split name (and, for send_external/financial/credential/execute, the description) proposed labels (Get/Search/Read/List/View/Retrieve→read; Create/Update/Add/Set/Post/Send/…→write; Delete/Remove/Cancel/Revoke→destructive; Send/Email/Share/Post/Reply/Invitations→send_external; Bank/Pay/Transfer/Trade/Order/Money/Balance→financial; Password/Token/Key/Factor/Code/Private→credential; Execute/Run/Terminal/Shell/Command/Contract→execute); every tool was then reviewed by hand and 63 of 251 changed (the "why" field says why). Definitions: read = returns data it was not given; write = changes state anywhere (records, devices, messages); destructive = deletes or irreversibly cancels/revokes; send_external = delivers content to someone other than the user; financial = moves money, trades, or reads financial accounts/payment data; credential = reads, creates, shares or changes a secret or authentication factor; execute = runs code or commands.';

const ANNOTATIONS =
  'src/ml/capability.ts applyAnnotations: readOnlyHint true → read = 1 and (trusted) write = destructive = 0; readOnlyHint false → write = 1; destructiveHint true (not read-only) → destructive = write = 1; openWorldHint true → openWorld, and send_external = 1 when write is flagged; openWorldHint false (trusted) → send_external = 0. With trustAnnotations false, hints only raise probabilities.';
