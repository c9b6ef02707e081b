/**
 * The latest non-stale event of every tracked uid, with the bytes to replay to a new client. Bounded in
 * entries and bytes; the least recently updated entry goes first when full.
 */
interface Entry<T> {
  event: T;
  /** What it was counted as when kept: the form it came in (another format made later for a replay is not counted). */
  bytes: number;
  staleAt: number;
}

/** T: what is replayed, whose `length` is the bytes it holds (a Buffer, an OutgoingEvent). */
export class TrackStore<T extends { readonly length: number }> {
  /** Insertion order is update order: an update deletes and re-inserts, so the first key is the oldest. */
  private readonly entries = new Map<string, Entry<T>>();
  private heldBytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  /** Keeps `event` as the latest event of `uid`; an event already stale only removes the older one. */
  put(uid: string, event: T, staleAt: number, now: number): void {
    this.delete(uid);
    const bytes = event.length;
    if (!(staleAt > now) || bytes > this.maxBytes || this.maxEntries === 0) return;
    // Bounded: every pass removes one entry.
    while (
      this.entries.size > 0 &&
      (this.entries.size >= this.maxEntries || this.heldBytes + bytes > this.maxBytes)
    ) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
    }
    this.entries.set(uid, { event, bytes, staleAt });
    this.heldBytes += bytes;
  }

  delete(uid: string): boolean {
    const entry = this.entries.get(uid);
    if (entry === undefined) return false;
    this.entries.delete(uid);
    this.heldBytes -= entry.bytes;
    return true;
  }

  /** The event to replay for `uid`, or undefined when there is none or it has gone stale (then it is forgotten). */
  get(uid: string, now: number): T | undefined {
    const entry = this.entries.get(uid);
    if (entry === undefined) return undefined;
    if (entry.staleAt <= now) {
      this.delete(uid);
      return undefined;
    }
    return entry.event;
  }

  /** Every uid held, oldest update first. */
  uids(): string[] {
    return [...this.entries.keys()];
  }

  /** Forgets every stale entry; returns how many. */
  sweep(now: number): number {
    let removed = 0;
    for (const [uid, entry] of this.entries) {
      if (entry.staleAt <= now) {
        this.delete(uid);
        removed++;
      }
    }
    return removed;
  }

  clear(): void {
    this.entries.clear();
    this.heldBytes = 0;
  }
}
