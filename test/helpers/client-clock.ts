import type { PacingClock } from '../../src/client/clock';

interface ManualTimer {
  id: number;
  at: number;
  callback: () => void;
}

/**
 * A pacing clock moved by hand: time stands still until advance(), which fires the timers that fall due, each
 * at its own time and in order. Real sockets keep carrying bytes meanwhile; only the pacing is virtual.
 */
export class ManualClock implements PacingClock {
  private time = 0;
  private nextId = 1;
  private timers: ManualTimer[] = [];

  /** `creepMs`: each reading moves time on by that much, as on a busy machine between two readings. */
  constructor(private readonly creepMs = 0) {}

  now(): number {
    const time = this.time;
    this.time += this.creepMs;
    return time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timer = { id: this.nextId++, at: this.time + Math.max(0, ms), callback };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time on by `ms`, firing every timer due by then (a timer set by a callback fires too, if due). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (let fired = 0; ; fired++) {
      if (fired > 100_000) throw new Error('ManualClock: timers keep setting timers that are already due');
      let next: ManualTimer | undefined;
      for (const timer of this.timers) {
        if (timer.at <= end && (next === undefined || timer.at < next.at)) next = timer;
      }
      if (next === undefined) break;
      const due = next;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.time = Math.max(this.time, due.at);
      due.callback();
    }
    this.time = end;
  }
}
