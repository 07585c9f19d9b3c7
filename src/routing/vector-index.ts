/**
 * A brute-force cosine index over unit vectors, partitioned by group (the cache's fingerprint of
 * everything but the last user turn): a lookup scans only its group. Exact — no training, no
 * tuning — and linear in the group's size. Two things keep the scan short: each group stores the
 * first `HEAD` dimensions of its vectors in one contiguous array and the rest in another, and a
 * lookup with a floor (`min`, the cache's threshold) drops a vector as soon as the Cauchy–Schwarz
 * bound — dot so far + ‖x_rest‖·‖q_rest‖ — falls below the best so far: with a high threshold most
 * vectors are dropped after the head, so the scan reads about an eighth of the floats. Removal
 * swaps the last vector into the hole (O(1)).
 */
export interface Neighbour {
  readonly key: string;
  readonly similarity: number;
}

/** Dimensions after which the bound is checked: the head, then two more points in the rest. */
const STAGES = [32, 64, 128] as const;
const K = STAGES.length;

interface Block {
  keys: string[];
  /** [n, head] row-major. */
  head: Float32Array;
  /** [n, dim − head] row-major. */
  rest: Float32Array;
  /** [n, K]: ‖v[STAGES[s]..]‖. */
  tails: Float32Array;
}

export class VectorIndex {
  readonly #dim: number;
  readonly #head: number;
  readonly #groups = new Map<string, Block>();
  readonly #where = new Map<string, { group: string; i: number }>();

  constructor(dim: number) {
    this.#dim = dim;
    this.#head = Math.min(STAGES[0], dim);
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
      block.keys[at.i] = moved;
      this.#where.set(moved, { group: at.group, i: at.i });
    }
    block.keys.pop();
    if (block.keys.length === 0) this.#groups.delete(at.group);
  }

  /** The most similar vector of `group` whose cosine reaches `min`, or undefined. */
  nearest(group: string, query: Float32Array, min = -1): Neighbour | undefined {
    const block = this.#groups.get(group);
    if (!block) return undefined;
    const q = normalised(query);
    const qTails = tailNorms(q, new Float32Array(K), 0);
    const { head, rest, tails } = block;
    const h = this.#head;
    const r = this.#dim - h;
    let best = min;
    let bestI = -1;
    for (let i = 0; i < block.keys.length; i++) {
      let dot = dotRange(head, i * h, q, 0, h);
      if (r > 0) {
        if (dot + (tails[i * K] as number) * (qTails[0] as number) < best) continue;
        dot = restDot(rest, i * r, q, h, dot, best, tails, i * K, qTails);
        if (Number.isNaN(dot)) continue;
      }
      if (dot >= best) {
        best = dot;
        bestI = i;
      }
    }
    return bestI < 0 ? undefined : { key: block.keys[bestI] as string, similarity: best };
  }

  #newBlock(group: string): Block {
    const h = this.#head;
    const block: Block = {
      keys: [],
      head: new Float32Array(h * 16),
      rest: new Float32Array((this.#dim - h) * 16),
      tails: new Float32Array(K * 16),
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

/**
 * Σ a[aOff + k]·q[qOff + k] for k < n, with four accumulators: one accumulator makes every addition
 * wait for the previous one, and this loop is the whole cost of a lookup (measured 2× faster).
 */
function dotRange(a: Float32Array, aOff: number, q: Float32Array, qOff: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < n; k += 4) {
    s0 += (a[aOff + k] as number) * (q[qOff + k] as number);
    s1 += (a[aOff + k + 1] as number) * (q[qOff + k + 1] as number);
    s2 += (a[aOff + k + 2] as number) * (q[qOff + k + 2] as number);
    s3 += (a[aOff + k + 3] as number) * (q[qOff + k + 3] as number);
  }
  for (; k < n; k++) s0 += (a[aOff + k] as number) * (q[qOff + k] as number);
  return s0 + s1 + s2 + s3;
}

function grow(block: Block): void {
  const double = (a: Float32Array) => {
    const b = new Float32Array(Math.max(a.length * 2, 16));
    b.set(a);
    return b;
  };
  block.head = double(block.head);
  block.rest = double(block.rest);
  block.tails = double(block.tails);
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
  for (const x of v) n += x * x;
  if (Math.abs(n - 1) < 1e-6) return v;
  const inv = 1 / Math.max(Math.sqrt(n), 1e-12);
  return Float32Array.from(v, (x) => x * inv);
}
