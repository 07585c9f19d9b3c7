// Sign-random-projection (SimHash) signatures for the cosine index (vector-index.ts): the hyperplanes,
// a vector's signature, the popcount scan, and the Hamming bound that keeps the miss rate known.
import { seededRandom } from '../ml/prng.js';

/** SimHash signature bits: two 64-bit halves per vector, each two 32-bit words. */
export const BITS = 128;
/** Probability that a neighbour at exactly the floor is filtered out by the Hamming bound. */
export const MISS_RATE = 1e-3;

/**
 * The smallest b with P(Binomial(bits, acos(min)/π) > b) ≤ missRate: the Hamming distance that a
 * vector at cosine exactly `min` to the query exceeds with probability at most missRate, over the
 * draw of the hyperplanes (`bits` when `min` allows any angle: no pruning). At min 0.92, θ/π = 0.128:
 * over 64 bits mean 8.2, b = 18 at 5·10⁻⁴; over 128 bits mean 16.4, b = 30 at 5·10⁻⁴.
 */
export function hammingBound(min: number, bits = BITS, missRate = MISS_RATE): number {
  if (!(min > -1)) return bits;
  const p = Math.acos(Math.min(min, 1)) / Math.PI;
  if (p === 0) return 0;
  let pmf = (1 - p) ** bits;
  let cdf = pmf;
  for (let b = 0; b < bits; b++) {
    if (1 - cdf <= missRate) return b;
    pmf *= ((bits - b) / (b + 1)) * (p / (1 - p));
    cdf += pmf;
  }
  return bits;
}

/**
 * Writes to `out` the indices of the rows of `lo` within `bound` bits of (q0, q1), and returns how
 * many. The whole cost of a large lookup, kept apart from the scoring so that it stays small and
 * monomorphic.
 */
export function within64(
  lo: Uint32Array,
  n: number,
  q0: number,
  q1: number,
  bound: number,
  out: Uint32Array,
): number {
  let found = 0;
  for (let i = 0, o = 0; i < n; i++, o += 2) {
    if (pop64((lo[o] as number) ^ q0, (lo[o + 1] as number) ^ q1) <= bound) out[found++] = i;
  }
  return found;
}

/**
 * The set bits of two 32-bit words (SWAR popcount): 2-bit sums per word, then the two words' nibbles
 * added (≤ 8 each, no carry), then bytes, and one multiply to sum the bytes into the top one.
 */
export function pop64(a: number, b: number): number {
  a -= (a >>> 1) & 0x55555555;
  b -= (b >>> 1) & 0x55555555;
  let s = (a & 0x33333333) + ((a >>> 2) & 0x33333333) + (b & 0x33333333) + ((b >>> 2) & 0x33333333);
  s = (s & 0x0f0f0f0f) + ((s >>> 4) & 0x0f0f0f0f);
  return Math.imul(s, 0x01010101) >>> 24;
}

/** Sign bits of v's projections on the planes, into `out` (BITS / 32 words). */
export function signature(planes: Float32Array, v: Float32Array, out: Uint32Array): Uint32Array {
  const dim = v.length;
  for (let w = 0; w < out.length; w++) {
    let word = 0;
    for (let b = 0; b < 32; b++) {
      if (dotRange(planes, (w * 32 + b) * dim, v, 0, dim) >= 0) word |= 1 << b;
    }
    out[w] = word >>> 0;
  }
  return out;
}

/** [bits, dim] standard normals (Box–Muller over mulberry32): the signs' law needs isotropic planes. */
export function gaussianPlanes(bits: number, dim: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(bits * dim);
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const a = 2 * Math.PI * random();
    out[i] = r * Math.cos(a);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

/**
 * Σ a[aOff + k]·q[qOff + k] for k < n, with four accumulators: one accumulator makes every addition
 * wait for the previous one, and this loop is the whole cost of an exact scan (measured 2× faster).
 */
export function dotRange(a: Float32Array, aOff: number, q: Float32Array, qOff: number, n: number): number {
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
