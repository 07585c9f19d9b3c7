import type { Finding } from '../types.js';
import { findGenericSecrets } from './secret-generic.js';
import { SECRET_RULES } from './secret-rules.js';

export { SECRET_RULES, type SecretRule } from './secret-rules.js';

export interface SecretOptions {
  /** Also report `password = …`/`api_key: …` assignments of high-entropy values (default true). */
  readonly generic?: boolean;
  readonly maxFindings?: number;
}

const BEGIN_KEY_RE = /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/g;
/** All rules' keywords in one pattern: one pass over the text tells which rules can match. */
const KEYWORDS_RE = new RegExp(
  [...new Set(SECRET_RULES.flatMap((r) => r.keywords))]
    .map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|'),
  'g',
);

function presentKeywords(text: string): Set<string> {
  const present = new Set<string>();
  KEYWORDS_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = KEYWORDS_RE.exec(text)) !== null) present.add(m[0]);
  return present;
}
const MAX_PEM_CHARS = 64 * 1024;

/**
 * Secrets in `text` (kind `secret`): known token formats (`SECRET_RULES`), PEM private keys, and — unless
 * `generic` is false — secret-named assignments of random-looking values. Spans cover the secret (the
 * value, not the name it is assigned to); `detail` names the variable at most, never the value.
 * Findings of the known formats win over an overlapping generic one. Never throws.
 */
export function detectSecrets(text: string, options: SecretOptions = {}): Finding[] {
  const maxFindings = options.maxFindings ?? 500;
  const found: Finding[] = [];
  const unscanned: Finding[] = [];
  try {
    found.push(...findPrivateKeys(text));
    const present = presentKeywords(text);
    for (const rule of SECRET_RULES) {
      if (!rule.keywords.some((k) => present.has(k))) continue;
      rule.re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = rule.re.exec(text)) !== null) {
        const secret = m[1] ?? m[0];
        if (rule.isValid !== undefined && !rule.isValid(secret)) continue;
        const start = m.index + m[0].lastIndexOf(secret);
        found.push({ kind: 'secret', type: rule.type, span: { start, end: start + secret.length } });
      }
    }
    if (options.generic !== false) found.push(...findGenericSecrets(text));
  } catch {
    // A pattern should not throw on a string; if one does, say that the text was not fully checked.
    unscanned.push({ kind: 'unscanned', type: 'secret', span: { start: 0, end: text.length } });
  }
  const accepted: Finding[] = [];
  for (const f of found) {
    if (accepted.length >= maxFindings) break;
    if (!accepted.some((a) => a.span.start < f.span.end && f.span.start < a.span.end)) accepted.push(f);
  }
  return [...unscanned, ...accepted.sort((a, b) => a.span.start - b.span.start)];
}

/**
 * PEM private keys (RFC 7468 §10 and the OpenSSH, PGP and encrypted variants): from BEGIN to the
 * matching END line, or to the end of the base64 body when the END line is missing. A block whose
 * body is a placeholder (`...`, fewer than 64 base64 characters) is documentation, not a key.
 */
function findPrivateKeys(text: string): Finding[] {
  if (!text.includes('PRIVATE KEY')) return [];
  const findings: Finding[] = [];
  BEGIN_KEY_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = BEGIN_KEY_RE.exec(text)) !== null) {
    const bodyStart = m.index + m[0].length;
    const label = m[0].slice('-----BEGIN'.length, -'-----'.length).trim();
    const endMarker = `-----END ${label}-----`;
    const endAt = text.indexOf(endMarker, bodyStart);
    const isClosed = endAt >= 0 && endAt - bodyStart <= MAX_PEM_CHARS;
    const body = isClosed ? text.slice(bodyStart, endAt) : leadingBase64(text, bodyStart);
    if ((body.match(/[A-Za-z0-9+/=]/g)?.length ?? 0) < 64) continue;
    const end = isClosed ? endAt + endMarker.length : bodyStart + body.length;
    findings.push({ kind: 'secret', type: 'private_key', span: { start: m.index, end }, detail: label });
    BEGIN_KEY_RE.lastIndex = end;
  }
  return findings;
}

function leadingBase64(text: string, from: number): string {
  const m = /^(?:[ \t]*[A-Za-z0-9+/=:,\\-]*\r?\n){0,2000}[A-Za-z0-9+/=]*/.exec(
    text.slice(from, from + MAX_PEM_CHARS),
  );
  return m?.[0] ?? '';
}
