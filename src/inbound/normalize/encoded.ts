import { Buffer } from 'node:buffer';
import type { Finding, Span } from '../types.js';
import { toText } from './bytes-to-text.js';

/**
 * Encoded blobs — base64 (standard and URL-safe), hex, percent-encoding runs, `\xNN`/`\uNNNN` escape
 * runs — are decoded and, when the result is mostly printable UTF-8 text, returned for scanning and
 * reported (`encoded`, type = the encoding). Decoded text is searched again for blobs up to `maxDepth`
 * levels (base64 inside base64). Work is bounded: at most `maxBlobs` blobs and `maxDecodedBytes` decoded
 * bytes per call, and a blob is decoded in full only when its first bytes are printable. Hashes and ids
 * decode to binary and are dropped without a finding.
 */
export interface DecodeOptions {
  /** Shortest candidate, in characters (default 16). */
  readonly minLength?: number;
  /** Levels of nesting decoded (default 3). */
  readonly maxDepth?: number;
  /** Blobs decoded per call, all levels together (default 64). */
  readonly maxBlobs?: number;
  /** Decoded bytes per call, all levels together (default 1 MiB). */
  readonly maxDecodedBytes?: number;
  readonly maxFindings?: number;
}

export type Encoding = 'base64' | 'base64url' | 'hex' | 'percent' | 'escape';

export interface DecodedBlob {
  readonly encoding: Encoding;
  readonly depth: number;
  readonly text: string;
  /** False for ordinary percent-encoding (`a%20b`): scanned, but not worth a finding. */
  readonly isReported: boolean;
}

export interface DecodeResult {
  /** Spans in the input text; a nested blob is reported on the outermost blob that contains it. */
  readonly findings: Finding[];
  readonly decoded: DecodedBlob[];
}

export const DECODE_DEFAULTS = Object.freeze({
  minLength: 16,
  maxDepth: 3,
  maxBlobs: 64,
  maxDecodedBytes: 1 << 20,
  maxFindings: 200,
});

// Starts at a `%` so that a long run without one is not retried from every position.
const PERCENT_RE = /(?:%[0-9A-Fa-f]{2}[A-Za-z0-9._~!$&'*+,;=:@/-]{0,64}){3,2000}/g;
const URL_CHAR_RE = /[A-Za-z0-9._~!$&'*+,;=:@/-]/;
const ESCAPE_RE = /(?:\\x[0-9A-Fa-f]{2}){4,4000}|(?:\\u[0-9A-Fa-f]{4}){4,4000}/g;
const PREFIX_CHARS = 64;

interface Budget {
  blobs: number;
  bytes: number;
}

/** Decodes the encoded blobs in `text` (see the module comment). */
export function decodeBlobs(text: string, options: DecodeOptions = {}): DecodeResult {
  const o = { ...DECODE_DEFAULTS, ...options };
  const result: DecodeResult = { findings: [], decoded: [] };
  const budget: Budget = { blobs: o.maxBlobs, bytes: o.maxDecodedBytes };
  walk(text, 1, undefined, o, budget, result);
  return result;
}

function walk(
  text: string,
  depth: number,
  outerSpan: Span | undefined,
  o: Required<DecodeOptions>,
  budget: Budget,
  result: DecodeResult,
): void {
  for (const hit of findCandidates(text, o.minLength)) {
    if (budget.blobs <= 0 || budget.bytes <= 0) return;
    const decoded = decodeOne(hit.value, budget);
    if (decoded === undefined) continue;
    budget.blobs--;
    const span = outerSpan ?? { start: hit.index, end: hit.index + hit.value.length };
    result.decoded.push({
      encoding: decoded.encoding,
      depth,
      text: decoded.text,
      isReported: decoded.isReported,
    });
    if (decoded.isReported && result.findings.length < o.maxFindings) {
      result.findings.push({
        kind: 'encoded',
        type: decoded.encoding,
        span,
        detail: `${decoded.encoding} at depth ${depth}: ${decoded.text.length} printable chars`,
      });
    }
    if (depth < o.maxDepth) walk(decoded.text, depth + 1, span, o, budget, result);
  }
}

interface Hit {
  readonly index: number;
  readonly value: string;
}

function findCandidates(text: string, minLength: number): Hit[] {
  const hits: Hit[] = [];
  const collect = (re: RegExp, expandLeft: boolean): void => {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      let index = m.index;
      // A percent run starts at its first escape; take in the plain characters before it (`Ignore%20…`).
      if (expandLeft)
        while (index > 0 && m.index - index < 64 && URL_CHAR_RE.test(text[index - 1] ?? '')) index--;
      const value = text.slice(index, m.index + m[0].length);
      if (value.length >= minLength) hits.push({ index, value });
    }
  };
  collectBase64Runs(text, minLength, hits);
  if (text.includes('%')) collect(PERCENT_RE, true);
  if (text.includes('\\')) collect(ESCAPE_RE, false);
  return hits.sort((a, b) => a.index - b.index);
}

interface Decoded {
  readonly encoding: Encoding;
  readonly text: string;
  readonly isReported: boolean;
}

/** Base64 alphabet (both variants) as a lookup table: a loop over char codes beats a regex here. */
const B64 = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-') B64[c.charCodeAt(0)] = 1;
for (const c of '0123456789+/') B64[c.charCodeAt(0)] = 2;

function collectBase64Runs(text: string, minLength: number, hits: Hit[]): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c >= 128 || B64[c] === 0) {
      i++;
      continue;
    }
    const start = i;
    let hasDigitOrSymbol = false;
    while (i < n) {
      const d = text.charCodeAt(i);
      const kind = d < 128 ? B64[d] : 0;
      if (kind === 0) break;
      if (kind === 2) hasDigitOrSymbol = true;
      i++;
    }
    let end = i;
    if (end - start < minLength) continue;
    // Words and identifiers (letters, `-`, `_`, under 40 chars) are skipped here, before any slicing.
    if (!hasDigitOrSymbol && end - start < 40) continue;
    while (end < n && end - i < 2 && text.charCodeAt(end) === 0x3d) end++; // '=' padding
    hits.push({ index: start, value: text.slice(start, end) });
    i = end;
  }
}

function decodeOne(value: string, budget: Budget): Decoded | undefined {
  if (value.startsWith('\\x') || value.startsWith('\\u')) return decodeEscapes(value, budget);
  if (value.includes('%')) return decodePercent(value, budget);
  // Base64 runs come from collectBase64Runs, so the alphabet is already checked. No regex with a
  // repeated group runs over a blob: on megabytes, irregexp's backtrack stack overflows.
  if (!isPlainWord(value) && !isAllDigits(value)) {
    if (isHex(value)) {
      const hex = decodeBytes(value, 'hex', budget);
      if (hex !== undefined) return { encoding: 'hex', text: hex, isReported: true };
    }
    const isUrlSafe = /[-_]/.test(value);
    if (isUrlSafe && /[+/]/.test(value)) return undefined;
    const b64 = decodeBytes(value, isUrlSafe ? 'base64url' : 'base64', budget);
    if (b64 !== undefined)
      return { encoding: isUrlSafe ? 'base64url' : 'base64', text: b64, isReported: true };
  }
  return undefined;
}

/**
 * Identifiers and words (`getElementsByTagName`, `ERR_INVALID_ARG_TYPE`, `node-modules`) are not worth
 * decoding: letters, `-` and `_` only, shorter than 40 characters. Base64 of text nearly always has a
 * digit, `+` or `/` in its first 16 characters; what it misses this way is short.
 */
function isPlainWord(value: string): boolean {
  if (value.length >= 40) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i) | 0x20;
    if (!((c >= 97 && c <= 122) || c === 0x2d || c === 0x7f)) return false; // 0x7f is '_' | 0x20
  }
  return true;
}

/** Decimal numbers are not worth decoding either: read as hex, digit pairs 20–99 are printable ASCII. */
function isAllDigits(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function isHex(value: string): boolean {
  if (value.length % 2 !== 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i) | 0x20;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function decodeBytes(
  value: string,
  encoding: 'hex' | 'base64' | 'base64url',
  budget: Budget,
): string | undefined {
  // Check a prefix first: binary blobs (images, hashes) fail here and cost almost nothing.
  const prefixLength = encoding === 'hex' ? PREFIX_CHARS : PREFIX_CHARS - (PREFIX_CHARS % 4);
  if (value.length > prefixLength * 2) {
    const head = toText(Buffer.from(value.slice(0, prefixLength), encoding), true);
    if (head === undefined) return undefined;
  }
  const maxChars = encoding === 'hex' ? budget.bytes * 2 : Math.floor(budget.bytes / 3) * 4;
  const bytes = Buffer.from(value.length > maxChars ? value.slice(0, maxChars) : value, encoding);
  budget.bytes -= bytes.length;
  return toText(bytes, false);
}

function decodePercent(value: string, budget: Budget): Decoded | undefined {
  const escapes = value.match(/%[0-9A-Fa-f]{2}/g)?.length ?? 0;
  if (escapes < 3) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < value.length && bytes.length < budget.bytes; i++) {
    if (value[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(value.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(value.charCodeAt(i) & 0xff);
  }
  budget.bytes -= bytes.length;
  const text = toText(Buffer.from(bytes), false);
  if (text === undefined) return undefined;
  // Only percent-encoding that hides something is reported; `a%20b%20c` in an ordinary URL is scanned.
  return { encoding: 'percent', text, isReported: isObfuscatedPercent(value) };
}

function isObfuscatedPercent(value: string): boolean {
  // Letters, digits and `-._~` never need escaping (RFC 3986 §2.3): escaping them hides something.
  // Escaped spaces, punctuation and UTF-8 bytes (`%E2%80%94`) are what URLs normally carry.
  return /%(?:3[0-9]|4[1-9A-Fa-f]|5[0-9Aa]|6[1-9A-Fa-f]|7[0-9Aa]|2[DEde]|5[Ff]|7[Ee])/.test(value);
}

/**
 * `\xNN` and `\uNNNN` runs. Escaping ASCII is never needed, so such runs are obfuscation; escaped
 * accented letters or CJK (`\u00e9`) are ordinary and dropped, unless they spell invisible characters.
 */
function decodeEscapes(value: string, budget: Budget): Decoded | undefined {
  let text: string;
  if (value.startsWith('\\x')) {
    const decoded = toText(Buffer.from(value.replace(/\\x/g, ''), 'hex'), false);
    if (decoded === undefined) return undefined;
    text = decoded;
  } else {
    text = value.replace(/\\u([0-9A-Fa-f]{4})/g, (_, h: string) =>
      String.fromCharCode(Number.parseInt(h, 16)),
    );
  }
  budget.bytes -= value.length;
  const ascii = text.replace(/[^\x20-\x7e\t\n\r]/g, '').length;
  if (ascii * 2 < text.length && !INVISIBLE_RE.test(text)) return undefined;
  return { encoding: 'escape', text, isReported: true };
}

const INVISIBLE_RE = /[\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]|\uDB40[\uDC00-\uDC7F]/;
