/**
 * The default text embedding: a fixed random projection of the hashed n-gram bag, shipped as
 * `models/embedding.onnx`. Deterministic, offline, nothing learned. Each feature id picks a row of
 * a seeded ±1 table; the rows are averaged with the bag's counts and the result is L2-normalised, so
 * the cosine of two embeddings approximates the cosine of the two texts' hashed n-gram count vectors
 * (a Johnson–Lindenstrauss projection). It measures lexical overlap, not meaning: it is the baseline
 * a real sentence-embedding model (the `hf` backend) replaces.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { AgentwallError, ErrorCode } from '../core/errors.js';
import { createBagger } from './bag.js';
import { createFeaturiser, type FeaturiserOptions } from './features.js';
import { modelsDir } from './model-files.js';
import { exportEmbeddingOnnx } from './onnx-export.js';
import { buildBatch } from './onnx-session.js';
import { seededRandom } from './prng.js';
import type { TextEmbedder } from './scorer.js';

/** 2^15 buckets × 256 dims of int8 = 8.4 MB (float32 would allow only 2^13 buckets in 10 MB). */
export const EMBEDDING_FEATURES: FeaturiserOptions = Object.freeze({ buckets: 1 << 15, minN: 3, maxN: 5 });
export const EMBEDDING_DIM = 256;
export const EMBEDDING_SEED = 1;

export interface EmbeddingSpec {
  readonly features: FeaturiserOptions;
  readonly dim: number;
  readonly seed: number;
}

export const DEFAULT_EMBEDDING: EmbeddingSpec = Object.freeze({
  features: EMBEDDING_FEATURES,
  dim: EMBEDDING_DIM,
  seed: EMBEDDING_SEED,
});

/**
 * The [buckets, dim] table of ±1, row-major: mulberry32 seeded with `seed`, each draw's 32 bits used
 * low bit first (bit 1 → +1, bit 0 → −1).
 */
export function projectionTable(buckets: number, dim: number, seed: number): Int8Array {
  const table = new Int8Array(buckets * dim);
  const random = seededRandom(seed);
  for (let i = 0; i < table.length; i += 32) {
    const bits = Math.floor(random() * 0x1_0000_0000);
    const n = Math.min(32, table.length - i);
    for (let b = 0; b < n; b++) table[i + b] = (bits >>> b) & 1 ? 1 : -1;
  }
  return table;
}

/** The reference forward pass (what the ONNX graph computes): Σ rows of ids, L2-normalised. */
export function embedIds(table: Int8Array, dim: number, ids: ArrayLike<number>): Float32Array {
  const sum = new Float64Array(dim);
  for (let k = 0; k < ids.length; k++) {
    const row = (ids[k] as number) * dim;
    for (let j = 0; j < dim; j++) sum[j] = (sum[j] as number) + (table[row + j] as number);
  }
  let norm = 0;
  for (const v of sum) norm += v * v;
  const inv = 1 / Math.max(Math.sqrt(norm), 1e-12);
  return Float32Array.from(sum, (v) => v * inv);
}

/** Cosine of two vectors (the dot product when both are unit length); 0 when either is zero. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let [dot, na, nb] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i] as number, b[i] as number];
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** `models/embedding.card.json`. */
export interface EmbeddingCard {
  readonly task: 'embedding';
  readonly version: 1;
  readonly created: string;
  readonly kind: string;
  readonly features: FeaturiserOptions;
  readonly dim: number;
  readonly table: { readonly values: string; readonly seed: number; readonly prng: string };
  readonly what: string;
  readonly onnx: { readonly bytes: number; readonly sha256: string };
}

/** Builds the ONNX model and its card; the same spec always gives the same bytes. */
export function buildEmbeddingModel(spec: EmbeddingSpec = DEFAULT_EMBEDDING): {
  onnx: Uint8Array;
  card: EmbeddingCard;
} {
  const table = projectionTable(spec.features.buckets, spec.dim, spec.seed);
  const onnx = exportEmbeddingOnnx({
    features: spec.features,
    dim: spec.dim,
    table,
    meta: { seed: spec.seed },
  });
  return {
    onnx,
    card: {
      task: 'embedding',
      version: 1,
      created: new Date().toISOString(),
      kind: 'hashed n-gram bag → fixed random ±1 projection → L2 normalisation (nothing trained)',
      features: { ...spec.features },
      dim: spec.dim,
      table: {
        values: 'int8 ±1, row-major [buckets, dim]',
        seed: spec.seed,
        prng: 'mulberry32 (src/ml/prng.ts), 32 signs per draw, low bit first, bit 1 → +1',
      },
      what: 'A deterministic offline baseline: the cosine of two embeddings approximates the cosine of the texts’ hashed word, word-bigram and character 3–5-gram count vectors. It captures lexical overlap, not meaning (paraphrases with different words score low); a real sentence-embedding model replaces it.',
      onnx: { bytes: onnx.length, sha256: createHash('sha256').update(onnx).digest('hex') },
    },
  };
}

export interface EmbedderOptions {
  /** Folder with embedding.onnx and embedding.card.json; the shipped `models/` by default. */
  readonly dir?: string;
  /** Cap on features per text (default 16384), as the scorers. */
  readonly maxIds?: number;
  /** ORT intra-op threads (default 1). */
  readonly threads?: number;
}

/** Loads `models/embedding.onnx` into one ONNX Runtime session. */
export async function loadShippedEmbedder(o: EmbedderOptions = {}): Promise<TextEmbedder> {
  const dir = o.dir ?? modelsDir();
  let session: InferenceSession;
  let card: EmbeddingCard;
  try {
    card = JSON.parse(await readFile(join(dir, 'embedding.card.json'), 'utf8')) as EmbeddingCard;
    session = await InferenceSession.create(join(dir, 'embedding.onnx'), {
      executionProviders: ['cpu'],
      intraOpNumThreads: o.threads ?? 1,
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw new AgentwallError(
      ErrorCode.MODEL_LOAD,
      `cannot load the embedding model: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const featuriser = createFeaturiser(card.features);
  const bag = createBagger(card.features.buckets);
  const maxIds = o.maxIds ?? 16384;
  const dim = card.dim;
  return {
    name: 'embedding',
    dim,
    async embed(texts: readonly string[]): Promise<Float32Array[]> {
      if (texts.length === 0) return [];
      const bags = texts.map((t) => {
        const f = featuriser.featurise(t);
        return bag(f.length > maxIds ? f.subarray(0, maxIds) : f);
      });
      const { ids, mask } = buildBatch(bags);
      const out = await session.run({ ids, mask });
      const data = out.embedding?.data as Float32Array | undefined;
      if (data === undefined) throw new Error('model has no "embedding" output');
      return texts.map((_, r) => data.slice(r * dim, (r + 1) * dim));
    },
    close: () => session.release(),
  };
}
