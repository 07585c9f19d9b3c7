import type { Finding, Span } from '../types.js';

/**
 * How a span is replaced:
 * - `type`: `[REDACTED:<type>]` (`[REDACTED:email]`), one-way;
 * - `token`: a numbered token per distinct value (`[PII:email:1]`, `[SECRET:github_token:1]`) taken from,
 *   or added to, the caller's map — the same value gets the same token for as long as the caller keeps
 *   the map (a session, say), and `restoreTokens` puts the values back.
 */
export type RedactStyle =
  { readonly kind: 'type' } | { readonly kind: 'token'; readonly tokens: Map<string, string> };

const TYPE_STYLE: RedactStyle = { kind: 'type' };

/**
 * Replaces the spans of `findings` in `text`, right to left so earlier spans stay valid. Overlapping or
 * touching-inside spans are merged and replaced once, labelled with the longest finding's type; spans
 * outside the text are clamped (a start that is not a number counts as 0: redact too much rather than
 * too little), and a span edge inside a surrogate pair is widened to the whole pair.
 */
export function redactSpans(
  text: string,
  findings: readonly Finding[],
  style: RedactStyle = TYPE_STYLE,
): string {
  const clusters = mergeOverlapping(text, findings);
  let out = text;
  for (let i = clusters.length - 1; i >= 0; i--) {
    const cluster = clusters[i];
    if (cluster === undefined) continue;
    const value = text.slice(cluster.span.start, cluster.span.end);
    out =
      out.slice(0, cluster.span.start) +
      replacementFor(cluster.finding, value, style) +
      out.slice(cluster.span.end);
  }
  return out;
}

/** Puts back the values behind the tokens `redactSpans` made with `tokens`. */
export function restoreTokens(text: string, tokens: ReadonlyMap<string, string>): string {
  if (tokens.size === 0) return text;
  const byToken = new Map<string, string>();
  for (const [value, token] of tokens) byToken.set(token, value);
  return text.replace(/\[[A-Z_]+:[A-Za-z0-9_]+:\d+\]/g, (token) => byToken.get(token) ?? token);
}

interface Cluster {
  span: Span;
  finding: Finding;
}

function mergeOverlapping(text: string, findings: readonly Finding[]): Cluster[] {
  const spans = findings
    .map((finding) => ({ finding, span: clamp(text, finding.span) }))
    .filter((c) => c.span.end > c.span.start)
    .sort((a, b) => a.span.start - b.span.start || b.span.end - a.span.end);
  const clusters: Cluster[] = [];
  for (const c of spans) {
    const last = clusters[clusters.length - 1];
    if (last !== undefined && c.span.start < last.span.end) {
      const isLonger = c.span.end - c.span.start > last.span.end - last.span.start;
      last.span = { start: last.span.start, end: Math.max(last.span.end, c.span.end) };
      if (isLonger) last.finding = c.finding;
    } else clusters.push({ span: c.span, finding: c.finding });
  }
  return clusters;
}

function clamp(text: string, span: Span): Span {
  const isNumber = (n: number): boolean => Number.isFinite(n);
  let start = isNumber(span.start) ? Math.max(0, Math.min(Math.floor(span.start), text.length)) : 0;
  let end = isNumber(span.end) ? Math.max(start, Math.min(Math.ceil(span.end), text.length)) : start;
  if (start > 0 && isLowSurrogate(text, start) && isHighSurrogate(text, start - 1)) start--;
  if (end < text.length && isLowSurrogate(text, end) && isHighSurrogate(text, end - 1)) end++;
  return { start, end };
}

function isHighSurrogate(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 0xdc00 && c <= 0xdfff;
}

function replacementFor(finding: Finding, value: string, style: RedactStyle): string {
  const type = finding.type.replace(/[^A-Za-z0-9_]/g, '_') || 'value';
  if (style.kind === 'type') return `[REDACTED:${type}]`;
  const existing = style.tokens.get(value);
  if (existing !== undefined) return existing;
  const prefix =
    finding.kind === 'pii' ? 'PII' : finding.kind === 'secret' ? 'SECRET' : finding.kind.toUpperCase();
  const stem = `[${prefix}:${type}:`;
  let n = 1;
  for (const token of style.tokens.values()) if (token.startsWith(stem)) n++;
  const token = `${stem}${n}]`;
  style.tokens.set(value, token);
  return token;
}
