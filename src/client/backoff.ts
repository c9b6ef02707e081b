import { DEFAULT_RECONNECT_INITIAL_MS, DEFAULT_RECONNECT_JITTER, DEFAULT_RECONNECT_MAX_MS } from './defaults';

export interface BackoffOptions {
  initialMs?: number;
  /** The longest delay ever handed out, jitter included. */
  maxMs?: number;
  /** 0.2 spreads each delay over +/-20 % of its base. 0 makes delays exact. */
  jitter?: number;
  /** Uniform in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

/**
 * Capped exponential backoff with jitter: initialMs, then twice that, and so on up to maxMs, each spread by
 * +/-jitter and never above maxMs. reset() after a connection proved healthy starts again from initialMs.
 */
export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? DEFAULT_RECONNECT_INITIAL_MS;
    this.maxMs = options.maxMs ?? DEFAULT_RECONNECT_MAX_MS;
    this.jitter = options.jitter ?? DEFAULT_RECONNECT_JITTER;
    this.random = options.random ?? Math.random;
    if (!(this.initialMs >= 0) || !(this.maxMs >= this.initialMs) || !Number.isFinite(this.maxMs)) {
      throw new RangeError(`backoff needs 0 <= initialMs <= maxMs, got ${this.initialMs} and ${this.maxMs}`);
    }
    if (!(this.jitter >= 0 && this.jitter < 1)) {
      throw new RangeError(`backoff jitter is ${this.jitter}; give a fraction from 0 to below 1`);
    }
  }

  /** How many delays were handed out since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    // 2^30 is far past any cap; stopping there keeps the arithmetic finite however long the outage.
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures += 1;
    const spread = this.jitter * (2 * this.random() - 1);
    // Jitter spreads the delay around its base, but never past the cap: at the cap the spread is all below it.
    return Math.min(this.maxMs, Math.max(0, Math.round(base * (1 + spread))));
  }

  reset(): void {
    this.failures = 0;
  }
}
