import { createHash } from 'node:crypto';
import type { ContentInspection } from '../core/events.js';
import type { SpanFinding } from '../core/verdict.js';
import { detectPii } from './detect/pii.js';
import { detectSecrets } from './detect/secrets.js';
import { normalise } from './normalize/index.js';
import type { Finding } from './types.js';
import type { Slot } from './content.js';

export interface InspectorOptions {
  /** Hosts that Markdown images and links may point to (`*.example.com` globs). */
  readonly allowHosts: readonly string[];
  /** Content beyond this many UTF-16 units per event is not inspected (a finding says so). */
  readonly maxChars: number;
}

/** The pure part of the inbound checkpoint: normalise and detect. It never throws and never waits. */
export interface Inspector {
  inspect(slots: readonly Slot[], raw: unknown): ContentInspection;
}

/** Characters removed from what the model sees: they are invisible to people and carry smuggled text. */
const STRIPPED = new Set(['invisible', 'tag_chars']);

export function createInspector(options: InspectorOptions): Inspector {
  const normaliseOptions = { allowHosts: options.allowHosts };
  return {
    inspect(slots, raw) {
      const json = JSON.stringify(raw) ?? '';
      const contentHash = createHash('sha256').update(json).digest('hex');
      const findings: SpanFinding[] = [];
      const out: { key: string; clean: string }[] = [];
      const scanTexts: string[] = [];
      let budget = options.maxChars;
      for (const slot of slots) {
        if (budget <= 0) {
          findings.push({
            slot: slot.key,
            kind: 'oversize',
            type: 'not_inspected',
            start: 0,
            end: slot.text.length,
          });
          out.push({ key: slot.key, clean: slot.text });
          continue;
        }
        const text = slot.text.length > budget ? slot.text.slice(0, budget) : slot.text;
        budget -= text.length;
        const n = normalise(text, normaliseOptions);
        const removed = n.findings.filter((f) => STRIPPED.has(f.kind)).map((f) => f.span);
        const clean =
          removeSpans(text, removed) + (text.length < slot.text.length ? slot.text.slice(text.length) : '');
        const shift = spanShifter(removed);
        for (const f of n.findings) {
          if (STRIPPED.has(f.kind)) findings.push(spanFinding(slot.key, f, f.span.start, f.span.end));
          else findings.push(spanFinding(slot.key, f, shift(f.span.start), shift(f.span.end)));
        }
        for (const f of detectPii(clean)) findings.push(spanFinding(slot.key, f, f.span.start, f.span.end));
        for (const f of detectSecrets(clean))
          findings.push(spanFinding(slot.key, f, f.span.start, f.span.end));
        // Secrets and PII hidden in decoded blobs or smuggled text count too; their span is the carrier's.
        for (const hidden of n.scanTexts) {
          scanTexts.push(hidden);
          for (const f of detectSecrets(hidden)) findings.push(hiddenFinding(slot.key, f));
        }
        if (text.length < slot.text.length) {
          findings.push({
            slot: slot.key,
            kind: 'oversize',
            type: 'truncated',
            start: text.length,
            end: slot.text.length,
          });
        }
        out.push({ key: slot.key, clean });
      }
      const joined = out.map((s) => s.clean).join('\n');
      return {
        slots: out,
        findings,
        scanTexts: joined === '' ? scanTexts : [joined, ...scanTexts],
        contentHash,
        bytes: json.length,
      };
    },
  };
}

function spanFinding(slot: string, f: Finding, start: number, end: number): SpanFinding {
  return {
    slot,
    kind: f.kind,
    type: f.type,
    start,
    end,
    ...(f.detail === undefined ? {} : { detail: f.detail }),
  };
}

/** A finding in a decoded or hidden text has no span of its own in the slot: it points at the slot's start. */
function hiddenFinding(slot: string, f: Finding): SpanFinding {
  return { slot, kind: f.kind, type: f.type, start: 0, end: 0, detail: 'in decoded or hidden text' };
}

/** `text` without the given spans (which may overlap, in any order). */
export function removeSpans(text: string, spans: readonly { start: number; end: number }[]): string {
  if (spans.length === 0) return text;
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const s of sorted) {
    if (s.start > at) out += text.slice(at, s.start);
    at = Math.max(at, s.end);
  }
  return out + text.slice(at);
}

/** Maps an offset in the original text to the text with `removed` spans taken out. */
export function spanShifter(removed: readonly { start: number; end: number }[]): (offset: number) => number {
  if (removed.length === 0) return (o) => o;
  const sorted = [...removed].sort((a, b) => a.start - b.start);
  return (offset) => {
    let cut = 0;
    let at = 0;
    for (const s of sorted) {
      const start = Math.max(s.start, at);
      if (start >= offset) break;
      const end = Math.min(s.end, offset);
      if (end > start) cut += end - start;
      at = Math.max(at, s.end);
    }
    return offset - cut;
  };
}
