/**
 * Cross-script look-alikes of Latin letters, written for detection (not display). Chosen from the
 * Unicode Consortium's confusables.txt (UTS #39, "Unicode Security Mechanisms", section 4 "Confusable
 * Detection", https://www.unicode.org/Public/security/latest/confusables.txt): the entries whose
 * prototype is a single Latin letter and whose source is Cyrillic, Greek, Armenian, Cherokee, Latin
 * small capitals/IPA, Lisu or Roman numerals, plus a few Greek letters that confusables.txt maps to IPA
 * letters but that attackers use for Latin ones (ε→e, η→n, σ→o, γ→y, ω→w).
 *
 * Fullwidth forms (U+FF21–U+FF5A), mathematical alphanumerics (U+1D400–U+1D7FF), circled, superscript and
 * other compatibility letters are not listed: NFKC folds them (see `unicode.ts`), and the folding code
 * runs NFKC first.
 */
const GROUPS: Readonly<Record<string, string>> = {
  // Cyrillic lowercase
  a: 'аӓ',
  b: 'Ьь',
  c: 'сϲᴄⅽ',
  d: 'ԁɗⅾ',
  e: 'еҽ℮ε',
  g: 'ɡց',
  h: 'һհ',
  i: 'іїıɩιⅰ',
  j: 'јϳʝ',
  k: 'κк',
  l: 'ӏⅼǀ',
  m: 'ⅿм',
  n: 'ոռпη',
  o: 'оοօσ',
  p: 'рρϱ',
  q: 'ԛզ',
  r: 'гᴦⲅ',
  s: 'ѕꜱ',
  t: 'т',
  u: 'υսʋ',
  v: 'ѵνᴠⅴ',
  w: 'ԝѡωᴡ',
  x: 'хχⅹ',
  y: 'уүγʏ',
  z: 'ᴢ',
  // Uppercase look-alikes
  A: 'АΑᎪᗅꓮ',
  B: 'ВΒᏴꓐ',
  C: 'СϹᏟꓚⅭ',
  D: 'ᎠꓓⅮ',
  E: 'ЕΕᎬꓰ',
  F: 'Ϝꓝ',
  G: 'ԌᏀꓖ',
  H: 'НΗᎻꓧ',
  I: 'ІΙӀⅠꓲ',
  J: 'ЈᎫꓙ',
  K: 'КΚᏦꓗ',
  L: 'ᏞꓡⅬ',
  M: 'МΜᎷꓟⅯ',
  N: 'Νꓠ',
  O: 'ОΟՕꓳ',
  P: 'РΡᏢꓑ',
  Q: 'Ԛ',
  R: 'ᏒꓣƦ',
  S: 'ЅᏚꓢ',
  T: 'ТΤᎢꓔ',
  U: 'Սꓴ',
  V: 'ᏙꓦⅤ',
  W: 'ԜᎳꓪ',
  X: 'ХΧꓫⅩ',
  Y: 'ҮΥꓬ',
  Z: 'ΖᏃꓜ',
};

/** Code point → the Latin letter it imitates. */
export const CONFUSABLES: ReadonlyMap<number, string> = (() => {
  const map = new Map<number, string>();
  for (const [latin, sources] of Object.entries(GROUPS)) {
    for (const ch of sources) map.set(ch.codePointAt(0) ?? 0, latin);
  }
  return map;
})();
