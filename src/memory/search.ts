import type { TextEmbedder } from '../ml/scorer.js';

export interface SearchCandidate {
  /** The version id (embeddings are cached by it: versions never change). */
  readonly id: number;
  readonly text: string;
}

export interface Ranked {
  readonly id: number;
  readonly score: number;
}

export interface SearchOptions {
  readonly limit: number;
  /** When given, candidates are ranked by cosine similarity of embeddings instead of lexically. */
  readonly embedder?: TextEmbedder | undefined;
  readonly cache?: EmbeddingCache | undefined;
}

/** Ranks candidates for a query: BM25 over word tokens, or by embedding when an embedder is configured. */
export async function rankCandidates(
  query: string,
  candidates: readonly SearchCandidate[],
  options: SearchOptions,
): Promise<{ mode: 'lexical' | 'embedding'; ranked: Ranked[] }> {
  if (candidates.length === 0) return { mode: options.embedder ? 'embedding' : 'lexical', ranked: [] };
  if (options.embedder) {
    const scores = await embeddingScores(query, candidates, options.embedder, options.cache);
    return {
      mode: 'embedding',
      ranked: top(
        candidates.map((c, i) => ({ id: c.id, score: scores[i] ?? 0 })),
        options.limit,
      ),
    };
  }
  return { mode: 'lexical', ranked: top(bm25(query, candidates), options.limit) };
}

function top(scored: Ranked[], limit: number): Ranked[] {
  return scored
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score || a.id - b.id)
    .slice(0, limit);
}

export function tokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Okapi BM25 (k1 = 1.2, b = 0.75) with the candidates as the corpus. */
function bm25(query: string, candidates: readonly SearchCandidate[]): Ranked[] {
  const terms = [...new Set(tokens(query))];
  const docs = candidates.map((c) => tokens(c.text));
  const avg = docs.reduce((n, d) => n + d.length, 0) / docs.length || 1;
  const df = new Map<string, number>();
  for (const d of docs) for (const t of new Set(d)) df.set(t, (df.get(t) ?? 0) + 1);
  return candidates.map((c, i) => {
    const doc = docs[i] ?? [];
    const tf = new Map<string, number>();
    for (const t of doc) tf.set(t, (tf.get(t) ?? 0) + 1);
    let score = 0;
    for (const t of terms) {
      const f = tf.get(t) ?? 0;
      if (f === 0) continue;
      const n = df.get(t) ?? 0;
      const idf = Math.log(1 + (docs.length - n + 0.5) / (n + 0.5));
      score += (idf * f * 2.2) / (f + 1.2 * (0.25 + (0.75 * doc.length) / avg));
    }
    return { id: c.id, score };
  });
}

/** Embeddings by version id, newest kept (versions never change, so an entry never goes stale). */
export class EmbeddingCache {
  readonly #map = new Map<number, Float32Array>();
  constructor(readonly size = 10_000) {}
  get(id: number): Float32Array | undefined {
    return this.#map.get(id);
  }
  set(id: number, v: Float32Array): void {
    this.#map.set(id, v);
    if (this.#map.size > this.size) this.#map.delete(this.#map.keys().next().value as number);
  }
}

async function embeddingScores(
  query: string,
  candidates: readonly SearchCandidate[],
  embedder: TextEmbedder,
  cache: EmbeddingCache | undefined,
): Promise<number[]> {
  const missing = candidates.filter((c) => cache?.get(c.id) === undefined);
  const vectors = await embedder.embed([query, ...missing.map((c) => c.text)]);
  const q = vectors[0];
  if (q === undefined) return candidates.map(() => 0);
  const fresh = new Map<number, Float32Array>();
  missing.forEach((c, i) => {
    const v = vectors[i + 1];
    if (v === undefined) return;
    fresh.set(c.id, v);
    cache?.set(c.id, v);
  });
  return candidates.map((c) => {
    const v = fresh.get(c.id) ?? cache?.get(c.id);
    return v === undefined ? 0 : cosine(q, v);
  });
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
