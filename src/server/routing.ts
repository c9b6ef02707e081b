/**
 * What the server does with an event, read from the model alone: answer it, consume it, or route it, and
 * to whom. No sockets here.
 */
import type { CotElement, CotEvent } from '../cot/model';
import { DELETE_TYPE, PING_TYPE } from '../cot/helpers';

/**
 * - `ping`: `t-x-c-t`, answered with a pong to the sender, never routed
 * - `control`: other `t-x-c-*` and `t-x-takp-*` (pongs, protocol negotiation), consumed
 * - `delete`: `t-x-d-d`, routed, and removes the uid(s) it links from the replay store
 * - `route`: everything else, routed and (when not directed) kept for replay
 */
export type Disposition = 'ping' | 'control' | 'delete' | 'route';

export function classify(type: string): Disposition {
  if (type === PING_TYPE) return 'ping';
  if (type.startsWith('t-x-c-') || type.startsWith('t-x-takp-')) return 'control';
  if (type === DELETE_TYPE) return 'delete';
  return 'route';
}

/** Directed delivery: a client gets the event when its uid or its callsign is named. */
export interface Destinations {
  uids: string[];
  callsigns: string[];
}

/** Who a client is, as learnt from its events. */
export interface Identity {
  uid: string;
  /** The type of the event it was learnt from: written on the delete sent when the client leaves. */
  type: string;
  callsign?: string;
  team?: string;
  role?: string;
  endpoint?: string;
}

type Child = CotElement[string];

/** An element's children of one name, whether the model holds one (object) or several (array). */
function elements(value: Child): CotElement[] {
  if (Array.isArray(value)) return value;
  return typeof value === 'object' && value !== null ? [value] : [];
}

/** An attribute as a non-empty string, or undefined. */
function attribute(element: CotElement | undefined, name: string): string | undefined {
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

/** `to` as send() takes it, as destinations. */
export function destinationsOf(to: { uid?: string; callsign?: string }): Destinations {
  return {
    uids: typeof to.uid === 'string' && to.uid !== '' ? [to.uid] : [],
    callsigns: typeof to.callsign === 'string' && to.callsign !== '' ? [to.callsign] : [],
  };
}

export function isNamed(dest: Destinations, uid: string | undefined, callsign: string | undefined): boolean {
  return (
    (uid !== undefined && dest.uids.includes(uid)) ||
    (callsign !== undefined && dest.callsigns.includes(callsign))
  );
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

/**
 * The sender's identity when this event can give it: an SA-type event (`a-*`) or any event with
 * `detail.contact.callsign`. Team and role come from `__group`, endpoint from `contact`.
 */
export function identityFrom(event: CotEvent): Identity | undefined {
  const detail = event.detail;
  const contact = detail ? elements(detail.contact)[0] : undefined;
  const callsign = attribute(contact, 'callsign');
  if (callsign === undefined && !event.type.startsWith('a-')) return undefined;
  const identity: Identity = { uid: event.uid, type: event.type };
  if (callsign !== undefined) identity.callsign = callsign;
  const endpoint = attribute(contact, 'endpoint');
  if (endpoint !== undefined) identity.endpoint = endpoint;
  const group = detail ? elements(detail.__group)[0] : undefined;
  const team = attribute(group, 'name');
  if (team !== undefined) identity.team = team;
  const role = attribute(group, 'role');
  if (role !== undefined) identity.role = role;
  return identity;
}

/** True when the two identities would show differently (same uid assumed). */
export function identityChanged(before: Identity, after: Identity): boolean {
  return (
    before.callsign !== after.callsign ||
    before.team !== after.team ||
    before.role !== after.role ||
    before.endpoint !== after.endpoint
  );
}
