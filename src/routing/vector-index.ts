import {
  BITS,
  dotRange,
  gaussianPlanes,
  hammingBound,
  MISS_RATE,
  pop64,
  signature,
  within64,
} from './simhash.js';

export { BITS, hammingBound, MISS_RATE } from './simhash.js';

/**
 * A cosine index over unit vectors, partitioned by group (the cache's fingerprint of everything but
 * the last user turn): a lookup scans only its group. Each group stores the first `HEAD` dimensions
 * of its vectors in one contiguous array and the rest in another, and a lookup with a floor (`min`,
 * the cache's threshold) drops a vector as soon as the Cauchy–Schwarz bound — dot so far +
 * ‖x_rest‖·‖q_rest‖ — falls below the best so far. Removal swaps the last vector into the hole (O(1)).
 *
 * Large groups (≥ `exactBelow` vectors, 2000 by default: below that the scan is already fast) are
 * first filtered by sign-random-projection (SimHash, Charikar 2002): each vector keeps the signs of
 * its projections on `BITS` fixed Gaussian hyperplanes. Two vectors at angle θ differ in each sign
 * independently with probability θ/π, so their Hamming distance is Binomial(BITS, θ/π). A lookup
 * counts the differing bits among the first 64 and keeps the vectors within
 * `hammingBound(min, 64, MISS_RATE / 2)`, then of those the ones within
 * `hammingBound(min, 128, MISS_RATE / 2)` over all 128 — each the distance a vector at cosine exactly
 * `min` exceeds with probability ≤ MISS_RATE / 2 — and scores only these, nearest signature first.
 * A hit is still only returned when its exact cosine reaches `min` (never a false hit); a true
 * neighbour is missed with probability ≤ MISS_RATE (union bound, over the draw of the hyperplanes),
 * and less the closer it is. docs/routing.md#cache has the numbers.
 */
export interface Neighbour {
  readonly key: string;
  readonly similarity: number;
}

export interface VectorIndexOptions {
  /** Groups smaller than this are scanned exactly, without the SimHash prefilter (default 2000). */
  readonly exactBelow?: number;
  /** Seed of the hyperplanes (default 1). */
  readonly seed?: number;
}

/** Dimensions after which the bound is checked: the head, then two more points in the rest. */
const STAGES = [32, 64, 128] as const;
const K = STAGES.length;
const HALF = 2;
/** Rows are packed with their distance in one uint32: larger groups are scanned exactly. */
const MAX_ROWS = 2 ** 24 - 1;

interface Block {
  keys: string[];
  /** [n, head] row-major. */
  head: Float32Array;
  /** [n, dim − head] row-major. */
  rest: Float32Array;
  /** [n, K]: ‖v[STAGES[s]..]‖. */
  tails: Float32Array;
  /** [n, HALF]: the first 64 bits of the SimHash signatures (scanned alone, so kept dense). */
  lo: Uint32Array;
  /** [n, HALF]: the other 64 bits. */
  hi: Uint32Array;
}

export class VectorIndex {
  readonly #dim: number;
  readonly #head: number;
  readonly #exactBelow: number;
  /** [BITS, dim] row-major: the hyperplanes' normals. */
  readonly #planes: Float32Array;
  readonly #groups = new Map<string, Block>();
  readonly #where = new Map<string, { group: string; i: number }>();
  // Scratch for one lookup: no allocation per call.
  readonly #qTails = new Float32Array(K);
  readonly #qSig = new Uint32Array(2 * HALF);
  #found = new Uint32Array(0);
  #ranked = new Uint32Array(0);
  readonly #counts = new Int32Array(BITS + 2);
  #boundFor = NaN;
  #bound64 = 64;
  #bound128 = BITS;

  constructor(dim: number, o: VectorIndexOptions = {}) {
    this.#dim = dim;
    this.#head = Math.min(STAGES[0], dim);
    this.#exactBelow = o.exactBelow ?? 2000;
    this.#planes = gaussianPlanes(BITS, dim, o.seed ?? 1);
  }

  get size(): number {
    return this.#where.size;
  }

  /** Adds (or replaces) `key`'s vector in `group`; the vector is L2-normalised on the way in. */
  add(group: string, key: string, vector: Float32Array): void {
    if (vector.length !== this.#dim)
      throw new Error(`vector of ${vector.length} dims, index has ${this.#dim}`);
    this.remove(key);
    const block = this.#groups.get(group) ?? this.#newBlock(group);
    const i = block.keys.length;
    if ((i + 1) * K > block.tails.length) grow(block);
    const v = normalised(vector);
    const h = this.#head;
    const r = this.#dim - h;
    block.head.set(v.subarray(0, h), i * h);
    block.rest.set(v.subarray(h), i * r);
    tailNorms(v, block.tails, i * K);
    const sig = signature(this.#planes, v, this.#qSig);
    block.lo.set(sig.subarray(0, HALF), i * HALF);
    block.hi.set(sig.subarray(HALF), i * HALF);
    block.keys.push(key);
    this.#where.set(key, { group, i });
  }

  remove(key: string): void {
    const at = this.#where.get(key);
    if (!at) return;
    this.#where.delete(key);
    const block = this.#groups.get(at.group) as Block;
    const last = block.keys.length - 1;
    if (at.i !== last) {
      const moved = block.keys[last] as string;
      const h = this.#head;
      const r = this.#dim - h;
      block.head.copyWithin(at.i * h, last * h, (last + 1) * h);
      block.rest.copyWithin(at.i * r, last * r, (last + 1) * r);
      block.tails.copyWithin(at.i * K, last * K, (last + 1) * K);
      block.lo.copyWithin(at.i * HALF, last * HALF, (last + 1) * HALF);
      block.hi.copyWithin(at.i * HALF, last * HALF, (last + 1) * HALF);
      block.keys[at.i] = moved;
      this.#where.set(moved, { group: at.group, i: at.i });
    }
    block.keys.pop();
    if (block.keys.length === 0) this.#groups.delete(at.group);
  }

  /**
   * The most similar vector of `group` whose cosine reaches `min`, or undefined. With `exact`, or in a
   * group under `exactBelow`, every vector is scored; otherwise only those the prefilter keeps.
   */
  nearest(group: string, query: Float32Array, min = -1, exact = false): Neighbour | undefined {
    const block = this.#groups.get(group);
    if (!block) return undefined;
    const q = normalised(query);
    const qTails = tailNorms(q, this.#qTails, 0);
    this.#setBounds(min);
    const n = block.keys.length;
    const scan = exact || n < this.#exactBelow || n > MAX_ROWS || this.#bound128 >= BITS;
    let best = min;
    let bestI = -1;
    if (scan) {
      for (let i = 0; i < n; i++) {
        const dot = this.#score(block, i, q, qTails, best);
        if (dot >= best) {
          best = dot;
          bestI = i;
        }
      }
    } else {
      // Nearest signatures first: once a vector reaches cosine `best`, a better one lies within
      // hammingBound(best) ≤ the first bound (but for MISS_RATE / 2), so farther ones are not scored.
      const kept = this.#rank(block, signature(this.#planes, q, this.#qSig));
      const ranked = this.#ranked;
      let limit = this.#bound128;
      for (let j = 0; j < kept; j++) {
        const at = ranked[j] as number;
        if (at >>> 24 > limit) break;
        const dot = this.#score(block, at & MAX_ROWS, q, qTails, best);
        if (dot >= best) {
          best = dot;
          bestI = at & MAX_ROWS;
          limit = hammingBound(best, BITS, MISS_RATE / 2);
        }
      }
    }
    return bestI < 0 ? undefined : { key: block.keys[bestI] as string, similarity: best };
  }

  /**
   * Writes to `#ranked` the rows within both Hamming bounds of the signature `qs`, as
   * distance·2²⁴ + row, in ascending distance (a counting sort: distances are < 128); returns how many.
   */
  #rank(block: Block, qs: Uint32Array): number {
    const n = block.keys.length;
    if (this.#found.length < n) {
      this.#found = new Uint32Array(block.lo.length / HALF);
      this.#ranked = new Uint32Array(block.lo.length / HALF);
    }
    const [found, ranked, counts] = [this.#found, this.#ranked, this.#counts.fill(0)];
    const [q0, q1, h0, h1] = [qs[0] as number, qs[1] as number, qs[2] as number, qs[3] as number];
    const [lo, hi, bound] = [block.lo, block.hi, this.#bound128];
    const first = within64(lo, n, q0, q1, this.#bound64, found);
    let kept = 0;
    for (let j = 0; j < first; j++) {
      const i = found[j] as number;
      const d =
        pop64((lo[2 * i] as number) ^ q0, (lo[2 * i + 1] as number) ^ q1) +
        pop64((hi[2 * i] as number) ^ h0, (hi[2 * i + 1] as number) ^ h1);
      if (d > bound) continue;
      found[kept++] = d * 2 ** 24 + i;
      counts[d + 1] = (counts[d + 1] as number) + 1;
    }
    for (let d = 1; d <= bound + 1; d++) counts[d] = (counts[d] as number) + (counts[d - 1] as number);
    for (let j = 0; j < kept; j++) {
      const at = found[j] as number;
      ranked[counts[at >>> 24] as number] = at;
      counts[at >>> 24] = (counts[at >>> 24] as number) + 1;
    }
    return kept;
  }

  /** The exact dot product of vector `i` and `q`, or NaN once it cannot reach `best`. */
  #score(block: Block, i: number, q: Float32Array, qTails: Float32Array, best: number): number {
    const h = this.#head;
    const r = this.#dim - h;
    const dot = dotRange(block.head, i * h, q, 0, h);
    if (r === 0) return dot;
    if (dot + (block.tails[i * K] as number) * (qTails[0] as number) < best) return NaN;
    return restDot(block.rest, i * r, q, h, dot, best, block.tails, i * K, qTails);
  }

  #setBounds(min: number): void {
    if (min === this.#boundFor) return;
    this.#boundFor = min;
    this.#bound64 = hammingBound(min, 64, MISS_RATE / 2);
    this.#bound128 = hammingBound(min, BITS, MISS_RATE / 2);
  }

  #newBlock(group: string): Block {
    const h = this.#head;
    const block: Block = {
      keys: [],
      head: new Float32Array(h * 16),
      rest: new Float32Array((this.#dim - h) * 16),
      tails: new Float32Array(K * 16),
      lo: new Uint32Array(HALF * 16),
      hi: new Uint32Array(HALF * 16),
    };
    this.#groups.set(group, block);
    return block;
  }
}

/** The dot product over the rest of the dimensions, checking the bound at each stage; NaN when pruned. */
function restDot(
  rest: Float32Array,
  off: number,
  q: Float32Array,
  h: number,
  dot: number,
  best: number,
  tails: Float32Array,
  at: number,
  qTails: Float32Array,
): number {
  let j = h;
  for (let s = 1; s <= K; s++) {
    const end = s < K ? Math.min(STAGES[s] as number, q.length) : q.length;
    if (end > j) dot += dotRange(rest, off + j - h, q, j, end - j);
    j = Math.max(j, end);
    if (s < K && end < q.length && dot + (tails[at + s] as number) * (qTails[s] as number) < best) return NaN;
  }
  return dot;
}

function grow(block: Block): void {
  const double = <T extends Float32Array | Uint32Array>(a: T, make: (n: number) => T): T => {
    const b = make(Math.max(a.length * 2, 16));
    b.set(a);
    return b;
  };
  block.head = double(block.head, (n) => new Float32Array(n));
  block.rest = double(block.rest, (n) => new Float32Array(n));
  block.tails = double(block.tails, (n) => new Float32Array(n));
  block.lo = double(block.lo, (n) => new Uint32Array(n));
  block.hi = double(block.hi, (n) => new Uint32Array(n));
}

/** ‖v[STAGES[s]..]‖ for each stage, written at `out[at + s]`. */
function tailNorms(v: Float32Array, out: Float32Array, at: number): Float32Array {
  let sum = 0;
  let s = K - 1;
  for (let j = v.length - 1; j >= 0; j--) {
    while (s >= 0 && j < (STAGES[s] as number)) {
      out[at + s] = Math.sqrt(sum);
      s--;
    }
    sum += (v[j] as number) ** 2;
  }
  for (; s >= 0; s--) out[at + s] = Math.sqrt(sum);
  return out;
}

function normalised(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += (v[i] as number) ** 2;
  if (Math.abs(n - 1) < 1e-6) return v;
  const inv = 1 / Math.max(Math.sqrt(n), 1e-12);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = (v[i] as number) * inv;
  return out;
}
