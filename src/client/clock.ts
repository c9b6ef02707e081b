/**
 * The time the client paces sending by (rate limit, minimum interval per uid): injectable, so tests can drive
 * it by hand while real sockets carry the bytes. Connection timers (connect, reconnect, keepalive, identity
 * gap, stop) keep the real clock.
 */
export interface PacingClock {
  /** Milliseconds on a monotonic scale; only differences matter. */
  now(): number;
  /** Calls `callback` once, `ms` from now on this clock; returns a handle for clearTimeout. */
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** performance.now() and the global timers. */
export const realClock: PacingClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
