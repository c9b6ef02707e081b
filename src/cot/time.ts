import { CotError, CotErrorCode, describeValue } from './errors';
import { STALE_SECONDS_LIMIT } from './defaults';
import type { TimeInput } from './model';

/**
 * ISO 8601 date-time as CoT senders write it: any number of fraction digits (TAK Server millis, PyTAK
 * micros, takpak none), `Z` or an offset; a missing zone is read as UTC, which is what every sender means.
 */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/;

/** Two to four ASCII digits at `at` as a number, or NaN. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let k = at; k < at + count; k++) {
    const d = text.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return NaN;
    value = value * 10 + d;
  }
  return value;
}

/**
 * The form nearly every sender uses, `YYYY-MM-DDTHH:MM:SS[.fff...]Z`, read without a regex: every event
 * carries three times, so this is on the hot path of both parse and build.
 */
function parseUtcFast(text: string): number {
  const n = text.length;
  if (n < 20 || text.charCodeAt(n - 1) !== 90 /* Z */) return NaN;
  if (
    text.charCodeAt(4) !== 45 /* - */ ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 /* T */ ||
    text.charCodeAt(13) !== 58 /* : */ ||
    text.charCodeAt(16) !== 58
  )
    return NaN;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  let ms = 0;
  if (n > 20) {
    if (text.charCodeAt(19) !== 46 /* . */ || n === 21) return NaN;
    const fractionDigits = Math.min(n - 21, 3);
    ms = digitsAt(text, 20, fractionDigits) * (fractionDigits === 1 ? 100 : fractionDigits === 2 ? 10 : 1);
    if (n - 21 > 3 && Number.isNaN(digitsAt(text, 23, n - 24))) return NaN;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return NaN;
  return utcMs(year, month, day, hour, minute, second) + ms;
}

const MS_PER_DAY = 86_400_000;
/** 9999-12-31T23:59:59.999Z: four-digit years, which isoFromMs writes without padding. */
const MAX_ISO_FAST_MS = 253402300799999;
/** Days in a 400-year Gregorian cycle. */
const DAYS_PER_ERA = 146_097;
/** Days from 0000-03-01 (where a year counted from March begins) to 1970-01-01. */
const EPOCH_DAYS_FROM_MARCH_0 = 719_468;

/**
 * Date.UTC by arithmetic: it was most of the time spent reading a time (three per event). Years are
 * counted from March so the leap day falls at the end; a day past the month's end rolls over as Date.UTC
 * rolls it, and a four-digit year below 100 stays that year (Date.UTC would read 0050 as 1950).
 */
function utcMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  const days = era * DAYS_PER_ERA + dayOfEra - EPOCH_DAYS_FROM_MARCH_0;
  return days * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000;
}

/** "00" to "99": two digits of a date or time written without padding calls. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => (n < 10 ? `0${n}` : String(n)));
/** "000" to "999". */
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));

/**
 * `new Date(ms).toISOString()` by arithmetic, for 0 to MAX_ISO_FAST_MS (years 1970 to 9999): a decoded
 * TAK Protocol event has its times as ms, and Date's formatting was most of a decode. The inverse of
 * utcMs: days to a civil date counted from March, so the leap day is the last day of its year.
 */
export function isoFromMs(ms: number): string {
  if (!(ms >= 0 && ms <= MAX_ISO_FAST_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const days = Math.floor(ms / MS_PER_DAY);
  let rest = ms - days * MS_PER_DAY;
  const fromMarch0 = days + EPOCH_DAYS_FROM_MARCH_0;
  const era = Math.floor(fromMarch0 / DAYS_PER_ERA);
  const dayOfEra = fromMarch0 - era * DAYS_PER_ERA;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  return (
    `${year}-${TWO_DIGITS[month] as string}-${TWO_DIGITS[day] as string}T` +
    `${TWO_DIGITS[hour] as string}:${TWO_DIGITS[minute] as string}:${TWO_DIGITS[second] as string}.` +
    `${THREE_DIGITS[milli] as string}Z`
  );
}

/** Milliseconds since the epoch, or NaN when the text is not a CoT time. */
export function parseTime(text: string): number {
  const fast = parseUtcFast(text);
  if (!Number.isNaN(fast)) return fast;
  const m = ISO_TIME.exec(text);
  if (!m) return NaN;
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return NaN;
  const fraction = m[7] ? Number(`0.${m[7]}`) : 0;
  let ms = utcMs(Number(m[1]), month, day, hour, minute, second) + Math.floor(fraction * 1000);
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return ms;
}

/** `YYYY-MM-DDTHH:MM:SS`, position by position: 0 where a digit goes, else the character's code. */
const UTC_SHAPE = Array.from('0000-00-00T00:00:00', (c) => (c === '0' ? 0 : c.charCodeAt(0)));

/** The two ASCII digits at `at` (already known to be digits) as a number. */
function twoDigits(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;
}

/**
 * True exactly when {@link parseUtcFast} would give a time, without building the date: a received
 * event's three times only need checking, and this is a fifth of the work.
 */
function isUtcFast(text: string): boolean {
  const n = text.length;
  if (n < 20 || text.charCodeAt(n - 1) !== 90 /* Z */) return false;
  for (let k = 0; k < 19; k++) {
    const c = text.charCodeAt(k);
    const want = UTC_SHAPE[k] as number;
    if (want === 0 ? c < 48 || c > 57 : c !== want) return false;
  }
  if (n > 20) {
    if (text.charCodeAt(19) !== 46 /* . */ || n === 21) return false;
    for (let k = 20; k < n - 1; k++) {
      const c = text.charCodeAt(k);
      if (c < 48 || c > 57) return false;
    }
  }
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 31 &&
    twoDigits(text, 11) <= 23 &&
    twoDigits(text, 14) <= 59 &&
    twoDigits(text, 17) <= 60
  );
}

function timeError(text: unknown, field: string): CotError {
  return new CotError(
    CotErrorCode.TIME,
    `${field} is ${describeValue(text)}, not a time; give an ISO 8601 UTC time such as 2026-01-31T12:00:00.000Z`,
    field,
    text,
  );
}

/** Checks a time already in the model (a string) and returns its epoch ms. */
export function requireTime(text: unknown, field: string): number {
  const ms = typeof text === 'string' ? parseTime(text) : NaN;
  if (Number.isNaN(ms)) throw timeError(text, field);
  return ms;
}

/** Checks a time already in the model (a string) when its value is not needed. */
export function checkTime(text: unknown, field: string): void {
  if (typeof text === 'string' && (isUtcFast(text) || !Number.isNaN(parseTime(text)))) return;
  throw timeError(text, field);
}

/** An event's three times in ms since the epoch, as read while its model is made. */
export interface EventTimes {
  time: number;
  start: number;
  stale: number;
}

/** Turns a time as a flow author gives it (ISO string, Date, epoch ms) into the model's ISO string. */
export function toTimeString(input: TimeInput, field: string): string {
  if (typeof input === 'string') {
    requireTime(input, field);
    return input;
  }
  const ms = input instanceof Date ? input.getTime() : input;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15) {
    throw new CotError(
      CotErrorCode.TIME,
      `${field} is ${describeValue(input)}; give an ISO string, a Date or epoch milliseconds`,
      field,
      input,
    );
  }
  return new Date(ms).toISOString();
}

/** `stale` also accepts a number of seconds from `now` (below {@link STALE_SECONDS_LIMIT}). */
export function toStaleString(input: TimeInput, now: number): string {
  if (typeof input === 'number' && Number.isFinite(input) && input < STALE_SECONDS_LIMIT) {
    return new Date(now + input * 1000).toISOString();
  }
  return toTimeString(input, 'stale');
}
