/**
 * Input properties no CoT field takes (a sensor's `temperature`, a GeoJSON `osm_id`): kept in the event's
 * remarks, where every TAK client shows them, or in a detail element, where a flow can read them back.
 */
import { CotError, CotErrorCode, describeValue } from '../cot/errors';
import type { CotDetail, CotElement, CotInput, CotShortInput } from '../cot/model';
import { isXmlName } from '../cot/xml-text';

/** A conversion's result: the input to build, and the properties no field took. */
export interface Conversion<I extends CotInput = CotShortInput> {
  input: I;
  extras: Record<string, unknown>;
}

export type ExtrasMode = 'remarks' | 'detail' | 'drop';

export const EXTRAS_MODES: readonly ExtrasMode[] = ['remarks', 'detail', 'drop'];

/** The detail element that holds extras in `detail` mode: one attribute per property. */
export const EXTRAS_ELEMENT = '__extras';

function text(value: unknown, key: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch (error) {
    // A flow's object that refers back to itself, or nests past the stack: a coded error, not a bare one.
    throw new CotError(
      CotErrorCode.INPUT,
      `the property ${describeValue(key)} cannot be written as JSON (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); give plain data or drop it`,
      key,
    );
  }
}

/**
 * The input with its extras added: `key: value` lines after the remarks, or attributes of `<__extras>`.
 * Objects and arrays are written as JSON; null and undefined are left out.
 */
export function withExtras(
  input: CotShortInput,
  extras: Readonly<Record<string, unknown>>,
  mode: ExtrasMode,
): CotShortInput {
  const entries = Object.entries(extras).filter(([, value]) => value !== undefined && value !== null);
  if (entries.length === 0 || mode === 'drop') return input;
  if (mode === 'remarks') {
    const lines = entries.map(([key, value]) => `${key}: ${text(value, key)}`).join('\n');
    const remarks =
      typeof input.remarks === 'string' && input.remarks !== '' ? `${input.remarks}\n${lines}` : lines;
    return { ...input, remarks };
  }
  const element: CotElement = {};
  for (const [key, value] of entries) {
    if (!isXmlName(key) || key === '_text') {
      throw new CotError(
        CotErrorCode.XML_NAME,
        `the property ${describeValue(key)} cannot be an XML attribute name; rename it or keep extras in the remarks`,
        key,
        value,
      );
    }
    element[key] = typeof value === 'number' || typeof value === 'boolean' ? value : text(value, key);
  }
  const detail: CotDetail = { ...(input.detail ?? {}), [EXTRAS_ELEMENT]: element };
  return { ...input, detail };
}

/** The extras a `detail`-mode event carries, as strings (the way they read back from XML). */
export function readExtras(detail: CotDetail | undefined): Record<string, string> {
  const element = detail?.[EXTRAS_ELEMENT];
  const out: Record<string, string> = {};
  if (typeof element !== 'object' || element === null || Array.isArray(element)) return out;
  for (const [key, value] of Object.entries(element)) {
    if (
      key !== '_text' &&
      (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    ) {
      out[key] = String(value);
    }
  }
  return out;
}
