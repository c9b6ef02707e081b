import { DEFAULT_DEAD_AFTER_IDLE_MS, DEFAULT_PING_AFTER_IDLE_MS, DEFAULT_PING_INTERVAL_MS } from './defaults';

export interface KeepaliveOptions {
  /** Ping after this long with nothing received; 0 never pings. */
  pingAfterIdleMs?: number;
  /** Ping again this often while still nothing arrives. */
  pingIntervalMs?: number;
  /** Give up after this long with nothing received; 0 never gives up. */
  deadAfterIdleMs?: number;
  /** A monotonic clock in ms; injectable for tests. */
  now?: () => number;
  onPing: () => void;
  /** Called once; the keepalive is stopped by then. */
  onDead: (idleMs: number) => void;
}

/**
 * Liveness as ATAK does it: silence for pingAfterIdleMs sends a ping, then one every pingIntervalMs while the
 * silence lasts; silence for deadAfterIdleMs declares the connection dead.
 *
 * received() only notes the time, so it costs nothing per chunk; the single timer wakes at the next deadline
 * and works out from the clock what is due.
 */
export class Keepalive {
  private readonly pingAfterIdleMs: number;
  private readonly pingIntervalMs: number;
  private readonly deadAfterIdleMs: number;
  private readonly now: () => number;
  private readonly onPing: () => void;
  private readonly onDead: (idleMs: number) => void;
  private timer: NodeJS.Timeout | undefined;
  /** When the timer is due, on the clock. */
  private timerAt = Infinity;
  private lastReceived = 0;
  private lastPing: number | undefined;
  /** Bumped by start() and stop(), so a callback that restarted or stopped the keepalive is noticed. */
  private generation = 0;

  constructor(options: KeepaliveOptions) {
    this.pingAfterIdleMs = options.pingAfterIdleMs ?? DEFAULT_PING_AFTER_IDLE_MS;
    this.pingIntervalMs = options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
    this.deadAfterIdleMs = options.deadAfterIdleMs ?? DEFAULT_DEAD_AFTER_IDLE_MS;
    this.now = options.now ?? (() => performance.now());
    this.onPing = options.onPing;
    this.onDead = options.onDead;
    if (this.pingAfterIdleMs > 0 && !(this.pingIntervalMs > 0)) {
      throw new RangeError(`pingIntervalMs is ${this.pingIntervalMs}; give a positive number of ms`);
    }
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** When something was last received, on the keepalive's clock. */
  get lastReceivedAt(): number {
    return this.lastReceived;
  }

  /** Starts watching a fresh connection: the silence counts from now. */
  start(): void {
    this.stop();
    this.lastReceived = this.now();
    this.lastPing = undefined;
    this.schedule(this.lastReceived);
  }

  received(): void {
    this.lastReceived = this.now();
    // Data ends a spell of pings; the next ping is pingAfterIdleMs from now, which is sooner than the timer
    // only when pingIntervalMs is the longer of the two.
    if (this.timer !== undefined && this.timerAt > this.nextPingAt()) {
      clearTimeout(this.timer);
      this.schedule(this.lastReceived);
    }
  }

  stop(): void {
    this.generation += 1;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The next ping is due this long after the last thing received, or after the last unanswered ping. */
  private nextPingAt(): number {
    if (!(this.pingAfterIdleMs > 0)) return Infinity;
    return this.lastPing !== undefined && this.lastPing >= this.lastReceived
      ? this.lastPing + this.pingIntervalMs
      : this.lastReceived + this.pingAfterIdleMs;
  }

  private deadAt(): number {
    return this.deadAfterIdleMs > 0 ? this.lastReceived + this.deadAfterIdleMs : Infinity;
  }

  private schedule(now: number): void {
    const at = Math.min(this.nextPingAt(), this.deadAt());
    this.timerAt = at;
    if (at === Infinity) {
      this.timer = undefined;
      return;
    }
    // At least 1 ms: a timer may wake a hair before the clock reaches the deadline, and must not spin.
    this.timer = setTimeout(() => this.fire(), Math.max(1, Math.ceil(at - now)));
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.now();
    if (now >= this.deadAt()) {
      this.onDead(now - this.lastReceived);
      return;
    }
    if (now >= this.nextPingAt()) {
      this.lastPing = now;
      const generation = this.generation;
      this.onPing();
      if (generation !== this.generation) return; // onPing stopped or restarted the keepalive
    }
    this.schedule(now);
  }
}
