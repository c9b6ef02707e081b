import type { CotEvent, CotInput } from './model';
import { isCanonical, normalizeInput } from './normalize';
import { serializeEvent, serializeEventWithBuilder } from './serialize';
import { requireTime, type EventTimes } from './time';
import { validateEvent } from './validate';

/**
 * The model buildCot would write for this input: defaults filled, everything validated. Its times in ms
 * go into `times` for a caller that writes them as numbers.
 */
export function toCotEvent(
  input: CotInput,
  now: number = Date.now(),
  times: EventTimes = { time: 0, start: 0, stale: 0 },
): CotEvent {
  const event = normalizeInput(input, now, times);
  validateEvent(event, { staleOrder: !isCanonical(input), times });
  return event;
}

const text = (value: unknown): boolean => typeof value === 'string' && value !== '';
const finite = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value);
const optionalText = (value: unknown): boolean => value === undefined || text(value);

/**
 * A canonical model that normalizeInput would copy field for field unchanged: every attribute present as
 * non-empty text, every number a number, the detail an object or absent.
 */
function isComplete(input: CotInput): input is CotEvent {
  if (!isCanonical(input)) return false;
  const e = input as unknown as Record<string, unknown>;
  const p = e.point as Record<string, unknown>;
  const detail = e.detail;
  return (
    text(e.version) &&
    text(e.uid) &&
    text(e.type) &&
    text(e.how) &&
    text(e.time) &&
    text(e.start) &&
    text(e.stale) &&
    optionalText(e.access) &&
    optionalText(e.qos) &&
    optionalText(e.opex) &&
    finite(p.lat) &&
    finite(p.lon) &&
    finite(p.hae) &&
    finite(p.ce) &&
    finite(p.le) &&
    (detail === undefined || (typeof detail === 'object' && detail !== null && !Array.isArray(detail)))
  );
}

/**
 * The event as toCotEvent would make it, for a writer that only reads it (buildCot, the TAK Protocol
 * encoder): a complete canonical model is validated where it is and used as it is, since the copy
 * normalizeInput would make is the same fields (tak-server and the client hand over such models); anything
 * else goes through toCotEvent. Its times in ms go into `times` either way.
 */
export function readCotEvent(input: CotInput, now: number, times: EventTimes): CotEvent {
  if (!isComplete(input)) return toCotEvent(input, now, times);
  times.time = requireTime(input.time, 'time');
  times.start = input.start === input.time ? times.time : requireTime(input.start, 'start');
  times.stale = requireTime(input.stale, 'stale');
  validateEvent(input, { staleOrder: false, times });
  return input;
}

/**
 * One well-formed, single-line `<event>` (no declaration) from the canonical model or the short form.
 * What is left out gets the defaults every entry point shares (type `a-f-G-U-C`, uid from uidKey or the
 * callsign, how `m-g`, stale in five minutes; see normalizeInput). Throws a {@link CotError} naming the
 * field and value when the input cannot make a valid event.
 */
export function buildCot(input: CotInput, now: number = Date.now()): string {
  return serializeEvent(readCotEvent(input, now, BUILD_TIMES));
}

/** Filled by readCotEvent for each build: one object, not one per event. */
const BUILD_TIMES: EventTimes = { time: 0, start: 0, stale: 0 };

/** buildCot with xmlbuilder2 writing the whole event: the reference the lean writer is checked against. */
export function buildCotWithXmlbuilder2(input: CotInput, now: number = Date.now()): string {
  return serializeEventWithBuilder(toCotEvent(input, now));
}
