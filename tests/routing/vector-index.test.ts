import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/ml/prng.js';
import { BITS, MISS_RATE, VectorIndex, hammingBound } from '../../src/routing/vector-index.js';

const DIM = 256;
const T = 0.92;

/** Standard normal draws from a seeded PRNG (Box–Muller). */
function gaussian(seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
const unit = (v: Float32Array) => {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / n);
};
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
/** A unit vector at cosine exactly `c` to unit `x`: c·x + √(1 − c²)·u, u a unit vector ⊥ x. */
function atCosine(x: Float32Array, c: number, next: () => number): Float32Array {
  const r = Float32Array.from({ length: x.length }, next);
  const along = dot(r, x);
  const u = unit(r.map((v, i) => v - along * x[i]!));
  return unit(x.map((v, i) => c * v + Math.sqrt(1 - c * c) * u[i]!));
}

/** Binomial upper tail P(X > b), X ~ Bin(n, p). */
function tail(n: number, p: number, b: number): number {
  let pmf = (1 - p) ** n;
  let cdf = pmf;
  for (let k = 0; k < b; k++) {
    pmf *= ((n - k) / (k + 1)) * (p / (1 - p));
    cdf += pmf;
  }
  return 1 - cdf;
}

describe('hammingBound', () => {
  it.each([0.8, 0.9, 0.92, 0.95, 0.99])('is the smallest bound with tail ≤ the miss rate (min %f)', (min) => {
    const p = Math.acos(min) / Math.PI;
    for (const bits of [64, BITS]) {
      const b = hammingBound(min, bits, MISS_RATE / 2);
      expect(tail(bits, p, b)).toBeLessThanOrEqual(MISS_RATE / 2);
      expect(tail(bits, p, b - 1)).toBeGreaterThan(MISS_RATE / 2);
    }
  });
  it('does not prune when any angle is allowed, and is 0 at cosine 1', () => {
    expect(hammingBound(-1)).toBe(BITS);
    expect(hammingBound(1)).toBe(0);
    expect(hammingBound(0.92)).toBe(29);
  });
});

describe('the SimHash prefilter', () => {
  it('never returns a neighbour below the floor, and reports its exact cosine', () => {
    const vector = fc.array(
      fc.integer({ min: -100, max: 100 }).map((x) => x / 100),
      { minLength: 32, maxLength: 32 },
    );
    fc.assert(
      fc.property(
        fc.array(vector, { minLength: 1, maxLength: 60 }),
        fc.tuple(fc.nat(59), vector, fc.constantFrom(0, 0.05, 0.2, 1)),
        fc.constantFrom(0, 0.5, 0.9, 0.97),
        (items, [near, noise, scale], min) => {
          const base = items[near % items.length]!;
          const q = Float32Array.from(base, (v, i) => v + scale * noise[i]!);
          fc.pre(q.some((v) => v !== 0) && items.every((v) => v.some((x) => x !== 0)));
          const index = new VectorIndex(32, { exactBelow: 0 });
          items.forEach((v, i) => index.add('g', `k${i}`, Float32Array.from(v)));
          const got = index.nearest('g', q, min);
          if (!got) return;
          const v = unit(Float32Array.from(items[Number(got.key.slice(1))]!));
          const c = dot(v, unit(q));
          expect(got.similarity).toBeGreaterThanOrEqual(min);
          expect(got.similarity).toBeCloseTo(c, 4);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds every planted neighbour at cosine ≥ t + 0.02 among 20k random vectors (fixed seed)', () => {
    const next = gaussian(42);
    const index = new VectorIndex(DIM);
    const random = () => Float32Array.from({ length: DIM }, next);
    for (let i = 0; i < 19_000; i++) index.add('g', `r${i}`, random());
    const planted = Array.from({ length: 1000 }, (_, i) => {
      const x = unit(random());
      index.add('g', `p${i}`, x);
      return { x, c: T + 0.02 + (i / 1000) * (1 - T - 0.02) };
    });
    let misses = 0;
    for (const [i, { x, c }] of planted.entries()) {
      const got = index.nearest('g', atCosine(x, c, next), T);
      if (got?.key !== `p${i}`) misses++;
    }
    expect(misses).toBe(0);
  });

  it('agrees with the exact scan on clustered vectors, where most pairs are near the floor', () => {
    // 50 clusters of 200 (cosine 0.8–1 to their centre), so that most pairs of a cluster fall around
    // the floor: the prefilter's worst case. Only a best neighbour just above the floor may be missed
    // (probability ≤ MISS_RATE at the floor): with this seed, 1 of 790 (at cosine 0.924).
    const next = gaussian(7);
    const index = new VectorIndex(DIM);
    const centres = Array.from({ length: 50 }, () => unit(Float32Array.from({ length: DIM }, next)));
    for (let i = 0; i < 10_000; i++)
      index.add('g', `k${i}`, atCosine(centres[i % 50]!, 0.8 + (0.2 * ((i * 7919) % 1000)) / 1000, next));
    let [found, same, missedWellAbove] = [0, 0, 0];
    for (let i = 0; i < 1000; i++) {
      const q = atCosine(centres[i % 50]!, 0.9 + (0.1 * ((i * 31) % 100)) / 100, next);
      const want = index.nearest('g', q, T, true);
      const got = index.nearest('g', q, T);
      if (got) expect(got.similarity).toBeGreaterThanOrEqual(T);
      if (!want) continue;
      found++;
      if (got?.key === want.key) same++;
      else if (want.similarity >= T + 0.02) missedWellAbove++;
    }
    expect(found).toBeGreaterThan(500);
    expect(missedWellAbove).toBe(0);
    expect(found - same).toBeLessThanOrEqual(2);
  });

  it('forgets removed vectors and keeps the others findable (swap-remove)', () => {
    const next = gaussian(3);
    const index = new VectorIndex(DIM, { exactBelow: 0 });
    const vs = Array.from({ length: 3000 }, () => unit(Float32Array.from({ length: DIM }, next)));
    vs.forEach((v, i) => index.add('g', `k${i}`, v));
    for (let i = 0; i < 3000; i += 2) index.remove(`k${i}`);
    expect(index.size).toBe(1500);
    for (let i = 0; i < 3000; i += 7) {
      const got = index.nearest('g', atCosine(vs[i]!, 0.97, next), T);
      expect(got?.key).toBe(i % 2 === 0 ? undefined : `k${i}`);
    }
    index.add('g', 'k0', vs[0]!);
    expect(index.nearest('g', vs[0]!, T)?.key).toBe('k0');
    for (let i = 0; i < 3000; i++) index.remove(`k${i}`);
    expect(index.size).toBe(0);
    expect(index.nearest('g', vs[1]!, -1)).toBeUndefined();
  });
});
