/**
 * One connected client: its socket, its own stream parser, its idle timer, its identity and its place in a
 * replay. The session turns socket events into calls on its handler (the server) and ignores every socket
 * event once it is closed, so a late event from a removed client can do nothing.
 */
import type net from 'node:net';
import tls from 'node:tls';
import type { PacingClock } from '../client/clock';
import { summarize, type CertificateSummary } from '../tls/certificate';
import { StreamParser, type StreamItem } from '../stream/stream-parser';
import { TCP_KEEPALIVE_MS } from './options';
import type { WireFormat } from './outgoing-event';
import type { Identity } from './routing';

/** A client as the flow sees it. A snapshot: a new object whenever the identity changes. */
export interface ClientInfo {
  id: string;
  remoteAddress: string;
  remotePort: number;
  uid?: string;
  callsign?: string;
  team?: string;
  role?: string;
  endpoint?: string;
  /** Epoch ms. */
  connectedAt: number;
  /** The certificate the client presented, on a TLS listener: who it is, by its CN. */
  certificate?: CertificateSummary;
}

/** The client's certificate when the socket is TLS and it presented one. */
function peerCertificate(socket: net.Socket): CertificateSummary | undefined {
  if (!(socket instanceof tls.TLSSocket)) return undefined;
  const x509 = socket.getPeerX509Certificate();
  return x509 ? summarize(x509) : undefined;
}

/**
 * Why a client left: it closed the connection, its socket failed, it was silent too long, it stopped
 * reading, it missed a deadline (no first event, an event never finished), it was closed to make room for
 * a new connection while it had sent nothing, or the server is closing.
 */
export type DisconnectReason = 'closed' | 'error' | 'idle' | 'slow' | 'deadline' | 'evicted' | 'shutdown';

export interface SessionHandler {
  /** Its first complete event has come: from now on it is a client, not a slot held. */
  spoke(session: ClientSession): void;
  /** Items parsed from the client's bytes, in stream order. */
  received(session: ClientSession, items: StreamItem[]): void;
  /** The client closed its side (or the socket closed without an error). */
  ended(session: ClientSession): void;
  /** The socket failed, or reading it threw. */
  failed(session: ClientSession, error: Error): void;
  /** No complete event received for idleTimeoutMs. */
  idle(session: ClientSession): void;
  /** An event was started and not finished within eventTimeoutMs; `ms` is how long it has taken. */
  eventTimeout(session: ClientSession, ms: number): void;
  /**
   * Its queue was full and stayed so for SLOW_VERDICT_MS: `took` is what the kernel took from it meanwhile
   * (0: it stopped reading), `refused` the writes not made.
   */
  slow(session: ClientSession, verdict: SlowVerdict): void;
  /** Its socket was paused for sending faster than inputBytesPerSecond. */
  throttled(session: ClientSession): void;
  /** The socket's queue emptied after a write that returned false. */
  drained(session: ClientSession): void;
}

export interface SessionLimits {
  maxEventBytes: number;
  maxDepth: number;
  idleTimeoutMs: number;
  maxQueueBytes: number;
  eventTimeoutMs: number;
  inputBytesPerSecond: number;
  inputBurstBytes: number;
  clock: PacingClock;
}

/**
 * How long a full queue is watched before its client is dropped: the kernel hands a reading client's bytes
 * on in steps as large as half its socket buffers (megabytes on a fast link), so a second can show nothing
 * even from a client that reads. The refused writes are not queued, so memory stays bounded meanwhile.
 */
export const SLOW_VERDICT_MS = 5_000;

export interface SlowVerdict {
  /** Bytes the kernel took from its queue while it was full: 0 when the client stopped reading. */
  took: number;
  ms: number;
  refused: number;
  unsent: number;
}

/** `sent`: written; `slow`: refused because the queue would pass maxQueueBytes; `gone`: the socket is not writable. */
export type WriteResult = 'sent' | 'slow' | 'gone';

export class ClientSession {
  info: ClientInfo;
  identity: Identity | undefined;
  closed = false;
  /** Corked until the end of this turn of the event loop (see CotServer's write batching). */
  corked = false;
  /** Uids still to replay, and how far the replay has got. */
  replay: string[] = [];
  replayAt = 0;
  /** A complete event has come from this client: it is somebody, not a slot held. */
  hasSentEvent = false;
  /** The wire format both ways: XML until the client asks for protobuf and is answered yes. */
  format: WireFormat = 'xml';
  /** Its replay waits for its answer to our protobuf offer (see CotServer), so it comes in the format chosen. */
  replayHeld = false;
  /** The timer that ends the hold, and whether the replay has begun (it is done once). */
  replayTimer: unknown;
  replayed = false;
  /**
   * While the replay is held: what the store held when the client connected. A track that got a newer event
   * meanwhile was sent to the client live, so the held replay leaves it out (no stale or repeated state).
   */
  replaySnapshot: Map<string, unknown> | undefined;
  private readonly parser: StreamParser;
  private readonly clock: PacingClock;
  /** Clock time of the last complete event (pings included): the idle rule's sign of life. */
  private lastLifeAt: number;
  private idleTimer: unknown;
  /** Clock time the event still being received began, undefined between events. */
  private eventStartedAt: number | undefined;
  private eventTimer: unknown;
  /** Input rate: bytes it may still send at once, refilled at inputBytesPerSecond. */
  private tokens: number;
  private refilledAt: number;
  private resumeTimer: unknown;
  /** Set while its queue is full: writes are refused until the verdict, which tells a slow reader from a stopped one. */
  private overflow: { since: number; flushed: number; refused: number; timer: unknown } | undefined;

  constructor(
    readonly id: string,
    readonly socket: net.Socket,
    private readonly limits: SessionLimits,
    private readonly handler: SessionHandler,
    now: number,
  ) {
    this.parser = new StreamParser({ maxEventBytes: limits.maxEventBytes, maxDepth: limits.maxDepth });
    this.clock = limits.clock;
    this.lastLifeAt = this.clock.now();
    this.refilledAt = this.lastLifeAt;
    this.tokens = limits.inputBurstBytes;
    const certificate = peerCertificate(socket);
    this.info = Object.freeze({
      id,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      connectedAt: now,
      ...(certificate ? { certificate } : {}),
    });
  }

  /** Wires the socket. Call once, after the server has registered the session. */
  start(): void {
    const socket = this.socket;
    socket.setNoDelay(true); // one event per write, sent at once: latency matters more than packet count
    socket.setKeepAlive(true, TCP_KEEPALIVE_MS);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (error: Error) => {
      if (!this.closed) this.handler.failed(this, error);
    });
    socket.on('close', () => {
      if (!this.closed) this.handler.ended(this);
    });
    socket.on('drain', () => {
      if (!this.closed) this.handler.drained(this);
    });
    if (this.limits.idleTimeoutMs > 0) this.armIdle(this.limits.idleTimeoutMs);
  }

  /** Checked when due rather than reset on every event: one timer per idle period, however busy the client. */
  private armIdle(ms: number): void {
    this.idleTimer = this.clock.setTimeout(() => {
      if (this.closed) return;
      const silent = this.clock.now() - this.lastLifeAt;
      if (silent >= this.limits.idleTimeoutMs) this.handler.idle(this);
      else this.armIdle(this.limits.idleTimeoutMs - silent);
    }, ms);
  }

  private armEventDeadline(ms: number): void {
    this.eventTimer = this.clock.setTimeout(() => {
      this.eventTimer = undefined;
      if (this.closed || this.eventStartedAt === undefined) return;
      const taken = this.clock.now() - this.eventStartedAt;
      if (taken >= this.limits.eventTimeoutMs) this.handler.eventTimeout(this, taken);
      else this.armEventDeadline(this.limits.eventTimeoutMs - taken);
    }, ms);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    const now = this.clock.now();
    if (this.limits.inputBytesPerSecond > 0) this.meter(chunk.length, now);
    let items: StreamItem[];
    try {
      items = this.parser.push(chunk);
    } catch (error) {
      // The parser reports bad input as items; a throw is a fault in it, and costs this client only.
      this.handler.failed(this, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    let finished = false;
    for (const item of items) {
      if (item.kind === 'event') {
        this.lastLifeAt = now;
        finished = true;
        if (!this.hasSentEvent) {
          this.hasSentEvent = true;
          this.handler.spoke(this);
        }
      } else if (item.kind === 'error') finished = true;
    }
    this.trackEvent(finished, now);
    if (items.length > 0) this.handler.received(this, items);
  }

  /**
   * The event deadline runs from the first byte of an event the parser is still holding; a chunk that ends
   * one event and starts the next starts the clock again.
   */
  private trackEvent(finished: boolean, now: number): void {
    if (this.parser.bufferedBytes === 0) {
      this.eventStartedAt = undefined;
      return;
    }
    if (finished || this.eventStartedAt === undefined) this.eventStartedAt = now;
    if (this.limits.eventTimeoutMs > 0 && this.eventTimer === undefined) {
      this.armEventDeadline(this.limits.eventTimeoutMs);
    }
  }

  /**
   * Token bucket over the bytes read: past its share the socket is paused, so the kernel's buffer fills
   * and TCP slows the sender; nothing is dropped and other clients are read as before.
   */
  private meter(bytes: number, now: number): void {
    this.refill(now);
    this.tokens -= bytes;
    if (this.tokens >= 0 || this.resumeTimer !== undefined) return;
    this.socket.pause();
    this.handler.throttled(this);
    this.scheduleResume();
  }

  private refill(now: number): void {
    const rate = this.limits.inputBytesPerSecond;
    this.tokens = Math.min(
      this.limits.inputBurstBytes,
      this.tokens + ((now - this.refilledAt) * rate) / 1000,
    );
    this.refilledAt = now;
  }

  private scheduleResume(): void {
    const waitMs = Math.max(1, Math.ceil((-this.tokens * 1000) / this.limits.inputBytesPerSecond));
    this.resumeTimer = this.clock.setTimeout(() => {
      this.resumeTimer = undefined;
      if (this.closed) return;
      this.refill(this.clock.now());
      if (this.tokens < 0) {
        this.scheduleResume();
        return;
      }
      this.socket.resume();
    }, waitMs);
  }

  /** True while its socket is paused for going over its input rate. */
  get paused(): boolean {
    return this.resumeTimer !== undefined;
  }

  private onEnd(): void {
    if (this.closed) return;
    const items = this.parser.end(); // an event cut off by the close comes out as ERR_STREAM_TRUNCATED
    if (items.length > 0) this.handler.received(this, items);
    if (!this.closed) this.handler.ended(this);
  }

  /**
   * Both directions are protobuf from now on: the parser reads the next byte as a frame, and the server
   * writes this client frames. Called while its request is handled; a client that wrote XML after its
   * request (the protocol forbids it) had those bytes read as XML in the same push, and an XML event it
   * left unfinished comes back as ERR_STREAM_TRUNCATED among the returned items.
   */
  switchToProtobuf(): StreamItem[] {
    this.format = 'protobuf';
    return this.parser.setMode('protobuf');
  }

  setIdentity(identity: Identity): void {
    this.identity = identity;
    const info: ClientInfo = {
      id: this.info.id,
      remoteAddress: this.info.remoteAddress,
      remotePort: this.info.remotePort,
      uid: identity.uid,
      connectedAt: this.info.connectedAt,
      ...(this.info.certificate ? { certificate: this.info.certificate } : {}),
    };
    if (identity.callsign !== undefined) info.callsign = identity.callsign;
    if (identity.team !== undefined) info.team = identity.team;
    if (identity.role !== undefined) info.role = identity.role;
    if (identity.endpoint !== undefined) info.endpoint = identity.endpoint;
    this.info = Object.freeze(info);
  }

  /**
   * Writes without copying (the same Buffer may go to every client). Refuses when unsent bytes are
   * already queued and this write would take them past maxQueueBytes; an empty queue takes any event.
   */
  write(bytes: Buffer): WriteResult {
    const socket = this.socket;
    if (this.closed || !socket.writable) return 'gone';
    if (this.overflow) {
      this.overflow.refused += 1;
      return 'slow';
    }
    const queued = socket.writableLength;
    if (queued > 0 && queued + bytes.length > this.limits.maxQueueBytes) {
      this.watchOverflow();
      return 'slow';
    }
    socket.write(bytes);
    return 'sent';
  }

  /** Bytes the kernel has taken from the send queue so far. */
  private flushedBytes(): number {
    return this.socket.bytesWritten - this.socket.writableLength;
  }

  private watchOverflow(): void {
    const since = this.clock.now();
    const flushed = this.flushedBytes();
    const timer = this.clock.setTimeout(() => {
      const overflow = this.overflow;
      if (this.closed || overflow === undefined) return;
      this.handler.slow(this, {
        took: this.flushedBytes() - flushed,
        ms: this.clock.now() - since,
        refused: overflow.refused,
        unsent: this.socket.writableLength,
      });
    }, SLOW_VERDICT_MS);
    this.overflow = { since, flushed, refused: 1, timer };
  }

  /** Holds writes in memory until uncork(): the events of one event-loop turn go out in one writev. */
  cork(): void {
    if (this.corked || this.closed) return;
    this.corked = true;
    this.socket.cork();
  }

  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    if (!this.closed) this.socket.uncork();
  }

  /** Unsent bytes, once the last write returned false (the socket will emit 'drain'). */
  get needsDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  /** Stops everything: timer off, socket destroyed. Later socket events are ignored. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const timers = [
      this.idleTimer,
      this.eventTimer,
      this.resumeTimer,
      this.overflow?.timer,
      this.replayTimer,
    ];
    for (const timer of timers) {
      if (timer !== undefined) this.clock.clearTimeout(timer);
    }
    this.idleTimer = undefined;
    this.eventTimer = undefined;
    this.resumeTimer = undefined;
    this.overflow = undefined;
    this.replayTimer = undefined;
    this.replay = [];
    this.socket.destroy();
  }
}
