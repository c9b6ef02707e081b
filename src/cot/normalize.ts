import {
  COT_VERSION,
  DEFAULT_HOW,
  DEFAULT_ROLE,
  DEFAULT_STALE_SECONDS,
  DEFAULT_TEAM,
  UNKNOWN_VALUE,
} from './defaults';
import { CotError, CotErrorCode, describeValue } from './errors';
import type {
  CotDetail,
  CotElement,
  CotEvent,
  CotEventInput,
  CotInput,
  CotShortInput,
  TimeInput,
} from './model';
import { toStaleString, toTimeString } from './time';
import { randomUid, stableUid } from './uid';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A number, or a string that is wholly a number (what CSV, MQTT and HTTP sources hand over). */
function readNumber(value: unknown, field: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    if (!Number.isNaN(n)) return n;
  }
  throw new CotError(CotErrorCode.INPUT, `${field} is ${describeValue(value)}; give a number`, field, value);
}

function readOptionalNumber(value: unknown, field: string): number | undefined {
  return value === undefined || value === null ? undefined : readNumber(value, field);
}

function readOptionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  throw new CotError(CotErrorCode.INPUT, `${field} is ${describeValue(value)}; give a string`, field, value);
}

function readFiniteNumber(value: unknown, field: string): number | undefined {
  const n = readOptionalNumber(value, field);
  if (n !== undefined && !Number.isFinite(n)) {
    throw new CotError(
      CotErrorCode.INPUT,
      `${field} is ${describeValue(value)}; give a finite number`,
      field,
      value,
    );
  }
  return n;
}

function metres(value: unknown, field: string): number {
  const n = readOptionalNumber(value, field);
  return n === undefined ? UNKNOWN_VALUE : n;
}

/** `#RRGGBB` or `#AARRGGBB` (opaque when no alpha), or a number: the signed 32-bit ARGB integer ATAK writes. */
export function toArgb(value: number | string, field = 'color'): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value | 0;
  if (typeof value === 'string') {
    const hex = /^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/.exec(value.trim());
    if (hex) {
      const digits = hex[1] as string;
      return Number.parseInt(digits.length === 6 ? `ff${digits}` : digits, 16) | 0;
    }
    if (/^-?\d+$/.test(value.trim())) return Number(value) | 0;
  }
  throw new CotError(
    CotErrorCode.INPUT,
    `${field} is ${describeValue(value)}; give #RRGGBB, #AARRGGBB or a signed 32-bit ARGB integer`,
    field,
    value,
  );
}

function copyDetail(detail: unknown): CotDetail {
  if (detail === undefined || detail === null) return {};
  if (!isRecord(detail)) {
    throw new CotError(
      CotErrorCode.INPUT,
      `detail is ${describeValue(detail)}; give an object`,
      'detail',
      detail,
    );
  }
  return { ...(detail as CotDetail) };
}

/** Sets attributes on one detail child without touching the caller's objects. */
function mergeInto(detail: CotDetail, name: string, values: CotElement): void {
  const existing = detail[name];
  if (Array.isArray(existing)) {
    detail[name] = [{ ...existing[0], ...values }, ...existing.slice(1)];
  } else if (isRecord(existing)) {
    detail[name] = { ...(existing as CotElement), ...values };
  } else {
    detail[name] = values;
  }
}

function resolveUid(uid: unknown, uidKey: unknown): string {
  if (uid !== undefined && uid !== null) {
    if (typeof uid !== 'string') {
      throw new CotError(CotErrorCode.MISSING_UID, `uid is ${describeValue(uid)}; give a string`, 'uid', uid);
    }
    return uid;
  }
  if (uidKey !== undefined && uidKey !== null && uidKey !== '') {
    if (typeof uidKey !== 'string' && typeof uidKey !== 'number') {
      throw new CotError(
        CotErrorCode.INPUT,
        `uidKey is ${describeValue(uidKey)}; give a string`,
        'uidKey',
        uidKey,
      );
    }
    return stableUid(String(uidKey));
  }
  return randomUid();
}

function requireType(type: unknown): string {
  if (typeof type !== 'string' || type === '') {
    throw new CotError(
      CotErrorCode.MISSING_TYPE,
      `type is ${describeValue(type)}; every event needs a type such as a-f-G-U-C`,
      'type',
      type,
    );
  }
  return type;
}

interface Times {
  time: string;
  start: string;
  stale: string;
}

function resolveTimes(
  time: TimeInput | undefined,
  start: TimeInput | undefined,
  stale: TimeInput | undefined,
  now: number,
): Times {
  const timeText =
    time === undefined || time === null ? new Date(now).toISOString() : toTimeString(time, 'time');
  const startText = start === undefined || start === null ? timeText : toTimeString(start, 'start');
  const staleText =
    stale === undefined || stale === null
      ? new Date(now + DEFAULT_STALE_SECONDS * 1000).toISOString()
      : toStaleString(stale, now);
  return { time: timeText, start: startText, stale: staleText };
}

function optionalAttributes(input: { access?: unknown; qos?: unknown; opex?: unknown }): Partial<CotEvent> {
  const out: Partial<CotEvent> = {};
  const access = readOptionalString(input.access, 'access');
  const qos = readOptionalString(input.qos, 'qos');
  const opex = readOptionalString(input.opex, 'opex');
  if (access !== undefined) out.access = access;
  if (qos !== undefined) out.qos = qos;
  if (opex !== undefined) out.opex = opex;
  return out;
}

function fromCanonical(input: CotEventInput, now: number): CotEvent {
  const point = input.point as Record<string, unknown>;
  const event: CotEvent = {
    version: readOptionalString(input.version, 'version') ?? COT_VERSION,
    uid: resolveUid(input.uid, input.uidKey),
    type: requireType(input.type),
    how: readOptionalString(input.how, 'how') ?? DEFAULT_HOW,
    ...resolveTimes(input.time, input.start, input.stale, now),
    ...optionalAttributes(input),
    point: {
      lat: readNumber(point.lat, 'point.lat'),
      lon: readNumber(point.lon, 'point.lon'),
      hae: metres(point.hae, 'point.hae'),
      ce: metres(point.ce, 'point.ce'),
      le: metres(point.le, 'point.le'),
    },
  };
  if (input.detail !== undefined && input.detail !== null) event.detail = copyDetail(input.detail);
  return event;
}

function fromShort(input: CotShortInput, now: number): CotEvent {
  if (input.lat === undefined || input.lat === null || input.lon === undefined || input.lon === null) {
    throw new CotError(
      CotErrorCode.MISSING_POINT,
      `no position: give lat and lon (got lat ${describeValue(input.lat)}, lon ${describeValue(input.lon)})`,
      input.lat === undefined || input.lat === null ? 'lat' : 'lon',
    );
  }
  const detail = copyDetail(input.detail);
  const callsign = readOptionalString(input.callsign, 'callsign');
  if (callsign !== undefined) mergeInto(detail, 'contact', { callsign });
  const team = readOptionalString(input.team, 'team');
  const role = readOptionalString(input.role, 'role');
  if (team !== undefined || role !== undefined) {
    mergeInto(detail, '__group', { name: team ?? DEFAULT_TEAM, role: role ?? DEFAULT_ROLE });
  }
  const course = readFiniteNumber(input.course, 'course');
  const speed = readFiniteNumber(input.speed, 'speed');
  if (course !== undefined || speed !== undefined) {
    const track: CotElement = {};
    if (course !== undefined) track.course = course;
    if (speed !== undefined) track.speed = speed;
    mergeInto(detail, 'track', track);
  }
  const battery = readFiniteNumber(input.battery, 'battery');
  if (battery !== undefined) {
    if (battery < 0 || battery > 100) {
      throw new CotError(
        CotErrorCode.INPUT,
        `battery is ${battery}; give a percentage from 0 to 100`,
        'battery',
        battery,
      );
    }
    mergeInto(detail, 'status', { battery: Math.round(battery) });
  }
  const remarks = readOptionalString(input.remarks, 'remarks');
  if (remarks !== undefined) mergeInto(detail, 'remarks', { _text: remarks });
  const iconsetpath = readOptionalString(input.iconsetpath, 'iconsetpath');
  if (iconsetpath !== undefined) mergeInto(detail, 'usericon', { iconsetpath });
  if (input.color !== undefined && input.color !== null)
    mergeInto(detail, 'color', { argb: toArgb(input.color) });

  const event: CotEvent = {
    version: COT_VERSION,
    uid: resolveUid(input.uid, input.uidKey),
    type: requireType(input.type),
    how: readOptionalString(input.how, 'how') ?? DEFAULT_HOW,
    ...resolveTimes(input.time, input.start, input.stale, now),
    ...optionalAttributes(input),
    point: {
      lat: readNumber(input.lat, 'lat'),
      lon: readNumber(input.lon, 'lon'),
      hae: metres(input.hae, 'hae'),
      ce: metres(input.ce, 'ce'),
      le: metres(input.le, 'le'),
    },
  };
  if (Object.keys(detail).length > 0 || input.detail !== undefined) event.detail = detail;
  return event;
}

/** The canonical model carries a `point` object; the short form has `lat`/`lon` at the top. */
export function isCanonical(input: CotInput): input is CotEventInput {
  return isRecord(input) && isRecord((input as CotEventInput).point);
}

/** Turns either input shape into a complete model with every default filled in (not yet validated). */
export function normalizeInput(input: CotInput, now: number = Date.now()): CotEvent {
  if (!isRecord(input)) {
    throw new CotError(
      CotErrorCode.INPUT,
      `buildCot needs an object with lat/lon or a point (got ${describeValue(input)})`,
      undefined,
      input,
    );
  }
  return isCanonical(input) ? fromCanonical(input, now) : fromShort(input as CotShortInput, now);
}
