/** Small readers for loosely-typed input (what arrives in msg.payload), shared by the conversions. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/** A finite number, or a string that is wholly one; undefined otherwise. */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** A non-empty string, or a finite number as text (ids and names often arrive as numbers). */
export function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * A CoT type such as `a-f-G-U-C` or `u-d-f`: one letter, then dash-separated parts. Used to tell a CoT
 * type from the `type` property other sources use for their own words ("building", "Feature").
 */
const COT_TYPE_LIKE = /^[a-z](-[\w]+)+(;[^;]*)?$/;

export function asCotType(value: unknown): string | undefined {
  return typeof value === 'string' && COT_TYPE_LIKE.test(value) ? value : undefined;
}
