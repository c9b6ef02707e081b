import { CotError, CotErrorCode } from './errors';

/**
 * 32 element levels, counted from `<event>` (1) through `<detail>` (2): the deepest real event in the
 * shared captures (drawn circles, geofences, mission changes) nests 7, so this is over four times that,
 * and far below what Node-RED's recursive RED.util.cloneMessage can copy (measured on Node 20: about 1,400
 * levels when every level is a repeated element, which the model holds as an array; 2,300 otherwise).
 */
export const DEFAULT_MAX_DEPTH = 32;

/**
 * The highest maxDepth accepted: still over five times below the ~1,400 levels cloneMessage copies at
 * worst, so no setting can let a message through that crashes the runtime when a wire is split.
 */
export const MAX_DEPTH_LIMIT = 256;

/** The lowest: `<event>` and its `<point>`, the least an event can hold. */
export const MIN_DEPTH_LIMIT = 2;

/** A maxDepth option read and checked; a bad value is a programming error, thrown as a RangeError. */
export function readMaxDepth(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_DEPTH;
  if (!Number.isInteger(value) || value < MIN_DEPTH_LIMIT || value > MAX_DEPTH_LIMIT) {
    throw new RangeError(
      `maxDepth is ${value}; give a whole number of element levels from ${MIN_DEPTH_LIMIT} to ${MAX_DEPTH_LIMIT}`,
    );
  }
  return value;
}

/** An event read from XML nests deeper than the limit. */
export function tooDeepToRead(maxDepth: number): CotError {
  return new CotError(
    CotErrorCode.TOO_DEEP,
    `the event nests elements more than ${maxDepth} levels deep (counted from <event>) where real CoT nests ` +
      'fewer than 10, and a message that deep may be too deep to copy: raise maxDepth if such events are expected',
    undefined,
    maxDepth,
  );
}

/** A detail object handed to the builder nests deeper than the limit (or holds a cycle). */
export function tooDeepToBuild(field: string, maxDepth: number): CotError {
  return new CotError(
    CotErrorCode.TOO_DEEP,
    `${field} is more than ${maxDepth} element levels deep (counted from <event>), or refers back to itself; ` +
      'real CoT nests fewer than 10 levels: flatten the detail',
    field,
  );
}
