import type { CotEvent, CotInput } from './model';
import { isCanonical, normalizeInput } from './normalize';
import { serializeEvent, serializeEventWithBuilder } from './serialize';
import { validateEvent } from './validate';

/** The model buildCot would write for this input: defaults filled, everything validated. */
export function toCotEvent(input: CotInput, now: number = Date.now()): CotEvent {
  const event = normalizeInput(input, now);
  validateEvent(event, { staleOrder: !isCanonical(input) });
  return event;
}

/**
 * One well-formed, single-line `<event>` (no declaration) from the canonical model or the short form.
 * Throws a {@link CotError} naming the field and value when the input cannot make a valid event.
 */
export function buildCot(input: CotInput, now: number = Date.now()): string {
  return serializeEvent(toCotEvent(input, now));
}

/** buildCot with xmlbuilder2 writing the whole event: the reference the lean writer is checked against. */
export function buildCotWithXmlbuilder2(input: CotInput, now: number = Date.now()): string {
  return serializeEventWithBuilder(toCotEvent(input, now));
}
