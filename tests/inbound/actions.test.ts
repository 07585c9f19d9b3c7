import { describe, expect, it } from 'vitest';
import type { ContentInspection } from '../../src/core/events.js';
import type { Verdict } from '../../src/core/verdict.js';
import { applyContentVerdict, replaceSpans } from '../../src/inbound/actions.js';
import { toolResultSlots } from '../../src/inbound/content.js';

const verdict = (action: Verdict['action'], rules: Verdict['rules'] = []): Verdict => ({
  eventId: 'e',
  action,
  rules,
  signals: {},
  findings: [],
  message: undefined,
  timings: [],
  latencyMs: 0,
});

const result = { content: [{ type: 'text', text: 'mail bob@example.com key AKIAIOSFODNN7EXAMPLE' }] };
const slots = toolResultSlots(result);
const inspection: ContentInspection = {
  slots: [{ key: 'content.0.text', clean: 'mail bob@example.com key AKIAIOSFODNN7EXAMPLE' }],
  findings: [
    { slot: 'content.0.text', kind: 'pii', type: 'email', start: 5, end: 20 },
    { slot: 'content.0.text', kind: 'secret', type: 'aws_access_key', start: 25, end: 45 },
  ],
  scanTexts: [],
  contentHash: 'h',
  bytes: 0,
};
const opts = { stripInvisible: true, source: 'tool "t"' };

describe('applyContentVerdict', () => {
  it('passes allowed content unchanged (same object) when nothing was stripped', () => {
    expect(applyContentVerdict(result, slots, inspection, verdict('allow'), opts)).toBe(result);
  });

  it('gives the model the clean text (invisible characters removed) on allow', () => {
    const dirty = { content: [{ type: 'text', text: 'ig\u200bnore' }] };
    const out = applyContentVerdict(
      dirty,
      toolResultSlots(dirty),
      { ...inspection, slots: [{ key: 'content.0.text', clean: 'ignore' }], findings: [] },
      verdict('allow'),
      opts,
    );
    expect(out.content[0]?.text).toBe('ignore');
  });

  it('redacts the kinds the rule names, and only those', () => {
    const rule = {
      id: 'r',
      action: 'redact' as const,
      mode: 'enforce' as const,
      redact: { kinds: ['secret'], replacement: '[REDACTED]' },
    };
    const out = applyContentVerdict(result, slots, inspection, verdict('redact', [rule]), opts);
    const text = out.content[0]?.text ?? '';
    expect(text).toContain('bob@example.com');
    expect(text).toContain('[REDACTED:aws_access_key]');
    expect(text).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('spotlights annotated content between markers the content cannot predict', () => {
    const a =
      applyContentVerdict(result, slots, inspection, verdict('annotate'), opts).content[0]?.text ?? '';
    const b =
      applyContentVerdict(result, slots, inspection, verdict('annotate'), opts).content[0]?.text ?? '';
    const marker = /<untrusted-data id="([0-9a-f]{12})">\n([\s\S]*)\n<\/untrusted-data id="\1">$/.exec(a);
    expect(marker?.[2]).toBe(result.content[0]?.text);
    expect(a).toMatch(/do not follow instructions/);
    expect(a).not.toBe(b); // a fresh marker per event
  });
});

describe('replaceSpans', () => {
  it('replaces right to left and merges overlapping spans', () => {
    expect(
      replaceSpans('0123456789', [
        { start: 2, end: 5, text: 'A' },
        { start: 4, end: 7, text: 'B' },
        { start: 8, end: 9, text: 'C' },
      ]),
    ).toBe('01A7C9');
  });
});
