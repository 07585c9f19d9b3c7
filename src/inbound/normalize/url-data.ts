import { charClassCount, isWordLike, shannonEntropy } from '../detect/entropy.js';

/**
 * Does a URL carry data? Exfiltration through a rendered image or a clicked link puts the data in the
 * query, the path, the fragment or a subdomain; ordinary links rarely have long, random-looking or
 * templated values there.
 */
export function dataReason(url: URL): string | undefined {
  const placeholder = findPlaceholder(url.href);
  if (placeholder) return 'template placeholder';
  if (url.search.length > 200) return 'long query';
  for (const value of queryValues(url)) {
    const reason = valueReason(value, 40);
    if (reason !== undefined) return `query ${reason}`;
  }
  for (const segment of url.pathname.split('/')) {
    const reason = valueReason(safeDecode(segment), 64, true);
    if (reason !== undefined) return `path ${reason}`;
  }
  if (url.hash.length > 1) {
    const reason = valueReason(safeDecode(url.hash.slice(1)), 40);
    if (reason !== undefined) return `fragment ${reason}`;
  }
  // Host names are lower-cased by the URL parser: letters and digits are all a label can show.
  for (const label of url.hostname.split('.')) {
    if (label.length >= 24 && /\d/.test(label) && !isWordLike(label) && shannonEntropy(label) >= 3.5) {
      return 'data in subdomain';
    }
  }
  return undefined;
}

const PLACEHOLDER_RE =
  /\{\{[^{}]{1,100}\}\}|\$\{[^{}]{1,100}\}|\{[A-Za-z_][\w.]{0,60}\}|%7B%7B|%24%7B|<[A-Za-z_][\w ]{0,60}>|%3C[A-Za-z_]\w{0,60}%3E|\[(?:[A-Z_]{3,}|[a-z_]{3,})\]/;
const CAPS_WORD_RE = /^[A-Z][A-Z0-9_]{3,40}$/;
const CAPS_STOP = new Set([
  'TRUE',
  'FALSE',
  'NULL',
  'NONE',
  'JSON',
  'HTML',
  'UTF8',
  'UTF-8',
  'DESC',
  'ASC',
  'HEAD',
]);

function findPlaceholder(href: string): boolean {
  return PLACEHOLDER_RE.test(href);
}

function valueReason(value: string, longAt: number, isPath = false): string | undefined {
  if (value.length === 0) return undefined;
  if (CAPS_WORD_RE.test(value) && !CAPS_STOP.has(value) && /[AEIOU]/.test(value) && !isPath) {
    return 'placeholder word';
  }
  if (isPath && /^[0-9a-f]{7,64}$/i.test(value)) return undefined; // commit ids and content hashes
  if (value.split(/[\s+]+/).filter((w) => w !== '').length >= 6) return 'prose';
  if (value.length >= longAt && !isSlug(value)) return 'long value';
  if (value.length >= 16 && isRandomLooking(value, 16)) return 'encoded value';
  return undefined;
}

/** `javascript-prototype-poisoning-vulnerabilities-7bc15347c96`: words joined by `-`, `_` or `.`. */
function isSlug(value: string): boolean {
  return value.split(/[-_.~]/).every((piece) => piece.length <= 24 && /^[A-Za-z0-9]*$/.test(piece));
}

/**
 * Random-looking: a long run of letters and digits (slugs like `fastify-s3-buckets` are short runs)
 * mixing upper case, lower case and digits, or a very long run (hex, lower-case base32).
 */
function isRandomLooking(value: string, minLength: number): boolean {
  if (value.length < minLength || !/^[A-Za-z0-9+/=_-]+$/.test(value)) return false;
  const longest = value.split(/[+/=_-]/).reduce((a, b) => (b.length > a.length ? b : a), '');
  if (isWordLike(longest)) return false;
  if (longest.length >= minLength && charClassCount(longest) >= 3 && shannonEntropy(longest) >= 3.5)
    return true;
  return longest.length >= 32 && shannonEntropy(longest) >= 3.5;
}

function* queryValues(url: URL): Generator<string> {
  try {
    for (const [, value] of url.searchParams) yield value;
  } catch {
    return;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
