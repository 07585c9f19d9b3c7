import type { Finding } from '../types.js';
import { CONFUSABLES } from './confusables-table.js';
import { isAscii, nfkc } from './unicode.js';

const classOf = (cps: readonly number[]): string => cps.map((cp) => `\\u{${cp.toString(16)}}`).join('');
const FOLD_RE = new RegExp(`[${classOf([...CONFUSABLES.keys()])}]`, 'gu');
/**
 * Look-alikes that make a word mixed-script: the table's non-Latin entries plus fullwidth and mathematical
 * letters. Latin-script entries (dotless ı, small capitals) are folded but do not make a finding: Turkish
 * `Dayıoğlu` is one script.
 */
const FOREIGN = [...CONFUSABLES.keys()].filter((cp) => !/\p{Script=Latin}/u.test(String.fromCodePoint(cp)));
const LOOKALIKE_RE = new RegExp(
  `[${classOf(FOREIGN)}\\uFF21-\\uFF3A\\uFF41-\\uFF5A\\u{1D400}-\\u{1D7FF}]`,
  'u',
);
const WORD_RE = /[\p{L}\p{M}\p{Nd}]+/gu;
const ASCII_LETTER_RE = /[A-Za-z]/;

/**
 * Folds homoglyphs to the Latin letters they imitate — for detection only, never for what the model
 * sees: NFKC first (fullwidth, mathematical, circled letters), then the cross-script table.
 */
export function foldConfusables(text: string): string {
  if (isAscii(text)) return text;
  return nfkc(text).replace(FOLD_RE, (ch) => CONFUSABLES.get(ch.codePointAt(0) ?? 0) ?? ch);
}

export interface ConfusableScan {
  /** One finding per mixed-script word (Latin letters mixed with look-alikes), spans in `text`. */
  readonly findings: Finding[];
  /**
   * Whether the folded form is worth scanning: a mixed-script word was found, or look-alike-only words
   * sit in mostly Latin text (`рау` in an English sentence). Russian or Greek prose alone is not folded.
   */
  readonly isWorthFolding: boolean;
}

/** Finds words that mix Latin letters with look-alikes from other scripts (`іgnore` with a Cyrillic і). */
export function scanConfusables(text: string, maxFindings = 200): ConfusableScan {
  if (isAscii(text) || !LOOKALIKE_RE.test(text)) return { findings: [], isWorthFolding: false };
  const findings: Finding[] = [];
  let latinWords = 0;
  let otherWords = 0;
  let lookalikeOnlyWords = 0;
  WORD_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = WORD_RE.exec(text)) !== null) {
    const word = m[0];
    const hasLatin = ASCII_LETTER_RE.test(word);
    if (isAscii(word)) {
      latinWords++;
      continue;
    }
    if (!LOOKALIKE_RE.test(word)) {
      if (hasLatin) latinWords++;
      else otherWords++;
      continue;
    }
    if (hasLatin) {
      latinWords++;
      if (findings.length < maxFindings) {
        findings.push({
          kind: 'confusable',
          type: 'mixed_script',
          span: { start: m.index, end: m.index + word.length },
          detail: foldConfusables(word),
        });
      }
    } else if (word.length >= 2 && isAllLookalike(word)) lookalikeOnlyWords++;
    else otherWords++;
  }
  const isLatinText = latinWords > otherWords + lookalikeOnlyWords;
  return { findings, isWorthFolding: findings.length > 0 || (lookalikeOnlyWords > 0 && isLatinText) };
}

function isAllLookalike(word: string): boolean {
  for (const ch of word) if (!LOOKALIKE_RE.test(ch)) return false;
  return true;
}
