/**
 * A token bucket: `burst` tokens at most, refilled at `ratePerSecond`; each event takes one. Over any span of
 * T ms it lets through at most burst + ratePerSecond * T / 1000 events, so in any second no more than the rate
 * plus the burst, and on average no more than the rate.
 */

/** Float slack, so 0.1 + 0.2 + ... refills that land a hair below a whole token still count as one. */
const EPSILON = 1e-9;

export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  private available: number;
  private last: number;

  /** Starts full at `now`. */
  constructor(ratePerSecond: number, burst: number, now: number) {
    if (!(Number.isFinite(ratePerSecond) && ratePerSecond > 0)) {
      throw new RangeError(`ratePerSecond is ${ratePerSecond}; give a positive number`);
    }
    if (!Number.isInteger(burst) || burst < 1) {
      throw new RangeError(`burst is ${burst}; give a whole number of at least 1`);
    }
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.available = burst;
    this.last = now;
  }

  /** Tokens available at `now` (fractional). */
  tokens(now: number): number {
    this.refill(now);
    return this.available;
  }

  /** Takes a token when one is there; false means wait msUntilNext(). */
  tryTake(now: number): boolean {
    this.refill(now);
    if (this.available + EPSILON < 1) return false;
    this.available = Math.max(0, this.available - 1);
    return true;
  }

  /** How long until a token is there: 0 when one is, otherwise at least 1 ms (timers are whole ms). */
  msUntilNext(now: number): number {
    this.refill(now);
    const missing = 1 - this.available - EPSILON;
    if (missing <= 0) return 0;
    return Math.max(1, Math.ceil((missing * 1000) / this.ratePerSecond));
  }

  private refill(now: number): void {
    const elapsed = now - this.last;
    if (elapsed <= 0) return; // a clock that steps back refills nothing
    this.available = Math.min(this.burst, this.available + (elapsed * this.ratePerSecond) / 1000);
    this.last = now;
  }
}
