import { realClock, type PacingClock } from './clock';
import {
  DEFAULT_DEAD_AFTER_IDLE_MS,
  DEFAULT_PING_AFTER_IDLE_MS,
  DEFAULT_PING_AFTER_SEND_IDLE_MS,
  DEFAULT_PING_INTERVAL_MS,
} from './defaults';

export interface KeepaliveOptions {
  /** Ping after this long with nothing received; 0 never pings for that. */
  pingAfterIdleMs?: number;
  /** Ping again this often while still nothing arrives. */
  pingIntervalMs?: number;
  /** Ping after this long with nothing written, whatever arrives; 0 never pings for that. */
  pingAfterSendIdleMs?: number;
  /** Give up after this long with nothing received; 0 never gives up. */
  deadAfterIdleMs?: number;
  /** A monotonic clock in ms; injectable for tests. Ignored when `clock` is given. */
  now?: () => number;
  /** The clock and timers; injectable for tests. Default performance.now() and the global timers. */
  clock?: PacingClock;
  onPing: () => void;
  /** Called once; the keepalive is stopped by then. */
  onDead: (idleMs: number) => void;
}

/**
 * Liveness as ATAK does it: silence for pingAfterIdleMs sends a ping, then one every pingIntervalMs while the
 * silence lasts; silence for deadAfterIdleMs declares the connection dead. Besides, a connection we have written
 * nothing to for pingAfterSendIdleMs gets a ping, so a server that drops silent clients keeps a receive-only one.
 *
 * received() and written() only note the time, so they cost nothing per chunk; the single timer wakes at the
 * next deadline and works out from the clock what is due.
 */
export class Keepalive {
  private readonly pingAfterIdleMs: number;
  private readonly pingIntervalMs: number;
  private readonly pingAfterSendIdleMs: number;
  private readonly deadAfterIdleMs: number;
  private readonly clock: PacingClock;
  private readonly onPing: () => void;
  private readonly onDead: (idleMs: number) => void;
  private timer: unknown;
  /** When the timer is due, on the clock. */
  private timerAt = Infinity;
  private lastReceived = 0;
  private lastWritten = 0;
  /** The last ping sent because nothing arrived (not one sent because nothing was written). */
  private lastIdlePing: number | undefined;
  /** Bumped by start() and stop(), so a callback that restarted or stopped the keepalive is noticed. */
  private generation = 0;

  constructor(options: KeepaliveOptions) {
    this.pingAfterIdleMs = options.pingAfterIdleMs ?? DEFAULT_PING_AFTER_IDLE_MS;
    this.pingIntervalMs = options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
    this.pingAfterSendIdleMs = options.pingAfterSendIdleMs ?? DEFAULT_PING_AFTER_SEND_IDLE_MS;
    this.deadAfterIdleMs = options.deadAfterIdleMs ?? DEFAULT_DEAD_AFTER_IDLE_MS;
    const now = options.now;
    this.clock = options.clock ?? (now ? { ...realClock, now } : realClock);
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

  /** Starts watching a fresh connection: the silence both ways counts from now. */
  start(): void {
    this.stop();
    this.lastReceived = this.clock.now();
    this.lastWritten = this.lastReceived;
    this.lastIdlePing = undefined;
    this.schedule(this.lastReceived);
  }

  received(): void {
    this.lastReceived = this.clock.now();
    // Data ends a spell of pings; the next ping is pingAfterIdleMs from now, which is sooner than the timer
    // only when pingIntervalMs is the longer of the two.
    if (this.timer !== undefined && this.timerAt > this.nextPingAt()) {
      this.clock.clearTimeout(this.timer);
      this.schedule(this.lastReceived);
    }
  }

  /** Something went out: the send-idle ping moves on (the timer, due earlier, just re-checks when it wakes). */
  written(): void {
    this.lastWritten = this.clock.now();
  }

  stop(): void {
    this.generation += 1;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The next ping because nothing arrived: after the last thing received, or after the last unanswered ping. */
  private nextIdlePingAt(): number {
    if (!(this.pingAfterIdleMs > 0)) return Infinity;
    return this.lastIdlePing !== undefined && this.lastIdlePing >= this.lastReceived
      ? this.lastIdlePing + this.pingIntervalMs
      : this.lastReceived + this.pingAfterIdleMs;
  }

  private nextSendIdlePingAt(): number {
    return this.pingAfterSendIdleMs > 0 ? this.lastWritten + this.pingAfterSendIdleMs : Infinity;
  }

  private nextPingAt(): number {
    return Math.min(this.nextIdlePingAt(), this.nextSendIdlePingAt());
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
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(1, Math.ceil(at - now)));
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.clock.now();
    if (now >= this.deadAt()) {
      this.onDead(now - this.lastReceived);
      return;
    }
    const idlePing = now >= this.nextIdlePingAt();
    const sendIdlePing = now >= this.nextSendIdlePingAt();
    if (idlePing || sendIdlePing) {
      if (idlePing) this.lastIdlePing = now;
      // Counted as written even if the ping could not go (a socket backed up): the next try is a full
      // interval away, not a timer spinning until the socket drains.
      this.lastWritten = now;
      const generation = this.generation;
      this.onPing();
      if (generation !== this.generation) return; // onPing stopped or restarted the keepalive
    }
    this.schedule(now);
  }
}
