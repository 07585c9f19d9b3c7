import { createHash } from 'node:crypto';
import type { ContentInspection } from '../core/events.js';
import type { SpanFinding } from '../core/verdict.js';
import { detectPii } from './detect/pii.js';
import { detectSecrets } from './detect/secrets.js';
import { findExfilLinks, normalise } from './normalize/index.js';
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
  /**
   * `fields` (default true): also score each prose field of structured content on its own. Off for
   * tool definitions, whose schema strings are short field descriptions the model reads badly alone.
   */
  inspect(slots: readonly Slot[], raw: unknown, options?: { fields?: boolean }): ContentInspection;
}

/** Found again on the clean text, so their spans are where redaction replaces them. */
const ON_CLEAN = new Set(['exfil_link']);

/**
 * The clean text of a slot is the normaliser's `text`: invisible and tag characters removed, hidden
 * HTML stripped, NFKC applied, so the model reads exactly what the scanners read. PII, secrets and
 * exfiltration links are found on the clean text (spans there: what `redact` replaces); the other
 * normaliser findings keep their spans in the text as the server sent it.
 */
export function createInspector(options: InspectorOptions): Inspector {
  const normaliseOptions = { allowHosts: options.allowHosts, nfkc: false };
  return {
    inspect(slots, raw, inspectOptions = {}) {
      const byField = inspectOptions.fields ?? true;
      const json = JSON.stringify(raw) ?? '';
      const contentHash = createHash('sha256').update(json).digest('hex');
      const findings: SpanFinding[] = [];
      const out: { key: string; clean: string }[] = [];
      const scanTexts: string[] = [];
      const fields: string[] = [];
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
        const truncated = slot.text.length > budget;
        const text = truncated ? slot.text.slice(0, budget) : slot.text;
        budget -= text.length;
        const n = normalise(text, normaliseOptions);
        const clean = n.text + (truncated ? slot.text.slice(text.length) : '');
        for (const f of n.findings) {
          if (!ON_CLEAN.has(f.kind)) findings.push(spanFinding(slot.key, f));
        }
        for (const f of findExfilLinks(n.text, normaliseOptions)) findings.push(spanFinding(slot.key, f));
        for (const f of detectPii(n.text)) findings.push(spanFinding(slot.key, f));
        for (const f of detectSecrets(n.text)) findings.push(spanFinding(slot.key, f));
        // Secrets hidden in decoded blobs or smuggled text count too; they have no span in the clean text.
        for (const hidden of n.scanTexts) {
          scanTexts.push(hidden);
          for (const f of detectSecrets(hidden)) findings.push(hiddenFinding(slot.key, f));
        }
        if (truncated) {
          findings.push({
            slot: slot.key,
            kind: 'oversize',
            type: 'truncated',
            start: text.length,
            end: slot.text.length,
          });
        }
        out.push({ key: slot.key, clean });
        if (byField) fieldTexts(n.text, fields);
      }
      const joined = out.map((s) => s.clean).join('\n');
      // Each prose field of structured content is also read on its own: an instruction inside one
      // field of a JSON result reads, in the whole, like data (docs/inbound.md, "Scoring").
      if (byField && out.length > 1) for (const s of out) if (isProse(s.clean)) fields.push(s.clean);
      scanTexts.push(...new Set(fields.slice(0, MAX_FIELD_TEXTS)));
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

/** At most this many fields of structured content are scored on their own, per event. */
const MAX_FIELD_TEXTS = 64;
const MIN_FIELD_CHARS = 20;

/** A field worth scoring by itself: long enough, and words rather than an id or a number. */
function isProse(text: string): boolean {
  return text.length >= MIN_FIELD_CHARS && /\s/.test(text.trim());
}

/** The prose string values of a text that is JSON (an object or an array), in document order. */
function fieldTexts(text: string, out: string[]): void {
  const t = text.trimStart();
  if (t[0] !== '{' && t[0] !== '[') return;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return;
  }
  const visit = (v: unknown, depth: number): void => {
    if (out.length >= MAX_FIELD_TEXTS) return;
    if (typeof v === 'string') {
      if (isProse(v)) out.push(v);
    } else if (depth < 16 && v !== null && typeof v === 'object') {
      for (const x of Array.isArray(v) ? v : Object.values(v)) visit(x, depth + 1);
    }
  };
  visit(value, 0);
}

function spanFinding(slot: string, f: Finding): SpanFinding {
  const { start, end } = f.span;
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
