import { describe, expect, it } from 'vitest';
import { detectPii } from '../../src/inbound/detect/pii.js';
import { redactSpans, restoreTokens } from '../../src/inbound/detect/redact.js';
import type { Finding } from '../../src/inbound/types.js';

const pii = (type: string, start: number, end: number): Finding => ({
  kind: 'pii',
  type,
  span: { start, end },
});

describe('redactSpans', () => {
  it('replaces spans right to left with [REDACTED:<type>]', () => {
    const text = 'Mail a@b.io or call (415) 555-2671.';
    expect(redactSpans(text, detectPii(text))).toBe('Mail [REDACTED:email] or call [REDACTED:phone].');
  });

  it('merges overlapping spans and labels them with the longest finding', () => {
    const text = '0123456789abcdef';
    const out = redactSpans(text, [pii('phone', 2, 6), pii('card', 4, 12), pii('email', 5, 7)]);
    expect(out).toBe('01[REDACTED:card]cdef');
    expect(redactSpans(text, [pii('a', 0, 4), pii('b', 4, 8)])).toBe('[REDACTED:a][REDACTED:b]89abcdef');
  });

  it('ignores empty spans and clamps spans outside the text (a broken start fails closed, to 0)', () => {
    expect(redactSpans('abc', [pii('x', 1, 1), pii('y', -5, 1), pii('z', 2, 99)])).toBe(
      '[REDACTED:y]b[REDACTED:z]',
    );
    expect(redactSpans('abc', [pii('x', Number.NaN, 2)])).toBe('[REDACTED:x]c');
  });

  it('never splits a surrogate pair', () => {
    expect(redactSpans('a😀b', [pii('x', 2, 3)])).toBe('a[REDACTED:x]b');
  });

  it('gives reversible, stable tokens from a caller-supplied map', () => {
    const tokens = new Map<string, string>();
    const style = { kind: 'token', tokens } as const;
    const first = 'a@b.io wrote to c@d.io, then a@b.io again';
    const redacted = redactSpans(first, detectPii(first), style);
    expect(redacted).toBe('[PII:email:1] wrote to [PII:email:2], then [PII:email:1] again');
    const second = 'c@d.io and key sk';
    const more = redactSpans(
      second,
      [...detectPii(second), { kind: 'secret', type: 'api_key', span: { start: 15, end: 17 } }],
      style,
    );
    expect(more).toBe('[PII:email:2] and key [SECRET:api_key:1]');
    expect(restoreTokens(redacted, tokens)).toBe(first);
    expect(restoreTokens(more, tokens)).toBe(second);
    expect(restoreTokens('[PII:email:9] stays', tokens)).toBe('[PII:email:9] stays');
  });
});
