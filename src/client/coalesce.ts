/**
 * Which events may be coalesced (a newer one replaces a waiting older one of the same uid, type and
 * recipients), and the facts about an event the send queue needs to keep every uid's events in order.
 */
import { DELETE_TYPE } from '../cot/helpers';
import type { CotEvent } from '../cot/model';
import { deletedUids, destinations } from '../cot/addressing';
import { NEVER_COALESCE_TYPES } from './defaults';

/** A prefix as a user may write it ("b-m-p", "b-m-p-"), without the trailing dashes. */
export function normalizeTypePrefix(prefix: string): string {
  return prefix.trim().replace(/-+$/, '');
}

/** Whether `type` is `prefix` or starts with `prefix-` (whole segments: "b-a" matches "b-a-o-tbl", not "b-ax"). */
export function typeHasPrefix(type: string, prefix: string): boolean {
  return type === prefix || (type.startsWith(prefix) && type.charAt(prefix.length) === '-');
}

/**
 * Latest-wins is right for state (positions, markers, shapes): a receiver keeps only the latest event of a
 * uid. It is wrong for messages and commands, which are listed in NEVER_COALESCE_TYPES; `extra` adds the
 * user's own prefixes (already normalized).
 */
export function isCoalescableType(type: string, extra: readonly string[] = []): boolean {
  for (const prefix of NEVER_COALESCE_TYPES) if (typeHasPrefix(type, prefix)) return false;
  for (const prefix of extra) if (typeHasPrefix(type, prefix)) return false;
  return true;
}

/** The parts of an outgoing event coalescing looks at, beyond uid and type. */
export interface CoalescingFacts {
  /**
   * Who the event is for: '' for everyone, else its `<marti><dest>` uids and callsigns in a canonical form.
   * A copy of a uid sent to one recipient never replaces a copy sent to another.
   */
  dest: string;
  /** For a `t-x-d-d`: the uids it removes (its `<link uid>`s); empty when it names none. */
  deletes: readonly string[] | undefined;
}

export function coalescingFacts(event: CotEvent): CoalescingFacts {
  const to = destinations(event);
  const dest =
    to === undefined ? '' : JSON.stringify([[...new Set(to.uids)].sort(), [...new Set(to.callsigns)].sort()]);
  return { dest, deletes: event.type === DELETE_TYPE ? deletedUids(event) : undefined };
}
