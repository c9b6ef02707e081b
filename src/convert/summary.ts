/**
 * The flat view of an event: the short-form fields read back out of the model, with numbers as numbers
 * and unknown heights left out. What the map conversions and round-trip checks look at.
 */
import { UNKNOWN_THRESHOLD } from '../cot/defaults';
import type { CotDetail, CotElement, CotEvent } from '../cot/model';

export interface CotSummary {
  uid: string;
  type: string;
  how: string;
  time: string;
  start: string;
  stale: string;
  lat: number;
  lon: number;
  /** Absent when unknown (9999999), as are ce and le. */
  hae?: number;
  ce?: number;
  le?: number;
  callsign?: string;
  team?: string;
  role?: string;
  course?: number;
  speed?: number;
  battery?: number;
  remarks?: string;
  iconsetpath?: string;
  /** `<color argb>`: the signed 32-bit ARGB integer. */
  color?: number;
}

/** The first of a detail child that may be repeated. */
export function firstChild(detail: CotDetail | undefined, name: string): CotElement | undefined {
  const value = detail?.[name];
  if (Array.isArray(value)) return value[0];
  return typeof value === 'object' && value !== null ? (value as CotElement) : undefined;
}

function stringAttribute(element: CotElement | undefined, name: string): string | undefined {
  const value = element?.[name];
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

function numberAttribute(element: CotElement | undefined, name: string): number | undefined {
  const value = element?.[name];
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function known(value: number): number | undefined {
  return value < UNKNOWN_THRESHOLD ? value : undefined;
}

/** Sets only the defined values, so absent fields stay absent rather than `undefined`. */
function put<K extends keyof CotSummary>(
  summary: CotSummary,
  key: K,
  value: CotSummary[K] | undefined,
): void {
  if (value !== undefined) summary[key] = value;
}

export function summarizeCot(event: CotEvent): CotSummary {
  const detail = event.detail;
  const summary: CotSummary = {
    uid: event.uid,
    type: event.type,
    how: event.how,
    time: event.time,
    start: event.start,
    stale: event.stale,
    lat: event.point.lat,
    lon: event.point.lon,
  };
  put(summary, 'hae', known(event.point.hae));
  put(summary, 'ce', known(event.point.ce));
  put(summary, 'le', known(event.point.le));
  put(summary, 'callsign', stringAttribute(firstChild(detail, 'contact'), 'callsign'));
  const group = firstChild(detail, '__group');
  put(summary, 'team', stringAttribute(group, 'name'));
  put(summary, 'role', stringAttribute(group, 'role'));
  const track = firstChild(detail, 'track');
  put(summary, 'course', numberAttribute(track, 'course'));
  put(summary, 'speed', numberAttribute(track, 'speed'));
  put(summary, 'battery', numberAttribute(firstChild(detail, 'status'), 'battery'));
  const remarks = firstChild(detail, 'remarks')?._text;
  if (typeof remarks === 'string' && remarks !== '') summary.remarks = remarks;
  put(summary, 'iconsetpath', stringAttribute(firstChild(detail, 'usericon'), 'iconsetpath'));
  const argb = numberAttribute(firstChild(detail, 'color'), 'argb');
  if (argb !== undefined) summary.color = argb | 0;
  return summary;
}
