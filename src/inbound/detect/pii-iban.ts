import { getCountrySpecifications, validateIBAN, ValidationErrorsIBAN } from 'ibantools';
import type { Finding } from '../types.js';

const SPECS = getCountrySpecifications();
/** The specimen IBANs of the ISO 13616 register, Wikipedia and library docs: examples, not accounts. */
const SPECIMENS = new Set([
  'NL91ABNA0417164300',
  'DE89370400440532013000',
  'GB82WEST12345698765432',
  'GB29NWBK60161331926819',
  'GB33BUKB20201555555555',
  'FR1420041010050500013M02606',
  'FR7630006000011234567890189',
  'CH9300762011623852957',
  'BE68539007547034',
  'ES9121000418450200051332',
  'IT60X0542811101000000123456',
]);
// Country code, check digits, then alphanumerics optionally grouped by single spaces.
const CANDIDATE_RE = /\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){10,32}/g;

/**
 * IBANs (ISO 13616): the country's registered length and BBAN format, and the mod-97 check — all by
 * ibantools. Printed (`GB82 WEST 1234 5698 7654 32`) and electronic forms, any letter case.
 */
export function findIbans(text: string): Finding[] {
  const findings: Finding[] = [];
  CANDIDATE_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CANDIDATE_RE.exec(text)) !== null) {
    const country = m[0].slice(0, 2).toUpperCase();
    const length = SPECS[country]?.chars;
    if (length === undefined || length === null) continue;
    const end = takeAlnum(text, m.index, length);
    if (end === undefined) continue;
    const iban = text.slice(m.index, end).replace(/ /g, '').toUpperCase();
    if (SPECIMENS.has(iban) || !safeIsValid(iban)) continue;
    findings.push({ kind: 'pii', type: 'iban', span: { start: m.index, end }, detail: country });
    CANDIDATE_RE.lastIndex = end;
  }
  return findings;
}

/** The end of `count` alphanumerics from `start`, allowing single spaces; undefined if the run goes on. */
function takeAlnum(text: string, start: number, count: number): number | undefined {
  let seen = 0;
  let pos = start;
  while (seen < count && pos < text.length) {
    const c = text[pos] ?? '';
    if (/[A-Za-z0-9]/.test(c)) seen++;
    else if (c !== ' ' || text[pos - 1] === ' ') return undefined;
    pos++;
  }
  if (seen < count || /[A-Za-z0-9]/.test(text[pos] ?? '')) return undefined;
  return pos;
}

/**
 * Length, BBAN format and mod-97 must pass. A failed national account checksum (the French RIB key,
 * …) alone is accepted: the string is still an account number someone typed or generated.
 */
function safeIsValid(iban: string): boolean {
  try {
    const { errorCodes } = validateIBAN(iban, { allowQRIBAN: true });
    return errorCodes.every((e) => e === ValidationErrorsIBAN.WrongAccountBankBranchChecksum);
  } catch {
    return false;
  }
}
