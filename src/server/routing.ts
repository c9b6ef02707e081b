/**
 * What the server does with an event, read from the model alone: answer it, consume it, or route it, and
 * to whom. No sockets here.
 */
import type { CotEvent } from '../cot/model';
import { attribute, elements, type Destinations } from '../cot/addressing';
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

export { deletedUids, destinations, type Destinations } from '../cot/addressing';

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
