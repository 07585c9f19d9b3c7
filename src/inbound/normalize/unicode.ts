const NON_ASCII_RE = /[\u0080-\uffff]/;

/** True when every code unit is ASCII (then NFKC and confusable folding are the identity). */
export function isAscii(text: string): boolean {
  return !NON_ASCII_RE.test(text);
}

/**
 * Unicode NFKC (UAX #15): compatibility forms fold to their plain letters — fullwidth `ｉｇｎｏｒｅ`,
 * mathematical `𝐢𝐠𝐧𝐨𝐫𝐞`, ligatures `ﬁ`, circled and superscript letters — so detectors see one
 * spelling. ASCII text is returned as is without calling ICU.
 */
export function nfkc(text: string): string {
  if (isAscii(text)) return text;
  try {
    return text.normalize('NFKC');
  } catch {
    // normalize() does not throw on strings in practice (lone surrogates pass through); be safe anyway.
    return text;
  }
}
