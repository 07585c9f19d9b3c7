/**
 * Hugging Face ONNX model directories (an exported PromptGuard, ModernBERT, MiniLM…) run through
 * `@huggingface/transformers` (transformers.js, which uses onnxruntime-node in Node), local files only:
 *
 *   <dir>/config.json             model_type, id2label, problem_type
 *   <dir>/tokenizer.json          the fast-tokenizer file
 *   <dir>/tokenizer_config.json   model_max_length, special tokens
 *   <dir>/onnx/model.onnx         inputs input_ids, attention_mask (token_type_ids when the model has it);
 *                                 output `logits` [batch, labels] or `last_hidden_state` [batch, seq, dim]
 *
 * The files are checked up front so a missing one gets an error that names it. The directory is passed
 * to transformers.js as an absolute path, which it reads as a path and never as a Hub model id, and
 * every load passes `local_files_only: true`, so nothing is fetched.
 *
 * Global state: transformers.js keeps its settings in one module-global `env` object shared by every
 * user of the library in the process. Loading a model here sets `env.allowRemoteModels = false` and
 * `env.allowLocalModels = true` (the same values every time; agentwall never downloads models) and
 * touches nothing else; per-model settings (device, threads, dtype) go in the load options instead.
 */
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  AutoModel,
  AutoModelForSequenceClassification,
  AutoTokenizer,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type Tensor,
} from '@huggingface/transformers';
import { AgentwallError, ErrorCode } from '../core/errors.js';
import { reduceByOwner, validateChunk, windowsOf, type ChunkOptions } from './onnx-session.js';
import type { TextClassifier, TextEmbedder, TextScorer } from './scorer.js';

export const HF_REQUIRED_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/model.onnx',
];

interface HfCommonOptions {
  /** The model directory (absolute, or relative to the working directory). */
  readonly dir: string;
  readonly name: string;
  /** transformers.js device: `cpu` (default), `cuda`, `webgpu`; on failure the model loads on the CPU. */
  readonly device?: string;
  /** ORT intra-op threads (default 1, as the onnx backend). */
  readonly threads?: number;
}

export interface HfClassifierOptions extends HfCommonOptions {
  /** The label whose probability `score` returns; default: the second of two labels (`LABEL_1`). */
  readonly positiveLabel?: string;
  /** P(positive) ≥ threshold flags a text (default 0.5). */
  readonly threshold?: number;
  /** Windows for long texts, in characters (default 1024 with 128 overlap); `false` truncates. */
  readonly chunk?: ChunkOptions | false;
  /** Rows per model run (default 16). */
  readonly batchSize?: number;
}

/**
 * Both interfaces: `score` is P(positive), max over windows; `classify` is every label's probability,
 * the mean over windows (the max for multi-label models).
 */
export interface HfTextClassifier extends TextScorer, TextClassifier {
  readonly positiveLabel: string;
  /** The transformers.js device the model runs on. */
  readonly provider: string;
  readonly fallback: string | undefined;
}

export interface HfEmbedderOptions extends HfCommonOptions {
  /** `mean` over the attention mask (sentence-transformers' default) or the first token (`cls`). */
  readonly pooling: 'mean' | 'cls';
}

export interface HfTextEmbedder extends TextEmbedder {
  readonly provider: string;
  readonly fallback: string | undefined;
}

const DEFAULT_HF_CHUNK: ChunkOptions = Object.freeze({ size: 1024, overlap: 128 });

function loadError(dir: string, message: string, cause?: unknown): AgentwallError {
  return new AgentwallError(ErrorCode.MODEL_LOAD, `hf model ${dir}: ${message}`, { cause, data: { dir } });
}

/** Resolves the directory and checks the files transformers.js will read. */
export async function checkHfDir(dir: string): Promise<string> {
  const abs = resolve(dir);
  for (const file of HF_REQUIRED_FILES) {
    try {
      await access(join(abs, file));
    } catch (err) {
      throw loadError(abs, `missing ${file}`, err);
    }
  }
  return abs;
}

interface Loaded<M> {
  model: M;
  tokenizer: PreTrainedTokenizer;
  provider: string;
  fallback: string | undefined;
}

async function load(
  o: HfCommonOptions,
  from: (dir: string, options: Record<string, unknown>) => Promise<PreTrainedModel>,
): Promise<Loaded<PreTrainedModel>> {
  const dir = await checkHfDir(o.dir);
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  const options = (device: string) => ({
    local_files_only: true,
    dtype: 'fp32',
    device,
    session_options: { intraOpNumThreads: o.threads ?? 1 },
  });
  try {
    const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    const device = o.device ?? 'cpu';
    try {
      return { model: await from(dir, options(device)), tokenizer, provider: device, fallback: undefined };
    } catch (err) {
      if (device === 'cpu') throw err;
      const fallback = `device ${device} failed: ${(err as Error).message}`;
      return { model: await from(dir, options('cpu')), tokenizer, provider: 'cpu', fallback };
    }
  } catch (err) {
    throw loadError(dir, (err as Error).message, err);
  }
}

/** id2label in index order; without one, `LABEL_i` for `num_labels` (default 2), as 🤗 Transformers. */
function labelsOf(model: PreTrainedModel): string[] {
  const config = model.config as { id2label?: Record<string, string>; num_labels?: number };
  const id2label = config.id2label ?? {};
  if (Object.keys(id2label).length === 0) {
    return Array.from({ length: config.num_labels ?? 2 }, (_, i) => `LABEL_${i}`);
  }
  const ids = Object.keys(id2label)
    .map(Number)
    .sort((a, b) => a - b);
  return ids.map((i, k) => {
    if (i !== k) throw new Error(`config.json id2label is not 0..${ids.length - 1}`);
    return id2label[String(i)] as string;
  });
}

function positiveIndex(labels: readonly string[], wanted: string | undefined): number {
  if (wanted === undefined) {
    if (labels.length === 2) return 1;
    throw new Error(`${labels.length} labels (${labels.join(', ')}); set positive_label`);
  }
  const exact = labels.indexOf(wanted);
  if (exact !== -1) return exact;
  const folded = labels.flatMap((l, i) => (l.toLowerCase() === wanted.toLowerCase() ? [i] : []));
  if (folded.length === 1) return folded[0] as number;
  throw new Error(`positive_label ${JSON.stringify(wanted)} is not one of ${labels.join(', ')}`);
}

/** Softmax per row, or sigmoid per logit for multi-label and single-logit models (as transformers.js). */
function activate(logits: Float32Array, k: number, sigmoid: boolean): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length; r += k) {
    if (sigmoid) {
      for (let j = 0; j < k; j++) out[r + j] = 1 / (1 + Math.exp(-(logits[r + j] as number)));
      continue;
    }
    let top = -Infinity;
    for (let j = 0; j < k; j++) top = Math.max(top, logits[r + j] as number);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += out[r + j] = Math.exp((logits[r + j] as number) - top);
    for (let j = 0; j < k; j++) out[r + j] = (out[r + j] as number) / sum;
  }
  return out;
}

export async function createHfClassifier(o: HfClassifierOptions): Promise<HfTextClassifier> {
  const chunk = o.chunk === false ? false : validateChunk(o.chunk ?? DEFAULT_HF_CHUNK);
  const batchSize = o.batchSize ?? 16;
  const { model, tokenizer, provider, fallback } = await load(o, (d, opts) =>
    AutoModelForSequenceClassification.from_pretrained(d, opts),
  );
  let labels: string[];
  let positive: number;
  try {
    labels = labelsOf(model);
    positive = positiveIndex(labels, o.positiveLabel);
  } catch (err) {
    await model.dispose();
    throw loadError(resolve(o.dir), (err as Error).message, err);
  }
  const k = labels.length;
  const sigmoid =
    k === 1 || (model.config as { problem_type?: string }).problem_type === 'multi_label_classification';

  /** Probabilities for every window of every text; `owner[r]` is row r's text. */
  async function rows(texts: readonly string[]): Promise<{ probs: Float32Array; owner: number[] }> {
    const { inputs, owner } = windowsOf(texts, chunk);
    const probs = new Float32Array(inputs.length * k);
    for (let from = 0; from < inputs.length; from += batchSize) {
      const batch = inputs.slice(from, from + batchSize);
      const encoded = tokenizer(batch, { padding: true, truncation: true });
      const out = (await model(encoded)) as { logits?: Tensor };
      if (out.logits === undefined) throw new Error(`${o.name}: the model has no "logits" output`);
      if (out.logits.dims[1] !== k) {
        throw new Error(`${o.name}: logits have ${String(out.logits.dims[1])} columns for ${k} labels`);
      }
      probs.set(activate(out.logits.data as Float32Array, k, sigmoid), from * k);
    }
    return { probs, owner };
  }

  return {
    name: o.name,
    labels,
    positiveLabel: labels[positive] as string,
    threshold: o.threshold ?? 0.5,
    provider,
    fallback,
    async score(texts) {
      if (texts.length === 0) return [];
      const { probs, owner } = await rows(texts);
      const p = Float32Array.from(owner, (_, r) => probs[r * k + positive] as number);
      return reduceByOwner(p, 1, owner, texts.length, 'max').map((row) => row[0] as number);
    },
    async classify(texts) {
      if (texts.length === 0) return [];
      const { probs, owner } = await rows(texts);
      // A multi-label model's labels are independent: one applies if it applies in some window.
      return reduceByOwner(probs, k, owner, texts.length, sigmoid ? 'max' : 'mean');
    },
    async close() {
      await model.dispose();
    },
  };
}

/** Mean over the attention mask, or the first token; then L2-normalised. */
function pool(hidden: Tensor, mask: Tensor, pooling: 'mean' | 'cls'): Float32Array[] {
  const [n, len, dim] = hidden.dims as [number, number, number];
  const h = hidden.data as Float32Array;
  const m = mask.data as BigInt64Array;
  const out: Float32Array[] = [];
  for (let r = 0; r < n; r++) {
    const v = new Float32Array(dim);
    if (pooling === 'cls') v.set(h.subarray(r * len * dim, r * len * dim + dim));
    else {
      let count = 0;
      for (let t = 0; t < len; t++) {
        if (m[r * len + t] === 0n) continue;
        count++;
        const base = (r * len + t) * dim;
        for (let d = 0; d < dim; d++) v[d] = (v[d] as number) + (h[base + d] as number);
      }
      for (let d = 0; d < dim; d++) v[d] = (v[d] as number) / Math.max(count, 1);
    }
    const norm = Math.hypot(...v);
    out.push(norm > 0 ? v.map((x) => x / norm) : v);
  }
  return out;
}

/** Sentence embeddings from `last_hidden_state`; texts longer than the model's context are truncated. */
export async function createHfEmbedder(o: HfEmbedderOptions): Promise<HfTextEmbedder> {
  const { model, tokenizer, provider, fallback } = await load(o, (d, opts) =>
    AutoModel.from_pretrained(d, opts),
  );
  const dim = (model.config as { hidden_size?: number }).hidden_size;
  async function embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const encoded = tokenizer([...texts], { padding: true, truncation: true }) as { attention_mask: Tensor };
    const out = (await model(encoded)) as { last_hidden_state?: Tensor };
    if (out.last_hidden_state === undefined)
      throw new Error(`${o.name}: the model has no "last_hidden_state"`);
    return pool(out.last_hidden_state, encoded.attention_mask, o.pooling);
  }
  // config.json's hidden_size is the usual source of `dim`; a model without it is asked once.
  const probed = dim ?? ((await embed(['dimension probe']))[0] as Float32Array).length;
  return {
    name: o.name,
    dim: probed,
    provider,
    fallback,
    embed,
    async close() {
      await model.dispose();
    },
  };
}
