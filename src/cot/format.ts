import { UNKNOWN_THRESHOLD } from './defaults';

/** What every TAK implementation writes for an unknown hae/ce/le. */
const UNKNOWN_TEXT = '9999999.0';

/** Shortest text that reads back as the same double, without exponent notation that some readers refuse. */
export function formatNumber(value: number): string {
  const text = String(value);
  if (!text.includes('e')) return text;
  // toFixed(20) can still round tiny values; precision at 1e-20 degrees or metres is far below any sensor.
  return value.toFixed(20).replace(/\.?0+$/, '');
}

export function formatMetres(value: number): string {
  return value >= UNKNOWN_THRESHOLD ? UNKNOWN_TEXT : formatNumber(value);
}
