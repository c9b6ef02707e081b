/** Powers of ten a double holds exactly (10^22 is the last). */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** Digits whose integer is below 2^53, so a double holds it exactly. */
const MAX_EXACT_DIGITS = 15;

/**
 * Number(text), faster for plain decimals such as coordinates (`-0.1275862`, `9999999.0`): with at most
 * 15 digits the significand and the power of ten are exact doubles, and one correctly rounded division
 * gives the correctly rounded value, the same as Number. Anything else (exponents, signs other than a
 * leading minus, spaces, more digits) is left to Number.
 */
export function parseDecimal(text: string): number {
  const n = text.length;
  let k = text.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  const negative = k === 1;
  let significand = 0;
  let digits = 0;
  let fractionDigits = -1; // -1 until the point
  for (; k < n; k++) {
    const c = text.charCodeAt(k);
    if (c >= 48 && c <= 57) {
      significand = significand * 10 + (c - 48);
      digits++;
      if (fractionDigits >= 0) fractionDigits++;
    } else if (c === 46 /* . */ && fractionDigits < 0) {
      fractionDigits = 0;
    } else {
      return Number(text);
    }
  }
  if (digits === 0 || digits > MAX_EXACT_DIGITS) return Number(text);
  const value =
    fractionDigits > 0 ? significand / (EXACT_POWERS_OF_TEN[fractionDigits] as number) : significand;
  return negative ? -value : value;
}
