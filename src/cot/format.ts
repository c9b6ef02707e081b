import { UNKNOWN_THRESHOLD } from './defaults';

/** What every TAK implementation writes for an unknown hae/ce/le. */
const UNKNOWN_TEXT = '9999999.0';

/**
 * Shortest text that reads back as the same double, in plain decimal: JavaScript switches to exponent
 * notation below 1e-6 and above 1e21, which some CoT readers refuse. Shifting the decimal point of the
 * shortest representation keeps it exact.
 */
export function formatNumber(value: number): string {
  const text = String(value);
  const e = text.indexOf('e');
  if (e < 0) return text;
  const negative = text.startsWith('-');
  const mantissa = text.slice(negative ? 1 : 0, e);
  const exponent = Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const pointAt = (dot < 0 ? mantissa.length : dot) + exponent;
  let plain: string;
  if (pointAt <= 0) plain = `0.${'0'.repeat(-pointAt)}${digits}`;
  else if (pointAt >= digits.length) plain = digits + '0'.repeat(pointAt - digits.length);
  else plain = `${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
  return negative ? `-${plain}` : plain;
}

export function formatMetres(value: number): string {
  return value >= UNKNOWN_THRESHOLD ? UNKNOWN_TEXT : formatNumber(value);
}
