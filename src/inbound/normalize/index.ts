import type { Finding, Normalised } from '../types.js';
import { foldConfusables, scanConfusables } from './confusables.js';
import { decodeBlobs, type DecodeOptions } from './encoded.js';
import { findExfilLinks } from './exfil-links.js';
import { analyseHtml, looksLikeHtml } from './html.js';
import { needsParser, scanAttributes, scanComments } from './html-light.js';
import { stripInvisible, type InvisibleResult } from './invisible.js';
import { analyseJson } from './json.js';
import { deleteSpans } from './offsets.js';
import { nfkc } from './unicode.js';

export { foldConfusables, scanConfusables } from './confusables.js';
export { decodeBlobs, type DecodeOptions, type DecodeResult } from './encoded.js';
export { findExfilLinks, neutraliseExfilLinks, type ExfilOptions, type Neutralised } from './exfil-links.js';
export { isHostAllowed } from './host-allow.js';
export {
  analyseHtml,
  CONCEALING_TYPES,
  looksLikeHtml,
  type HiddenType,
  type HtmlAnalysis,
  type HtmlOptions,
} from './html.js';
export { mayHideContent, needsParser, scanAttributes, scanComments } from './html-light.js';
export { stripInvisible, type InvisibleResult } from './invisible.js';
export { decodeJsonStrings } from './json-strings.js';
export { nfkc } from './unicode.js';

/**
 * What `text` becomes when it contains HTML:
 * - `strip_hidden` (default): the markup is kept as it is, minus comments and elements that no reader of
 *   the rendered page sees (see `html.ts`): the model reads what a person reviewing the page would read;
 * - `keep`: unchanged (hidden content is still reported and scanned);
 * - `visible_text`: the text a reader sees, without markup.
 */
export type HtmlMode = 'keep' | 'strip_hidden' | 'visible_text';

export interface NormaliseOptions {
  /** Hosts that links and images may point at without a finding (`example.com`, `*.example.com`). */
  readonly allowHosts?: readonly string[];
  readonly html?: HtmlMode;
  readonly decode?: DecodeOptions;
  /** At most this many findings per normaliser. */
  readonly maxFindings?: number;
  /**
   * Whether `text` is NFKC-normalised (`true`, the default) or keeps the input's characters (`false`:
   * only invisible and tag characters and hidden HTML are removed; the NFKC form is then one of the
   * `scanTexts` when it differs). The inbound checkpoint uses `false`: compatibility characters
   * (non-breaking hyphens, fullwidth forms, ligatures) are legitimate content.
   */
  readonly nfkc?: boolean;
}

export const NORMALISE_DEFAULTS: Readonly<{
  allowHosts: readonly string[];
  html: HtmlMode;
  maxFindings: number;
}> = Object.freeze({ allowHosts: Object.freeze([]), html: 'strip_hidden', maxFindings: 200 });

/**
 * Normalises a text that is about to enter a model's context. `text` is what the model should see:
 * invisible and tag characters removed, hidden HTML stripped (by default), NFKC applied. `scanTexts` are
 * the other readings detectors must also scan: smuggled tag text, hidden HTML, decoded blobs, decoded
 * JSON strings, the homoglyph-folded text. Normaliser findings have spans in the input `text`.
 * Linear in the input, bounded work on decoding, and it does not throw.
 */
export function normalise(text: string, options: NormaliseOptions = {}): Normalised {
  const o: Resolved = { ...NORMALISE_DEFAULTS, ...options };
  const findings: Finding[] = [];
  // No stage should throw; if one does, the text goes on without that stage and an `unscanned`
  // finding says so, for the policy to fail closed on.
  const unscanned = (stage: string): void => {
    findings.push({ kind: 'unscanned', type: stage, span: { start: 0, end: text.length } });
  };
  let invisible: InvisibleResult;
  try {
    invisible = stripInvisible(text, { maxFindings: o.maxFindings });
  } catch {
    unscanned('invisible');
    return { text, findings, scanTexts: [] };
  }
  findings.push(...invisible.findings);
  const cleaned = invisible.text;
  const onCleaned: Finding[] = [];
  const scan: string[] = [...invisible.smuggled];
  let visible = cleaned;
  let isWorthFolding = false;
  for (const [name, stage] of STAGES) {
    if (name === 'confusable' && invisible.isAscii) continue;
    try {
      const out = stage(cleaned, o, onCleaned);
      onCleaned.push(...(out.findings ?? []));
      scan.push(...(out.scan ?? []));
      if (out.visible !== undefined) visible = out.visible;
      isWorthFolding ||= out.isWorthFolding === true;
    } catch {
      unscanned(name);
    }
  }
  const map = invisible.map;
  findings.push(
    ...(map.isIdentity ? onCleaned : onCleaned.map((f) => ({ ...f, span: map.spanToInput(f.span) }))),
  );
  // NFKC and homoglyphs concern non-ASCII text only; most tool output is ASCII. (Decoding entities
  // in `visible_text` mode can bring non-ASCII into ASCII input.)
  const folded = !invisible.isAscii || o.html === 'visible_text' ? nfkc(visible) : visible;
  if (o.nfkc === false) {
    if (folded !== visible) scan.push(folded);
  } else visible = folded;
  if (isWorthFolding) scan.push(foldConfusables(folded));
  findings.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  return { text: visible, findings, scanTexts: uniqueScanTexts(scan, visible) };
}

type Resolved = NormaliseOptions & typeof NORMALISE_DEFAULTS;

/** What a stage adds; findings have spans in the cleaned text (invisible characters removed). */
interface StageOutput {
  readonly findings?: readonly Finding[];
  readonly scan?: readonly string[];
  /** The new `text`, when the stage changes it. */
  readonly visible?: string;
  readonly isWorthFolding?: boolean;
}

type Stage = (cleaned: string, o: Resolved, earlier: readonly Finding[]) => StageOutput;

const STAGES: readonly (readonly [string, Stage])[] = [
  ['html', htmlStage],
  ['exfil_link', (cleaned, o) => ({ findings: findExfilLinks(cleaned, o) })],
  ['encoded', encodedStage],
  ['json', jsonStage],
  ['confusable', (cleaned, o) => scanConfusables(cleaned, o.maxFindings)],
];

function htmlStage(cleaned: string, o: Resolved): StageOutput {
  if (!looksLikeHtml(cleaned)) return {};
  if (o.html !== 'visible_text' && !needsParser(cleaned)) {
    // Markdown with a few tags and comments: no parser needed.
    const attributes = scanAttributes(cleaned, o.maxFindings);
    if (!cleaned.includes('<!--')) return { findings: attributes.findings, scan: attributes.texts };
    const comments = scanComments(cleaned, o.maxFindings);
    return {
      findings: [...comments.findings, ...attributes.findings],
      scan: [...comments.texts, ...attributes.texts],
      ...(o.html === 'strip_hidden' ? { visible: deleteSpans(cleaned, comments.spans) } : {}),
    };
  }
  const html = analyseHtml(cleaned, {
    maxFindings: o.maxFindings,
    isVisibleTextWanted: o.html === 'visible_text',
  });
  const visible =
    o.html === 'strip_hidden'
      ? deleteSpans(cleaned, html.stripSpans)
      : o.html === 'visible_text'
        ? html.visibleText
        : undefined;
  return { findings: html.findings, scan: html.hiddenTexts, ...(visible === undefined ? {} : { visible }) };
}

function encodedStage(cleaned: string, o: Resolved): StageOutput {
  const blobs = decodeBlobs(cleaned, { maxFindings: o.maxFindings, ...o.decode });
  // A level that decodes to nothing but another blob is not worth scanning; its decoding is.
  const worth = blobs.decoded.filter((b) => !/^[A-Za-z0-9+/_=-]+$/.test(b.text));
  return { findings: blobs.findings, scan: worth.flatMap((b) => readingsOf(b.text)) };
}

function jsonStage(cleaned: string, o: Resolved, earlier: readonly Finding[]): StageOutput {
  const json = analyseJson(cleaned, o);
  if (json === undefined) return {};
  return { findings: withoutDuplicates(json.findings, earlier), scan: json.scanTexts };
}

/** A decoded blob is scanned cleaned of invisible characters, plus whatever tag characters in it spell. */
function readingsOf(decoded: string): string[] {
  const inner = stripInvisible(decoded);
  return [nfkc(inner.text), ...inner.smuggled];
}

/** A JSON finding on a literal that already holds a finding of the same kind adds nothing. */
function withoutDuplicates(candidates: readonly Finding[], existing: readonly Finding[]): Finding[] {
  return candidates.filter(
    (c) =>
      !existing.some((e) => e.kind === c.kind && e.span.start >= c.span.start && e.span.end <= c.span.end),
  );
}

const MAX_SCAN_TEXTS = 256;

function uniqueScanTexts(texts: readonly string[], main: string): string[] {
  const seen = new Set<string>([main]);
  const out: string[] = [];
  let budget = main.length * 4 + (1 << 16);
  for (const t of texts) {
    if (t.trim() === '' || seen.has(t) || out.length >= MAX_SCAN_TEXTS || t.length > budget) continue;
    seen.add(t);
    out.push(t);
    budget -= t.length;
  }
  return out;
}
