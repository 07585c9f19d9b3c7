import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isValidGermanTaxId, isLuhnValid } from '../../src/inbound/detect/checksums.js';
import { cardBrand } from '../../src/inbound/detect/pii-card.js';
import { detectPii, type PiiType } from '../../src/inbound/detect/pii.js';

const typesIn = (text: string, options = {}): [string, string][] =>
  detectPii(text, options).map((f) => [f.type, text.slice(f.span.start, f.span.end)]);

describe('detectPii true positives', () => {
  it.each<[string, PiiType, string]>([
    ['Write to jane.doe+news@mail.example.co.uk today.', 'email', 'jane.doe+news@mail.example.co.uk'],
    ['Call me back at (415) 555-2671 after 5pm.', 'phone', '(415) 555-2671'],
    ['Tel: +44 20 7946 0958', 'phone', '+44 20 7946 0958'],
    ['Mobile: +49 30 901820', 'phone', '+49 30 901820'],
    ['My card number is 4111 1111 1111 1111, exp 09/27.', 'card', '4111 1111 1111 1111'],
    ['Amex 3782-822463-10005 on file', 'card', '3782-822463-10005'],
    ['card 5555555555554444 declined', 'card', '5555555555554444'],
    ['Wire to GB02 NWBK 6016 1331 9268 20 please', 'iban', 'GB02 NWBK 6016 1331 9268 20'],
    ['account de44500105175407324931.', 'iban', 'de44500105175407324931'],
    ['SSN: 123-45-6789', 'us_ssn', '123-45-6789'],
    ['social security number 123 45 6789', 'us_ssn', '123 45 6789'],
    ['NI number AB 12 34 56 C', 'uk_nino', 'AB 12 34 56 C'],
    ['Steuer-ID: 86095742719', 'de_tax_id', '86095742719'],
    ['Passport no. E71360133, holder James Perez', 'us_passport', 'E71360133'],
    ['born on 17 Apr 1956 in Leeds', 'date_of_birth', '17 Apr 1956'],
    ['DOB: 1984-12-12', 'date_of_birth', '1984-12-12'],
    ['login from 203.0.114.9 failed', 'ipv4', '203.0.114.9'],
    [
      'client 2a02:8070:a1c2:1e00:5d9f:3b7a:c21:9e1f connected',
      'ipv6',
      '2a02:8070:a1c2:1e00:5d9f:3b7a:c21:9e1f',
    ],
    ['DATABASE_URL=postgres://app:s3cr3tPass@db.internal:5432/app', 'credential_url', 'app:s3cr3tPass'],
  ])('%s → %s', (text, type, value) => {
    expect(typesIn(text)).toContainEqual([type, value]);
  });

  it('reports the country of a phone number and the brand of a card, never the value', () => {
    const found = detectPii('Tel +44 20 7946 0958, card 4111111111111111, a@b.io');
    expect(found.map((f) => f.detail)).toEqual(['GB', 'visa', undefined]);
  });

  it('reads national numbers in the default region', () => {
    expect(typesIn('Ring 030 901820 tomorrow', { defaultRegion: 'DE' })).toEqual([['phone', '030 901820']]);
    expect(typesIn('Ring 030 901820 tomorrow', { defaultRegion: 'US' })).toEqual([]);
  });

  it('lets the types option pick detectors, and an IBAN is not also a phone number', () => {
    expect(typesIn('a@b.io 4111111111111111', { types: ['email'] })).toEqual([['email', 'a@b.io']]);
    expect(typesIn('IBAN DE62 3704 0044 0532 0130 01').map(([t]) => t)).toEqual(['iban']);
  });
});

describe('detectPii precision on look-alikes', () => {
  it.each([
    'Order #312869 shipped on 2024-05-02; tracking 1Z0391179903911799.',
    'Upgrade from version 2.14.6 to 10.3.0 fixed the memory leak; see v1.2.3.4 and section 11.6.2.1.',
    'Invoice total: $1,314.50 due in 30 days. SKU 021920-314.',
    'ISBN 978-0-347-36684-0',
    'Build 043378 passed: 1,507 tests, 0 failures.',
    'The commit 0ae9fb243a45adee14159bd461c9618eed2bf958 introduced a regression.',
    'Temperature readings: 21.6C, 22.6C, 19.6C at 08:00, 12:00 and 18:00.',
    'const INT32_MAX = 2147483647; let h = -2128831035;',
    'CVE-2026-102278 was fixed; uuid 3f0b9c52-8a44-4b1e-9f1d-2a6c1e0c5d7e',
    'icon@2x.png and lodash@4.17.21 and @types/node@20.1.0',
    'git clone git@github.com:owner/repo.git',
    'listen on 127.0.0.1, 0.0.0.0, 10.0.0.8, 192.168.1.1 and ::1 or fe80::1; netmask 255.255.255.0',
    'docs: 192.0.2.44, 198.51.100.7 and 2001:db8::42:1:2:3',
    'std::vector<int> a; Foo::Bar::baz(); time 10:22:01; mac aa:bb:cc:dd:ee:ff',
    'amqp://guest:guest@localhost/ and https://user:${PASSWORD}@host and https://u:<password>@h',
    'SSN 000-12-3456, 666-12-3456, 912-34-5678 and 123-00-4567 are never issued',
    'account 321 567 636-4 and ref 1 2 3 4 5 6 7 8',
    'Specimen IBAN: NL91 ABNA 0417 1643 00',
  ])('no finding in %s', (text) => {
    expect(typesIn(text)).toEqual([]);
  });
});

describe('detectPii on benign files from node_modules', () => {
  const corpus = filesUnder(join(process.cwd(), 'node_modules'), /\.(?:js|d\.ts)$|^README\.md$/i, 400);

  it('finds no cards, IBANs, SSNs, national ids or credential URLs, and few phones', () => {
    const counts = new Map<string, number>();
    for (const file of corpus) {
      for (const f of detectPii(readFileSync(file, 'utf8')))
        counts.set(f.type, (counts.get(f.type) ?? 0) + 1);
    }
    for (const type of [
      'card',
      'iban',
      'us_ssn',
      'uk_nino',
      'de_tax_id',
      'us_passport',
      'date_of_birth',
      'credential_url',
    ])
      expect(counts.get(type) ?? 0, type).toBe(0);
    // Measured: 0 phones in 400 files; author emails in licence headers and IPs in docs about IPs are real.
    expect(counts.get('phone') ?? 0).toBeLessThanOrEqual(2);
    expect(corpus.length).toBeGreaterThan(300);
  });
});

describe('detectPii on the labelled PII data (shared/data/pii)', () => {
  const path = join(process.cwd(), '..', 'shared', 'data', 'pii', 'train.jsonl');
  it.skipIf(!existsSync(path))('keeps precision at 1.0 and recall where measured', () => {
    const LABELS: Record<string, readonly string[]> = {
      EMAIL_ADDRESS: ['email'],
      CREDIT_CARD: ['card'],
      IBAN_CODE: ['iban'],
      US_SSN: ['us_ssn'],
      IP_ADDRESS: ['ipv4', 'ipv6'],
      PHONE_NUMBER: ['phone'],
    };
    const stats = new Map<string, { tp: number; fp: number; fn: number }>();
    const stat = (t: string) => stats.get(t) ?? stats.set(t, { tp: 0, fp: 0, fn: 0 }).get(t)!;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const row = JSON.parse(line) as { text: string; spans: { start: number; end: number; type: string }[] };
      const found = detectPii(row.text, {
        types: ['email', 'card', 'iban', 'us_ssn', 'ipv4', 'ipv6', 'phone'],
      });
      const gold = row.spans.filter((s) => LABELS[s.type] !== undefined);
      for (const f of found)
        stat(f.type)[
          gold.some((g) => LABELS[g.type]!.includes(f.type) && g.start < f.span.end && f.span.start < g.end)
            ? 'tp'
            : 'fp'
        ]++;
      for (const g of gold)
        if (
          !found.some((f) => LABELS[g.type]!.includes(f.type) && g.start < f.span.end && f.span.start < g.end)
        )
          stat(LABELS[g.type]![0]!).fn++;
    }
    const recall = (t: string) => stat(t).tp / (stat(t).tp + stat(t).fn);
    for (const [type, s] of stats) expect(s.fp, type).toBe(0);
    for (const type of ['email', 'iban', 'us_ssn', 'ipv4']) expect(recall(type), type).toBe(1);
    expect(recall('card')).toBeGreaterThan(0.9);
    // The data's phone numbers are often unassigned (area code 899…) or national numbers without a country.
    expect(recall('phone')).toBeGreaterThan(0.55);
  });
});

describe('checksums', () => {
  it('Luhn and card brands', () => {
    expect(isLuhnValid('4111111111111111')).toBe(true);
    expect(isLuhnValid('4111111111111112')).toBe(false);
    expect(cardBrand('4111 1111 1111 1111')).toBe('visa');
    expect(cardBrand('4111 1111 11111 111')).toBeUndefined(); // inconsistent groups
    expect(cardBrand('4111-1111 1111-1111')).toBeUndefined(); // mixed separators
    expect(cardBrand('1234567812345670')).toBeUndefined(); // Luhn-valid, no issuer
  });

  it('German tax id', () => {
    expect(isValidGermanTaxId('86095742719')).toBe(true);
    expect(isValidGermanTaxId('86095742718')).toBe(false);
    expect(isValidGermanTaxId('12345678901')).toBe(false); // no repeated digit
  });
});

function filesUnder(dir: string, pattern: RegExp, limit: number): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const entry of entries) {
      if (out.length >= limit) return;
      const path = join(d, entry);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (stat?.isDirectory() === true) walk(path);
      else if (stat !== undefined && pattern.test(entry) && stat.size >= 1024 && stat.size <= 64 * 1024)
        out.push(path);
    }
  };
  walk(dir);
  return out;
}
