import type { Finding } from '../types.js';
import { isLuhnValid } from './checksums.js';

interface Brand {
  readonly name: string;
  readonly prefixes: readonly (readonly [number, number])[];
  readonly lengths: readonly number[];
}

const range = (from: number, to = from): readonly [number, number] => [from, to];

/** Issuer identification number ranges (ISO/IEC 7812) of the networks in use, with their card lengths. */
const BRANDS: readonly Brand[] = [
  { name: 'visa', prefixes: [range(4)], lengths: [13, 16, 19] },
  { name: 'mastercard', prefixes: [range(51, 55), range(2221, 2720)], lengths: [16] },
  { name: 'amex', prefixes: [range(34), range(37)], lengths: [15] },
  {
    name: 'discover',
    prefixes: [range(6011), range(644, 649), range(65), range(622126, 622925)],
    lengths: [16, 17, 18, 19],
  },
  { name: 'jcb', prefixes: [range(3528, 3589)], lengths: [16, 17, 18, 19] },
  { name: 'jcb', prefixes: [range(2131), range(1800)], lengths: [15] },
  {
    name: 'diners',
    prefixes: [range(300, 305), range(36), range(38, 39)],
    lengths: [14, 15, 16, 17, 18, 19],
  },
  { name: 'unionpay', prefixes: [range(62)], lengths: [16, 17, 18, 19] },
  {
    name: 'maestro',
    prefixes: [range(50), range(56, 58), range(63), range(67)],
    lengths: [13, 14, 15, 16, 17, 18, 19],
  },
  { name: 'mir', prefixes: [range(2200, 2204)], lengths: [16, 17, 18, 19] },
];

// A digit, then 12–18 more, each optionally after one space or dash. Boundaries are checked in code.
const CANDIDATE_RE = /(?<!\d)\d(?:[ -]?\d){12,18}/g;

/**
 * Payment card numbers: 13–19 digits, whole groups separated consistently (`4111 1111 1111 1111`,
 * `3782-822463-10005`) or not at all, a known issuer prefix and length, and a valid Luhn check digit.
 */
export function findCards(text: string): Finding[] {
  const findings: Finding[] = [];
  CANDIDATE_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CANDIDATE_RE.exec(text)) !== null) {
    const start = m.index;
    const end = start + m[0].length;
    if (/[\w.,/+-]/.test(text[start - 1] ?? ' ') || /\w/.test(text[end] ?? ' ')) continue;
    if (/[.,-]/.test(text[end] ?? ' ') && /\d/.test(text[end + 1] ?? ' ')) continue;
    // `4111 1111 1111 1111 09/27`: the run may have swallowed a group that follows the number.
    let candidate = m[0];
    for (let tries = 0; tries < 3 && candidate.replace(/[ -]/g, '').length >= 13; tries++) {
      const brand = cardBrand(candidate);
      if (brand !== undefined) {
        findings.push({
          kind: 'pii',
          type: 'card',
          span: { start, end: start + candidate.length },
          detail: brand,
        });
        break;
      }
      const cut = Math.max(candidate.lastIndexOf(' '), candidate.lastIndexOf('-'));
      if (cut < 0) break;
      candidate = candidate.slice(0, cut);
    }
  }
  return findings;
}

/** The brand of a candidate (digits with separators), or undefined when it is not a card number. */
export function cardBrand(candidate: string): string | undefined {
  if (!hasConsistentGroups(candidate)) return undefined;
  const digits = candidate.replace(/[ -]/g, '');
  if (digits.length < 13 || digits.length > 19 || /^(\d)\1+$/.test(digits) || !isLuhnValid(digits))
    return undefined;
  for (const brand of BRANDS) {
    if (!brand.lengths.includes(digits.length)) continue;
    for (const [from, to] of brand.prefixes) {
      const width = String(from).length;
      const prefix = Number(digits.slice(0, width));
      if (prefix >= from && prefix <= to) return brand.name;
    }
  }
  return undefined;
}

function hasConsistentGroups(candidate: string): boolean {
  const separators = candidate.match(/[ -]/g);
  if (separators === null) return true;
  if (new Set(separators).size > 1) return false;
  const groups = candidate.split(/[ -]/).map((g) => g.length);
  const shape = groups.join(',');
  if (shape === '4,6,5' || shape === '4,6,4') return true; // Amex, Diners
  const last = groups[groups.length - 1] ?? 0;
  return groups.slice(0, -1).every((n) => n === 4) && last >= 1 && last <= 4;
}
