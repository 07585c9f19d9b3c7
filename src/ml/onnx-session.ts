/**
 * Scores texts with an exported classifier through onnxruntime-node.
 *
 * The session is created once (at start, by the composition root) and reused; texts are featurised
 * here with the same featuriser as training, padded into one [N, L] batch and scored in one run.
 *
 * Long texts: a text whose normalised form is longer than `chunk.size` characters is cut into
 * windows of `chunk.size` characters that overlap by `chunk.overlap`, each window is one row of the
 * batch, and the text's score is the max over its windows for a binary model (one injected paragraph
 * in a long benign document should not be averaged away) and the mean of the windows' class
 * probabilities for a multi-class model (a long document's topic is its average); `chunkReduce:
 * 'max'` takes the max per label instead (multi-label: a label applies if it applies somewhere).
 * Texts within `chunk.size` take exactly the path they took before chunking existed: one
 * normalisation, one row.
 *
 * Execution providers: the requested list is filtered to the EPs this onnxruntime-node build
 * registers (`listSupportedBackends()`); creating the session with the rest is tried once, and on
 * failure (e.g. the CUDA EP's shared libraries are missing) the session is created on the CPU. The
 * result says which list was used and why it fell back, so the caller logs one line.
 */
import { InferenceSession, listSupportedBackends, Tensor } from 'onnxruntime-node';
import { createBagger, type Bag } from './bag.js';
import { createFeaturiser, normaliseText, type FeaturiserOptions } from './features.js';

export interface ChunkOptions {
  /** Window length in characters of normalised text. */
  readonly size: number;
  /** Characters shared by consecutive windows; any span this long lies whole inside some window. */
  readonly overlap: number;
}

export type ChunkReduce = 'max' | 'mean';

export const DEFAULT_CHUNK: ChunkOptions = Object.freeze({ size: 2048, overlap: 256 });

export type SessionFactory = (
  model: Uint8Array | string,
  options: InferenceSession.SessionOptions,
) => Promise<InferenceSession>;

export interface OnnxScorerOptions {
  /** The ONNX bytes or a file path. */
  readonly model: Uint8Array | string;
  /** Must equal the options the model was trained with (its card records them). */
  readonly features: FeaturiserOptions;
  /** Cap on features per row, bounding the batch tensor (default 16384). */
  readonly maxIds?: number;
  /** ORT intra-op threads; 1 keeps scoring to one core so requests can run side by side. */
  readonly threads?: number;
  /** Long-text windows (default 2048 characters, 256 overlap); `false` truncates at `maxIds` instead. */
  readonly chunk?: ChunkOptions | false;
  /**
   * How a text's windows combine, per output: `max` (default for one output: a binary model) or
   * `mean` (default for several: a multi-class distribution stays one). Multi-label models want `max`.
   */
  readonly chunkReduce?: ChunkReduce;
  /** Rows per `session.run` (default 64), bounding memory when one text has many windows. */
  readonly maxRowsPerRun?: number;
  /** EP names in order of preference, e.g. `['cuda', 'cpu']` (default `['cpu']`). */
  readonly executionProviders?: readonly string[];
  /** Defaults to `InferenceSession.create`; tests inject failures here. */
  readonly createSession?: SessionFactory;
  /** EP names this build registers; defaults to onnxruntime-node's `listSupportedBackends()`. */
  readonly availableProviders?: () => readonly string[];
}

export interface OnnxTextScorer {
  /** The EP the session prefers (the first of `providers`): `cpu` unless an accelerator was accepted. */
  readonly provider: string;
  /** The EP list the session was created with. */
  readonly providers: readonly string[];
  /** Why the requested providers were not all used; undefined when they were. */
  readonly fallback: string | undefined;
  /** One score array per text: [P(positive)] for binary models, class probabilities otherwise. */
  score(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

const DEFAULT_MAX_IDS = 16384;
const DEFAULT_MAX_ROWS = 64;

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

export function validateChunk(c: ChunkOptions): ChunkOptions {
  if (!Number.isInteger(c.size) || c.size < 1) throw new RangeError(`chunk.size must be an integer ≥ 1`);
  if (!Number.isInteger(c.overlap) || c.overlap < 0 || c.overlap >= c.size) {
    throw new RangeError(`chunk.overlap must be an integer in [0, chunk.size)`);
  }
  return c;
}

/**
 * Window starts for a text of `length` characters: every `size - overlap` characters, plus a last
 * window that ends at the text's end, so every window is full length and consecutive starts are at
 * most `size - overlap` apart (hence any span of ≤ overlap + 1 characters lies inside one window).
 */
export function chunkStarts(length: number, c: ChunkOptions): number[] {
  if (length <= c.size) return [0];
  const stride = c.size - c.overlap;
  const starts: number[] = [];
  for (let s = 0; s + c.size < length; s += stride) starts.push(s);
  starts.push(length - c.size);
  return starts;
}

/** The windows themselves; a text within `size` is returned whole. */
export function chunkText(text: string, c: ChunkOptions): string[] {
  return chunkStarts(text.length, c).map((s) => text.slice(s, s + c.size));
}

/** Every text's windows in one list; `owner[i]` is the text window i came from. */
export function windowsOf(
  texts: readonly string[],
  chunk: ChunkOptions | false,
): { inputs: string[]; owner: number[] } {
  const inputs: string[] = [];
  const owner: number[] = [];
  texts.forEach((t, i) => {
    for (const w of chunk === false ? [t] : chunkText(t, chunk)) {
      inputs.push(w);
      owner.push(i);
    }
  });
  return { inputs, owner };
}

/** Combines a [windows, k] matrix into one row per text (`owner` as from `windowsOf`), per column. */
export function reduceByOwner(
  data: Float32Array,
  k: number,
  owner: readonly number[],
  texts: number,
  how: ChunkReduce,
): Float32Array[] {
  const out = Array.from({ length: texts }, () => new Float32Array(k).fill(how === 'max' ? -Infinity : 0));
  const counts = new Array<number>(texts).fill(0);
  owner.forEach((t, r) => {
    const row = out[t] as Float32Array;
    counts[t] = (counts[t] as number) + 1;
    for (let j = 0; j < k; j++) {
      const v = data[r * k + j] as number;
      row[j] = how === 'max' ? Math.max(row[j] as number, v) : (row[j] as number) + v;
    }
  });
  if (how === 'mean') out.forEach((row, t) => row.forEach((v, j) => (row[j] = v / (counts[t] as number))));
  return out;
}

function defaultProviders(): readonly string[] {
  return listSupportedBackends().map((b) => b.name);
}

interface OpenedSession {
  session: InferenceSession;
  providers: readonly string[];
  fallback: string | undefined;
}

async function openSession(o: OnnxScorerOptions): Promise<OpenedSession> {
  const create: SessionFactory =
    o.createSession ??
    ((model, options) =>
      typeof model === 'string'
        ? InferenceSession.create(model, options)
        : InferenceSession.create(model, options));
  const options = (providers: readonly string[]): InferenceSession.SessionOptions => ({
    executionProviders: providers,
    intraOpNumThreads: o.threads ?? 1,
    graphOptimizationLevel: 'all',
  });
  const requested = o.executionProviders ?? ['cpu'];
  // onnxruntime-common silently drops EPs it has no backend for (with a console.warn), which would
  // make a session on the CPU look like a GPU session; filtering here makes the drop explicit.
  const known = new Set((o.availableProviders ?? defaultProviders)());
  const usable = requested.filter((p) => known.has(p));
  const dropped = requested.filter((p) => !known.has(p));
  const notes = dropped.length > 0 ? [`not in this onnxruntime-node build: ${dropped.join(', ')}`] : [];
  if (usable.length > 0 && usable.some((p) => p !== 'cpu')) {
    try {
      const session = await create(o.model, options(usable));
      return { session, providers: usable, fallback: notes.length > 0 ? notes.join('; ') : undefined };
    } catch (err) {
      notes.push(`[${usable.join(', ')}] failed: ${(err as Error).message}`);
    }
  }
  const session = await create(o.model, options(['cpu']));
  const asked = requested.length === 1 && requested[0] === 'cpu';
  return { session, providers: ['cpu'], fallback: asked ? undefined : notes.join('; ') || undefined };
}

export async function createOnnxScorer(o: OnnxScorerOptions): Promise<OnnxTextScorer> {
  const chunk = o.chunk === false ? false : validateChunk(o.chunk ?? DEFAULT_CHUNK);
  const maxRows = o.maxRowsPerRun ?? DEFAULT_MAX_ROWS;
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new RangeError('maxRowsPerRun must be ≥ 1');
  const maxIds = o.maxIds ?? DEFAULT_MAX_IDS;
  const { session, providers, fallback } = await openSession(o);
  const featuriser = createFeaturiser(o.features);
  const bag = createBagger(o.features.buckets);
  const bagOf = (normalised: string): Bag => {
    const f = featuriser.featuriseNormalised(normalised);
    return bag(f.length > maxIds ? f.subarray(0, maxIds) : f);
  };

  async function run(bags: readonly Bag[]): Promise<{ data: Float32Array; k: number }> {
    const parts: Float32Array[] = [];
    for (let from = 0; from < bags.length; from += maxRows) {
      const { ids, mask } = buildBatch(bags.slice(from, from + maxRows));
      const out = await session.run({ ids, mask });
      const scores = out.scores;
      if (scores === undefined) throw new Error('model has no "scores" output');
      parts.push(scores.data as Float32Array);
    }
    const data = parts.length === 1 ? (parts[0] as Float32Array) : concat(parts);
    return { data, k: data.length / bags.length };
  }

  return {
    provider: providers[0] ?? 'cpu',
    providers,
    fallback,
    async score(texts: readonly string[]): Promise<Float32Array[]> {
      if (texts.length === 0) return [];
      const bags: Bag[] = [];
      // owner[r] is row r's text; only built once some text has several windows.
      let owner: number[] | undefined;
      for (let t = 0; t < texts.length; t++) {
        const norm = normaliseText(texts[t] as string);
        if (chunk === false || norm.length <= chunk.size) {
          bags.push(bagOf(norm));
          owner?.push(t);
          continue;
        }
        owner ??= Array.from({ length: t }, (_, i) => i);
        for (const s of chunkStarts(norm.length, chunk)) {
          bags.push(bagOf(norm.slice(s, s + chunk.size)));
          owner.push(t);
        }
      }
      const { data, k } = await run(bags);
      if (!owner) return texts.map((_, r) => data.slice(r * k, (r + 1) * k));
      return reduceByOwner(data, k, owner, texts.length, o.chunkReduce ?? (k === 1 ? 'max' : 'mean'));
    },
    async close(): Promise<void> {
      await session.release();
    },
  };
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
