/** Shannon entropy in bits per character (over UTF-16 code units; callers pass ASCII-ish tokens). */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** How many of: lowercase, uppercase, digits, other — a token uses. */
export function charClassCount(s: string): number {
  let lower = 0;
  let upper = 0;
  let digit = 0;
  let other = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) lower = 1;
    else if (c >= 65 && c <= 90) upper = 1;
    else if (c >= 48 && c <= 57) digit = 1;
    else other = 1;
  }
  return lower + upper + digit + other;
}

/** `getPassword`, `API_TOKEN_VALUE`, `10xLaCroixDrinker`: identifiers made of words, not random characters. */
export function isWordLike(value: string): boolean {
  const tokens = value.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|[^A-Za-z\d]+/g) ?? [];
  return tokens.every((t) => t.length >= 3 || /^\d+$/.test(t) || /^[^A-Za-z\d]+$/.test(t));
}
