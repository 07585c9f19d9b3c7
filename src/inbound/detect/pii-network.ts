import type { Finding } from '../types.js';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4_RE = new RegExp(`(?<![\\w.])${OCTET}(?:\\.${OCTET}){3}(?!\\w|\\.\\w)`, 'g');
const VERSION_BEFORE_RE = /(?:\bversion|\bver\.?|\brelease|\bbuild|\brev\.?|\bv|\bsection|§)\s*$/i;
const SCHEME_BEFORE_RE = /(?:^|[^A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,20}$/;
const USERINFO_RE = /([^\s:@/?#"'<>]{1,128}):([^\s@/?#"'<>]{1,256})@[^\s/?#"'<>@]/y;
const PLACEHOLDER_SECRET_RE =
  /^(?:\*+|x+|\.{3}|password|passwd|pass|pwd|secret|changeme|<[^>]*>|\$\{?[A-Za-z_]\w*\}?|%[A-Za-z_]\w*%|\{\{?[^}]*\}?\}|\[[^\]]*\])$/i;

/**
 * IPv4 addresses of hosts that can point at a person. Not reported (decided for precision on technical
 * text): version- and section-like numbers (`version 1.2.3.4`, `v8@10.2.154.26-node`, `[11.6.2.1]`:
 * all parts below 20, part of a longer dotted run, glued to `@` or a `-suffix`); networks rather than
 * hosts (CIDR `10.0.0.0/8`, addresses ending in .0 or .255); and the ranges that identify no one:
 * loopback, `0.0.0.0/8`, private (RFC 1918), link-local, carrier-grade NAT, documentation (RFC 5737)
 * and netmasks (`255.…`).
 */
export function findIpv4s(text: string): Finding[] {
  const findings: Finding[] = [];
  IPV4_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = IPV4_RE.exec(text)) !== null) {
    const end = m.index + m[0].length;
    const parts = m[0].split('.').map(Number);
    if (parts.every((p) => p < 20) || isNonPersonalIpv4(parts)) continue;
    if (text[m.index - 1] === '@' || /^(?:\/\d|-\w)/.test(text.slice(end, end + 2))) continue;
    if (VERSION_BEFORE_RE.test(text.slice(Math.max(0, m.index - 12), m.index))) continue;
    findings.push({ kind: 'pii', type: 'ipv4', span: { start: m.index, end } });
  }
  return findings;
}

function isNonPersonalIpv4(parts: readonly number[]): boolean {
  const [a = 0, b = 0, c = 0, d = 0] = parts;
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    a === 255 ||
    d === 0 ||
    d === 255 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113)
  );
}

/**
 * IPv6 addresses (RFC 4291 text forms, validated group by group). Not reported: short forms with fewer
 * than five groups (`::1`, `fe80::1`, `::ffff:7f00:1`: well-known and example addresses; a host's
 * address has a full interface id), the documentation prefix 2001:db8::/32 (RFC 3849), prefixes (`fe80::/10`, `2002::`),
 * and all-letter forms (`dead::beef`, more often code than an address).
 */
export function findIpv6s(text: string): Finding[] {
  const findings: Finding[] = [];
  // Scan from each colon over hex digits and colons: linear, and cheap on code full of `a: b`.
  for (let colon = text.indexOf(':'); colon >= 0; colon = text.indexOf(':', colon + 1)) {
    let start = colon;
    while (start > 0 && colon - start < 5 && isHexOrColon(text.charCodeAt(start - 1))) start--;
    let end = colon;
    while (end < text.length && end - start < 40 && isHexOrColon(text.charCodeAt(end))) end++;
    colon = end;
    if (end - start < 9) continue; // five groups need at least `a:b:c:d:e`
    if (/[\w:.]/.test(text[start - 1] ?? ' ') || /^(?:\w|\.\d)/.test(text.slice(end, end + 2))) continue;
    const address = text.slice(start, end);
    if (!isIpv6(address) || !/\d/.test(address) || address.split(':').filter((g) => g !== '').length < 5)
      continue;
    if (/^2001:0?db8:/i.test(address) || address.endsWith('::') || text[end] === '/') continue;
    findings.push({ kind: 'pii', type: 'ipv6', span: { start, end } });
  }
  return findings;
}

export function isIpv6(address: string): boolean {
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  const count = groups.reduce((n, g) => n + g.length, 0);
  if (!groups.every((g) => g.every((x) => /^[0-9A-Fa-f]{1,4}$/.test(x)))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/**
 * Credentials in URLs (`scheme://user:password@host`, RFC 3986 §3.2.1 userinfo). The span covers
 * `user:password`; placeholders (`user:pass`, `:****@`, `${PASSWORD}`, `<password>`) and default logins
 * whose password is the user name (`guest:guest`) are not reported.
 */
export function findCredentialUrls(text: string): Finding[] {
  if (!text.includes('://')) return [];
  const findings: Finding[] = [];
  for (let at = text.indexOf('://'); at >= 0; at = text.indexOf('://', at + 3)) {
    if (!SCHEME_BEFORE_RE.test(text.slice(Math.max(0, at - 22), at))) continue;
    USERINFO_RE.lastIndex = at + 3;
    const m = USERINFO_RE.exec(text);
    if (m === null) continue;
    const [, user = '', password = ''] = m;
    // `guest:guest`, `postgres:postgres`: a product's default login, as documented everywhere.
    if (PLACEHOLDER_SECRET_RE.test(password) || password === user) continue;
    const start = at + 3;
    findings.push({
      kind: 'pii',
      type: 'credential_url',
      span: { start, end: start + user.length + 1 + password.length },
    });
  }
  return findings;
}

function isHexOrColon(c: number): boolean {
  return (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
