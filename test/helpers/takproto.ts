import { formatNumber } from '../../src/cot/format';
import type { CotElement, CotEvent } from '../../src/cot/model';
import { parseTime } from '../../src/cot/time';

/*
 * What TAK Protocol cannot say, taken out of a model before comparing: times are whole milliseconds, the
 * event has no version field, empty access/qos/opex are absent. For another writer's vectors, also the
 * spelling of the typed numbers (WinTAK writes speed="0.00000000", the wire holds the double 0).
 */

function msTime(text: string): string {
  return new Date(Math.floor(parseTime(text))).toISOString();
}

/** The model as TAK Protocol can carry it. */
export function asTakProtoCarries(event: CotEvent): CotEvent {
  const copy = structuredClone(event);
  copy.version = '2.0';
  copy.time = msTime(copy.time);
  copy.start = msTime(copy.start);
  copy.stale = msTime(copy.stale);
  for (const field of ['access', 'qos', 'opex'] as const) if (copy[field] === '') delete copy[field];
  return copy;
}

function numericSpelling(element: CotElement | undefined, names: string[]): void {
  if (element === undefined || Array.isArray(element) || typeof element !== 'object') return;
  for (const name of names) {
    const value = element[name];
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
      element[name] = formatNumber(Number(value));
  }
}

/** asTakProtoCarries, and typed numbers in their shortest spelling. */
export function asTypedNumbers(event: CotEvent): CotEvent {
  const copy = asTakProtoCarries(event);
  numericSpelling(copy.detail?.track as CotElement | undefined, ['course', 'speed']);
  numericSpelling(copy.detail?.status as CotElement | undefined, ['battery']);
  return copy;
}

/** A hex fixture line as bytes. */
export function hexBytes(text: string): Buffer {
  return Buffer.from(text.trim(), 'hex');
}
