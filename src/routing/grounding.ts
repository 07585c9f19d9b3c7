import { cosine } from '../ml/embedding.js';
import type { TextEmbedder } from '../ml/scorer.js';

/**
 * Grounding: the share of an answer's sentences that the context (tool results, retrieved text)
 * supports. A sentence is supported when most of its content words occur in the context and every
 * number it states does (lexical), or — when vectors are given — when its embedding is close to a
 * context sentence's. It measures overlap, not truth: a paraphrase with other words and no vectors
 * counts as unsupported, and a sentence that copies context words into a false claim counts as
 * supported (docs/routing.md, "Grounding").
 */
export interface GroundingScore {
  /** supported / sentences; 1 for an answer with no sentence to check. */
  readonly score: number;
  readonly sentences: number;
  readonly supported: number;
}

export interface GroundingOptions {
  /** The answer's sentence vectors, in `splitSentences(answer)` order. */
  readonly sentenceVectors?: readonly ArrayLike<number>[];
  /** Vectors of the context's sentences (any order). */
  readonly contextVectors?: readonly ArrayLike<number>[];
  /** Share of a sentence's content words that must occur in the context (default 0.6). */
  readonly lexicalThreshold?: number;
  /** Cosine to the nearest context sentence that counts as support (default 0.8). */
  readonly cosineThreshold?: number;
}

const STOP = new Set(
  (
    'a an the and or but if then else of to in on at by for with from as is are was were be been being ' +
    'it its this that these those there here he she they them we you i me my our your their his her ' +
    'not no do does did done has have had can could will would should may might must also so such than ' +
    'very into over under about after before which who whom what when where why how all any each some'
  ).split(' '),
);

/** Sentences: split after `.`, `!`, `?` (or a newline) followed by space; empty ones dropped. */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => /[\p{L}\p{N}]/u.test(s));
}

function contentWords(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+(?:[.,][0-9]+)*/gu) ?? []).filter(
    (w) => !STOP.has(w) && (w.length > 2 || /\d/.test(w)),
  );
}

export function groundingScore(
  answer: string,
  context: readonly string[],
  options: GroundingOptions = {},
): GroundingScore {
  const sentences = splitSentences(answer);
  if (sentences.length === 0) return { score: 1, sentences: 0, supported: 0 };
  const known = new Set(context.flatMap(contentWords));
  const lexical = options.lexicalThreshold ?? 0.6;
  const near = options.cosineThreshold ?? 0.8;
  let supported = 0;
  sentences.forEach((s, i) => {
    const words = contentWords(s);
    const numbers = words.filter((w) => /\d/.test(w));
    const hits = words.filter((w) => known.has(w)).length;
    const isLexical =
      words.length > 0 && hits / words.length >= lexical && numbers.every((n) => known.has(n));
    const v = options.sentenceVectors?.[i];
    const isNear =
      v !== undefined &&
      numbers.every((n) => known.has(n)) &&
      (options.contextVectors ?? []).some((c) => cosine(v, c) >= near);
    if (isLexical || isNear) supported++;
  });
  return { score: supported / sentences.length, sentences: sentences.length, supported };
}

/** `groundingScore` with the embedding test: the answer's and the context's sentences embedded. */
export async function groundingScoreWithEmbedder(
  answer: string,
  context: readonly string[],
  embedder: TextEmbedder,
  options: Omit<GroundingOptions, 'sentenceVectors' | 'contextVectors'> = {},
): Promise<GroundingScore> {
  const sentences = splitSentences(answer);
  const contextSentences = context.flatMap(splitSentences);
  if (sentences.length === 0 || contextSentences.length === 0)
    return groundingScore(answer, context, options);
  const [sentenceVectors, contextVectors] = await Promise.all([
    embedder.embed(sentences),
    embedder.embed(contextSentences),
  ]);
  return groundingScore(answer, context, { ...options, sentenceVectors, contextVectors });
}
