import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js/max';
import type { Finding } from '../types.js';

/**
 * Phone numbers, found and validated by libphonenumber-js (a port of Google's libphonenumber) with its
 * full ("max") metadata, so that a number must be valid for its country — prefix, length and number
 * range — not merely possible. National numbers are read in `defaultRegion`; international ones (`+44 …`)
 * in any region.
 */
export function findPhones(text: string, defaultRegion: CountryCode | undefined): Finding[] {
  const findings: Finding[] = [];
  const options = defaultRegion === undefined ? {} : { defaultCountry: defaultRegion };
  for (const window of candidateWindows(text)) {
    let found;
    try {
      found = findPhoneNumbersInText(text.slice(window.start, window.end), options);
    } catch {
      continue;
    }
    for (const match of found) {
      const start = window.start + match.startsAt;
      const end = window.start + match.endsAt;
      if (
        !match.number.isValid() ||
        isPartOfLargerToken(text, start, end) ||
        !isPhoneShaped(text, start, end)
      )
        continue;
      if (findings.some((f) => f.span.start === start)) continue;
      findings.push({
        kind: 'pii',
        type: 'phone',
        span: { start, end },
        ...(match.number.country === undefined ? {} : { detail: match.number.country }),
      });
    }
  }
  return findings;
}

// Seven to seventeen digits with at most three separator characters between any two. libphonenumber
// tries to parse every digit run in a text, which is slow on code and tables; it sees only these.
const CANDIDATE_RE = /(?<![\d])(?:\+[ \t]?)?\(?\d(?:[ \t().\-/]{0,3}\d){6,16}/g;
const WINDOW_PAD_BEFORE = 4;
/**
 * Windows are kept short, and few: `12 12 12 …` must not become one huge libphonenumber call, and a
 * text is not searched past its 300th window (about 1 ms each in the worst case): bounded work.
 */
const MAX_WINDOW = 64;
const MAX_WINDOWS = 300;
// Room for an extension (`x4587`, `ext. 12`).
const WINDOW_PAD_AFTER = 16;

function candidateWindows(text: string): { start: number; end: number }[] {
  const windows: { start: number; end: number }[] = [];
  CANDIDATE_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CANDIDATE_RE.exec(text)) !== null) {
    // The same rules as for a match, applied before paying for libphonenumber.
    if (/[A-Za-z0-9_.\-/#@$]/.test(text[m.index - 1] ?? ' ')) continue;
    if (/^\d+$/.test(m[0]) && !PHONE_KEYWORD_RE.test(text.slice(Math.max(0, m.index - 40), m.index)))
      continue;
    // Phone numbers group digits by two or more: `1 2 3 4 5 6 7` is a list of numbers.
    if ((m[0].match(/(?<!\d)\d(?!\d)/g)?.length ?? 0) > 2) continue;
    const start = Math.max(0, m.index - WINDOW_PAD_BEFORE);
    const end = Math.min(text.length, m.index + m[0].length + WINDOW_PAD_AFTER);
    const last = windows[windows.length - 1];
    if (last !== undefined && start <= last.end && end - last.start <= MAX_WINDOW) last.end = end;
    else if (windows.length < MAX_WINDOWS) windows.push({ start, end });
    else break;
  }
  return windows;
}

/** `v2.14.6-1234567`, `CVE-2026-102278`, `#5551234567`: digits glued to other tokens are ids and versions. */
function isPartOfLargerToken(text: string, start: number, end: number): boolean {
  const before = text[start - 1] ?? ' ';
  const after = text[end] ?? ' ';
  if (/[A-Za-z0-9_.\-/#@$]/.test(before) || /[A-Za-z0-9_@]/.test(after)) return true;
  return /[.\-/]/.test(after) && /\d/.test(text[end + 1] ?? '');
}

const PHONE_KEYWORD_RE =
  /(?:phone|tel|mobile|cell|fax|call|contact|whatsapp|sms|number|nr|no|desk|office|home|work|direct)\b[^\n\d]{0,20}$/i;

/**
 * Written like a phone number: with a `+`, parentheses or separators between groups, the last group not
 * a lone digit (`321 567 636-4` is an account number). A bare run of digits (`2147483647` in code)
 * counts only right after a word like "phone" or "call".
 */
function isPhoneShaped(text: string, start: number, end: number): boolean {
  const raw = text.slice(start, end);
  if (/^\d+$/.test(raw)) return PHONE_KEYWORD_RE.test(text.slice(Math.max(0, start - 40), start));
  const groups = raw.split(/\D+/).filter((g) => g !== '');
  return (groups[groups.length - 1]?.length ?? 0) >= 2;
}
