import {
  COT_VERSION,
  DEFAULT_HOW,
  DEFAULT_ROLE,
  DEFAULT_STALE_SECONDS,
  DEFAULT_TEAM,
  DEFAULT_TYPE,
  UNKNOWN_VALUE,
} from './defaults';
import { CotError, CotErrorCode, describeValue } from './errors';
import type {
  CotDetail,
  CotElement,
  CotEvent,
  CotEventInput,
  CotInput,
  CotPoint,
  CotShortInput,
  TimeInput,
} from './model';
import { isoFromMs, parseTime, requireTime, toStaleString, toTimeString, type EventTimes } from './time';
import { randomUid, stableUid } from './uid';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Left out: undefined, null or the empty string (what an empty CSV column or form field gives). */
function absent(value: unknown): value is undefined | null | '' {
  return value === undefined || value === null || value === '';
}

/** A number, or a string that is wholly a number (what CSV, MQTT and HTTP sources hand over); NaN otherwise. */
function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return NaN;
}

function readNumber(value: unknown, field: string): number {
  const n = toNumber(value);
  if (Number.isNaN(n) && typeof value !== 'number') {
    throw new CotError(
      CotErrorCode.INPUT,
      `${field} is ${describeValue(value)}; give a number`,
      field,
      value,
    );
  }
  return n;
}

function readOptionalNumber(value: unknown, field: string): number | undefined {
  return absent(value) ? undefined : readNumber(value, field);
}

/**
 * lat or lon: validateEvent checks the range, but a value that is no number at all is reported here with
 * the same specific code, so a flow can tell a bad position from other bad input.
 */
function readCoordinate(value: unknown, field: string, axis: 'lat' | 'lon'): number {
  const n = toNumber(value);
  if (Number.isNaN(n) && typeof value !== 'number') {
    const limit = axis === 'lat' ? 90 : 180;
    throw new CotError(
      axis === 'lat' ? CotErrorCode.LAT : CotErrorCode.LON,
      `${field} is ${describeValue(value)}; give a number from -${limit} to ${limit}`,
      field,
      value,
    );
  }
  return n;
}

/**
 * Text: a string, or a finite number taken as its text (unit numbers as callsigns, numeric device ids);
 * anything else is refused with `code`.
 */
function readOptionalString(
  value: unknown,
  field: string,
  code: CotErrorCode = CotErrorCode.INPUT,
): string | undefined {
  if (absent(value)) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new CotError(code, `${field} is ${describeValue(value)}; give a string`, field, value);
}

/** An event attribute written as given, even when empty: a received event must be forwarded unchanged. */
function readAttribute(value: unknown, field: string): string | undefined {
  return value === '' ? '' : readOptionalString(value, field);
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

/** hae, ce or le: unknown when left out; a value that is no number has the point's own code. */
function metres(value: unknown, field: string): number {
  if (absent(value)) return UNKNOWN_VALUE;
  const n = toNumber(value);
  if (Number.isNaN(n) && typeof value !== 'number') {
    throw new CotError(
      CotErrorCode.POINT_VALUE,
      `${field} is ${describeValue(value)}; give metres as a number, or leave it out for unknown`,
      field,
      value,
    );
  }
  return n;
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

/** The callsign the event will carry: the short form's own, else `detail.contact.callsign`. */
function callsignOf(callsign: unknown, detail: unknown): unknown {
  if (!absent(callsign)) return callsign;
  if (!isRecord(detail)) return undefined;
  const contact = Array.isArray(detail.contact) ? (detail.contact as unknown[])[0] : detail.contact;
  return isRecord(contact) ? contact.callsign : undefined;
}

/**
 * The uid as given; else a name-based UUID of uidKey, else of the callsign, so a named thing sent again
 * and again stays one track on the map; random only when there is nothing to name it by.
 */
function resolveUid(uid: unknown, uidKey: unknown, callsign: unknown): string {
  if (!absent(uid)) return readOptionalString(uid, 'uid', CotErrorCode.MISSING_UID) as string;
  if (!absent(uidKey)) {
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
  if (typeof callsign === 'string' && callsign !== '') return stableUid(callsign);
  return randomUid();
}

/** The type as given, or {@link DEFAULT_TYPE} when it is left out. */
function resolveType(type: unknown): string {
  if (absent(type)) return DEFAULT_TYPE;
  return readOptionalString(type, 'type', CotErrorCode.MISSING_TYPE) as string;
}

interface Times {
  time: string;
  start: string;
  stale: string;
}

/** A time as given, its ms into `out[field]`: a string is read once here and never again for this event. */
function readTime(input: TimeInput, field: 'time' | 'start', out: EventTimes): string {
  if (typeof input === 'string') {
    out[field] = requireTime(input, field);
    return input;
  }
  const text = toTimeString(input, field);
  out[field] = parseTime(text);
  return text;
}

function resolveTimes(
  time: TimeInput | undefined,
  start: TimeInput | undefined,
  stale: TimeInput | undefined,
  now: number,
  out: EventTimes,
): Times {
  let timeText: string;
  if (absent(time)) {
    out.time = Math.trunc(now); // as Date keeps it
    timeText = isoFromMs(out.time);
  } else timeText = readTime(time, 'time', out);
  let startText = timeText;
  // Most senders give start as the same text as time.
  if (!absent(start) && start !== time) startText = readTime(start, 'start', out);
  else out.start = out.time;
  let staleText: string;
  if (absent(stale)) {
    out.stale = Math.trunc(now + DEFAULT_STALE_SECONDS * 1000);
    staleText = isoFromMs(out.stale);
  } else if (typeof stale === 'string') {
    out.stale = requireTime(stale, 'stale');
    staleText = stale;
  } else {
    staleText = toStaleString(stale, now);
    out.stale = parseTime(staleText);
  }
  return { time: timeText, start: startText, stale: staleText };
}

/**
 * The event's attributes in their usual order, the optional ones only when given. Built field by field:
 * spreading helper objects into the literal was a fifth of building an event.
 */
function eventHead(
  version: string,
  uid: string,
  type: string,
  how: string,
  times: Times,
  input: { access?: unknown; qos?: unknown; opex?: unknown },
): Omit<CotEvent, 'point'> {
  const event: Omit<CotEvent, 'point'> = {
    version,
    uid,
    type,
    how,
    time: times.time,
    start: times.start,
    stale: times.stale,
  };
  const access = readAttribute(input.access, 'access');
  const qos = readAttribute(input.qos, 'qos');
  const opex = readAttribute(input.opex, 'opex');
  if (access !== undefined) event.access = access;
  if (qos !== undefined) event.qos = qos;
  if (opex !== undefined) event.opex = opex;
  return event;
}

/** How errors name the point's fields: inside `point` in the model, at the top in the short form. */
interface PointFieldNames {
  lat: string;
  lon: string;
  hae: string;
  ce: string;
  le: string;
}
const CANONICAL_POINT_FIELDS: PointFieldNames = {
  lat: 'point.lat',
  lon: 'point.lon',
  hae: 'point.hae',
  ce: 'point.ce',
  le: 'point.le',
};
const SHORT_POINT_FIELDS: PointFieldNames = { lat: 'lat', lon: 'lon', hae: 'hae', ce: 'ce', le: 'le' };

function readPoint(
  source: { lat?: unknown; lon?: unknown; hae?: unknown; ce?: unknown; le?: unknown },
  names: PointFieldNames,
): CotPoint {
  return {
    lat: readCoordinate(source.lat, names.lat, 'lat'),
    lon: readCoordinate(source.lon, names.lon, 'lon'),
    hae: metres(source.hae, names.hae),
    ce: metres(source.ce, names.ce),
    le: metres(source.le, names.le),
  };
}

function fromCanonical(input: CotEventInput, now: number, times: EventTimes): CotEvent {
  const event = eventHead(
    readAttribute(input.version, 'version') ?? COT_VERSION,
    resolveUid(input.uid, input.uidKey, callsignOf(undefined, input.detail)),
    resolveType(input.type),
    readOptionalString(input.how, 'how') ?? DEFAULT_HOW,
    resolveTimes(input.time, input.start, input.stale, now, times),
    input,
  ) as CotEvent;
  event.point = readPoint(input.point as Record<string, unknown>, CANONICAL_POINT_FIELDS);
  if (input.detail !== undefined && input.detail !== null) event.detail = copyDetail(input.detail);
  return event;
}

function fromShort(input: CotShortInput, now: number, times: EventTimes): CotEvent {
  if (absent(input.lat) || absent(input.lon)) {
    throw new CotError(
      CotErrorCode.MISSING_POINT,
      `no position: give lat and lon (got lat ${describeValue(input.lat)}, lon ${describeValue(input.lon)})`,
      absent(input.lat) ? 'lat' : 'lon',
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
  if (!absent(input.color)) mergeInto(detail, 'color', { argb: toArgb(input.color) });

  const event = eventHead(
    COT_VERSION,
    resolveUid(input.uid, input.uidKey, callsignOf(callsign, input.detail)),
    resolveType(input.type),
    readOptionalString(input.how, 'how') ?? DEFAULT_HOW,
    resolveTimes(input.time, input.start, input.stale, now, times),
    input,
  ) as CotEvent;
  event.point = readPoint(input, SHORT_POINT_FIELDS);
  if (Object.keys(detail).length > 0 || input.detail !== undefined) event.detail = detail;
  return event;
}

/** The canonical model carries a `point` object; the short form has `lat`/`lon` at the top. */
export function isCanonical(input: CotInput): input is CotEventInput {
  return isRecord(input) && isRecord((input as CotEventInput).point);
}

/**
 * Turns either input shape into a complete model with every default filled in (not yet validated). The one
 * place the defaults live: buildCot, tak-send, tak-server, TakClient.send and cot-build all come here, so
 * the same short form makes the same event whichever way it goes in. A field that is undefined, null or ""
 * is left out. The event's times, read on the way, go into `times`.
 */
export function normalizeInput(
  input: CotInput,
  now: number = Date.now(),
  times: EventTimes = { time: 0, start: 0, stale: 0 },
): CotEvent {
  if (!isRecord(input)) {
    throw new CotError(
      CotErrorCode.INPUT,
      `buildCot needs an object with lat/lon or a point (got ${describeValue(input)})`,
      undefined,
      input,
    );
  }
  return isCanonical(input)
    ? fromCanonical(input, now, times)
    : fromShort(input as CotShortInput, now, times);
}
