/**
 * Warnings an operator can read under attack: at most one line per kind per interval, and the lines left out
 * are counted in the next line of that kind, or in a line of their own at the end of the interval, so no
 * count is lost however the attack stops.
 */

/** 10 s per kind: a refused device retries every few seconds (ATAK: 15 s), an attack thousands of times. */
export const WARN_INTERVAL_MS = 10_000;

interface Kind {
  last: number;
  skipped: number;
  timer: NodeJS.Timeout | undefined;
}

export class WarnThrottle {
  private readonly kinds = new Map<string, Kind>();

  constructor(
    private readonly warn: (line: string) => void,
    private readonly intervalMs = WARN_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Writes `line` unless a line of this kind was written within the interval; then counts it. */
  note(kind: string, line: string): void {
    const now = this.now();
    const entry = this.kinds.get(kind);
    if (entry === undefined || now - entry.last >= this.intervalMs) {
      const skipped = entry?.skipped ?? 0;
      if (entry?.timer !== undefined) clearTimeout(entry.timer);
      this.kinds.set(kind, { last: now, skipped: 0, timer: undefined });
      this.warn(skipped > 0 ? `${line} (${skipped} more ${kind} since the last line)` : line);
      return;
    }
    entry.skipped += 1;
    entry.timer ??= this.flushLater(kind, entry, entry.last + this.intervalMs - now);
  }

  private flushLater(kind: string, entry: Kind, ms: number): NodeJS.Timeout {
    const timer = setTimeout(
      () => {
        entry.timer = undefined;
        if (entry.skipped === 0) return;
        this.warn(`${kind}: ${entry.skipped} more since the last line`);
        entry.skipped = 0;
        entry.last = this.now();
      },
      Math.max(0, ms),
    );
    timer.unref();
    return timer;
  }

  /** Stops the timers; what is still counted is dropped (the metrics keep every count). */
  dispose(): void {
    for (const entry of this.kinds.values()) if (entry.timer !== undefined) clearTimeout(entry.timer);
    this.kinds.clear();
  }
}
