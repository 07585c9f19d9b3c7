// The answer cache's lookup at 100k entries (issue 7: p50 ≤ 1 ms), beside a plain Map.get over as many
// keys as the baseline of the same run. Vectors are random (a stand-in embedder): this times the lookup,
// not the embedding, which is timed on its own with the shipped embedder.
import { performance } from 'node:perf_hooks';
import { loadShippedEmbedder } from '../src/ml/embedding.js';
import type { TextEmbedder } from '../src/ml/scorer.js';
import { createAnswerCache } from '../src/routing/semantic-cache.js';
import { summarize } from './lib/stats.js';

const ENTRIES = 100_000;
const LOOKUPS = 1000;
const DIM = 256;
const TARGET_MS = 1;

export interface CacheLookupRow {
  readonly name: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
}

async function timeMs(run: (i: number) => unknown): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 50; i++) await run(i);
  const samples: number[] = [];
  for (let i = 0; i < LOOKUPS; i++) {
    const t0 = performance.now();
    await run(i);
    samples.push(performance.now() - t0);
  }
  const s = summarize(samples);
  return { p50: s.p50, p99: s.p99 };
}

/** Fills caches of ENTRIES answers and times exact hits, semantic lookups, and the baseline Map.get. */
export async function measureCacheLookups(): Promise<CacheLookupRow[]> {
  const next = lcg(7);
  const vector = () => Float32Array.from({ length: DIM }, next);
  const randomEmbedder: TextEmbedder = {
    name: 'random',
    dim: DIM,
    embed: (texts) => Promise.resolve(texts.map(() => vector())),
    close: () => Promise.resolve(),
  };
  const fill = async (groups: number) => {
    const cache = createAnswerCache({
      mode: 'exact_then_semantic',
      ttlMs: 3_600_000,
      maxEntries: ENTRIES,
      threshold: 0.92,
      embedder: randomEmbedder,
    });
    for (let i = 0; i < ENTRIES; i++)
      await cache.store({ key: `k${i}`, group: `g${i % groups}`, text: `t${i}` }, '{}');
    return cache;
  };
  const map = new Map(Array.from({ length: ENTRIES }, (_, i) => [`k${i}`, '{}']));
  const rows: CacheLookupRow[] = [];
  const add = (name: string, t: { p50: number; p99: number }) =>
    rows.push({ name, p50Ms: t.p50, p99Ms: t.p99 });

  add('baseline: Map.get, 100k keys', await timeMs((i) => map.get(`k${(i * 97) % ENTRIES}`)));
  const spread = await fill(1000);
  add(
    'exact hit, 100k entries',
    await timeMs((i) => spread.lookup({ key: `k${(i * 97) % ENTRIES}`, group: 'g1', text: '' })),
  );
  add(
    'semantic miss, 100k entries in 1000 groups',
    await timeMs((i) => spread.lookup({ key: `q${i}`, group: `g${i % 1000}`, text: `q${i}` })),
  );
  await spread.close();
  const one = await fill(1);
  add(
    'semantic miss, 100k entries in one group (worst case)',
    await timeMs((i) => one.lookup({ key: `q${i}`, group: 'g0', text: `q${i}` })),
  );
  await one.close();
  const embedder = await loadShippedEmbedder();
  add(
    'shipped embedder, one last user turn',
    await timeMs((i) => embedder.embed([`How do I reverse a linked list in Python? ${i}`])),
  );
  await embedder.close();
  return rows;
}

export function describeCacheLookups(rows: readonly CacheLookupRow[]): string[] {
  const base = rows[0]?.p50Ms ?? 0;
  return rows.map(
    (r) =>
      `cache lookup: ${r.name}: p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms` +
      (r === rows[0]
        ? ''
        : ` (×${base > 0 ? (r.p50Ms / base).toFixed(0) : 'n/a'} the Map.get baseline; target p50 ≤ ${TARGET_MS} ms)`),
  );
}
