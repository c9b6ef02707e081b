import type { CotEvent, CotInput } from './model';
import { isCanonical, normalizeInput } from './normalize';
import { serializeEvent, serializeEventWithBuilder } from './serialize';
import type { EventTimes } from './time';
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

/**
 * One well-formed, single-line `<event>` (no declaration) from the canonical model or the short form.
 * What is left out gets the defaults every entry point shares (type `a-f-G-U-C`, uid from uidKey or the
 * callsign, how `m-g`, stale in five minutes; see normalizeInput). Throws a {@link CotError} naming the
 * field and value when the input cannot make a valid event.
 */
export function buildCot(input: CotInput, now: number = Date.now()): string {
  return serializeEvent(toCotEvent(input, now));
}

/** buildCot with xmlbuilder2 writing the whole event: the reference the lean writer is checked against. */
export function buildCotWithXmlbuilder2(input: CotInput, now: number = Date.now()): string {
  return serializeEventWithBuilder(toCotEvent(input, now));
}
