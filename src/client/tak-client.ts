import { EventEmitter } from 'node:events';
import type net from 'node:net';
import tls from 'node:tls';
import { buildCot } from '../cot/build';
import { PONG_TYPE, pingEvent, presenceEvent } from '../cot/helpers';
import type { CotEvent, CotInput } from '../cot/model';
import { parseCot } from '../cot/parse';
import { serializeEvent } from '../cot/serialize';
import { CotError } from '../cot/errors';
import { randomUid } from '../cot/uid';
import { decodeTakFrame, encodeTakStreamFrame } from '../takproto';
import type { StreamError } from '../stream/errors';
import { StreamParser, type StreamItem } from '../stream/stream-parser';
import { Backoff } from './backoff';
import { isCoalescableType } from './coalesce';
import { AUTH_REJECT_WINDOW_MS, MAX_OUTSTANDING_PINGS } from './defaults';
import { classifySocketError, TakClientError, TakClientErrorCode, type TakClientErrorInfo } from './errors';
import { Keepalive } from './keepalive';
import { readOffer, readResponse, requestXml, RESPONSE_TYPE } from './negotiation';
import { resolveOptions, type ResolvedOptions, type SocketTarget, type TakClientOptions } from './options';

export type { SocketFactory, SocketTarget, TakClientOptions } from './options';
export type { TakClientErrorInfo } from './errors';
import { authPreamble, toOutgoing, toOutgoingFrame } from './outgoing';
import { TokenBucket } from './rate-limiter';
import { outgoingBytes, SendQueue, type OutgoingEvent, type QueueEntry } from './send-queue';

export type TakClientState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'stopped';

/**
 * At any moment, offered = eventsSent - requeued + coalesced + dropped + queueLength: every event send() took is
 * waiting, or was written (once, or again after each requeue), replaced by a newer one, or dropped.
 */
export interface TakClientCounters {
  /** Events send() accepted. */
  offered: number;
  /** Connections made (the socket connected). */
  connects: number;
  /** Connections lost or closed after they were made. */
  disconnects: number;
  /** Data events written to a socket, each write once (an event written again after a loss counts again). */
  eventsSent: number;
  /** Data events received and emitted as 'event'. */
  eventsReceived: number;
  /** Events dropped to make room or left at stop(): the oldest waiting ones when the queue was full. */
  dropped: number;
  /**
   * Of `dropped`, events that had been written to a connection that was then lost, were put back to be
   * written again, and were dropped before that: they may have arrived. The others surely did not.
   */
  droppedWritten: number;
  /**
   * Events replaced by a newer one of the same uid, type and recipients before they were written (latest wins),
   * and events written, put back after a loss, and then superseded by a newer waiting one: none is sent (again).
   */
  coalesced: number;
  bytesSent: number;
  bytesReceived: number;
  pingsSent: number;
  pongsReceived: number;
  /** Control events received (t-x-c-*, t-x-takp-*), pongs included. */
  controlReceived: number;
  /** Stream problems: broken or refused events, skipped; the connection carries on. */
  parseErrors: number;
  /** Events written to a connection that was lost before they were confirmed, put back to be written again. */
  requeued: number;
  lastError?: { code: string; message: string; at: number };
  /** The wire format of the current (or last) connection. */
  protocol: 'xml' | 'protobuf';
  /** The server version a TAK Server announced with its protobuf offer, when it did. */
  serverVersion?: string;
}

/** The wire format changed, or a server announced its version. */
export interface TakProtocolChange {
  protocol: 'xml' | 'protobuf';
  serverVersion?: string;
  /** offered: the server offered protobuf and we asked; accepted, refused, timeout: its answer or none; fixed: the protocol setting. */
  reason: 'offered' | 'accepted' | 'refused' | 'timeout' | 'fixed';
}

export interface TakClientStateChange {
  state: TakClientState;
  /** How long until the next attempt, when reconnecting. */
  delayMs?: number;
  /** Why the last attempt or connection failed, when reconnecting. */
  error?: TakClientErrorInfo;
}

export interface TakReceivedEvent {
  event: CotEvent;
  /**
   * The event's exact XML as received, for pass-through; built from the model when it came as protobuf
   * (on first read: a getter on the prototype then, so a spread copy leaves it out; JSON keeps it).
   */
  readonly xml: string;
  /** The TAK Protocol frame as received, when the connection speaks protobuf. */
  takproto?: Buffer;
}

export interface TakDropped {
  count: number;
  /**
   * queue-full: the oldest waiting event made room for a new one; stopped: stop() could not send it;
   * unencodable: the connection speaks protobuf and the event holds what TAK Protocol cannot carry.
   */
  reason: 'queue-full' | 'stopped' | 'unencodable';
}

/** The rate limit started (or stopped) holding events back. */
export interface TakThrottle {
  /** true: events wait because of maxEventsPerSecond; false: the queue caught up, or the connection went. */
  throttling: boolean;
  /** Events waiting now (queueLength). */
  waiting: number;
}

/** Per-event choices for send(). */
export interface SendOptions {
  /**
   * false: this event is never coalesced (never replaced by a newer one, never replacing an older one), and
   * keeps its order with the uid's other events. Default true, for types that may be coalesced at all.
   */
  coalesce?: boolean;
}

export interface TakDisconnected {
  /** For people: what happened, or "stopped". */
  reason: string;
  /** Absent when stop() closed the connection. */
  error?: TakClientErrorInfo;
}

export interface TakClientEvents {
  state: [TakClientStateChange];
  event: [TakReceivedEvent];
  control: [TakReceivedEvent];
  parseError: [StreamError];
  dropped: [TakDropped];
  throttle: [TakThrottle];
  connected: [];
  disconnected: [TakDisconnected];
  protocol: [TakProtocolChange];
}

/** Keep-alive and protocol negotiation, never routed by servers: t-x-c-* and t-x-takp-*. */
export function isControlType(type: string): boolean {
  return type === 't-x-c' || type.startsWith('t-x-c-') || type.startsWith('t-x-takp-');
}

type Listener = (...args: unknown[]) => void;

/** One socket's life. Everything here is dropped with it; a late event from an old socket is ignored. */
interface Connection {
  readonly sock: net.Socket;
  readonly listeners: Array<[string, Listener]>;
  parser: StreamParser | undefined;
  connected: boolean;
  connectedAt: number;
  /** The identity went out and its gap is over: the queue may flush. */
  ready: boolean;
  /** write() returned false: nothing more until 'drain'. */
  waitingDrain: boolean;
  receivedAny: boolean;
  authSent: boolean;
  /** stop() called end() on it. */
  ending: boolean;
  /** 'close' was seen. */
  closed: boolean;
  /** For each ping awaiting its pong, the seq of the last event written before it. */
  pings: number[];
  /** The first bytes received, kept until they tell whether the port speaks HTTP. */
  head: Buffer | undefined;
  /** What is written and read on it now. */
  protocol: 'xml' | 'protobuf';
  /** Our protobuf request is out and unanswered: nothing else is written. */
  negotiating: boolean;
  /** The server has offered once on this connection (a second offer is not answered again). */
  offered: boolean;
  /** Writes are being gathered until the current synchronous run ends. */
  corked: boolean;
}

function noop(): void {}

/**
 * A protobuf event as received: its XML is built (once, by the stream item) only when something reads it. A
 * class rather than a literal with a getter, which costs a runtime call per event.
 */
class ReceivedProtobufEvent implements TakReceivedEvent {
  readonly event: CotEvent;
  readonly takproto: Buffer | undefined;
  readonly #item: { readonly xml: string };

  constructor(item: { event: CotEvent; readonly xml: string; takproto?: Buffer }) {
    this.event = item.event;
    this.takproto = item.takproto;
    this.#item = item;
  }

  get xml(): string {
    return this.#item.xml;
  }

  /** The getter is on the prototype: JSON of the event still carries its XML. */
  toJSON(): { event: CotEvent; xml: string; takproto: Buffer | undefined } {
    return { event: this.event, xml: this.xml, takproto: this.takproto };
  }
}

/** What an HTTP answer starts with. */
const HTTP_HEAD = 'HTTP/';

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

/**
 * A client of a TAK server (FreeTAKServer, TAK Server, taky...): connects and stays connected until stop(),
 * sends the identity first on every connection, keeps the link alive as ATAK does, queues while it cannot
 * write, and emits every event it receives.
 *
 * Delivery is at least once (unless resendUnconfirmed is false): an event written to a connection stays held
 * until the connection shows it carried it: a pong answering a ping written after it (exact: the server has
 * read it), or data arriving confirmAfterMs after it reached the kernel (a heuristic). If the connection is
 * lost first, held events are written again, in order, ahead of anything newer, so a server may see an event
 * twice; a repeat carries the same uid and times, and CoT receivers keep the latest event per uid.
 * What can still be lost: a held event forgotten to make room in a full queue (waiting and held events share
 * maxQueueEvents; it was written, so it is not counted as dropped); what a server that stopped reading but kept
 * sending had not read when it died (the heuristic's blind spot); held events when stop() closes; and every
 * waiting event dropped for room or left at stop(), each counted in `dropped`.
 *
 * Sending is kind to servers: an optional rate limit (maxEventsPerSecond, burstEvents) and minimum interval
 * per uid (minIntervalPerUidMs) hold events back in the queue, and while events wait there a newer event for
 * the same uid, type and recipients replaces the older one in place (latest wins: a receiver keeps only a
 * uid's latest state anyway), so a backlog stays at one event per uid and goes out in order. Chats, deletes,
 * control, alerts, file transfers and anything marked are never replaced. A held event put back after a loss
 * is dropped when a newer one of its uid waits, rather than sent after it (counted in `coalesced`).
 */
export class TakClient extends EventEmitter<TakClientEvents> {
  private readonly o: ResolvedOptions;
  private readonly target: SocketTarget;
  private readonly where: string;
  private readonly queue: SendQueue;
  private readonly backoff: Backoff;
  private readonly keepalive: Keepalive;
  private readonly uid: string;
  private readonly authXml: string | undefined;
  private readonly now = (): number => this.o.connectionClock.now();
  private readonly limiter: TokenBucket | undefined;
  private pacing: { handle: unknown; at: number } | undefined;
  private throttled = false;
  private current: TakClientState = 'idle';
  private conn: Connection | undefined;
  // Handles of the connection clock's timers.
  private reconnectTimer: unknown;
  private connectTimer: unknown;
  private identityTimer: unknown;
  private presenceTimer: unknown;
  private negotiationTimer: unknown;
  private stopTimer: unknown;
  private stopping: { promise: Promise<void>; resolve: () => void } | undefined;
  private readonly c: TakClientCounters = {
    offered: 0,
    connects: 0,
    disconnects: 0,
    eventsSent: 0,
    eventsReceived: 0,
    dropped: 0,
    droppedWritten: 0,
    coalesced: 0,
    bytesSent: 0,
    bytesReceived: 0,
    pingsSent: 0,
    pongsReceived: 0,
    controlReceived: 0,
    parseErrors: 0,
    requeued: 0,
    protocol: 'xml',
  };

  /** Throws a TakClientError (ERR_CLIENT_OPTIONS) or, for a bad presence, a CotError. */
  constructor(options: TakClientOptions) {
    super();
    this.o = resolveOptions(options);
    this.target = { host: this.o.host, port: this.o.port };
    this.where = `${this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host}:${this.o.port}`;
    this.queue = new SendQueue({
      maxEvents: this.o.maxQueueEvents,
      maxBytes: this.o.maxQueueBytes,
      minIntervalMs: this.o.coalesce ? this.o.minIntervalPerUidMs : 0,
    });
    this.limiter =
      this.o.maxEventsPerSecond > 0
        ? new TokenBucket(this.o.maxEventsPerSecond, this.o.burstEvents, this.o.clock.now())
        : undefined;
    this.backoff = new Backoff({
      initialMs: this.o.reconnectInitialMs,
      maxMs: this.o.reconnectMaxMs,
      jitter: this.o.reconnectJitter,
      random: this.o.random,
    });
    this.uid = this.o.presence?.uid ?? this.o.auth?.uid ?? randomUid();
    if (this.o.presence) this.presenceXml(); // a bad presence fails here, not on every connect
    this.authXml = this.o.auth ? authPreamble(this.o.auth, this.uid) : undefined;
    this.keepalive = new Keepalive({
      pingAfterIdleMs: this.o.pingAfterIdleMs,
      pingIntervalMs: this.o.pingIntervalMs,
      pingAfterSendIdleMs: this.o.pingAfterSendIdleMs,
      deadAfterIdleMs: this.o.deadAfterIdleMs,
      clock: this.o.connectionClock,
      onPing: () => this.onPing(),
      onDead: (idleMs) => this.onDead(idleMs),
    });
  }

  get state(): TakClientState {
    return this.current;
  }

  /** A copy, readable any time. */
  get counters(): TakClientCounters {
    const copy = { ...this.c };
    if (this.c.lastError) copy.lastError = { ...this.c.lastError };
    return copy;
  }

  /** Events waiting to be written (including those the minimum interval per uid holds back). */
  get queueLength(): number {
    return this.queue.length;
  }

  /** Bytes of event XML held: waiting, and written but not yet confirmed. */
  get queueBytes(): number {
    return this.queue.bytes;
  }

  /** The rate limit is holding events back right now (see the 'throttle' event). */
  get throttling(): boolean {
    return this.throttled;
  }

  /** Events written to the current connection and not yet confirmed (written again if it is lost). */
  get unconfirmedLength(): number {
    return this.queue.heldLength;
  }

  /** The uid pings are named after: the presence uid, the auth uid, or a random one. */
  get ownUid(): string {
    return this.uid;
  }

  /** Connects, and stays connected until stop(). Calling it again while running does nothing. */
  start(): void {
    if (this.stopping) {
      throw new TakClientError(
        TakClientErrorCode.STOPPED,
        'the client is stopping; start it again once stop() resolves',
      );
    }
    if (this.current !== 'idle' && this.current !== 'stopped') return;
    this.backoff.reset();
    this.connect();
  }

  /**
   * Writes the event now when connected, not backed up and within the rate limit ('sent': handed to the
   * socket), or queues it ('queued'), possibly in the place of a waiting older event of its uid (latest wins).
   * A model or short form is built as buildCot does and throws CotError when invalid; a string must be exactly
   * one event (CotError or TakClientError otherwise). Throws ERR_CLIENT_STOPPED once stop() was called.
   */
  send(input: string | CotInput, options: SendOptions = {}): 'sent' | 'queued' {
    if (this.halted) {
      throw new TakClientError(TakClientErrorCode.STOPPED, 'the client is stopped; start it again to send');
    }
    if (options.coalesce !== undefined && typeof options.coalesce !== 'boolean') {
      throw new TakClientError(
        TakClientErrorCode.OPTIONS,
        `coalesce is ${String(options.coalesce)}; give true or false`,
        'coalesce',
        options.coalesce,
      );
    }
    // On a protobuf connection a model is encoded now, while it is certainly the one sent (a flow may change
    // its msg later), and no XML is built: the frame is all the connection needs.
    const event: OutgoingEvent =
      (this.conn?.protocol === 'protobuf' && typeof input !== 'string'
        ? toOutgoingFrame(input)
        : undefined) ?? toOutgoing(input);
    this.checkSize(event);
    const coalesce =
      this.o.coalesce &&
      options.coalesce !== false &&
      isCoalescableType(event.type, this.o.neverCoalesceTypes);
    const pushed = this.queue.push(event, { coalesce, now: this.o.clock.now() });
    this.c.offered += 1;
    if (pushed.coalesced) this.c.coalesced += 1;
    if (pushed.dropped.length > 0) {
      this.c.dropped += pushed.dropped.length;
      this.c.droppedWritten += pushed.dropped.filter((entry) => entry.written).length;
      this.emit('dropped', { count: pushed.dropped.length, reason: 'queue-full' });
    }
    const conn = this.conn;
    if (conn && conn.ready && !conn.waitingDrain) this.flush(conn);
    return pushed.entry.seq !== 0 ? 'sent' : 'queued';
  }

  /**
   * Closes cleanly: stops every timer, writes what it can within flushTimeoutMs, ends the socket and waits for
   * the server to close (or destroys it at the deadline), removes every listener it added. Events still waiting
   * are counted as dropped (reason 'stopped'). start() may be called again once it resolves.
   */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping.promise;
    if (this.current === 'stopped') return Promise.resolve();
    let resolve: () => void = noop;
    const promise = new Promise<void>((r) => (resolve = r));
    this.stopping = { promise, resolve };
    this.clearTimer('reconnectTimer');
    this.clearTimer('presenceTimer');
    this.keepalive.stop();
    // The minimum interval is a courtesy; a uid's last update is worth more. The rate limit still holds.
    this.queue.releaseAll();
    const conn = this.conn;
    if (!conn || !conn.connected) {
      this.finishStop();
      return promise;
    }
    this.stopTimer = this.o.connectionClock.setTimeout(() => {
      this.stopTimer = undefined;
      this.finishStop();
    }, this.o.flushTimeoutMs);
    this.flush(conn);
    return promise;
  }

  /** A server drops an event over its limit without a word (ours at 1 MiB, TAK Server at 8 MB): refuse it here. */
  private checkSize(event: OutgoingEvent): void {
    const xml = event.xml;
    // Cheap first: UTF-8 takes at most 3 bytes per UTF-16 unit, and most events are far below the limit.
    if (xml !== undefined && xml.length * 3 <= this.o.maxSendEventBytes) return;
    const bytes = outgoingBytes(event);
    if (bytes <= this.o.maxSendEventBytes) return;
    throw new TakClientError(
      TakClientErrorCode.EVENT_TOO_LARGE,
      `the event is ${formatBytes(bytes)}${xml === undefined ? ' as TAK Protocol' : ''}, over the ${formatBytes(this.o.maxSendEventBytes)} this connection sends (maxSendEventBytes; tak-config: largest outgoing event): servers drop bigger events without a word (tak-server and FreeTAKServer take 1 MiB, TAK Server 8 MB); send a smaller event, or raise the limit if your server takes more`,
      'xml',
      bytes,
    );
  }

  private get halted(): boolean {
    return this.stopping !== undefined || this.current === 'stopped';
  }

  private setState(change: TakClientStateChange): void {
    this.current = change.state;
    this.emit('state', change);
  }

  private clearTimer(
    name:
      | 'reconnectTimer'
      | 'connectTimer'
      | 'identityTimer'
      | 'presenceTimer'
      | 'negotiationTimer'
      | 'stopTimer',
  ): void {
    const timer = this[name];
    if (timer !== undefined) {
      this.o.connectionClock.clearTimeout(timer);
      this[name] = undefined;
    }
  }

  private clearConnectionTimers(): void {
    this.clearTimer('connectTimer');
    this.clearTimer('identityTimer');
    this.clearTimer('presenceTimer');
    this.clearTimer('negotiationTimer');
    this.clearPacing();
    this.keepalive.stop();
  }

  private clearPacing(): void {
    if (this.pacing !== undefined) {
      this.o.clock.clearTimeout(this.pacing.handle);
      this.pacing = undefined;
    }
  }

  private presenceXml(): string {
    return buildCot(presenceEvent(this.o.presence as NonNullable<ResolvedOptions['presence']>));
  }

  // ---- connecting ------------------------------------------------------------------------------------------

  private connect(): void {
    this.reconnectTimer = undefined;
    this.setState({ state: 'connecting' });
    if (this.halted) return; // a 'state' listener stopped us
    let sock: net.Socket;
    try {
      sock = this.o.createSocket({ ...this.target });
    } catch (error) {
      const info = classifySocketError(error, this.target, 'connecting');
      this.recordError(info);
      this.scheduleReconnect(info);
      return;
    }
    const conn: Connection = {
      sock,
      listeners: [],
      parser: undefined,
      connected: false,
      connectedAt: 0,
      ready: false,
      waitingDrain: false,
      receivedAny: false,
      authSent: false,
      ending: false,
      closed: false,
      pings: [],
      head: Buffer.alloc(0),
      protocol: this.o.protocol === 'protobuf' ? 'protobuf' : 'xml',
      negotiating: false,
      offered: false,
      corked: false,
    };
    this.conn = conn;
    const listen = <A extends unknown[]>(name: string, handler: (...args: A) => void): void => {
      const listener = handler as unknown as Listener;
      conn.listeners.push([name, listener]);
      sock.on(name, listener);
    };
    listen(sock instanceof tls.TLSSocket ? 'secureConnect' : 'connect', () => {
      // Reading starts only now: a 'data' listener on a socket still connecting makes Node queue a read.
      listen('data', (chunk: Buffer) => this.onData(conn, chunk));
      listen('drain', () => this.onDrain(conn));
      listen('end', () => this.lose(conn, this.closedInfo(conn)));
      this.onConnect(conn);
    });
    listen('error', (error: Error) =>
      this.lose(conn, classifySocketError(error, this.target, conn.connected ? 'connected' : 'connecting')),
    );
    listen('close', () => {
      conn.closed = true;
      this.lose(conn, this.closedInfo(conn));
    });
    this.connectTimer = this.o.connectionClock.setTimeout(() => {
      this.connectTimer = undefined;
      this.lose(conn, {
        code: TakClientErrorCode.CONNECT_TIMEOUT,
        message: `${this.where} did not accept the connection within ${this.o.connectTimeoutMs} ms`,
      });
    }, this.o.connectTimeoutMs);
  }

  private onConnect(conn: Connection): void {
    if (conn !== this.conn) return;
    this.clearTimer('connectTimer');
    conn.connected = true;
    conn.connectedAt = this.now();
    conn.parser = new StreamParser({ maxEventBytes: this.o.maxEventBytes, mode: conn.protocol });
    this.c.connects += 1;
    this.setProtocol(conn.protocol, 'fixed');
    this.keepalive.start();
    // The identity: the login first, then the presence, each in one write, before anything queued. A
    // protobuf input (prototls) authenticates by certificate: there is no XML login to send there.
    if (this.authXml !== undefined && conn.protocol === 'xml') {
      this.writeRaw(conn, this.authXml);
      conn.authSent = true;
    }
    if (this.o.presence) {
      this.writeRaw(conn, this.presenceXml());
      this.schedulePresence(conn);
    }
    if (this.o.presence && this.o.identityGapMs > 0) {
      this.identityTimer = this.o.connectionClock.setTimeout(() => {
        this.identityTimer = undefined;
        this.becomeReady(conn);
      }, this.o.identityGapMs);
    }
    this.setState({ state: 'connected' });
    if (conn !== this.conn) return;
    this.emit('connected');
    if (conn !== this.conn) return;
    if (!this.o.presence || this.o.identityGapMs === 0) this.becomeReady(conn);
  }

  private becomeReady(conn: Connection): void {
    if (conn !== this.conn) return;
    conn.ready = true;
    this.flush(conn);
  }

  // ---- writing ---------------------------------------------------------------------------------------------

  private writeRaw(conn: Connection, text: string): void {
    const data = conn.protocol === 'protobuf' ? this.toFrame(text) : text;
    if (data === undefined) return;
    this.c.bytesSent += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    this.keepalive.written();
    if (!conn.sock.write(data)) conn.waitingDrain = true;
  }

  /**
   * What an entry writes on this connection: its frame or XML as held, or the other one made from it.
   * Undefined, counted and reported as dropped, when the event holds what TAK Protocol cannot carry.
   */
  private wireData(conn: Connection, entry: QueueEntry): string | Buffer | undefined {
    if (conn.protocol === 'protobuf') return entry.frame ?? this.toFrame(entry.xml as string);
    // Queued as a frame on a protobuf connection, written after a reconnect that ended on XML.
    return entry.xml ?? serializeEvent(decodeTakFrame(entry.frame as Buffer));
  }

  /**
   * XML as a TAK Protocol stream frame; undefined, counted and reported as dropped, when the event holds
   * what TAK Protocol cannot carry.
   */
  private toFrame(xml: string): Buffer | undefined {
    try {
      return encodeTakStreamFrame(parseCot(xml));
    } catch (error) {
      if (!(error instanceof CotError)) throw error;
      this.c.dropped += 1;
      this.emit('dropped', { count: 1, reason: 'unencodable' });
      return undefined;
    }
  }

  private setProtocol(
    protocol: 'xml' | 'protobuf',
    reason: TakProtocolChange['reason'],
    serverVersion?: string,
  ): void {
    this.c.protocol = protocol;
    if (serverVersion !== undefined) this.c.serverVersion = serverVersion;
    else if (reason === 'fixed') delete this.c.serverVersion;
    const change: TakProtocolChange = { protocol, reason };
    if (this.c.serverVersion !== undefined) change.serverVersion = this.c.serverVersion;
    this.emit('protocol', change);
  }

  /**
   * Writes waiting events, one write each, until nothing is ready, the rate limit says wait, or the socket asks
   * us to wait; then sets the pacing timer for when the limit or the minimum interval lets the next one go.
   */
  private flush(conn: Connection): void {
    let throttled: boolean | undefined;
    let wrote = false;
    while (conn === this.conn && conn.ready && !conn.negotiating && !conn.waitingDrain && !conn.ending) {
      const now = this.o.clock.now();
      this.queue.release(now);
      if (this.queue.readyLength === 0) {
        // Caught up. Throttling ends once a token is back too, so a feed just above the limit (whose every
        // write empties the queue) reads as throttled throughout instead of flapping at the rate.
        throttled = this.throttled && this.limiter !== undefined && this.limiter.msUntilNext(now) > 0;
        break;
      }
      if (this.limiter !== undefined && !this.limiter.tryTake(now)) {
        throttled = true;
        break;
      }
      const entry = this.queue.take(now);
      if (entry === undefined) break;
      const seq = entry.seq;
      const data = this.wireData(conn, entry);
      // A written entry may be held until the server confirms it; a frame beside the XML is not needed again
      // (the rare resend reads the XML back), so the entry does not keep it.
      if (entry.xml !== undefined) entry.frame = undefined;
      if (data === undefined) continue;
      this.c.eventsSent += 1;
      if (typeof data !== 'string') this.c.bytesSent += data.length;
      else this.c.bytesSent += data === entry.xml ? entry.bytes : Buffer.byteLength(data);
      this.gatherWrites(conn);
      const more = conn.sock.write(data, (error) => {
        if (!error && entry.seq === seq) entry.flushedAt = this.now();
      });
      if (!this.o.resendUnconfirmed) this.queue.confirmThrough(seq); // at most once: forget it now
      if (!more) conn.waitingDrain = true;
      wrote = true;
    }
    if (wrote) this.keepalive.written();
    if (conn !== this.conn) return;
    this.schedulePacing(conn, throttled ?? this.throttled);
    if (throttled !== undefined) this.setThrottling(throttled);
    if (this.stopping && conn === this.conn) this.endWhenFlushed(conn);
  }

  /**
   * One timer, on the pacing clock, for the next token of the rate limit (while events are ready, or to end
   * the throttling) or the next pending release.
   */
  private schedulePacing(conn: Connection, throttling: boolean): void {
    let at: number | undefined;
    if (conn.ready && !conn.waitingDrain && !conn.ending) {
      const now = this.o.clock.now();
      if (this.limiter !== undefined && (this.queue.readyLength > 0 || throttling)) {
        // A token may have come back since flush() was refused one: then at once (wait 0), or events
        // would sit ready with no timer to write them until the next send().
        at = now + this.limiter.msUntilNext(now);
      }
      const release = this.queue.nextReleaseAt();
      if (release !== undefined && (at === undefined || release < at)) at = release;
    }
    if (at === undefined) {
      this.clearPacing();
      return;
    }
    // A timer due no later is kept: waking early only re-checks, and a throttled send() then costs no timer.
    if (this.pacing !== undefined && this.pacing.at <= at) return;
    this.clearPacing();
    const pacing: { handle: unknown; at: number } = { handle: undefined, at };
    this.pacing = pacing;
    pacing.handle = this.o.clock.setTimeout(
      () => {
        if (this.pacing !== pacing) return; // cleared or replaced meanwhile
        this.pacing = undefined;
        if (this.conn === conn) this.flush(conn);
      },
      Math.max(0, at - this.o.clock.now()),
    );
  }

  private setThrottling(throttling: boolean): void {
    if (this.throttled === throttling) return;
    this.throttled = throttling;
    this.emit('throttle', { throttling, waiting: this.queue.length });
  }

  /**
   * Events written in one synchronous run (a flow handing over a batch, a queue flushed after a reconnect) leave in
   * one system call instead of one each: the socket is uncorked before anything else runs, so nothing waits.
   */
  private gatherWrites(conn: Connection): void {
    if (conn.corked) return;
    conn.corked = true;
    conn.sock.cork();
    process.nextTick(() => {
      conn.corked = false;
      conn.sock.uncork();
    });
  }

  private onDrain(conn: Connection): void {
    if (conn !== this.conn) return;
    conn.waitingDrain = false;
    this.flush(conn);
  }

  /** While stopping: once nothing waits, end the socket and let the server close its side. */
  private endWhenFlushed(conn: Connection): void {
    if (conn.ending || !conn.ready || conn.waitingDrain || this.queue.length > 0) return;
    conn.ending = true;
    conn.sock.end();
  }

  private schedulePresence(conn: Connection): void {
    if (this.o.presenceIntervalMs <= 0) return;
    this.presenceTimer = this.o.connectionClock.setTimeout(() => {
      this.presenceTimer = undefined;
      if (conn !== this.conn) return;
      this.schedulePresence(conn);
      // Backed up, the server is not reading: another presence would only wait behind the rest.
      if (!conn.ready || conn.negotiating || conn.waitingDrain || conn.ending) return;
      this.writeRaw(conn, this.presenceXml());
    }, this.o.presenceIntervalMs);
  }

  private onPing(): void {
    const conn = this.conn;
    if (!conn || !conn.connected || conn.negotiating || conn.waitingDrain || conn.ending) return;
    this.writeRaw(conn, buildCot(pingEvent(this.uid)));
    this.c.pingsSent += 1;
    conn.pings.push(this.queue.lastSeq);
    if (conn.pings.length > MAX_OUTSTANDING_PINGS) conn.pings.shift();
  }

  private onDead(idleMs: number): void {
    const conn = this.conn;
    if (!conn) return;
    this.lose(conn, {
      code: TakClientErrorCode.KEEPALIVE_TIMEOUT,
      message: `nothing received from ${this.where} for ${Math.round(idleMs)} ms, pings unanswered: reconnecting`,
    });
  }

  // ---- receiving -------------------------------------------------------------------------------------------

  private onData(conn: Connection, chunk: Buffer): void {
    if (conn !== this.conn || conn.parser === undefined) return;
    this.c.bytesReceived += chunk.length;
    conn.receivedAny = true;
    this.keepalive.received();
    // The connection is still talking: whatever reached the kernel confirmAfterMs ago got through.
    if (this.queue.heldLength > 0) this.queue.confirmFlushedBefore(this.now() - this.o.confirmAfterMs);
    if (conn.head !== undefined && this.answeredInHttp(conn, chunk)) return;
    this.handleItems(conn, conn.parser.push(chunk), false);
  }

  /**
   * A web port (TAK Server's 8443 or 8446, a proxy) answers our CoT with an HTTP error and closes: say that,
   * not "closed the connection". Looks only at the first bytes of a connection.
   */
  private answeredInHttp(conn: Connection, chunk: Buffer): boolean {
    const earlier = conn.head as Buffer;
    const head = Buffer.concat([earlier, chunk.subarray(0, HTTP_HEAD.length)]);
    const compared = Math.min(head.length, HTTP_HEAD.length);
    if (head.subarray(0, compared).toString('latin1') !== HTTP_HEAD.slice(0, compared)) {
      conn.head = undefined; // not HTTP: never looked at again
      return false;
    }
    if (head.length < HTTP_HEAD.length) {
      conn.head = head;
      return false;
    }
    conn.head = undefined;
    const text = Buffer.concat([earlier, chunk.subarray(0, 80)]).toString('latin1');
    const statusLine = (text.split(/\r?\n/)[0] ?? '').trim();
    this.lose(conn, {
      code: TakClientErrorCode.HTTP_PORT,
      message: `${this.where} speaks HTTP, not CoT (it answered "${statusLine}"): check the port (TAK Server streams CoT on 8087 and 8088, TLS on 8089; 8443 and 8446 are its web ports)`,
    });
    return true;
  }

  private handleItems(conn: Connection, items: StreamItem[], ending: boolean): void {
    for (const item of items) {
      if (!ending && conn !== this.conn) return; // a listener stopped or restarted the client
      const quiet = this.halted;
      if (item.kind === 'event') {
        const { event } = item;
        const received: TakReceivedEvent =
          item.takproto === undefined ? { event, xml: item.xml } : new ReceivedProtobufEvent(item);
        if (isControlType(event.type)) {
          this.c.controlReceived += 1;
          if (!ending) this.negotiate(conn, event);
          if (conn !== this.conn && !ending) return;
          if (event.type === PONG_TYPE) {
            this.c.pongsReceived += 1;
            // The server read the ping, so everything written before it.
            const mark = conn.pings.shift();
            if (mark !== undefined) this.queue.confirmThrough(mark);
          }
          if (this.o.emitControl && !quiet) this.emit('control', received);
        } else {
          this.c.eventsReceived += 1;
          if (!quiet) this.emit('event', received);
        }
      } else if (item.kind === 'error') {
        this.c.parseErrors += 1;
        if (!quiet) this.emit('parseError', item.error);
      }
      // 'skip' items (an <auth> echo, noise between events) are nothing to report.
    }
  }

  // ---- negotiating ------------------------------------------------------------------------------------------

  /** Answers a server's protobuf offer, and takes its answer (see negotiation.ts). */
  private negotiate(conn: Connection, event: CotEvent): void {
    if (this.o.protocol !== 'negotiate' || conn.protocol !== 'xml') return;
    const offer = readOffer(event);
    if (offer !== undefined) {
      if (conn.offered || !offer.offersOurs) {
        if (offer.serverVersion !== undefined) this.setProtocol('xml', 'refused', offer.serverVersion);
        return;
      }
      conn.offered = true;
      this.writeRaw(conn, requestXml(this.uid, Date.now()));
      conn.negotiating = true;
      // The answer's last byte is the last XML one: the stream parser switches right after it.
      conn.parser?.switchToProtobufAfter((e) => e.type === RESPONSE_TYPE && readResponse(e) === true);
      this.negotiationTimer = this.o.connectionClock.setTimeout(() => {
        this.negotiationTimer = undefined;
        if (conn !== this.conn || !conn.negotiating) return;
        this.endNegotiation(conn, false, 'timeout');
      }, this.o.negotiationTimeoutMs);
      this.setProtocol('xml', 'offered', offer.serverVersion);
      return;
    }
    if (!conn.negotiating) return;
    const accepted = readResponse(event);
    if (accepted === undefined) return;
    this.clearTimer('negotiationTimer');
    this.endNegotiation(conn, accepted, accepted ? 'accepted' : 'refused');
  }

  private endNegotiation(conn: Connection, accepted: boolean, reason: TakProtocolChange['reason']): void {
    conn.negotiating = false;
    // Accepted: the parser already reads protobuf from the byte after the answer. Otherwise it stays XML.
    if (accepted) conn.protocol = 'protobuf';
    else conn.parser?.setMode('xml');
    this.setProtocol(conn.protocol, reason);
    if (conn === this.conn && conn.ready && !conn.waitingDrain) this.flush(conn);
  }

  // ---- losing ----------------------------------------------------------------------------------------------

  private closedInfo(conn: Connection): TakClientErrorInfo {
    return {
      code: TakClientErrorCode.CONNECTION_CLOSED,
      message: conn.connected
        ? `${this.where} closed the connection`
        : `${this.where} closed the connection while it was being set up`,
    };
  }

  /** TAK Server answers bad credentials by closing at once, without a word: say so plainly. */
  private refine(conn: Connection, info: TakClientErrorInfo): TakClientErrorInfo {
    const suspicious =
      info.code === TakClientErrorCode.CONNECTION_CLOSED || info.code === TakClientErrorCode.CONNECTION_RESET;
    if (
      suspicious &&
      conn.authSent &&
      !conn.receivedAny &&
      this.now() - conn.connectedAt <= AUTH_REJECT_WINDOW_MS
    ) {
      const refined: TakClientErrorInfo = {
        code: TakClientErrorCode.AUTH_REJECTED,
        message: `${this.where} closed the connection right after the login without a word: check the username and password`,
      };
      if (info.systemCode !== undefined) refined.systemCode = info.systemCode;
      return refined;
    }
    return info;
  }

  /** Removes our listeners and destroys the socket; resolves once it has closed. */
  private release(conn: Connection): Promise<void> {
    const { sock } = conn;
    for (const [name, listener] of conn.listeners) sock.removeListener(name, listener);
    conn.listeners.length = 0;
    if (conn.closed) return Promise.resolve();
    // Until it has closed, a late error on the dead socket must not become an uncaught exception.
    sock.on('error', noop);
    const closed = new Promise<void>((resolve) => {
      sock.once('close', () => {
        sock.removeListener('error', noop);
        conn.closed = true;
        resolve();
      });
    });
    sock.destroy();
    return closed;
  }

  private lose(conn: Connection, reason: TakClientErrorInfo): void {
    if (conn !== this.conn) return;
    if (this.stopping) {
      this.finishStop();
      return;
    }
    const info = conn.connected ? this.refine(conn, reason) : reason;
    this.conn = undefined;
    this.clearConnectionTimers();
    void this.release(conn);
    const back = this.queue.requeueHeld();
    this.c.requeued += back.requeued;
    this.c.coalesced += back.superseded;
    this.recordError(info);
    if (conn.parser) this.handleItems(conn, conn.parser.end(), true); // an event cut off by the loss
    if (conn.connected) {
      this.c.disconnects += 1;
      this.emit('disconnected', { reason: info.message, error: info });
    }
    if (!this.halted) this.setThrottling(false); // events wait for the connection now, not for the limit
    if (this.halted) {
      // A listener called stop() while no connection was current.
      this.finishStop();
      return;
    }
    if (conn.connected && this.now() - conn.connectedAt >= this.o.healthyAfterMs) this.backoff.reset();
    this.scheduleReconnect(info);
  }

  private recordError(info: TakClientErrorInfo): void {
    this.c.lastError = { code: info.code, message: info.message, at: Date.now() };
  }

  private scheduleReconnect(error: TakClientErrorInfo): void {
    const delayMs = this.backoff.next();
    this.reconnectTimer = this.o.connectionClock.setTimeout(() => this.connect(), delayMs);
    this.setState({ state: 'reconnecting', delayMs, error });
  }

  private finishStop(): void {
    const stopping = this.stopping;
    if (!stopping || this.current === 'stopped') return;
    this.clearTimer('reconnectTimer');
    this.clearTimer('stopTimer');
    this.clearConnectionTimers();
    const conn = this.conn;
    this.conn = undefined;
    this.setThrottling(false);
    const closed = conn ? this.release(conn) : Promise.resolve();
    // Written events are not dropped ones: the connection ended (cleanly, unless at the deadline).
    this.queue.forgetHeld();
    const left = this.queue.clear().length;
    if (left > 0) {
      this.c.dropped += left;
      this.emit('dropped', { count: left, reason: 'stopped' });
    }
    if (conn?.connected) {
      this.c.disconnects += 1;
      this.emit('disconnected', { reason: 'stopped' });
    }
    this.setState({ state: 'stopped' });
    void closed.then(() => {
      this.stopping = undefined;
      stopping.resolve();
    });
  }
}
