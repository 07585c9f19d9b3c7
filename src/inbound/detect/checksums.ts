/** Luhn (ISO/IEC 7812-1 annex B) over a digit string. */
export function isLuhnValid(digits: string): boolean {
  let sum = 0;
  let isDouble = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (isDouble) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    isDouble = !isDouble;
  }
  return sum % 10 === 0;
}

/**
 * German tax identification number (Steuerliche Identifikationsnummer, § 139b AO): 11 digits, the first
 * not 0, check digit by ISO/IEC 7064 MOD 11,10, and in the first ten digits exactly one digit repeated
 * (twice or three times) — the rule the Bundeszentralamt für Steuern publishes for numbers since 2016.
 */
export function isValidGermanTaxId(digits: string): boolean {
  if (!/^[1-9]\d{10}$/.test(digits)) return false;
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 10; i++) {
    const d = digits.charCodeAt(i) - 48;
    counts[d] = (counts[d] ?? 0) + 1;
  }
  const repeated = counts.filter((n) => n >= 2);
  if (repeated.length !== 1 || (repeated[0] ?? 0) > 3) return false;
  let product = 10;
  for (let i = 0; i < 10; i++) {
    let sum = (digits.charCodeAt(i) - 48 + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  const check = (11 - product) % 10;
  return check === digits.charCodeAt(10) - 48;
}
