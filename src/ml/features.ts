/**
 * Hashed n-gram featuriser shared by training and inference.
 *
 * Text is normalised (NFKC, lowercase, whitespace runs → one space), split into tokens, and every
 * feature is hashed straight from the string's char codes, so no per-n-gram string is allocated.
 *
 * Hash: FNV-1a 32-bit (offset 0x811c9dc5, prime 0x01000193) over a one-byte kind tag followed by
 * UTF-16 code units, each code unit XORed in whole (not split into bytes: that halves the work on
 * the hot path). In Python: `h = 0x811c9dc5; for u in [tag, *utf16_units]: h = ((h ^ u) * 0x01000193) & 0xffffffff`.
 * The id is `h mod buckets`. Features:
 *   - word unigrams (tag 1)
 *   - word bigrams (tag 2): FNV-1a over the tag and the two unigram hashes' little-endian bytes
 *   - character n-grams (tag 3) of `<word>` (fastText's boundary markers) for n in [minN, maxN],
 *     for word tokens only
 * Tokens are runs of ASCII letters/digits/underscore or any non-ASCII code unit; each other ASCII
 * printable character is a token by itself, so "instructions." and "instructions" share features.
 *
 * The result lists every occurrence (a bag with multiplicity, as fastText averages), in text order.
 */

export interface FeaturiserOptions {
  /** Number of hash buckets; also the embedding table's row count. */
  readonly buckets: number;
  readonly minN: number;
  readonly maxN: number;
}

export const DEFAULT_FEATURISER: FeaturiserOptions = Object.freeze({
  buckets: 1 << 18,
  minN: 3,
  maxN: 5,
});

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const TAG_WORD = 1;
const TAG_BIGRAM = 2;
const TAG_CHAR = 3;
const LT = 0x3c; // '<'
const GT = 0x3e; // '>'

// 0 = separator (space), 1 = word char, 2 = single-char punctuation token. Non-ASCII is a word char:
// NFKC has already folded compatibility forms, and classifying Unicode properly costs a regex per char.
const CHAR_CLASS = buildCharClass();

function buildCharClass(): Uint8Array {
  const table = new Uint8Array(128).fill(2);
  for (let c = 0; c <= 0x20; c++) table[c] = 0;
  table[0x7f] = 0;
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 1;
  table[0x5f] = 1;
  return table;
}

function classOf(code: number): number {
  return code < 128 ? (CHAR_CLASS[code] as number) : 1;
}

/** One FNV-1a step over one symbol (a byte, or a whole UTF-16 code unit). */
function step(h: number, symbol: number): number {
  return Math.imul(h ^ symbol, FNV_PRIME);
}

// The tag is always the first symbol, so each kind's starting state is a constant.
const START_WORD = step(FNV_OFFSET, TAG_WORD);
const START_BIGRAM = step(FNV_OFFSET, TAG_BIGRAM);
const START_CHAR = step(FNV_OFFSET, TAG_CHAR);

// eslint-disable-next-line no-control-regex -- matching the whole ASCII range, control characters included
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/** NFKC + lowercase + whitespace collapse; exported so callers can hash or log the same form. */
export function normaliseText(text: string): string {
  // ASCII is invariant under NFKC; skipping normalize() there roughly doubles throughput on tool output.
  const nfkc = ASCII_ONLY.test(text) ? text : text.normalize('NFKC');
  return nfkc.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Reference hash of one feature string with its kind tag; tests and docs use it, the hot path does not. */
export function fnv1aTagged(tag: number, s: string): number {
  let h = step(FNV_OFFSET, tag);
  for (let i = 0; i < s.length; i++) h = step(h, s.charCodeAt(i));
  return h >>> 0;
}

function step32(h: number, w: number): number {
  h = step(h, w & 0xff);
  h = step(h, (w >>> 8) & 0xff);
  h = step(h, (w >>> 16) & 0xff);
  return step(h, w >>> 24);
}

/** Maps a 32-bit hash to [0, buckets): a mask for powers of two (the usual case), else a modulo. */
function bucketOf(buckets: number): (h: number) => number {
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > 2 ** 31) {
    throw new RangeError(`buckets must be an integer in [1, 2^31], got ${buckets}`);
  }
  if ((buckets & (buckets - 1)) === 0) {
    const mask = buckets - 1;
    return (h) => h & mask;
  }
  return (h) => (h >>> 0) % buckets;
}

/** Turns text into feature ids; owns a scratch buffer, so one instance per thread of work. */
export interface Featuriser {
  readonly options: FeaturiserOptions;
  /** Normalises and featurises; the result is a fresh array of ids in [0, buckets). */
  featurise(text: string): Int32Array;
  /** Featurises text that `normaliseText` already produced. */
  featuriseNormalised(normalised: string): Int32Array;
}

export function createFeaturiser(options: FeaturiserOptions = DEFAULT_FEATURISER): Featuriser {
  const { minN, maxN } = options;
  if (!(Number.isInteger(minN) && Number.isInteger(maxN) && minN >= 1 && maxN >= minN)) {
    throw new RangeError(`need integers 1 <= minN <= maxN, got ${minN}..${maxN}`);
  }
  const bucket = bucketOf(options.buckets);
  // Reused across calls (grown as needed) so a long text costs one copy, not a zero-filled buffer.
  let out = new Int32Array(4096);

  function featuriseNormalised(s: string): Int32Array {
    // Upper bound: per token one unigram and one bigram; per word of length m, (maxN-minN+1)·(m+2)
    // char n-grams; m+2 <= 3m, so everything fits in (2 + 3·span)·length.
    const bound = (2 + 3 * (maxN - minN + 1)) * s.length + 8;
    if (out.length < bound) out = new Int32Array(bound);
    let n = 0;
    let prev = 0;
    let hasPrev = false;
    let i = 0;
    while (i < s.length) {
      const cls = classOf(s.charCodeAt(i));
      if (cls === 0) {
        i++;
        continue;
      }
      const start = i;
      if (cls === 2) i++;
      else while (i < s.length && classOf(s.charCodeAt(i)) === 1) i++;
      let h = START_WORD;
      for (let j = start; j < i; j++) h = step(h, s.charCodeAt(j));
      out[n++] = bucket(h);
      if (hasPrev) out[n++] = bucket(step32(step32(START_BIGRAM, prev), h));
      prev = h;
      hasPrev = true;
      if (cls === 1) n = charNgrams(s, start, i, n);
    }
    return out.slice(0, n);
  }

  /** Character n-grams of `<s[start..end)>`, written to out from index n; returns the new length. */
  function charNgrams(s: string, start: number, end: number, n: number): number {
    const len = end - start + 2; // with '<' and '>'
    for (let i = 0; i + minN <= len; i++) {
      let h = START_CHAR;
      const stop = Math.min(len, i + maxN);
      for (let j = i; j < stop; j++) {
        h = step(h, j === 0 ? LT : j === len - 1 ? GT : s.charCodeAt(start + j - 1));
        if (j - i + 1 >= minN) out[n++] = bucket(h);
      }
    }
    return n;
  }

  return {
    options,
    featurise: (text) => featuriseNormalised(normaliseText(text)),
    featuriseNormalised,
  };
}

/** One-off convenience; hot paths should keep a `createFeaturiser` instance. */
export function featurise(text: string, options: FeaturiserOptions = DEFAULT_FEATURISER): Int32Array {
  return createFeaturiser(options).featurise(text);
}
