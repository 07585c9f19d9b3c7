import type { Finding, Span } from '../types.js';
import { isHostAllowed } from './host-allow.js';
import { dataReason } from './url-data.js';

/**
 * Links and images that can carry data out. An image renders by itself — a Markdown image, an HTML
 * `<img>`/`<iframe>`/`<video poster>`, a CSS `url()` — so any image to a host that is not allowed is
 * reported (`image`, or `image_data` when its URL looks like it carries data): the request leaves with
 * no click (zero-click exfiltration). A link needs a click, so it is reported only when its URL looks
 * like it carries data (`link_data`). Spans cover the URL, which is what `neutraliseExfilLinks` replaces.
 */
export interface ExfilOptions {
  /** Hosts that may be linked freely (`example.com`, `*.example.com`, `*`). */
  readonly allowHosts?: readonly string[];
  readonly maxFindings?: number;
}

type LinkKind = 'image' | 'link';

interface Candidate {
  readonly kind: LinkKind;
  readonly span: Span;
  readonly url: string;
}

const MD_IMAGE_RE =
  /!\[[^[\]\n]{0,500}\]\([ \t]{0,20}<?([^\s<>()]{1,4096})>?(?:[ \t]{1,20}(?:"[^"\n]{0,500}"|'[^'\n]{0,500}'))?[ \t]{0,20}\)/dg;
const MD_LINK_RE =
  /(?<!!)\[(?:[^[\]\n]|\[[^[\]\n]{0,300}\]){0,300}\]\([ \t]{0,20}<?([^\s<>()]{1,4096})>?(?:[ \t]{1,20}(?:"[^"\n]{0,500}"|'[^'\n]{0,500}'))?[ \t]{0,20}\)/dg;
const MD_REF_DEF_RE = /^ {0,3}\[([^[\]\n]{1,200})\]:[ \t]*<?([^\s<>]{1,4096})>?/dgm;
const MD_REF_IMAGE_RE = /!\[([^[\]\n]{0,500})\](?:\[([^[\]\n]{0,200})\])?/g;
const HTML_RESOURCE_RE =
  /<(?:img|image|iframe|video|audio|source|embed|script|input|track|object|frame)\b[^>]{0,2000}?\s(?:src|poster|data|srcset)\s*=\s*(?:"([^"]{0,4096})"|'([^']{0,4096})'|([^\s"'>]{1,4096}))/dgi;
const HTML_LINK_RE =
  /<a\b[^>]{0,2000}?\shref\s*=\s*(?:"([^"]{0,4096})"|'([^']{0,4096})'|([^\s"'>]{1,4096}))/dgi;
const CSS_URL_RE = /url\(\s{0,20}["']?((?:https?:)?\/\/[^"'()\s]{1,4096})/dgi;
const BARE_URL_RE = /\bhttps?:\/\/[^\s<>"'`[\]{}|\\^()]{1,4096}/dgi;

/** Finds links and images that can send data to hosts not on the allow-list. */
export function findExfilLinks(text: string, options: ExfilOptions = {}): Finding[] {
  const allowHosts = options.allowHosts ?? [];
  const maxFindings = options.maxFindings ?? 200;
  const findings: Finding[] = [];
  const seen = new Set<number>();
  for (const candidate of candidates(text)) {
    if (seen.has(candidate.span.start)) continue;
    seen.add(candidate.span.start);
    const finding = judge(candidate, allowHosts);
    if (finding !== undefined) findings.push(finding);
    if (findings.length >= maxFindings) break;
  }
  return findings.sort((a, b) => a.span.start - b.span.start);
}

export interface Neutralised {
  readonly text: string;
  readonly findings: readonly Finding[];
}

/** Replaces the URL of every reported link or image with `placeholder` (the redact action). */
export function neutraliseExfilLinks(
  text: string,
  options: ExfilOptions & { readonly placeholder?: string } = {},
): Neutralised {
  const findings = findExfilLinks(text, options);
  const placeholder = options.placeholder ?? 'about:blank';
  let out = text;
  for (let i = findings.length - 1; i >= 0; i--) {
    const span = findings[i]?.span;
    if (span !== undefined) out = out.slice(0, span.start) + placeholder + out.slice(span.end);
  }
  return { text: out, findings };
}

function* candidates(text: string): Generator<Candidate> {
  if (text.includes('](')) {
    yield* matches(text, MD_IMAGE_RE, 'image');
    yield* matches(text, MD_LINK_RE, 'link');
  }
  if (text.includes(']:')) yield* referenceCandidates(text);
  if (text.includes('<')) {
    yield* matches(text, HTML_RESOURCE_RE, 'image');
    yield* matches(text, HTML_LINK_RE, 'link');
  }
  if (/url\(/i.test(text)) yield* matches(text, CSS_URL_RE, 'image');
  yield* matches(text, BARE_URL_RE, 'link');
}

function* matches(text: string, re: RegExp, kind: LinkKind): Generator<Candidate> {
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const group = firstGroup(m);
    if (group === undefined) continue;
    const start = group[0];
    let end = group[1];
    let url = text.slice(start, end);
    if (re === BARE_URL_RE) {
      const trimmed = url.replace(/[.,;:!?*_~]+$/, '');
      end -= url.length - trimmed.length;
      url = trimmed;
    }
    if (re === HTML_RESOURCE_RE && /srcset/i.test(m[0])) {
      url = url.trim().split(/\s+/)[0] ?? url;
      end = start + url.length;
    }
    yield { kind, span: { start, end }, url };
  }
}

function firstGroup(m: RegExpExecArray): [number, number] | undefined {
  const indices = m.indices;
  if (indices === undefined) return undefined;
  for (let i = indices.length - 1; i >= 1; i--) {
    const pair = indices[i];
    if (pair !== undefined && m[i] !== undefined) return [pair[0], pair[1]];
  }
  return undefined;
}

function* referenceCandidates(text: string): Generator<Candidate> {
  const defs = new Map<string, Candidate>();
  MD_REF_DEF_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = MD_REF_DEF_RE.exec(text)) !== null) {
    const pair = m.indices?.[2];
    if (pair === undefined || m[1] === undefined || m[2] === undefined) continue;
    defs.set(label(m[1]), { kind: 'link', span: { start: pair[0], end: pair[1] }, url: m[2] });
  }
  if (defs.size === 0) return;
  const imageLabels = new Set<string>();
  MD_REF_IMAGE_RE.lastIndex = 0;
  while ((m = MD_REF_IMAGE_RE.exec(text)) !== null) {
    const ref = m[2] !== undefined && m[2] !== '' ? m[2] : (m[1] ?? '');
    imageLabels.add(label(ref));
  }
  for (const [name, def] of defs) yield imageLabels.has(name) ? { ...def, kind: 'image' } : def;
}

function label(s: string): string {
  return s.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** A link is reported only for data in its URL; most links have nothing there that could be data. */
function mayCarryData(raw: string): boolean {
  const authority = /^(?:[a-z][a-z0-9+.-]*:)?\/\/[^/?#]*/i.exec(raw)?.[0] ?? '';
  const rest = raw.slice(authority.length);
  return /^mailto:/i.test(raw) || /[^./:@]{24,}/.test(authority) || /[?#{}$<%[\]]|[^/.]{16,}/.test(rest);
}

function judge(candidate: Candidate, allowHosts: readonly string[]): Finding | undefined {
  if (candidate.kind === 'link' && !mayCarryData(candidate.url)) return undefined;
  const url = parseUrl(candidate.url);
  if (url === undefined) return undefined;
  const host = url.protocol === 'mailto:' ? (url.pathname.split('@')[1] ?? '') : url.hostname;
  if (host === '' || isHostAllowed(host, allowHosts)) return undefined;
  if (candidate.kind === 'image' && url.protocol === 'mailto:') return undefined;
  const reason = dataReason(url);
  if (candidate.kind === 'link' && reason === undefined) return undefined;
  const type = candidate.kind === 'image' ? (reason === undefined ? 'image' : 'image_data') : 'link_data';
  const detail = reason === undefined ? `${host}: image from a host not allowed` : `${host}: ${reason}`;
  return { kind: 'exfil_link', type, span: candidate.span, detail };
}

function parseUrl(raw: string): URL | undefined {
  const s = raw.trim().replace(/&amp;/g, '&');
  const absolute = s.startsWith('//') ? `https:${s}` : s;
  if (!/^(?:https?|ftp|wss?|mailto):/i.test(absolute)) return undefined;
  try {
    return new URL(absolute);
  } catch {
    return undefined;
  }
}
