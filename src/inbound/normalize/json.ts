import type { Finding } from '../types.js';
import { scanConfusables, foldConfusables } from './confusables.js';
import { decodeBlobs, type DecodeOptions } from './encoded.js';
import { findExfilLinks, type ExfilOptions } from './exfil-links.js';
import { stripInvisible } from './invisible.js';
import { decodeJsonStrings, literalAt } from './json-strings.js';
import { nfkc } from './unicode.js';

export interface JsonAnalysis {
  /** Spans are the string literals (in the analysed text) where each thing was found. */
  readonly findings: Finding[];
  readonly scanTexts: string[];
}

/**
 * When `text` is JSON whose string literals use `\\u` escapes, the decoded strings are what a consumer of the
 * JSON reads: they go through the same character-level checks as the raw text (invisible and tag
 * characters, homoglyphs, encoded blobs, exfiltration links), and their cleaned concatenation is scanned.
 */
export function analyseJson(
  text: string,
  options: { readonly decode?: DecodeOptions; readonly maxFindings: number } & ExfilOptions,
): JsonAnalysis | undefined {
  if (!text.includes('\\u')) return undefined;
  const strings = decodeJsonStrings(text);
  if (strings === undefined || !strings.hasEscapes) return undefined;
  const findings: Finding[] = [];
  const scanTexts: string[] = [];
  const inner = stripInvisible(strings.text, { maxFindings: options.maxFindings });
  const onLiteral = (f: Finding, mapThroughInvisible: boolean): Finding | undefined => {
    const pos = mapThroughInvisible ? inner.map.toInput(f.span.start) : f.span.start;
    const literal = literalAt(strings, pos);
    return literal === undefined ? undefined : { ...f, span: literal };
  };
  for (const f of inner.findings) pushDefined(findings, onLiteral(f, false));
  scanTexts.push(...inner.smuggled);
  const cleaned = nfkc(inner.text);
  scanTexts.push(cleaned);
  const confusables = scanConfusables(inner.text, options.maxFindings);
  for (const f of confusables.findings) pushDefined(findings, onLiteral(f, true));
  if (confusables.isWorthFolding) scanTexts.push(foldConfusables(cleaned));
  const blobs = decodeBlobs(inner.text, options.decode);
  for (const f of blobs.findings) pushDefined(findings, onLiteral(f, true));
  for (const blob of blobs.decoded) scanTexts.push(blob.text);
  for (const f of findExfilLinks(inner.text, options)) pushDefined(findings, onLiteral(f, true));
  return { findings, scanTexts };
}

function pushDefined(into: Finding[], f: Finding | undefined): void {
  if (f !== undefined) into.push(f);
}
