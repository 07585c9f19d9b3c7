import type { CountryCode } from 'libphonenumber-js/max';
import type { Finding } from '../types.js';
import { findCards } from './pii-card.js';
import { findDatesOfBirth } from './pii-dates.js';
import { findEmails } from './pii-email.js';
import { findIbans } from './pii-iban.js';
import { findGermanTaxIds, findUkNinos, findUsPassports, findUsSsns } from './pii-ids.js';
import { findCredentialUrls, findIpv4s, findIpv6s } from './pii-network.js';
import { findPhones } from './pii-phone.js';

export const PII_TYPES = [
  'credential_url',
  'email',
  'iban',
  'card',
  'us_ssn',
  'uk_nino',
  'de_tax_id',
  'us_passport',
  'date_of_birth',
  'ipv6',
  'ipv4',
  'phone',
] as const;

/** Earlier types win when two findings overlap (an IBAN's digits are not also a phone number). */
export type PiiType = (typeof PII_TYPES)[number];

export interface PiiOptions {
  /** Region for phone numbers written without a country code (default `US`). */
  readonly defaultRegion?: CountryCode;
  /** Types to look for (default: all). */
  readonly types?: readonly PiiType[];
  readonly maxFindings?: number;
}

export const PII_DEFAULTS: Readonly<{ defaultRegion: CountryCode; maxFindings: number }> = Object.freeze({
  defaultRegion: 'US',
  maxFindings: 500,
});

/** What every finder gets. */
interface Context {
  readonly options: Required<PiiOptions>;
}

const FINDERS: Readonly<Record<PiiType, (text: string, context: Context) => Finding[]>> = {
  credential_url: findCredentialUrls,
  email: findEmails,
  iban: findIbans,
  card: findCards,
  us_ssn: findUsSsns,
  uk_nino: findUkNinos,
  de_tax_id: findGermanTaxIds,
  us_passport: findUsPassports,
  date_of_birth: findDatesOfBirth,
  ipv6: findIpv6s,
  ipv4: findIpv4s,
  phone: (text, c) => findPhones(text, c.options.defaultRegion),
};

/**
 * Personal data in `text` (kind `pii`): each type has a validator beyond its shape — a checksum
 * (Luhn, mod-97, MOD 11,10), the issuing rules, the phone numbering plan, or a keyword right before it —
 * so that code, tables and docs stay quiet. Spans refer to `text`; no finding carries the value itself.
 * Never throws: a type whose detector fails on some input is reported as an `unscanned` finding.
 */
export function detectPii(text: string, options: PiiOptions = {}): Finding[] {
  const o: Required<PiiOptions> = { ...PII_DEFAULTS, types: PII_TYPES, ...options };
  const wanted = new Set(o.types);
  const context: Context = { options: o };
  const accepted: Finding[] = [];
  const unscanned: Finding[] = [];
  for (const type of PII_TYPES) {
    if (!wanted.has(type)) continue;
    let found: Finding[];
    try {
      found = FINDERS[type](text, context);
    } catch {
      found = [{ kind: 'unscanned', type: `pii:${type}`, span: { start: 0, end: text.length } }];
    }
    for (const f of found) {
      if (f.kind === 'unscanned') unscanned.push(f);
      else if (!accepted.some((a) => overlaps(a, f))) accepted.push(f);
    }
    if (accepted.length >= o.maxFindings) break;
  }
  return [...unscanned, ...accepted.slice(0, o.maxFindings).sort((a, b) => a.span.start - b.span.start)];
}

function overlaps(a: Finding, b: Finding): boolean {
  return a.span.start < b.span.end && b.span.start < a.span.end;
}
