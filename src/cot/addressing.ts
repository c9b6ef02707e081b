/**
 * Who an event is addressed to and what it removes, read from the model alone: shared by the server's
 * routing and the client's coalescing, which must never merge events meant for different people.
 */
import type { CotElement, CotEvent } from './model';

/** Directed delivery: a client gets the event when its uid or its callsign is named. */
export interface Destinations {
  uids: string[];
  callsigns: string[];
}

type Child = CotElement[string];

/** An element's children of one name, whether the model holds one (object) or several (array). */
export function elements(value: Child): CotElement[] {
  if (Array.isArray(value)) return value;
  return typeof value === 'object' && value !== null ? [value] : [];
}

/** An attribute as a non-empty string, or undefined. */
export function attribute(element: CotElement | undefined, name: string): string | undefined {
  const value = element?.[name];
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * The clients named by `<marti><dest callsign|uid/></marti>`, one dest or several, or undefined when the
 * event names nobody (no marti, or only dests of another kind such as `mission`): then it goes to all.
 */
export function destinations(event: CotEvent): Destinations | undefined {
  const detail = event.detail;
  if (detail === undefined) return undefined;
  const uids: string[] = [];
  const callsigns: string[] = [];
  for (const marti of elements(detail.marti)) {
    for (const dest of elements(marti.dest)) {
      const uid = attribute(dest, 'uid');
      const callsign = attribute(dest, 'callsign');
      if (uid !== undefined) uids.push(uid);
      if (callsign !== undefined) callsigns.push(callsign);
    }
  }
  return uids.length === 0 && callsigns.length === 0 ? undefined : { uids, callsigns };
}

/** The uids a `t-x-d-d` removes: those of its `<link uid>` elements. */
export function deletedUids(event: CotEvent): string[] {
  const detail = event.detail;
  if (detail === undefined) return [];
  const out: string[] = [];
  for (const link of elements(detail.link)) {
    const uid = attribute(link, 'uid');
    if (uid !== undefined) out.push(uid);
  }
  return out;
}
