/** The only CoT version in use. */
export const COT_VERSION = '2.0';
/** "Machine, GPS": what a sensor bridged into TAK usually is. */
export const DEFAULT_HOW = 'm-g';
/** A friendly ground unit: what ATAK shows for a team member or a generic tracked device. */
export const DEFAULT_TYPE = 'a-f-G-U-C';
/**
 * Five minutes: ATAK's own position reports go stale after minutes, not hours, so a bridged sensor that
 * stops reporting greys out on the map instead of lingering as if it were live.
 */
export const DEFAULT_STALE_SECONDS = 300;
/** What ATAK, PyTAK and TAK Server write for an unknown hae/ce/le. */
export const UNKNOWN_VALUE = 9999999;
/** The .proto comments use 999999 for unknown; anything at or above it is read as unknown. */
export const UNKNOWN_THRESHOLD = 999999;
/**
 * A numeric `stale` below this is seconds from now; at or above it, epoch milliseconds.
 * 1e9 seconds is 31 years ahead, and 1e9 ms is January 1970, so the two readings never overlap in practice.
 */
export const STALE_SECONDS_LIMIT = 1e9;
/** Team and role written when only one of the two is given (ATAK reads `__group` only with both). */
export const DEFAULT_TEAM = 'Cyan';
export const DEFAULT_ROLE = 'Team Member';
