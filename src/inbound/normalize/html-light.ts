import type { Finding, Span } from '../types.js';
import { maskMarkdownCode } from './code-mask.js';

/**
 * HTML read without a parser, for the common case: Markdown or text with a few tags, where parsing
 * the whole text with htmlparser2 would cost more than everything else together.
 */

/**
 * Could the markup hide anything beyond comments? Without a non-rendered element, a `style`, `hidden`,
 * colour or class attribute, the parser would find nothing but comments (Markdown with `<img>` and
 * `<p align>` tags is common).
 */
const NEEDS_PARSER_RE =
  /<(?:script|style|template|noscript|font|input)\b|\s(?:style|aria-hidden|bgcolor|color|class)\s*=|<[a-z][^<>]{0,300}?\shidden\b/i;

export function needsParser(text: string): boolean {
  return NEEDS_PARSER_RE.test(text);
}

/** Could the markup hide anything at all (comments included)? */
export function mayHideContent(text: string): boolean {
  return text.includes('<!--') || needsParser(text);
}

const ATTRIBUTE_TEXT_RE = /\s(?:alt|title|aria-label)\s*=\s*(?:"([^"<>]{1,2000})"|'([^'<>]{1,2000})')/gi;

/**
 * `alt`, `title` and `aria-label` values, for texts that are not parsed (entities left as they are):
 * all are scanned, those of six words or more reported (`attribute`), as the parser does.
 */
export function scanAttributes(text: string, maxFindings = 200): { findings: Finding[]; texts: string[] } {
  const result: { findings: Finding[]; texts: string[] } = { findings: [], texts: [] };
  ATTRIBUTE_TEXT_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ATTRIBUTE_TEXT_RE.exec(text)) !== null) {
    const value = (m[1] ?? m[2] ?? '').replace(/\s+/g, ' ').trim();
    if (value === '') continue;
    result.texts.push(value);
    if (value.split(' ').length >= 6 && result.findings.length < maxFindings) {
      const span = { start: m.index + 1, end: m.index + m[0].length };
      result.findings.push({ kind: 'hidden_html', type: 'attribute', span, detail: value.slice(0, 300) });
    }
  }
  return result;
}

export interface CommentScan {
  /** `hidden_html` findings of type `comment`, spans in `text`. */
  readonly findings: Finding[];
  readonly texts: string[];
  /** Every comment, empty ones too: what `strip_hidden` removes. */
  readonly spans: Span[];
}

/**
 * HTML comments, found with `indexOf` (an unterminated `<!--` runs to the end of the text, as in a
 * browser), outside Markdown code. The same findings as the parser's for text that has nothing else.
 */
export function scanComments(text: string, maxFindings = 200): CommentScan {
  const masked = maskMarkdownCode(text);
  const result: CommentScan = { findings: [], texts: [], spans: [] };
  for (let open = masked.indexOf('<!--'); open >= 0; open = masked.indexOf('<!--', open + 4)) {
    const close = masked.indexOf('-->', open + 4);
    const end = close < 0 ? text.length : close + 3;
    const span = { start: open, end };
    result.spans.push(span);
    const body = text
      .slice(open + 4, close < 0 ? text.length : close)
      .replace(/\s+/g, ' ')
      .trim();
    if (body !== '') {
      result.texts.push(body);
      if (result.findings.length < maxFindings) {
        result.findings.push({ kind: 'hidden_html', type: 'comment', span, detail: body.slice(0, 300) });
      }
    }
    if (close < 0) break;
    open = end - 4;
  }
  return result;
}
