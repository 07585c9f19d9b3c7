import type { Finding } from '../types.js';
import { isValidGermanTaxId } from './checksums.js';
import { findAnchored } from './keyword-anchor.js';

const SSN_DASHED_RE = /\b(\d{3})-(\d{2})-(\d{4})\b/g;
const SSN_SPACED_RE = /(?<![\d-])\d{3}[ -]?\d{2}[ -]?\d{4}(?![\d-])/g;
const SSN_WORD_RE = /\b(?:ssn|social security(?: number| no\.?)?|soc\.? sec\.?)\W{0,20}$/i;
const NINO_RE = /\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])\b/g;
const NINO_BAD_PREFIXES = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);
const DE_TAX_RE = /(?<!\d)\d{2} ?\d{3} ?\d{3} ?\d{3}(?!\d)/g;
const DE_TAX_WORD_RE =
  /\b(?:steuer-?id(?:entifikationsnummer)?|steuerliche identifikationsnummer|identifikationsnummer|idnr\.?|tax id(?:entification number)?)\W{0,20}$/i;
const PASSPORT_RE = /\b(?:[A-Z]\d{8}|\d{9})\b/g;
const PASSPORT_WORD_RE = /\bpassport(?: (?:no\.?|number|#))?\W{0,12}$/i;

/**
 * US Social Security numbers. Dashed `123-45-6789` anywhere; spaced or undelimited only after "SSN" or
 * "social security". Numbers the SSA never issues are excluded (area 000, 666, 900–999; group 00;
 * serial 0000) as are the two famous advertising numbers.
 */
export function findUsSsns(text: string): Finding[] {
  const findings: Finding[] = [];
  SSN_DASHED_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = SSN_DASHED_RE.exec(text)) !== null) {
    const end = m.index + m[0].length;
    if (text[m.index - 1] === '-' || text[end] === '-') continue;
    if (isIssuableSsn(m[1] ?? '', m[2] ?? '', m[3] ?? '')) findings.push(ssn(m.index, end));
  }
  for (const a of findAnchored(text, SSN_SPACED_RE, SSN_WORD_RE, 40)) {
    const digits = a.value.replace(/\D/g, '');
    if (!isIssuableSsn(digits.slice(0, 3), digits.slice(3, 5), digits.slice(5))) continue;
    if (!findings.some((f) => f.span.start === a.start)) findings.push(ssn(a.start, a.end));
  }
  return findings;
}

function ssn(start: number, end: number): Finding {
  return { kind: 'pii', type: 'us_ssn', span: { start, end } };
}

export function isIssuableSsn(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  if (a === 0 || a === 666 || a >= 900 || group === '00' || serial === '0000') return false;
  const whole = `${area}${group}${serial}`;
  return whole !== '078051120' && whole !== '219099999';
}

/** UK National Insurance numbers (HMRC NIM39110 format rules: letters, excluded prefixes, suffix A–D). */
export function findUkNinos(text: string): Finding[] {
  const findings: Finding[] = [];
  NINO_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = NINO_RE.exec(text)) !== null) {
    if (NINO_BAD_PREFIXES.has(m[1] ?? '')) continue;
    findings.push({ kind: 'pii', type: 'uk_nino', span: { start: m.index, end: m.index + m[0].length } });
  }
  return findings;
}

/** German tax ids: after a keyword (an 11-digit number alone passes the checksum one time in ten). */
export function findGermanTaxIds(text: string): Finding[] {
  return findAnchored(text, DE_TAX_RE, DE_TAX_WORD_RE, 60)
    .filter((a) => isValidGermanTaxId(a.value.replace(/ /g, '')))
    .map((a) => ({ kind: 'pii', type: 'de_tax_id', span: { start: a.start, end: a.end } }));
}

/** US passport numbers (no checksum exists): only right after the word "passport". */
export function findUsPassports(text: string): Finding[] {
  return findAnchored(text, PASSPORT_RE, PASSPORT_WORD_RE, 40).map((a) => ({
    kind: 'pii',
    type: 'us_passport',
    span: { start: a.start, end: a.end },
  }));
}
