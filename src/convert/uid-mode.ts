/**
 * How an event gets its uid, so that one sensor is one track on the map rather than a new track per
 * message: from the input, from a key (a device id) as a name-based UUID or as a readable prefix + key,
 * or at random.
 */
import { DEFAULT_TYPE } from '../cot/defaults';
import { CotError, CotErrorCode, describeValue } from '../cot/errors';
import type { CotEventInput, CotInput, CotShortInput } from '../cot/model';
import { randomUid, stableUid } from '../cot/uid';
import { isRecord } from './read';
import { firstChild } from './summary';

/**
 * - `auto`: the input's uid (or uidKey); without one, a name-based UUID of the callsign, so a named thing
 *   keeps its track; random only when there is neither.
 * - `stable`: `stableUid(key)`.
 * - `prefix`: `prefix + key`, readable on the map and in server logs.
 * - `random`: a new uid every time (a one-off marker per message).
 */
export type UidMode = 'auto' | 'stable' | 'prefix' | 'random';

export const UID_MODES: readonly UidMode[] = ['auto', 'stable', 'prefix', 'random'];

export interface UidOptions {
  mode: UidMode;
  /** The key for `stable` and `prefix` (a device id); a string or a number. */
  key?: unknown;
  /** Where the key came from, for the error when it is missing: `msg.payload.id`. */
  keySource?: string;
  prefix?: string;
}

function callsignOf(input: CotInput): unknown {
  if (isRecord((input as CotEventInput).point)) return firstChild(input.detail, 'contact')?.callsign;
  const short = input as CotShortInput;
  return short.callsign ?? firstChild(short.detail, 'contact')?.callsign;
}

function requireKey(options: UidOptions): string {
  const key = options.key;
  if ((typeof key === 'string' && key !== '') || (typeof key === 'number' && Number.isFinite(key)))
    return String(key);
  const from = options.keySource ? ` (${options.keySource})` : '';
  throw new CotError(
    CotErrorCode.MISSING_UID,
    `the uid key${from} is ${describeValue(key)}; give a device id or name as a string or number`,
    'uid',
    key,
  );
}

/** The input with its uid decided by the mode; the input is not changed. */
export function withUid(input: CotInput, options: UidOptions): CotInput {
  const given = input as { uid?: unknown; uidKey?: unknown };
  switch (options.mode) {
    case 'stable':
      return { ...input, uid: stableUid(requireKey(options)) };
    case 'prefix':
      return { ...input, uid: `${options.prefix ?? ''}${requireKey(options)}` };
    case 'random':
      return { ...input, uid: randomUid() };
    default: {
      const hasUid = given.uid !== undefined && given.uid !== null && given.uid !== '';
      const hasKey = given.uidKey !== undefined && given.uidKey !== null && given.uidKey !== '';
      const callsign = callsignOf(input);
      if (hasUid || hasKey || typeof callsign !== 'string' || callsign === '') return input;
      return { ...input, uid: stableUid(callsign) };
    }
  }
}

/** The input with DEFAULT_TYPE (`a-f-G-U-C`) when it has no type, so `{lat, lon}` alone makes an event. */
export function withDefaultType(input: CotInput, type: string = DEFAULT_TYPE): CotInput {
  const given = (input as { type?: unknown }).type;
  return given === undefined || given === null || given === '' ? { ...input, type } : input;
}
