import { DELETE_TYPE } from '../cot/helpers';
import { DEFAULT_MAX_SEND_QUEUE_BYTES, DEFAULT_MAX_QUEUE_EVENTS, MAX_PACED_UIDS } from './defaults';
import { Fifo } from './fifo';

/** One event ready for the wire: its XML, its TAK Protocol stream frame, or both. */
export interface OutgoingEvent {
  /** Single-line XML, no declaration, no newline; absent for an event queued as a frame only. */
  readonly xml?: string | undefined;
  readonly uid: string;
  readonly type: string;
  /** Who it is for: '' (or absent) for everyone, else a canonical form of its `<marti><dest>`s. */
  readonly dest?: string;
  /** For a `t-x-d-d`: the uids it removes; empty or absent when it names none (then it may remove any). */
  readonly deletes?: readonly string[] | undefined;
  /**
   * The event as a TAK Protocol stream frame, when it was encoded as it was sent (the connection spoke
   * protobuf then): written as it is on a protobuf connection, and the XML is built only if needed.
   */
  readonly frame?: Buffer | undefined;
}

/** Where an entry is: waiting in line, held back by the minimum interval, written, or gone. */
export type QueuePlace = 'waiting' | 'pending' | 'held' | 'gone';

export interface QueueEntry {
  /**
   * The latest event of this entry, as XML, a stream frame or both (at least one): a newer event of the same
   * uid, type and dest replaces it while it waits.
   */
  xml: string | undefined;
  frame: Buffer | undefined;
  readonly uid: string;
  readonly type: string;
  /** '' for everyone, else the canonical `<marti><dest>` (see OutgoingEvent.dest). */
  readonly dest: string;
  readonly deletes: readonly string[] | undefined;
  /** May be replaced by a newer event for its slot (and is paced by the minimum interval). */
  readonly coalescable: boolean;
  /** UTF-8 length of xml, or the frame's length when there is no XML. */
  bytes: number;
  /** Set when the entry is taken for writing (1, 2, ...); 0 while it waits. */
  seq: number;
  /** Once written to a connection, even one that was then lost: such an entry may have arrived. */
  written: boolean;
  /** When the socket handed it to the kernel (the write callback), on the client's clock. */
  flushedAt: number | undefined;
  place: QueuePlace;
}

/** What an event counts for in the queue's byte limit: its XML, or its frame when it has no XML. */
export function outgoingBytes(event: OutgoingEvent): number {
  if (event.xml !== undefined) return Buffer.byteLength(event.xml);
  if (event.frame !== undefined) return event.frame.length;
  throw new TypeError('an outgoing event needs its XML or its frame');
}

export interface SendQueueOptions {
  /** The most entries held at once: waiting, pending and written-but-unconfirmed together. */
  maxEvents?: number;
  /**
   * The most bytes held at once (XML, or the frame of an event queued as TAK Protocol only), the same
   * entries counted; an event bigger than this alone still waits.
   */
  maxBytes?: number;
  /**
   * A coalescable event whose slot (uid and dest) was taken for writing less than this long ago waits
   * ("pending") until the interval has passed, replaced by any newer one meanwhile. 0 turns this off.
   */
  minIntervalMs?: number;
  /** Slots whose last write is remembered for minIntervalMs, at most; the oldest is forgotten beyond. */
  maxPacedSlots?: number;
}

export interface PushOptions {
  /** Latest wins for this event: it may replace, and be replaced by, another of its uid, type and dest. */
  coalesce?: boolean;
  /** Now, on the pacing clock (only needed with minIntervalMs). */
  now?: number;
}

export interface PushResult {
  /** The entry now carrying the event: a new one, or the older one it replaced in place. */
  entry: QueueEntry;
  /** The event replaced a waiting older one (which is thereby never sent). */
  coalesced: boolean;
  /** Entries dropped to make room, oldest first: never written. */
  dropped: QueueEntry[];
}

export interface RequeueResult {
  /** Held entries put back to be written again. */
  requeued: number;
  /** Of those, entries dropped at once because a newer one of their slot waits: they will not be sent again. */
  superseded: number;
}

/** Joins a uid and a dest into one map key; NUL cannot occur in XML text. */
function slotOf(entry: { uid: string; dest: string }): string {
  return `${entry.uid}\u0000${entry.dest}`;
}

/**
 * The client's outgoing events: a bounded line of events waiting to be written, events held back by the
 * minimum interval per uid ("pending"), and the events written to the current connection but not yet known to
 * have arrived ("held").
 *
 * Latest wins (for entries pushed with coalesce): a newer event for the same uid, type and dest replaces the
 * waiting (or pending) older one in place, keeping its place in line. It only ever replaces the latest waiting
 * entry of its uid, so every uid's events still go out in the order they were pushed: an event that is not
 * coalescable (a chat, a delete), an event of the uid with another type, or one for everyone after one for
 * some, closes the older entries of that uid to replacement, and a delete does so for the uids it names (all
 * uids when it names none). Held entries are never touched; see requeueHeld().
 *
 * - push(): adds (or coalesces) an event; when full (events or bytes), the oldest held entry is forgotten first
 *   (it was written, it just can no longer be sent again), then the oldest waiting one is dropped and returned
 *   so the caller can count it, then the oldest pending one.
 * - take(): the next entry to write; it moves to held.
 * - confirmThrough() / confirmFlushedBefore(): held entries the connection has shown it carried are forgotten.
 * - requeueHeld(): the connection was lost; held entries go back in front, in order, to be written again,
 *   except those a newer waiting entry of their slot supersedes.
 */
export class SendQueue {
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly minIntervalMs: number;
  readonly maxPacedSlots: number;
  private readonly waiting = new Fifo<QueueEntry>();
  private readonly held = new Fifo<QueueEntry>();
  /** Held back by the minimum interval, by slot, oldest first. */
  private readonly pending = new Map<string, QueueEntry>();
  /** uid -> dest -> the latest waiting or pending entry of that slot, when it may still be replaced. */
  private readonly latest = new Map<string, Map<string, QueueEntry>>();
  /** slot -> when it was last taken, in the order taken (oldest first), for slots taken within minIntervalMs. */
  private readonly lastTaken = new Map<string, number>();
  private totalBytes = 0;
  private seq = 0;

  constructor(options: SendQueueOptions = {}) {
    this.maxEvents = options.maxEvents ?? DEFAULT_MAX_QUEUE_EVENTS;
    if (!Number.isInteger(this.maxEvents) || this.maxEvents < 1) {
      throw new RangeError(`maxEvents is ${this.maxEvents}; give a whole number of at least 1`);
    }
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_SEND_QUEUE_BYTES;
    if (!Number.isInteger(this.maxBytes) || this.maxBytes < 1) {
      throw new RangeError(`maxBytes is ${this.maxBytes}; give a whole number of at least 1`);
    }
    this.minIntervalMs = options.minIntervalMs ?? 0;
    if (!Number.isFinite(this.minIntervalMs) || this.minIntervalMs < 0) {
      throw new RangeError(`minIntervalMs is ${this.minIntervalMs}; give a number of at least 0`);
    }
    this.maxPacedSlots = options.maxPacedSlots ?? MAX_PACED_UIDS;
    if (!Number.isInteger(this.maxPacedSlots) || this.maxPacedSlots < 1) {
      throw new RangeError(`maxPacedSlots is ${this.maxPacedSlots}; give a whole number of at least 1`);
    }
  }

  /** Entries waiting to be written: in line, and held back by the minimum interval. */
  get length(): number {
    return this.waiting.length + this.pending.size;
  }

  /** Entries in line, ready to be taken now. */
  get readyLength(): number {
    return this.waiting.length;
  }

  /** Entries held back by the minimum interval. */
  get pendingLength(): number {
    return this.pending.size;
  }

  /** Entries written but not yet confirmed. */
  get heldLength(): number {
    return this.held.length;
  }

  /** Bytes of XML held, waiting, pending and written-but-unconfirmed together. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Slots whose last write still paces their next event (bounded by maxPacedSlots). */
  get pacedSlots(): number {
    return this.lastTaken.size;
  }

  /** The seq of the last entry taken, so a later confirmation can name everything up to here. */
  get lastSeq(): number {
    return this.seq;
  }

  private get count(): number {
    return this.waiting.length + this.pending.size + this.held.length;
  }

  /**
   * Adds an event: replaces the waiting entry of its slot in place (coalesce), or joins the line at the back,
   * or waits as pending when its slot was written less than minIntervalMs ago.
   */
  push(event: OutgoingEvent, options: PushOptions = {}): PushResult {
    const now = options.now ?? 0;
    const coalesce = options.coalesce === true;
    this.release(now);
    const dest = event.dest ?? '';
    const bytes = outgoingBytes(event);
    if (coalesce) {
      const older = this.latest.get(event.uid)?.get(dest);
      if (older !== undefined && older.type === event.type) {
        this.totalBytes += bytes - older.bytes;
        older.xml = event.xml;
        older.frame = event.frame;
        older.bytes = bytes;
        return { entry: older, coalesced: true, dropped: this.makeRoom(0, older) };
      }
    }
    const entry: QueueEntry = {
      xml: event.xml,
      frame: event.frame,
      uid: event.uid,
      type: event.type,
      dest,
      deletes: event.deletes,
      coalescable: coalesce,
      bytes,
      seq: 0,
      written: false,
      flushedAt: undefined,
      place: 'waiting',
    };
    const dropped = this.makeRoom(bytes, undefined);
    this.closeOlder(entry, true);
    this.totalBytes += bytes;
    if (coalesce) {
      this.index(entry);
      const slot = slotOf(entry);
      if (this.minIntervalMs > 0 && this.lastTaken.has(slot)) {
        entry.place = 'pending';
        this.pending.set(slot, entry);
        return { entry, coalesced: false, dropped };
      }
    }
    this.waiting.push(entry);
    return { entry, coalesced: false, dropped };
  }

  /** The entry to write next, now held; undefined when nothing is ready. Releases due pending entries first. */
  take(now = 0): QueueEntry | undefined {
    this.release(now);
    const entry = this.waiting.shift();
    if (entry === undefined) return undefined;
    this.unindex(entry);
    this.seq += 1;
    entry.seq = this.seq;
    entry.written = true;
    entry.flushedAt = undefined;
    entry.place = 'held';
    this.held.push(entry);
    if (entry.coalescable && this.minIntervalMs > 0) {
      const slot = slotOf(entry);
      this.lastTaken.delete(slot); // re-inserted last: the map stays in the order taken
      this.lastTaken.set(slot, now);
      if (this.lastTaken.size > this.maxPacedSlots) {
        const [oldest] = this.lastTaken.keys();
        if (oldest !== undefined) this.forgetSlot(oldest);
      }
    }
    return entry;
  }

  /**
   * Moves pending entries whose interval has passed by `now` into the line (at the back) and forgets slots
   * written longer ago than minIntervalMs. take() and push() do this themselves.
   */
  release(now: number): void {
    if (this.minIntervalMs === 0) return;
    for (const [slot, at] of this.lastTaken) {
      if (at + this.minIntervalMs > now) break;
      this.forgetSlot(slot);
    }
  }

  /** Moves every pending entry into the line, interval or not (the client is stopping). */
  releaseAll(): void {
    for (const entry of [...this.pending.values()]) this.releaseEntry(entry);
  }

  /**
   * When the next pending entry may be released (on the push/take clock), or undefined when none is pending.
   * May be early (then release() frees nothing and this answers a later time), never late.
   */
  nextReleaseAt(): number | undefined {
    if (this.pending.size === 0) return undefined;
    for (const at of this.lastTaken.values()) return at + this.minIntervalMs;
    return undefined;
  }

  /** The server has read everything up to seq (a pong answered a ping written after it). */
  confirmThrough(seq: number): number {
    let count = 0;
    for (let entry = this.held.peek(); entry !== undefined && entry.seq <= seq; entry = this.held.peek()) {
      this.forget(this.held.shift() as QueueEntry);
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
      this.forget(this.held.shift() as QueueEntry);
      count += 1;
    }
    return count;
  }

  /**
   * The connection is gone: held entries go back in front of the waiting ones, in their order. A requeued
   * entry for which a newer entry of the same slot and type waits (or another requeued one follows), with
   * nothing closing it in between, is dropped as superseded: it would only be overtaken. What remains in line
   * may be replaced again by newer events.
   */
  requeueHeld(): RequeueResult {
    const back = this.held.clear();
    if (back.length === 0) return { requeued: 0, superseded: 0 };
    for (const entry of back) {
      entry.seq = 0;
      entry.flushedAt = undefined;
      entry.place = 'waiting';
    }
    const line = [...back, ...this.waiting.clear()];
    // Replay the line (then the pending entries, which are newer than all of it) through the same rules as
    // push(), to find what is superseded and to rebuild the index.
    this.latest.clear();
    let superseded = 0;
    const replay = (entry: QueueEntry): void => {
      if (entry.coalescable) {
        const older = this.latest.get(entry.uid)?.get(entry.dest);
        if (older !== undefined && older.type === entry.type) {
          this.unindex(older);
          this.forget(older);
          superseded += 1;
        }
      }
      this.closeOlder(entry, false);
      if (entry.coalescable) this.index(entry);
    };
    for (const entry of line) replay(entry);
    for (const entry of this.pending.values()) replay(entry);
    for (const entry of line) if (entry.place === 'waiting') this.waiting.push(entry);
    return { requeued: back.length, superseded };
  }

  /** Forgets held entries: the connection ended cleanly, or the client is going away. */
  forgetHeld(): number {
    const gone = this.held.clear();
    for (const entry of gone) this.forget(entry);
    return gone.length;
  }

  /** Empties the queue; returns the entries that were still waiting or pending (held ones are forgotten). */
  clear(): QueueEntry[] {
    this.forgetHeld();
    const left = [...this.waiting.clear(), ...this.pending.values()];
    this.pending.clear();
    this.latest.clear();
    this.lastTaken.clear();
    for (const entry of left) this.forget(entry);
    this.totalBytes = 0;
    return left;
  }

  /** The waiting entries, in line first, then pending (a copy). */
  waitingEntries(): QueueEntry[] {
    return [...this.waiting.toArray(), ...this.pending.values()];
  }

  // ---- internals ---------------------------------------------------------------------------------------------

  /** Makes `entry` the replaceable latest of its slot. */
  private index(entry: QueueEntry): void {
    let dests = this.latest.get(entry.uid);
    if (dests === undefined) {
      dests = new Map();
      this.latest.set(entry.uid, dests);
    }
    dests.set(entry.dest, entry);
  }

  private unindex(entry: QueueEntry): void {
    const dests = this.latest.get(entry.uid);
    if (dests === undefined || dests.get(entry.dest) !== entry) return;
    dests.delete(entry.dest);
    if (dests.size === 0) this.latest.delete(entry.uid);
  }

  /**
   * Before `entry` joins the line: older entries it must not be overtaken by, or overtake, are closed to
   * replacement (and, when `release`, pending ones move into the line ahead of it, so it cannot pass them).
   */
  private closeOlder(entry: QueueEntry, release: boolean): void {
    if (entry.type === DELETE_TYPE) {
      if (entry.deletes !== undefined && entry.deletes.length > 0) {
        for (const uid of entry.deletes) this.closeUid(uid, release);
      } else {
        for (const uid of [...this.latest.keys()]) this.closeUid(uid, release);
      }
    }
    if (!entry.coalescable || entry.dest === '') {
      // Not replaceable, or for everyone: every older entry of the uid reaches the same receivers.
      this.closeUid(entry.uid, release);
    } else {
      // For some: the older entry for everyone reaches them too, and the older one for the same dest (another type).
      this.closeSlot(entry.uid, '', release);
      this.closeSlot(entry.uid, entry.dest, release);
    }
  }

  private closeUid(uid: string, release: boolean): void {
    const dests = this.latest.get(uid);
    if (dests === undefined) return;
    this.latest.delete(uid);
    if (release) for (const entry of dests.values()) if (entry.place === 'pending') this.releaseEntry(entry);
  }

  private closeSlot(uid: string, dest: string, release: boolean): void {
    const entry = this.latest.get(uid)?.get(dest);
    if (entry === undefined) return;
    this.unindex(entry);
    if (release && entry.place === 'pending') this.releaseEntry(entry);
  }

  private releaseEntry(entry: QueueEntry): void {
    this.pending.delete(slotOf(entry));
    entry.place = 'waiting';
    this.waiting.push(entry);
  }

  /** The slot's last write no longer paces it: its pending entry, if any, joins the line. */
  private forgetSlot(slot: string): void {
    this.lastTaken.delete(slot);
    const entry = this.pending.get(slot);
    if (entry !== undefined) this.releaseEntry(entry);
  }

  private forget(entry: QueueEntry): void {
    this.totalBytes -= entry.bytes;
    entry.place = 'gone';
  }

  /**
   * Makes room for one more entry of `bytes` (or, with bytes 0 and `keep`, for `keep` having grown): forgets
   * held entries, then drops the oldest in line, then the oldest pending. `keep` is never dropped; an entry
   * bigger than maxBytes on its own is let in alone.
   */
  private makeRoom(bytes: number, keep: QueueEntry | undefined): QueueEntry[] {
    const dropped: QueueEntry[] = [];
    const adding = keep === undefined ? 1 : 0;
    while (this.count + adding > this.maxEvents || this.totalBytes + bytes > this.maxBytes) {
      const held = this.held.shift();
      if (held !== undefined) {
        this.forget(held);
        continue;
      }
      const victim = this.oldestWaiting(keep);
      if (victim === undefined) break;
      this.unindex(victim);
      this.forget(victim);
      dropped.push(victim);
    }
    return dropped;
  }

  /** Removes and returns the oldest entry in line, else the oldest pending, never `keep`. */
  private oldestWaiting(keep: QueueEntry | undefined): QueueEntry | undefined {
    const head = this.waiting.peek();
    if (head !== undefined && head !== keep) return this.waiting.shift();
    if (head !== undefined && this.waiting.length > 1) {
      // keep is first in line: drop the one behind it (rare: only when keep grew past the byte bound).
      this.waiting.shift();
      const next = this.waiting.shift();
      this.waiting.unshiftAll([head]);
      return next;
    }
    for (const entry of this.pending.values()) {
      if (entry === keep) continue;
      this.pending.delete(slotOf(entry));
      return entry;
    }
    return undefined;
  }
}
