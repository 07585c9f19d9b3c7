// The answer cache's lookup at 100k entries (issue 7: p50 ≤ 1 ms), beside a plain Map.get over as many
// keys as the baseline of the same run. Vectors are random (a stand-in embedder): this times the lookup,
// not the embedding, which is timed on its own with the shipped embedder. Then the vector index alone on
// 100k templated questions embedded with the shipped embedder (clustered, unlike random vectors): the
// SimHash prefilter beside the exact scan, and how often the prefilter returns the exact scan's answer.
import { performance } from 'node:perf_hooks';
import { loadShippedEmbedder } from '../src/ml/embedding.js';
import type { TextEmbedder } from '../src/ml/scorer.js';
import { createAnswerCache } from '../src/routing/semantic-cache.js';
import { VectorIndex } from '../src/routing/vector-index.js';
import { summarize } from './lib/stats.js';

const ENTRIES = 100_000;
const LOOKUPS = 1000;
const DIM = 256;
const TARGET_MS = 1;
const THRESHOLD = 0.92;

export interface CacheLookupRow {
  readonly name: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly note?: string;
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
      threshold: THRESHOLD,
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
    'semantic miss, 100k entries in one group (worst case), SimHash prefilter',
    await timeMs((i) => one.lookup({ key: `q${i}`, group: 'g0', text: `q${i}` })),
  );
  await one.close();
  const index = new VectorIndex(DIM);
  for (let i = 0; i < ENTRIES; i++) index.add('g0', `k${i}`, vector());
  const queries = Array.from({ length: LOOKUPS }, vector);
  add(
    'index alone, 100k random vectors in one group: exact scan (comparison)',
    await timeMs((i) => index.nearest('g0', queries[i % LOOKUPS] as Float32Array, THRESHOLD, true)),
  );
  add(
    'index alone, 100k random vectors in one group: SimHash prefilter',
    await timeMs((i) => index.nearest('g0', queries[i % LOOKUPS] as Float32Array, THRESHOLD)),
  );
  const embedder = await loadShippedEmbedder();
  add(
    'shipped embedder, one last user turn',
    await timeMs((i) => embedder.embed([`How do I reverse a linked list in Python? ${i}`])),
  );
  rows.push(...(await measureClustered(embedder)));
  await embedder.close();
  return rows;
}

const VERBS = (
  'reverse sort parse serialize validate merge split cache retry stream compress encrypt hash ' +
  'paginate debounce deduplicate flatten index profile mock'
).split(' ');
const OBJECTS = (
  'a linked list, a JSON file, a CSV export, an HTTP response, a date string, a binary tree, ' +
  'a websocket message, a database query, a nested dictionary, a log file, an image upload, ' +
  'a config file, a user session, a large array, a XML document, a queue of jobs, a password, ' +
  'an API key, a matrix, a graph, a protobuf message, a PDF, a timestamp, an email, a URL'
).split(', ');
const LANGS = 'Python TypeScript Go Rust Java C# Ruby Kotlin Swift PHP Scala Elixir'.split(' ');
const FRAMES = [
  (v: string, o: string, l: string) => `How do I ${v} ${o} in ${l}?`,
  (v: string, o: string, l: string) => `What is the fastest way to ${v} ${o} with ${l}?`,
  (v: string, o: string, l: string) => `Can you show me how to ${v} ${o} using ${l}?`,
  (v: string, o: string, l: string) => `${l}: ${v} ${o} without a library`,
  (v: string, o: string, l: string) => `Best practice to ${v} ${o} in ${l} for production`,
  (v: string, o: string, l: string) => `Why does my ${l} code fail to ${v} ${o}?`,
  (v: string, o: string, l: string) => `Explain how to ${v} ${o} in ${l} step by step`,
  (v: string, o: string, l: string) => `Write a ${l} function to ${v} ${o}`,
];
const CONTEXTS = ['', ' in a web server', ' on a large dataset', ' in a unit test', ' with error handling'];
/** Small edits a user makes when asking the same thing again (the near-duplicates a cache should hit). */
const EDITS: ((t: string) => string)[] = [
  (t) => t.toLowerCase(),
  (t) => `${t} please`,
  (t) => t.replace(/[?]$/, ''),
  (t) => `Quick question: ${t}`,
  (t) => t.replace(' a ', ' the '),
];

/** The i-th of the 240k templated questions. */
function question(i: number): string {
  const [v, o, l] = [VERBS[i % 20], OBJECTS[Math.floor(i / 20) % 25], LANGS[Math.floor(i / 500) % 12]];
  const frame = FRAMES[Math.floor(i / 6000) % 8] as (typeof FRAMES)[number];
  return frame(v as string, o as string, l as string) + (CONTEXTS[Math.floor(i / 48_000) % 5] as string);
}

/**
 * 100k of the templated questions in one group; 1000 queries: half small edits of stored questions,
 * half questions not stored (neighbours differ in a slot). Recall: queries whose prefiltered answer is
 * the exact scan's, over the queries where the exact scan finds one.
 */
async function measureClustered(embedder: TextEmbedder): Promise<CacheLookupRow[]> {
  const next = lcg(11);
  const order = Array.from({ length: 240_000 }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor((next() + 0.5) * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const embed = async (texts: string[]) => {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += 500) out.push(...(await embedder.embed(texts.slice(i, i + 500))));
    return out;
  };
  const stored = await embed(order.slice(0, ENTRIES).map(question));
  const index = new VectorIndex(DIM);
  stored.forEach((v, i) => index.add('g0', `k${i}`, v));
  const texts = Array.from({ length: LOOKUPS }, (_, i) =>
    i % 2 === 0
      ? EDITS[i % EDITS.length]!(question(order[(i * 97) % ENTRIES] as number))
      : question(order[ENTRIES + i] as number),
  );
  const queries = await embed(texts);
  let [found, same] = [0, 0];
  for (const q of queries) {
    const want = index.nearest('g0', q, THRESHOLD, true);
    const got = index.nearest('g0', q, THRESHOLD);
    if (want) found++;
    if (want && got && Math.abs(got.similarity - want.similarity) < 1e-6) same++;
  }
  const q = (i: number) => queries[i % LOOKUPS] as Float32Array;
  const exact = await timeMs((i) => index.nearest('g0', q(i), THRESHOLD, true));
  const simhash = await timeMs((i) => index.nearest('g0', q(i), THRESHOLD));
  const name = 'index alone, 100k templated questions (shipped embedder) in one group';
  return [
    { name: `${name}: exact scan (comparison)`, p50Ms: exact.p50, p99Ms: exact.p99 },
    {
      name: `${name}: SimHash prefilter`,
      p50Ms: simhash.p50,
      p99Ms: simhash.p99,
      note: `recall ${same}/${found} of the exact scan's hits (cosine ≥ ${THRESHOLD}) over ${LOOKUPS} queries`,
    },
  ];
}

export function describeCacheLookups(rows: readonly CacheLookupRow[]): string[] {
  const base = rows[0]?.p50Ms ?? 0;
  return rows.map(
    (r) =>
      `cache lookup: ${r.name}: p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms` +
      (r === rows[0]
        ? ''
        : ` (×${base > 0 ? (r.p50Ms / base).toFixed(0) : 'n/a'} the Map.get baseline; target p50 ≤ ${TARGET_MS} ms)`) +
      (r.note ? `; ${r.note}` : ''),
  );
}
