/**
 * Scores texts with an exported classifier through onnxruntime-node on the CPU.
 *
 * The session is created once (at start, by the composition root) and reused; texts are featurised
 * here with the same featuriser as training, padded into one [N, L] batch and scored in one run.
 * Long texts are truncated to `maxIds` features for now; chunking with overlap and max over chunks
 * (issue 4) is not built yet.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { createBagger, type Bag } from './bag.js';
import { createFeaturiser, type FeaturiserOptions } from './features.js';

export interface OnnxScorerOptions {
  /** The ONNX bytes or a file path. */
  readonly model: Uint8Array | string;
  /** Must equal the options the model was trained with (its card records them). */
  readonly features: FeaturiserOptions;
  /** Cap on features per text, bounding the batch tensor (default 16384). */
  readonly maxIds?: number;
  /** ORT intra-op threads; 1 keeps scoring to one core so requests can run side by side. */
  readonly threads?: number;
}

export interface OnnxTextScorer {
  /** One score array per text: [P(positive)] for binary models, class probabilities otherwise. */
  score(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

const DEFAULT_MAX_IDS = 16384;

interface Batch {
  ids: Tensor;
  mask: Tensor;
}

/** Pads bags into ids/mask tensors; the mask carries each id's count. Padding is id 0 with mask 0. */
export function buildBatch(bags: readonly Bag[]): Batch {
  const n = bags.length;
  const len = Math.max(1, ...bags.map((b) => b.ids.length));
  const ids = new BigInt64Array(n * len);
  // ids are in [0, 2^31), so writing the low 32-bit half of each little-endian int64 is enough and
  // avoids a BigInt allocation per id on the hot path.
  const halves = new Int32Array(ids.buffer);
  const mask = new Float32Array(n * len);
  for (let r = 0; r < n; r++) {
    const { ids: f, counts } = bags[r] as Bag;
    const base = r * len;
    for (let k = 0; k < f.length; k++) halves[2 * (base + k)] = f[k] as number;
    mask.set(counts, base);
  }
  return { ids: new Tensor('int64', ids, [n, len]), mask: new Tensor('float32', mask, [n, len]) };
}

export async function createOnnxScorer(o: OnnxScorerOptions): Promise<OnnxTextScorer> {
  const sessionOptions: InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: o.threads ?? 1,
    graphOptimizationLevel: 'all',
  };
  const session =
    typeof o.model === 'string'
      ? await InferenceSession.create(o.model, sessionOptions)
      : await InferenceSession.create(o.model, sessionOptions);
  const maxIds = o.maxIds ?? DEFAULT_MAX_IDS;
  const featuriser = createFeaturiser(o.features);
  const bag = createBagger(o.features.buckets);
  return {
    async score(texts: readonly string[]): Promise<Float32Array[]> {
      if (texts.length === 0) return [];
      const feats = texts.map((t) => {
        const f = featuriser.featurise(t);
        return bag(f.length > maxIds ? f.subarray(0, maxIds) : f);
      });
      const { ids, mask } = buildBatch(feats);
      const out = await session.run({ ids, mask });
      const scores = out.scores;
      if (scores === undefined) throw new Error('model has no "scores" output');
      const data = scores.data as Float32Array;
      const k = data.length / texts.length;
      return texts.map((_, r) => data.slice(r * k, (r + 1) * k));
    },
    async close(): Promise<void> {
      await session.release();
    },
  };
}
