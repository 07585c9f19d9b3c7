import type { Span } from '../types.js';

/**
 * JSON text: the string values (and keys) with their escapes decoded. `\uXXXX` escapes can spell
 * tag characters, zero-width characters or a whole instruction that the raw text does not show.
 */
export interface JsonStrings {
  /** Decoded strings joined by newlines. */
  readonly text: string;
  /** Where each decoded string starts in `text`, and the literal's span (quotes included) in the input. */
  readonly pieces: readonly { readonly offset: number; readonly literal: Span }[];
  /**
   * Whether any literal used a `\\uXXXX` escape — the escape that can hide characters. `\\n` or `\\"` alone
   * change nothing a detector would miss, and scanning the decoded copy would double the work.
   */
  readonly hasEscapes: boolean;
}

const MAX_JSON_CHARS = 8 << 20;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** Decodes the string literals of `text` when it is a JSON object or array; otherwise `undefined`. */
export function decodeJsonStrings(text: string): JsonStrings | undefined {
  if (text.length > MAX_JSON_CHARS || !/^\s*[[{]/.test(text) || !/[\]}]\s*$/.test(text)) return undefined;
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  const parts: string[] = [];
  const pieces: { offset: number; literal: Span }[] = [];
  let offset = 0;
  let hasEscapes = false;
  let i = text.indexOf('"');
  while (i >= 0) {
    const literal = readLiteral(text, i);
    if (literal === undefined) break;
    hasEscapes ||= literal.hasUnicodeEscape;
    pieces.push({ offset, literal: { start: i, end: literal.end } });
    parts.push(literal.value);
    offset += literal.value.length + 1;
    i = text.indexOf('"', literal.end);
  }
  return { text: parts.join('\n'), pieces, hasEscapes };
}

function readLiteral(
  text: string,
  quote: number,
): { value: string; end: number; hasUnicodeEscape: boolean } | undefined {
  let out = '';
  let hasUnicodeEscape = false;
  let runStart = quote + 1;
  for (let i = quote + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '"') return { value: out + text.slice(runStart, i), end: i + 1, hasUnicodeEscape };
    if (c !== '\\') continue;
    out += text.slice(runStart, i);
    const e = text[i + 1] ?? '';
    if (e === 'u') {
      hasUnicodeEscape = true;
      out += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16) || 0);
      i += 5;
    } else {
      out += SIMPLE_ESCAPES[e] ?? e;
      i += 1;
    }
    runStart = i + 1;
  }
  return undefined;
}

/** The literal (in the input) that covers position `pos` of the decoded text. */
export function literalAt(strings: JsonStrings, pos: number): Span | undefined {
  const pieces = strings.pieces;
  let lo = 0;
  let hi = pieces.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((pieces[mid]?.offset ?? 0) <= pos) lo = mid;
    else hi = mid - 1;
  }
  return pieces[lo]?.literal;
}
