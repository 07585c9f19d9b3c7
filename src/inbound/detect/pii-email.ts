import type { Finding } from '../types.js';

const LOCAL_CHAR = /[A-Za-z0-9._%+-]/;
const DOMAIN_CHAR = /[A-Za-z0-9-]/;
/**
 * File extensions that look like top-level domains in `icon@2x.png` or `lib@1.0.min.js`. Some are real
 * ccTLDs (.md, .py, .rs, .sh): addresses there are rare, file names in code and docs are not.
 */
const FILE_TLDS = new Set(
  'png jpg jpeg gif svg webp ico bmp js mjs cjs ts tsx jsx css scss less json md mdx yml yaml toml lock map txt html htm xml zip gz tgz tar exe dll py rb rs go java kt sh bat wasm node vue'.split(
    ' ',
  ),
);

/** Email addresses: a scan around each `@` (no backtracking regex), with the domain checked label by label. */
export function findEmails(text: string): Finding[] {
  const findings: Finding[] = [];
  let at = text.indexOf('@');
  let minStart = 0;
  while (at >= 0) {
    const found = emailAt(text, at, minStart);
    if (found !== undefined) {
      findings.push({ kind: 'pii', type: 'email', span: found });
      minStart = found.end;
    }
    at = text.indexOf('@', at + 1);
  }
  return findings;
}

function emailAt(text: string, at: number, minStart: number): { start: number; end: number } | undefined {
  let start = at;
  while (start > minStart && at - start < 64 && LOCAL_CHAR.test(text[start - 1] ?? '')) start--;
  while (start < at && /[.+-]/.test(text[start] ?? '')) start++;
  if (start === at || text[at - 1] === '.' || text.slice(start, at).includes('..')) return undefined;
  if (isUrlUserinfo(text, start)) return undefined;
  const end = domainEnd(text, at + 1);
  if (end === undefined) return undefined;
  if (text.slice(start, at) === 'git' && text[end] === ':') return undefined; // git@host:owner/repo
  return { start, end };
}

function domainEnd(text: string, from: number): number | undefined {
  let pos = from;
  let labels = 0;
  let lastLabel = '';
  while (pos < text.length && labels < 10) {
    let end = pos;
    while (end < text.length && end - pos < 63 && DOMAIN_CHAR.test(text[end] ?? '')) end++;
    if (end === pos) break;
    const label = text.slice(pos, end);
    if (label.startsWith('-') || label.endsWith('-')) return undefined;
    labels++;
    lastLabel = label;
    pos = end;
    if (text[pos] !== '.' || !DOMAIN_CHAR.test(text[pos + 1] ?? '')) break;
    pos++;
  }
  if (labels < 2 || DOMAIN_CHAR.test(text[pos] ?? '') || text[pos] === '@') return undefined;
  if (!/^[A-Za-z]{2,24}$/.test(lastLabel) || FILE_TLDS.has(lastLabel.toLowerCase())) return undefined;
  return pos;
}

/** `scheme://user:pass@host`: the part before `@` is URL userinfo, not a mailbox. */
function isUrlUserinfo(text: string, start: number): boolean {
  if (text[start - 1] === '/') return true;
  const before = text.slice(Math.max(0, start - 260), start);
  const scheme = before.lastIndexOf('://');
  return scheme >= 0 && !/[\s/"'<>]/.test(before.slice(scheme + 3));
}
