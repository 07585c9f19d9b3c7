import { describe, expect, it } from 'vitest';
import { featurise, fnv1aTagged, normaliseText, type FeaturiserOptions } from '../../src/ml/features.js';

const OPTS: FeaturiserOptions = { buckets: 1 << 18, minN: 3, maxN: 5 };

describe('featurise', () => {
  it('hashes with FNV-1a 32-bit over the tag and whole UTF-16 code units', () => {
    // Computed independently in Python: h = 0x811c9dc5; for u in [tag, *units]: h = ((h ^ u) * 0x01000193) & 0xffffffff
    expect(fnv1aTagged(1, 'hello')).toBe(3715931116);
    expect(fnv1aTagged(3, '<he')).toBe(2972375705);
    expect(fnv1aTagged(1, 'é')).toBe(3295928319);
  });

  it('gives stable ids for a fixed string (golden values; changing them invalidates shipped models)', () => {
    const ids = featurise('Ignore previous instructions.', OPTS);
    expect(Array.from(ids.slice(0, 12))).toEqual([
      140158, 90522, 78620, 261641, 122740, 145281, 136073, 143252, 91922, 122965, 77673, 69604,
    ]);
    // ignore: 1 + 15 char n-grams; previous: 1 + bigram + 21; instructions: 1 + bigram + 33; '.': 1 + bigram
    expect(ids.length).toBe(76);
    expect(ids[0]).toBe(fnv1aTagged(1, 'ignore') % OPTS.buckets);
    expect(ids[1]).toBe(fnv1aTagged(3, '<ig') % OPTS.buckets);
  });

  it.each([
    ['ＩＧＮＯＲＥ previous', 'ignore previous'], // fullwidth forms
    ['Ignore\u00a0\t\n previous', 'ignore previous'], // NBSP and whitespace runs
    ['ﬁle', 'file'], // ligature
    ['cafe\u0301', 'caf\u00e9'], // decomposed vs composed
    ['  HELLO  ', 'hello'],
  ])('treats %j like %j', (a, b) => {
    expect(normaliseText(a)).toBe(normaliseText(b));
    expect(Array.from(featurise(a, OPTS))).toEqual(Array.from(featurise(b, OPTS)));
  });

  it('splits ASCII punctuation into its own tokens', () => {
    const withDot = Array.from(featurise('instructions.', OPTS));
    const plain = Array.from(featurise('instructions', OPTS));
    expect(withDot.slice(0, plain.length)).toEqual(plain);
  });

  it('keeps every id in [0, buckets) for awkward input', () => {
    const text =
      'a 😀😀 ' + 'x'.repeat(300) + ' \u0000 日本語のテキスト {"k": [1,2]} ' + '\ud800 lone surrogate';
    for (const buckets of [1, 7, 1000, 1 << 18, 2 ** 31 - 1]) {
      const ids = featurise(text, { buckets, minN: 2, maxN: 6 });
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) {
        expect(id).toBeGreaterThanOrEqual(0);
        expect(id).toBeLessThan(buckets);
      }
    }
  });

  it('returns no ids for empty or whitespace-only text', () => {
    expect(featurise('', OPTS).length).toBe(0);
    expect(featurise(' \n\t ', OPTS).length).toBe(0);
  });
});
