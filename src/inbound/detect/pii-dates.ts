import type { Finding } from '../types.js';

const MONTHS =
  'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';
const DATE = [
  '\\d{4}-\\d{2}-\\d{2}',
  '\\d{1,2}[/.-]\\d{1,2}[/.-]\\d{2,4}',
  `\\d{1,2}\\.? (?:${MONTHS})\\.? \\d{4}`,
  `(?:${MONTHS})\\.? \\d{1,2},? \\d{4}`,
].join('|');
const DOB_RE = new RegExp(
  `\\b(?:born(?: on)?|d\\.?o\\.?b\\.?|date of birth|birth ?date|birthday|geboren(?: am)?|né(?:e)? le)\\W{0,6}(${DATE})\\b`,
  'dgi',
);
/** Where a date can end: an ISO date (taken whole), a year, or a two-digit year after `dd/mm/`. */
const DATE_END_RE =
  /(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)|(?<!\d)(?:1[89]\d\d|20\d\d)(?!\d)|\d{1,2}[/.-]\d{1,2}[/.-]\d{2}(?!\d)/g;
const KEYWORD_RE = /born|d\.?o\.?b|birth|geboren|né/i;

/**
 * Dates of birth: a date right after "born", "DOB", "date of birth" (a date alone is not personal).
 * Found from the date's end backwards: the full pattern runs only on the 60 characters before a year
 * that have one of the words.
 */
export function findDatesOfBirth(text: string): Finding[] {
  const findings: Finding[] = [];
  DATE_END_RE.lastIndex = 0;
  let year: RegExpExecArray | null;
  let done = 0;
  while ((year = DATE_END_RE.exec(text)) !== null) {
    const end = year.index + year[0].length;
    const from = Math.max(done, year.index - 60);
    const window = text.slice(from, end);
    if (!KEYWORD_RE.test(window)) continue;
    DOB_RE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = DOB_RE.exec(window)) !== null) {
      const span = m.indices?.[1];
      if (span === undefined || from + span[1] !== end) continue;
      findings.push({
        kind: 'pii',
        type: 'date_of_birth',
        span: { start: from + span[0], end: from + span[1] },
      });
      done = end;
    }
  }
  return findings;
}
