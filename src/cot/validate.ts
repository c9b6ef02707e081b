import { COT_VERSION } from './defaults';
import { CotError, CotErrorCode, describeValue } from './errors';
import type { CotEvent } from './model';
import { checkTime, requireTime, type EventTimes } from './time';
import { assertXmlChars } from './xml-text';

/** `\w+(-\w+)*(;[^;]*)?`, e.g. `a-f-G-U-C`; the optional `;...` suffix carries a qualifier. */
const TYPE_PATTERN = /^\w+(-\w+)*(;[^;]*)?$/;
/** `\w(-\w+)*`, e.g. `m-g`, `h-e`, `h-g-i-g-o`. */
const HOW_PATTERN = /^\w(-\w+)*$/;

let lastGoodType = '';
let lastGoodHow = '';

function requireString(value: unknown, field: string, code: CotErrorCode, what: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new CotError(code, `${field} is ${describeValue(value)}; ${what}`, field, value);
  }
  return value;
}

function requireCoordinate(value: unknown, field: 'lat' | 'lon'): void {
  const limit = field === 'lat' ? 90 : 180;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < -limit || value > limit) {
    throw new CotError(
      field === 'lat' ? CotErrorCode.LAT : CotErrorCode.LON,
      `point.${field} is ${describeValue(value)}; it must be a number from -${limit} to ${limit}`,
      `point.${field}`,
      value,
    );
  }
}

function optionalText(value: unknown, field: 'access' | 'qos' | 'opex'): void {
  if (typeof value !== 'string') {
    throw new CotError(
      CotErrorCode.INPUT,
      `${field} is ${describeValue(value)}; give a string or leave it out`,
      field,
      value,
    );
  }
  assertXmlChars(value, field);
}

function metres(value: unknown, field: 'hae' | 'ce' | 'le'): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new CotError(
      CotErrorCode.POINT_VALUE,
      `point.${field} is ${describeValue(value)}; give metres as a number, or 9999999 for unknown`,
      `point.${field}`,
      value,
    );
  }
}

export interface ValidateOptions {
  /**
   * Refuse stale before start. On for what a flow author writes; off for received events and canonical models,
   * because servers do carry such events (already stale on arrival) and a forwarder must not refuse them.
   */
  staleOrder: boolean;
  /** The times, when the model was just made from them (normalizeInput): read already, not read again. */
  times?: EventTimes;
}

/** Checks everything but the detail, which the serializer checks as it writes. */
export function validateEvent(event: CotEvent, options: ValidateOptions): void {
  assertXmlChars(
    requireString(event.uid, 'uid', CotErrorCode.MISSING_UID, 'every event needs a non-empty uid'),
    'uid',
  );
  const type = requireString(
    event.type,
    'type',
    CotErrorCode.MISSING_TYPE,
    'every event needs a type such as a-f-G-U-C',
  );
  // The patterns admit only word characters and dashes, except after a type's `;`: only text that
  // fails them, or a qualifier, can hold a character XML cannot carry (reported as such first).
  const typeMatches = type === lastGoodType || TYPE_PATTERN.test(type);
  const qualified = type.includes(';');
  if (!typeMatches || qualified) assertXmlChars(type, 'type');
  if (!typeMatches) {
    throw new CotError(
      CotErrorCode.TYPE,
      `type ${describeValue(type)} is not a CoT type; use dash-separated parts such as a-f-G-U-C`,
      'type',
      type,
    );
  }
  const how = requireString(event.how, 'how', CotErrorCode.HOW, 'give a how such as m-g or h-e');
  if (how !== lastGoodHow && !HOW_PATTERN.test(how)) {
    assertXmlChars(how, 'how');
    throw new CotError(
      CotErrorCode.HOW,
      `how ${describeValue(how)} is not a CoT how; use dash-separated parts such as m-g or h-e`,
      'how',
      how,
    );
  }
  // Senders repeat the same few types and hows: remembering the last good one skips a regex per event.
  if (!qualified) lastGoodType = type;
  lastGoodHow = how;
  const version = requireString(event.version, 'version', CotErrorCode.INPUT, 'use "2.0"');
  if (version !== COT_VERSION) assertXmlChars(version, 'version');
  const times = options.times;
  if (options.staleOrder) {
    let start: number;
    let stale: number;
    if (times) {
      start = times.start;
      stale = times.stale;
    } else {
      const time = requireTime(event.time, 'time');
      // Almost every sender writes start equal to time: read that text once.
      start = event.start === event.time ? time : requireTime(event.start, 'start');
      stale = requireTime(event.stale, 'stale');
    }
    if (stale < start) {
      throw new CotError(
        CotErrorCode.STALE_BEFORE_START,
        `stale ${event.stale} is before start ${event.start}; an event must stay valid for some time`,
        'stale',
        event.stale,
      );
    }
  } else if (!times) {
    checkTime(event.time, 'time');
    if (event.start !== event.time) checkTime(event.start, 'start');
    checkTime(event.stale, 'stale');
  }
  // Field by field rather than a loop over the names: no keyed loads on the event.
  if (event.access !== undefined) optionalText(event.access, 'access');
  if (event.qos !== undefined) optionalText(event.qos, 'qos');
  if (event.opex !== undefined) optionalText(event.opex, 'opex');
  const point = event.point;
  if (point === null || typeof point !== 'object') {
    throw new CotError(
      CotErrorCode.MISSING_POINT,
      'the event has no point; give point.lat and point.lon',
      'point',
      point,
    );
  }
  requireCoordinate(point.lat, 'lat');
  requireCoordinate(point.lon, 'lon');
  metres(point.hae, 'hae');
  metres(point.ce, 'ce');
  metres(point.le, 'le');
}
