import type { Finding } from '../types.js';
import { OffsetMap } from './offsets.js';
import { isAscii } from './unicode.js';

/**
 * Invisible characters: zero-width and bidi controls, Unicode tag characters (U+E0000–U+E007F,
 * "ASCII smuggling") and runs of variation selectors (bytes smuggled behind an emoji). They are
 * removed from the text in one linear pass; each run is reported with its span in the input, and
 * what the smuggling runs spell is returned for scanning. Lone surrogates become U+FFFD (same length).
 *
 * Kept on purpose (they are legitimate and carry no hidden payload):
 * - ZWJ/ZWNJ (U+200D/U+200C) between non-ASCII characters (emoji sequences, Persian, Indic scripts);
 * - a single variation selector (U+FE0E/U+FE0F after an emoji or a keycap; a short run that spells
 *   nothing is removed without a finding);
 * - the tag characters of an emoji subdivision flag (🏴 + `gbsct` + CANCEL TAG).
 */

// Without the `u` flag the pattern works on UTF-16 code units, which is what lets it see lone surrogates.
// The class lists combining marks and variation selectors on purpose, one code point each.
const SPECIAL_RE =
  // eslint-disable-next-line no-misleading-character-class
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB]|\uDB40[\uDC00-\uDC7F\uDD00-\uDDEF]|\uD834[\uDD73-\uDD7A]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

type Category = 'lone' | 'tag' | 'vs' | 'join' | 'bidi' | 'zw';
type RunClass = 'tag' | 'vs' | 'format';

interface Run {
  cls: RunClass;
  start: number;
  end: number;
  /** Code points in the run. */
  cps: number[];
}

export interface InvisibleResult {
  readonly text: string;
  readonly findings: Finding[];
  /** Text spelled by tag characters and variation-selector runs. */
  readonly smuggled: string[];
  /** Maps positions in `text` back to the input. */
  readonly map: OffsetMap;
  /** The input was all ASCII (so is `text`): nothing for NFKC or homoglyph folding to do. */
  readonly isAscii: boolean;
}

export interface InvisibleOptions {
  /** At most this many findings are reported (the characters are removed all the same). */
  readonly maxFindings?: number;
}

/** Removes invisible characters from `text` and reports them (see the module comment). */
export function stripInvisible(text: string, options: InvisibleOptions = {}): InvisibleResult {
  const map = new OffsetMap();
  if (isAscii(text)) return { text, findings: [], smuggled: [], map, isAscii: true };
  SPECIAL_RE.lastIndex = 0;
  if (!SPECIAL_RE.test(text)) return { text, findings: [], smuggled: [], map, isAscii: false };
  const state = new StripState(text, map, options.maxFindings ?? 200);
  SPECIAL_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = SPECIAL_RE.exec(text)) !== null) {
    const cp = m[0].codePointAt(0) ?? 0;
    const category = categorise(m[0], cp);
    if (category === 'lone') state.replaceLoneSurrogate(m.index);
    else state.add(category, m.index, m.index + m[0].length, cp);
  }
  return state.finish();
}

function categorise(match: string, cp: number): Category {
  if (match.length === 1 && cp >= 0xd800 && cp <= 0xdfff) return 'lone';
  if (cp >= 0xe0000 && cp <= 0xe007f) return 'tag';
  if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef)) return 'vs';
  if (cp === 0x200c || cp === 0x200d) return 'join';
  if (
    cp === 0x061c ||
    cp === 0x200e ||
    cp === 0x200f ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069)
  )
    return 'bidi';
  return 'zw';
}

function runClassOf(category: Category): RunClass {
  return category === 'tag' ? 'tag' : category === 'vs' ? 'vs' : 'format';
}

class StripState {
  private readonly parts: string[] = [];
  private pos = 0;
  private run: Run | undefined;
  readonly findings: Finding[] = [];
  readonly smuggled: string[] = [];

  constructor(
    private readonly text: string,
    private readonly map: OffsetMap,
    private readonly maxFindings: number,
  ) {}

  add(category: Category, start: number, end: number, cp: number): void {
    const cls = runClassOf(category);
    const run = this.run;
    if (run !== undefined && run.end === start && run.cls === cls) {
      run.end = end;
      run.cps.push(cp);
      return;
    }
    this.closeRun();
    this.run = { cls, start, end, cps: [cp] };
  }

  replaceLoneSurrogate(index: number): void {
    this.closeRun();
    this.parts.push(this.text.slice(this.pos, index), '\uFFFD');
    this.pos = index + 1;
  }

  finish(): InvisibleResult {
    this.closeRun();
    this.parts.push(this.text.slice(this.pos));
    return {
      text: this.parts.join(''),
      findings: this.findings,
      smuggled: this.smuggled,
      map: this.map,
      isAscii: false,
    };
  }

  private closeRun(): void {
    const run = this.run;
    if (run === undefined) return;
    this.run = undefined;
    if (run.cls === 'tag') this.closeTagRun(run);
    else if (run.cls === 'vs') this.closeVsRun(run);
    else this.closeFormatRun(run);
  }

  private remove(run: Run): void {
    this.parts.push(this.text.slice(this.pos, run.start));
    this.pos = run.end;
    this.map.delete(run.start, run.end);
  }

  private report(finding: Finding): void {
    if (this.findings.length < this.maxFindings) this.findings.push(finding);
  }

  private closeTagRun(run: Run): void {
    const decoded = decodeTagCodePoints(run.cps);
    if (isSubdivisionFlag(this.text, run, decoded)) return;
    this.remove(run);
    this.report({
      kind: 'tag_chars',
      type: 'tag_chars',
      span: { start: run.start, end: run.end },
      detail: decoded,
    });
    if (decoded !== '') this.smuggled.push(decoded);
  }

  private closeVsRun(run: Run): void {
    if (run.cps.length === 1 && (run.cps[0] ?? 0) <= 0xffff) return;
    this.remove(run);
    const decoded = decodeVariationSelectors(run.cps);
    const isText = decoded.length >= 2 && isMostlyPrintable(decoded);
    // A doubled U+FE0F is a typo, not a payload: removed without a finding.
    if (!isText && run.cps.length < 8) return;
    this.report({
      kind: 'invisible',
      type: 'variation_selectors',
      span: { start: run.start, end: run.end },
      detail: isText ? decoded : `${run.cps.length} variation selectors`,
    });
    if (isText) this.smuggled.push(decoded);
  }

  private closeFormatRun(run: Run): void {
    const isJoinOnly = run.cps.every((cp) => cp === 0x200c || cp === 0x200d);
    if (isJoinOnly && !isAsciiVisible(this.text, run.start - 1) && !isAsciiVisible(this.text, run.end))
      return;
    this.remove(run);
    const isBidi = run.cps.some((cp) => categorise(String.fromCodePoint(cp), cp) === 'bidi');
    this.report({
      kind: 'invisible',
      type: isBidi ? 'bidi' : 'zero_width',
      span: { start: run.start, end: run.end },
      detail: describeCodePoints(run.cps),
    });
  }
}

function isAsciiVisible(text: string, index: number): boolean {
  const c = text.charCodeAt(index);
  return c >= 0x21 && c <= 0x7e;
}

/** Tag characters U+E0020–U+E007E spell ASCII 0x20–0x7E; the others (LANGUAGE TAG, CANCEL TAG) spell nothing. */
export function decodeTagCodePoints(cps: readonly number[]): string {
  let out = '';
  for (const cp of cps) {
    const c = cp - 0xe0000;
    if (c >= 0x20 && c <= 0x7e) out += String.fromCharCode(c);
  }
  return out;
}

/** 🏴 (U+1F3F4) followed by lowercase tag letters and CANCEL TAG is an emoji subdivision flag (UTS #51). */
function isSubdivisionFlag(text: string, run: Run, decoded: string): boolean {
  return (
    text.charCodeAt(run.start - 2) === 0xd83c &&
    text.charCodeAt(run.start - 1) === 0xdff4 &&
    run.cps[run.cps.length - 1] === 0xe007f &&
    /^[a-z0-9]{2,7}$/.test(decoded)
  );
}

/** VS1–VS16 carry bytes 0–15 and VS17–VS256 bytes 16–255 (the "emoji smuggling" encoding). */
function decodeVariationSelectors(cps: readonly number[]): string {
  const bytes = new Uint8Array(cps.length);
  cps.forEach((cp, i) => {
    bytes[i] = cp <= 0xffff ? cp - 0xfe00 : cp - 0xe0100 + 16;
  });
  return new TextDecoder('utf-8').decode(bytes);
}

function isMostlyPrintable(s: string): boolean {
  let bad = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f || c === 0xfffd) bad++;
  }
  return bad * 10 <= s.length;
}

function describeCodePoints(cps: readonly number[]): string {
  const unique = [...new Set(cps)].slice(0, 8);
  const names = unique.map((cp) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
  return cps.length > 1 ? `${names.join(' ')} (${cps.length} chars)` : names.join(' ');
}
