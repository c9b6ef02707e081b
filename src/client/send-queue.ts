import { DEFAULT_MAX_QUEUE_EVENTS } from './defaults';
import { Fifo } from './fifo';

/** One event ready for the wire. */
export interface OutgoingEvent {
  /** Single-line XML, no declaration, no newline. */
  readonly xml: string;
  readonly uid: string;
  readonly type: string;
}

export interface QueueEntry extends OutgoingEvent {
  /** Set when the entry is taken for writing (1, 2, ...); 0 while it waits. */
  seq: number;
  /** When the socket handed it to the kernel (the write callback), on the client's clock. */
  flushedAt: number | undefined;
}

export interface SendQueueOptions {
  /** The most entries held at once, waiting and written-but-unconfirmed together. */
  maxEvents?: number;
}

/**
 * The client's outgoing events: a bounded FIFO of events waiting to be written, and behind it the events
 * written to the current connection but not yet known to have arrived ("held").
 *
 * - push(): when full, the oldest held entry is forgotten first (it was written, it just can no longer be
 *   sent again), then the oldest waiting one is dropped and returned so the caller can count it.
 * - take(): the next entry to write; it moves to held.
 * - confirmThrough() / confirmFlushedBefore(): held entries the connection has shown it carried are forgotten.
 * - requeueHeld(): the connection was lost; held entries go back in front, in order, to be written again.
 *
 * The rate limit and the latest-per-uid coalescing of a later issue belong in push() and take().
 */
export class SendQueue {
  readonly maxEvents: number;
  private readonly waiting = new Fifo<QueueEntry>();
  private readonly held = new Fifo<QueueEntry>();
  private seq = 0;

  constructor(options: SendQueueOptions = {}) {
    this.maxEvents = options.maxEvents ?? DEFAULT_MAX_QUEUE_EVENTS;
    if (!Number.isInteger(this.maxEvents) || this.maxEvents < 1) {
      throw new RangeError(`maxEvents is ${this.maxEvents}; give a whole number of at least 1`);
    }
  }

  /** Entries waiting to be written. */
  get length(): number {
    return this.waiting.length;
  }

  /** Entries written but not yet confirmed. */
  get heldLength(): number {
    return this.held.length;
  }

  /** The seq of the last entry taken, so a later confirmation can name everything up to here. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Adds an event at the back; returns the waiting entries dropped to make room, oldest first. */
  push(event: OutgoingEvent): QueueEntry[] {
    const dropped: QueueEntry[] = [];
    while (this.waiting.length + this.held.length >= this.maxEvents) {
      if (this.held.length > 0) this.held.shift();
      else dropped.push(this.waiting.shift() as QueueEntry);
    }
    this.waiting.push({ xml: event.xml, uid: event.uid, type: event.type, seq: 0, flushedAt: undefined });
    return dropped;
  }

  /** The entry to write next, now held; undefined when nothing waits. */
  take(): QueueEntry | undefined {
    const entry = this.waiting.shift();
    if (entry === undefined) return undefined;
    this.seq += 1;
    entry.seq = this.seq;
    entry.flushedAt = undefined;
    this.held.push(entry);
    return entry;
  }

  /** The server has read everything up to seq (a pong answered a ping written after it). */
  confirmThrough(seq: number): number {
    let count = 0;
    for (let entry = this.held.peek(); entry !== undefined && entry.seq <= seq; entry = this.held.peek()) {
      this.held.shift();
      count += 1;
    }
    return count;
  }

  /** Forgets held entries handed to the kernel at or before `time` (only the flushed prefix: order is kept). */
  confirmFlushedBefore(time: number): number {
    let count = 0;
    for (
      let entry = this.held.peek();
      entry !== undefined && entry.flushedAt !== undefined && entry.flushedAt <= time;
      entry = this.held.peek()
    ) {
      this.held.shift();
      count += 1;
    }
    return count;
  }

  /** The connection is gone: held entries go back in front of the waiting ones, in their order. */
  requeueHeld(): number {
    const back = this.held.clear();
    for (const entry of back) {
      entry.seq = 0;
      entry.flushedAt = undefined;
    }
    this.waiting.unshiftAll(back);
    return back.length;
  }

  /** Forgets held entries: the connection ended cleanly, or the client is going away. */
  forgetHeld(): number {
    return this.held.clear().length;
  }

  /** Empties the queue; returns the entries that were still waiting (held ones are forgotten). */
  clear(): QueueEntry[] {
    this.held.clear();
    return this.waiting.clear();
  }

  /** The waiting entries, oldest first (a copy). */
  waitingEntries(): QueueEntry[] {
    return this.waiting.toArray();
  }
}
