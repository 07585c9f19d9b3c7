/**
 * Numbers that count as personal data only after a word that says what they are ("passport",
 * "SSN", "born"). Searching for the number first and looking back for the word is much cheaper than
 * a case-insensitive alternation of words over the whole text: digits are rarer than letters.
 */
export interface AnchoredMatch {
  readonly start: number;
  readonly end: number;
  readonly value: string;
}

/**
 * Matches of `candidate` (a global regex; group 1, when present, is the value) preceded within
 * `window` characters by a match of `keyword` (case-insensitive, tested on that window only).
 */
export function findAnchored(
  text: string,
  candidate: RegExp,
  keyword: RegExp,
  window: number,
): AnchoredMatch[] {
  const out: AnchoredMatch[] = [];
  candidate.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = candidate.exec(text)) !== null) {
    const value = m[1] ?? m[0];
    const end = m.index + m[0].length;
    const start = end - value.length;
    if (keyword.test(text.slice(Math.max(0, start - window), start))) out.push({ start, end, value });
  }
  return out;
}
