import { Parser } from 'htmlparser2';
import type { Finding, Span } from '../types.js';
import { maskMarkdownCode } from './code-mask.js';
import {
  hiddenClassesOf,
  isSameColor,
  KNOWN_HIDDEN_CLASSES,
  parseColor,
  parseInlineStyle,
  WHITE,
  type Rgba,
} from './html-style.js';

/**
 * Hidden HTML: what a person looking at the rendered page does not see but a model reading the markup
 * does. Finding types (kind `hidden_html`):
 * - removed from `text` in `strip_hidden` mode (concealment: nobody reading the page sees it):
 *   `comment`, `hidden_attr`, `css_hidden` (display/visibility/opacity/font-size/clip/zero size),
 *   `offscreen`, `same_color` (text colour ≈ declared background), `class_hidden` (a class that a
 *   `<style>` rule or a common framework utility hides);
 * - flagged only (visible in some rendering, or markup that is not prose): `white_text` (white text, no
 *   declared background: hidden on the default white page, legitimate on a dark theme), `aria_hidden`
 *   (hidden from screen readers, shown on screen), `template`, `noscript`, `input_hidden`, `attribute`
 *   (`alt`/`title`/`aria-label` of six words or more; shorter ones are scanned without a finding).
 * `<script>` and `<style>` text is added to the scan texts without a finding: every real page has them.
 */
export type HiddenType =
  | 'comment'
  | 'hidden_attr'
  | 'css_hidden'
  | 'offscreen'
  | 'same_color'
  | 'class_hidden'
  | 'white_text'
  | 'aria_hidden'
  | 'template'
  | 'noscript'
  | 'script'
  | 'style'
  | 'input_hidden'
  | 'attribute';

/** Concealment: nobody reading the rendered page sees it. Removed from `text` in `strip_hidden` mode. */
export const CONCEALING_TYPES: ReadonlySet<HiddenType> = new Set([
  'comment',
  'hidden_attr',
  'css_hidden',
  'offscreen',
  'same_color',
  'class_hidden',
]);
const UNREPORTED: ReadonlySet<HiddenType> = new Set(['script', 'style']);
const NON_RENDERED_TAGS: Readonly<Record<string, HiddenType>> = {
  script: 'script',
  style: 'style',
  template: 'template',
  noscript: 'noscript',
};
const BLOCK_TAGS = new Set(
  'p div br li tr td th h1 h2 h3 h4 h5 h6 section article header footer table ul ol pre blockquote hr dt dd'.split(
    ' ',
  ),
);
const HTML_RE =
  /<(?:!--|!doctype\b|\/?(?:html|head|body|div|span|p|a|img|br|hr|table|tr|td|ul|ol|li|h[1-6]|script|style|template|noscript|iframe|section|article|main|nav|header|footer|font|input|form|button|label|meta|link|svg|details|summary|small|strong|em|b|i|u|center|pre|code|blockquote)\b)/i;
const MAX_DETAIL = 300;

/** Cheap test: does the text contain HTML markup? */
export function looksLikeHtml(text: string): boolean {
  return text.includes('<') && HTML_RE.test(text);
}

export interface HtmlAnalysis {
  /** Spans are in the analysed text. */
  readonly findings: Finding[];
  /** Hidden and non-rendered text, entities decoded, for scanning. */
  readonly hiddenTexts: string[];
  /** What `strip_hidden` removes. */
  readonly stripSpans: Span[];
  /** The text a reader of the rendered page sees (block elements become line breaks), when asked for. */
  readonly visibleText: string;
}

interface Frame {
  readonly name: string;
  readonly start: number;
  readonly color: Rgba | undefined;
  readonly background: Rgba | undefined;
  /** Set on the outermost hidden element only: its kind and the text under it. */
  readonly owner?: { readonly type: HiddenType; readonly texts: string[] };
  readonly isInHidden: boolean;
}

export interface HtmlOptions {
  readonly maxFindings?: number;
  /** Build `visibleText` (skipped by default: only the `visible_text` mode needs it). */
  readonly isVisibleTextWanted?: boolean;
}

/** Parses `text` as HTML (Markdown code masked first) and collects hidden content. */
export function analyseHtml(text: string, options: HtmlOptions = {}): HtmlAnalysis {
  const maxFindings = options.maxFindings ?? 200;
  const isVisibleTextWanted = options.isVisibleTextWanted ?? false;
  const result: HtmlAnalysis = { findings: [], hiddenTexts: [], stripSpans: [], visibleText: '' };
  const visible: string[] = [];
  const stack: Frame[] = [];
  const hiddenClasses = new Set<string>();
  let isEnded = false;
  const masked = maskMarkdownCode(text);
  const report = (type: HiddenType, rawSpan: Span, hidden: string): void => {
    // The parser's indices can run one past the end on unterminated input (`<!-- x`).
    const end = Math.min(rawSpan.end, text.length);
    const span = { start: Math.min(rawSpan.start, end), end };
    const trimmed = hidden.replace(/\s+/g, ' ').trim();
    if (CONCEALING_TYPES.has(type)) result.stripSpans.push(span);
    if (trimmed === '') return;
    result.hiddenTexts.push(trimmed);
    if (UNREPORTED.has(type) || result.findings.length >= maxFindings) return;
    if (type === 'attribute' && wordCount(trimmed) < 6) return;
    result.findings.push({ kind: 'hidden_html', type, span, detail: trimmed.slice(0, MAX_DETAIL) });
  };
  const parser: Parser = new Parser(
    {
      onopentag(name, attribs) {
        const parent = stack[stack.length - 1];
        const frame = openFrame(name, attribs, parent, parser.startIndex, hiddenClasses);
        stack.push(frame);
        if (isVisibleTextWanted && BLOCK_TAGS.has(name) && !frame.isInHidden) visible.push('\n');
        for (const [type, value] of attributeTextsOf(name, attribs)) {
          report(type, { start: parser.startIndex, end: parser.endIndex + 1 }, value);
        }
      },
      ontext(data) {
        const owner = innermostOwner(stack);
        if (owner !== undefined) owner.texts.push(data);
        else if (isVisibleTextWanted) visible.push(data);
      },
      onclosetag(name, isImplied) {
        const frame = stack.pop();
        if (frame === undefined) return;
        if (isVisibleTextWanted && BLOCK_TAGS.has(name) && !frame.isInHidden) visible.push('\n');
        if (frame.owner === undefined) return;
        const end = isEnded
          ? text.length
          : isImplied && !isVoid(name)
            ? parser.startIndex
            : parser.endIndex + 1;
        const texts = frame.owner.texts.join(' ');
        if (name === 'style') hiddenClassesOf(texts, hiddenClasses);
        const span = { start: frame.start, end: Math.min(Math.max(end, frame.start), text.length) };
        report(frame.owner.type, span, texts + unmaskedExtra(text, masked, span));
      },
      oncomment() {
        // From the original text: Markdown code masked for parsing may sit inside a comment.
        const data = text.slice(parser.startIndex + 4, parser.endIndex + 1).replace(/-->$/, '');
        const owner = innermostOwner(stack);
        if (owner !== undefined) owner.texts.push(data);
        else report('comment', { start: parser.startIndex, end: parser.endIndex + 1 }, data);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true, recognizeSelfClosing: true },
  );
  try {
    parser.write(masked);
    isEnded = true;
    parser.end();
  } catch {
    // htmlparser2 is tolerant by design; whatever was collected before a failure still stands.
  }
  return { ...result, visibleText: isVisibleTextWanted ? tidyVisible(visible.join('')) : '' };
}

/**
 * Text that masking Markdown code hid from the parser inside a hidden element (`` `do this` `` in a
 * `display:none` div): the original slice, tags dropped, so it is scanned and reported too.
 */
function unmaskedExtra(text: string, masked: string, span: Span): string {
  if (masked === text) return '';
  const original = text.slice(span.start, span.end);
  if (masked.slice(span.start, span.end) === original) return '';
  return ` ${original.replace(/<[^<>]{0,2000}>/g, ' ')}`;
}

function innermostOwner(stack: readonly Frame[]): Frame['owner'] {
  for (let i = stack.length - 1; i >= 0; i--) {
    const frame = stack[i];
    if (frame?.owner !== undefined) return frame.owner;
    if (frame !== undefined && !frame.isInHidden) return undefined;
  }
  return undefined;
}

function openFrame(
  name: string,
  attribs: Readonly<Record<string, string>>,
  parent: Frame | undefined,
  start: number,
  hiddenClasses: ReadonlySet<string>,
): Frame {
  const style = attribs.style === undefined ? {} : parseInlineStyle(attribs.style);
  const ownColor = style.color ?? colorAttr(attribs.color);
  const ownBackground = style.background ?? colorAttr(attribs.bgcolor);
  const color = ownColor ?? parent?.color;
  const background = ownBackground ?? parent?.background;
  const frame = { name, start, color, background };
  if (parent?.isInHidden === true) return { ...frame, isInHidden: true };
  const type = hiddenTypeOf(name, attribs, style.hiding, hiddenClasses, {
    isColorSet: ownColor !== undefined || ownBackground !== undefined,
    color,
    background,
  });
  if (type === undefined) return { ...frame, isInHidden: false };
  return { ...frame, isInHidden: true, owner: { type, texts: [] } };
}

function hiddenTypeOf(
  name: string,
  attribs: Readonly<Record<string, string>>,
  styleHiding: HiddenType | undefined,
  hiddenClasses: ReadonlySet<string>,
  colors: { isColorSet: boolean; color: Rgba | undefined; background: Rgba | undefined },
): HiddenType | undefined {
  const nonRendered = NON_RENDERED_TAGS[name];
  if (nonRendered !== undefined) return nonRendered;
  if (attribs.hidden !== undefined) return 'hidden_attr';
  if (styleHiding !== undefined) return styleHiding;
  if (attribs.class !== undefined && hasHiddenClass(attribs.class, hiddenClasses)) return 'class_hidden';
  if (colors.isColorSet && colors.color !== undefined) {
    if (colors.background !== undefined && isSameColor(colors.color, colors.background)) return 'same_color';
    if (colors.background === undefined && isSameColor(colors.color, WHITE)) return 'white_text';
  }
  if (attribs['aria-hidden']?.toLowerCase() === 'true') return 'aria_hidden';
  return undefined;
}

function hasHiddenClass(classAttr: string, hiddenClasses: ReadonlySet<string>): boolean {
  const classes = classAttr.split(/\s+/);
  // Tailwind-style `hidden md:block` is shown from some breakpoint on: not hidden.
  if (classes.some((c) => c.includes(':'))) return false;
  return classes.some((c) => hiddenClasses.has(c) || KNOWN_HIDDEN_CLASSES.has(c));
}

function colorAttr(value: string | undefined): Rgba | undefined {
  return value === undefined ? undefined : parseColor(value);
}

const NO_ATTRIBUTE_TEXTS: readonly [HiddenType, string][] = [];

function attributeTextsOf(
  name: string,
  attribs: Readonly<Record<string, string>>,
): readonly [HiddenType, string][] {
  const { alt, title, value } = attribs;
  const label = attribs['aria-label'];
  if (alt === undefined && title === undefined && label === undefined && name !== 'input')
    return NO_ATTRIBUTE_TEXTS;
  const out: [HiddenType, string][] = [];
  if (
    name === 'input' &&
    attribs.type?.toLowerCase() === 'hidden' &&
    value !== undefined &&
    wordCount(value) >= 3
  ) {
    out.push(['input_hidden', value]);
  }
  for (const text of [alt, title, label]) if (text !== undefined) out.push(['attribute', text]);
  return out;
}

function wordCount(s: string): number {
  return s.split(/\s+/).filter((w) => w !== '').length;
}

const VOID = new Set('area base br col embed hr img input link meta source track wbr'.split(' '));
function isVoid(name: string): boolean {
  return VOID.has(name);
}

function tidyVisible(s: string): string {
  return s
    .replace(/[ \t\f\v]+/g, ' ')
    .replace(/ ?\n[\s]*\n\s*/g, '\n\n')
    .trim();
}
