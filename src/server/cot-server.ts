/**
 * A TCP CoT server as TAK users know them (taky, FreeTAKServer's 8087): every event from a client goes to
 * every other client, or only to the clients its `<marti><dest>` names; pings get a pong; control types are
 * consumed; a new client gets the latest event of every tracked uid; a client that leaves is announced to
 * the others with a `t-x-d-d`.
 *
 * Events: 'listening' ({address, port}), 'client' (ClientInfo), 'identified' (ClientInfo),
 * 'disconnect' ({client, reason, error?}), 'event' ({event, xml, client}), 'clientError' ({client, error}),
 * 'error' (Error: listener errors; a failed listen() rejects and also emits 'error' when someone listens for it,
 * so a caller that only awaits listen() gets no unhandled 'error' and one that only listens gets it too).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { toCotEvent } from '../cot/build';
import { deleteEvent, pongEvent } from '../cot/helpers';
import type { CotEvent, CotInput } from '../cot/model';
import { parseCot } from '../cot/parse';
import { parseTime } from '../cot/time';
import type { StreamError } from '../stream/errors';
import type { StreamItem } from '../stream/stream-parser';
import {
  ClientSession,
  type ClientInfo,
  type DisconnectReason,
  type SessionHandler,
  type SlowVerdict,
} from './client-session';
import { ServerError, ServerErrorCode } from './errors';
import { MetricsCounter, type ServerMetrics } from './metrics';
import { offerXml, readRequest, responseXml } from './negotiation';
import { OutgoingEvent, type EncodeCounts, type WireFormat } from './outgoing-event';
import { resolveOptions, type CotServerOptions, type ResolvedOptions } from './options';
import {
  classify,
  deletedUids,
  destinations,
  destinationsOf,
  identityChanged,
  identityFrom,
  isNamed,
  type Destinations,
} from './routing';
import { TrackStore } from './track-store';

export type { ClientInfo, DisconnectReason } from './client-session';
export type { CotServerOptions } from './options';
export type { ServerMetrics } from './metrics';
export type { WireFormat } from './outgoing-event';

/** What the offer announces as the server's version (TakServerVersionInfo serverVersion). */
export const SERVER_VERSION_INFO = 'takpak tak-server';

export interface ServerAddress {
  address: string;
  port: number;
}

export interface ServerEventPayload {
  event: CotEvent;
  /** The event's exact XML as the client sent it; from a protobuf client, XML built from the model when first read. */
  readonly xml: string;
  /** The TAK Protocol stream frame as the client sent it, when it speaks protobuf. */
  takproto?: Buffer;
  client: ClientInfo;
}

export interface DisconnectPayload {
  client: ClientInfo;
  reason: DisconnectReason;
  /** Set when reason is 'error', 'idle' or 'slow'. */
  error?: Error;
}

export interface ClientErrorPayload {
  client: ClientInfo;
  /** ServerError (ERR_SERVER_*) or the parser's StreamError (ERR_STREAM_*, ERR_COT_*). */
  error: ServerError | StreamError;
}

/** A client switched wire format (only ever from XML to protobuf, after it asked and was answered yes). */
export interface ProtocolPayload {
  client: ClientInfo;
  format: WireFormat;
}

/** An event that could not be written as protobuf (a time or value the format cannot hold): XML clients got it. */
export interface EncodeErrorPayload {
  event: CotEvent;
  error: Error;
}

export interface SendTarget {
  uid?: string;
  callsign?: string;
}

type State = 'new' | 'starting' | 'listening' | 'closing' | 'closed';

const XML_DECLARATION = /^\uFEFF?\s*<\?xml[^>]*\?>\s*/;

/** A raw connection: what the limits count, from accept to close. */
interface Connection {
  id: string;
  socket: net.Socket;
  address: string;
  peer: string;
  /** Clock time it was accepted. */
  at: number;
  /** Set once it is a session (at once on TCP, after the handshake on TLS). */
  session?: ClientSession;
  /** The first-event deadline's timer. */
  deadline?: unknown;
}

function describePeer(address: string, port: number | undefined): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port ?? 0}`;
}

function describe(client: ClientInfo): string {
  const who = client.callsign ?? client.uid;
  const where = describePeer(client.remoteAddress, client.remotePort);
  return who === undefined ? `${client.id} (${where})` : `${client.id} ${who} (${where})`;
}

function peerOf(socket: net.Socket): string {
  return `${socket.remoteAddress ?? ''}|${socket.remotePort ?? 0}`;
}

/** A connection that never became a session, as a client for 'clientError'. */
function provisional(id: string, socket: net.Socket): ClientInfo {
  return Object.freeze({
    id,
    remoteAddress: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
    connectedAt: Date.now(),
  });
}

export class CotServer extends EventEmitter {
  private readonly options: ResolvedOptions;
  private readonly sessions = new Map<string, ClientSession>();
  private readonly store: TrackStore<OutgoingEvent>;
  /** Encodings made for recipients, per format (the forms events arrived in are not counted). */
  private readonly encodes: EncodeCounts = { xml: 0, protobuf: 0 };
  private readonly counters = new MetricsCounter();
  private server: net.Server | undefined;
  private state: State = 'new';
  private starting: Promise<unknown> | undefined;
  private closing: Promise<void> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Sessions written to in this turn of the event loop, uncorked together at its end. */
  private corked: ClientSession[] = [];
  private uncorkTimer: NodeJS.Immediate | undefined;
  /**
   * Every raw connection, sessions or not: an injected TLS server's sockets still in the handshake too. They
   * are what maxClients and maxClientsPerAddress count; insertion order is age order, for eviction.
   */
  private readonly connections = new Map<net.Socket, Connection>();
  /** The same connections by `address|port`, which a TLS socket shares with the raw socket under it. */
  private readonly byPeer = new Map<string, Connection>();
  private readonly perAddress = new Map<string, number>();
  /** The connections that have sent no complete event yet, oldest first: who makes room when full. */
  private readonly silent = new Set<Connection>();
  private nextId = 1;
  private readonly handler: SessionHandler = {
    spoke: (session) => {
      const connection = this.connectionOf(session);
      if (connection) this.silent.delete(connection);
    },
    received: (session, items) => this.onItems(session, items),
    ended: (session) => this.remove(session, 'closed'),
    failed: (session, error) =>
      this.remove(
        session,
        'error',
        new ServerError(ServerErrorCode.SOCKET, `client ${session.id}: ${error.message}`, { cause: error }),
      ),
    idle: (session) =>
      this.remove(
        session,
        'idle',
        new ServerError(
          ServerErrorCode.IDLE,
          `client ${describe(session.info)} sent no event (not even a ping) for ${this.options.idleTimeoutMs} ms and was disconnected`,
        ),
      ),
    eventTimeout: (session, ms) =>
      this.remove(
        session,
        'deadline',
        new ServerError(
          ServerErrorCode.EVENT_TIMEOUT,
          `client ${describe(session.info)} began an event ${ms} ms ago and has not finished it (eventTimeoutMs ${this.options.eventTimeoutMs}); it was disconnected`,
        ),
      ),
    slow: (session, verdict) => this.dropSlow(session, verdict),
    throttled: () => this.counters.add('throttled'),
    drained: (session) => this.pumpReplay(session),
  };

  constructor(options: CotServerOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.store = new TrackStore<OutgoingEvent>(this.options.maxTracked, this.options.maxTrackedBytes);
  }

  /**
   * Starts listening; rejects with the listener's error (EADDRINUSE...), which is also emitted as 'error' when
   * there is a listener for it. After a failure listen() may be tried again.
   */
  listen(): Promise<ServerAddress> {
    if (this.state !== 'new') {
      return Promise.reject(
        new ServerError(
          ServerErrorCode.STATE,
          `listen() called on a server that is ${this.state}; create a new CotServer`,
        ),
      );
    }
    this.state = 'starting';
    const create =
      this.options.createServer ?? ((onConnection) => net.createServer({ noDelay: true }, onConnection));
    const server = create((socket) => this.onConnection(socket));
    this.server = server;
    // First of the 'connection' listeners: a refused socket is closed before a TLS server starts a handshake.
    server.prependListener('connection', (socket: net.Socket) => this.admit(socket));
    const started = new Promise<ServerAddress>((resolve, reject) => {
      const onError = (error: Error): void => {
        server.off('listening', onListening);
        this.server = undefined;
        this.state = 'new';
        reject(error);
        if (this.listenerCount('error') > 0) this.emit('error', error);
      };
      const onListening = (): void => {
        server.off('error', onError);
        server.on('error', (error: Error) => this.emit('error', error));
        const address = server.address();
        const where: ServerAddress =
          typeof address === 'object' && address !== null
            ? { address: address.address, port: address.port }
            : { address: String(address), port: this.options.port };
        this.state = 'listening';
        this.sweepTimer = setInterval(() => this.store.sweep(Date.now()), this.options.staleSweepMs);
        this.emit('listening', where);
        resolve(where);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(this.options.port, this.options.host);
    });
    this.starting = started.catch(() => undefined);
    return started;
  }

  /** Ends every client, clears every timer; resolves when the listener is closed. Safe to call more than once. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    if (this.state === 'starting') await this.starting;
    this.state = 'closing';
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.flushCorked();
    for (const session of [...this.sessions.values()]) this.remove(session, 'shutdown');
    for (const connection of this.connections.values()) this.forget(connection);
    this.connections.clear();
    this.silent.clear();
    this.byPeer.clear();
    this.perAddress.clear();
    this.store.clear();
    const server = this.server;
    this.server = undefined;
    if (server?.listening) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    this.state = 'closed';
  }

  /**
   * Sends from the flow: to every client, to the clients `to` names (uid or callsign), or, without `to`, to
   * those the event's `<marti><dest>` names. Returns how many clients got it. A string must be one CoT event;
   * anything else is built with buildCot. Throws CotError for an invalid event, ServerError for a bad `to`.
   */
  send(input: string | CotInput, to?: SendTarget): number {
    let outgoing: OutgoingEvent;
    if (typeof input === 'string') {
      const xml = input.replace(XML_DECLARATION, '').trim();
      outgoing = new OutgoingEvent(parseCot(xml), this.encodes, xml);
    } else {
      outgoing = new OutgoingEvent(toCotEvent(input), this.encodes);
    }
    const event = outgoing.event;
    let dest: Destinations | undefined;
    if (to !== undefined) {
      dest = destinationsOf(to);
      if (dest.uids.length === 0 && dest.callsigns.length === 0) {
        throw new ServerError(
          ServerErrorCode.INPUT,
          'send() was given a target with neither uid nor callsign; leave it out to send to every client',
        );
      }
    } else {
      dest = destinations(event);
    }
    if (this.state !== 'listening') return 0;
    this.remember(outgoing, dest);
    return this.deliver(outgoing, dest, undefined);
  }

  /** How many clients read each wire format now. */
  formats(): Record<WireFormat, number> {
    const counts: Record<WireFormat, number> = { xml: 0, protobuf: 0 };
    for (const session of this.sessions.values()) counts[session.format]++;
    return counts;
  }

  /** Encodings made for recipients since the start, per format: at most one per event and format. */
  encodings(): EncodeCounts {
    return { ...this.encodes };
  }

  clients(): ClientInfo[] {
    return [...this.sessions.values()].map((s) => s.info);
  }

  metrics(): ServerMetrics {
    return this.counters.snapshot(this.sessions.size, this.store.size, this.connections.size);
  }

  /**
   * Every TCP connection, before anything else reads it: counted against maxClients and its address's
   * maxClientsPerAddress, TLS handshakes included, and given its first-event deadline. When the server is
   * full, the oldest connection that has not sent a complete event yet makes room for it.
   */
  private admit(socket: net.Socket): void {
    socket.on('error', () => undefined); // its session reports errors; before that, a reset is just a close
    if (this.state !== 'listening') {
      socket.destroy();
      return;
    }
    const address = socket.remoteAddress ?? '';
    const peer = `${address}|${socket.remotePort ?? 0}`;
    const id = `client-${this.nextId++}`;
    const refuse = (code: ServerErrorCode, message: string): void => {
      this.counters.add('connectionsReceived');
      this.counters.add('connectionsRefused');
      socket.destroy();
      this.report(provisional(id, socket), new ServerError(code, message));
    };
    if ((this.perAddress.get(address) ?? 0) >= this.options.maxClientsPerAddress) {
      refuse(
        ServerErrorCode.ADDRESS_FULL,
        `${this.options.maxClientsPerAddress} connections from ${address} are open (maxClientsPerAddress); the connection from ${describePeer(address, socket.remotePort)} was closed`,
      );
      return;
    }
    if (this.connections.size >= this.options.maxClients && !this.evictSilent()) {
      refuse(
        ServerErrorCode.FULL,
        `${this.options.maxClients} clients are connected (maxClients), each has sent events; the connection from ${describePeer(address, socket.remotePort)} was closed`,
      );
      return;
    }
    const connection: Connection = { id, socket, address, peer, at: this.options.clock.now() };
    this.connections.set(socket, connection);
    this.byPeer.set(peer, connection);
    this.silent.add(connection);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    socket.once('close', () => this.forget(connection));
    if (this.options.firstEventTimeoutMs > 0) {
      connection.deadline = this.options.clock.setTimeout(
        () => this.missedFirstEvent(connection),
        this.options.firstEventTimeoutMs,
      );
    }
  }

  /** Closes the oldest connection that has sent no complete event, to make room; false when there is none. */
  private evictSilent(): boolean {
    for (const connection of this.silent) {
      const message = `the server was full (maxClients ${this.options.maxClients}) and this connection had sent no event in ${Math.round(this.options.clock.now() - connection.at)} ms: it was closed to admit a new one`;
      this.closeConnection(connection, 'evicted', ServerErrorCode.EVICTED, message);
      return true;
    }
    return false;
  }

  private missedFirstEvent(connection: Connection): void {
    connection.deadline = undefined;
    if (connection.session?.hasSentEvent === true || !this.connections.has(connection.socket)) return;
    const what = connection.session ? 'sent no complete event' : 'did not finish the TLS handshake';
    const message = `${what} within ${this.options.firstEventTimeoutMs} ms of connecting (firstEventTimeoutMs); it was closed`;
    this.closeConnection(connection, 'deadline', ServerErrorCode.FIRST_EVENT, message);
  }

  /** Closes a connection for a reason of ours: through its session when it has one, else the raw socket. */
  private closeConnection(
    connection: Connection,
    reason: DisconnectReason,
    code: ServerErrorCode,
    message: string,
  ): void {
    const session = connection.session;
    if (session && !session.closed) {
      this.remove(session, reason, new ServerError(code, `client ${describe(session.info)} ${message}`));
    } else {
      this.report(
        provisional(connection.id, connection.socket),
        new ServerError(code, `${describePeer(connection.address, connection.socket.remotePort)} ${message}`),
      );
    }
    this.forget(connection);
  }

  private forget(connection: Connection): void {
    if (connection.deadline !== undefined) this.options.clock.clearTimeout(connection.deadline);
    connection.deadline = undefined;
    connection.socket.destroy();
    this.silent.delete(connection);
    if (!this.connections.delete(connection.socket)) return;
    if (this.byPeer.get(connection.peer) === connection) this.byPeer.delete(connection.peer);
    const left = (this.perAddress.get(connection.address) ?? 1) - 1;
    if (left > 0) this.perAddress.set(connection.address, left);
    else this.perAddress.delete(connection.address);
  }

  private connectionOf(session: ClientSession): Connection | undefined {
    return this.connections.get(session.socket) ?? this.byPeer.get(peerOf(session.socket));
  }

  /** Every refusal and drop goes out as 'clientError' and is counted by its code. */
  private report(client: ClientInfo, error: ServerError | StreamError): void {
    this.counters.addCode(error.code);
    this.emit('clientError', { client, error } satisfies ClientErrorPayload);
  }

  private onConnection(socket: net.Socket): void {
    if (this.state !== 'listening' || socket.destroyed) {
      socket.destroy(); // refused in admit() (and counted there), or the server is closing
      return;
    }
    this.counters.add('connectionsReceived');
    const connection = this.byPeer.get(`${socket.remoteAddress ?? ''}|${socket.remotePort ?? 0}`);
    if (connection === undefined) {
      socket.destroy(); // its raw connection was closed meanwhile (evicted, deadline)
      return;
    }
    const session = new ClientSession(connection.id, socket, this.options, this.handler, Date.now());
    connection.session = session;
    this.sessions.set(session.id, session);
    session.start();
    this.emit('client', session.info);
    if (session.closed) return;
    if (this.options.offerTakProtocol) {
      session.write(Buffer.from(offerXml(SERVER_VERSION_INFO, Date.now()), 'utf8'));
      if (this.options.replay && this.options.replayHoldMs > 0) {
        session.replayHeld = true;
        const now = Date.now();
        session.replaySnapshot = new Map(this.store.uids().map((uid) => [uid, this.store.get(uid, now)]));
        session.replayTimer = this.options.clock.setTimeout(() => {
          session.replayTimer = undefined;
          this.startReplay(session);
        }, this.options.replayHoldMs);
        return;
      }
    }
    if (this.options.replay) this.startReplay(session);
  }

  /** The latest event of every tracked uid, in the format the client reads now. Once per client. */
  private startReplay(session: ClientSession): void {
    if (session.replayTimer !== undefined) this.options.clock.clearTimeout(session.replayTimer);
    session.replayTimer = undefined;
    session.replayHeld = false;
    if (session.closed || !this.options.replay || session.replayed) return;
    session.replayed = true;
    session.replay = session.replaySnapshot ? [...session.replaySnapshot.keys()] : this.store.uids();
    this.pumpReplay(session);
  }

  /** Writes replay events until the socket pushes back, then carries on at 'drain'. */
  private pumpReplay(session: ClientSession): void {
    const uids = session.replay;
    if (uids.length === 0) return;
    const now = Date.now();
    // Bounded: every pass moves replayAt on by one.
    while (session.replayAt < uids.length && !session.closed) {
      const uid = uids[session.replayAt++] as string;
      const stored = this.store.get(uid, now);
      if (stored === undefined || stored.from === session.id) continue;
      // Held replay: a track updated since the client connected already reached it live.
      if (session.replaySnapshot !== undefined && session.replaySnapshot.get(uid) !== stored) continue;
      const bytes = this.bytesFor(stored, session.format);
      if (bytes === undefined) continue;
      const result = session.write(bytes);
      if (result === 'slow') {
        this.counters.add('dropped'); // it is dropped at the verdict; the replay ends here
        session.replay = [];
        session.replayAt = 0;
        return;
      }
      if (result === 'gone') break; // its close events remove it
      this.counters.add('messagesSent');
      if (session.needsDrain) return;
    }
    session.replay = [];
    session.replayAt = 0;
    session.replaySnapshot = undefined;
  }

  private onItems(session: ClientSession, items: StreamItem[]): void {
    for (const item of items) {
      if (session.closed) return; // a listener closed the server, or the client was dropped
      if (item.kind === 'event') this.onEvent(session, item);
      else if (item.kind === 'error') {
        this.counters.add('parseErrors');
        this.report(session.info, item.error);
      }
      // 'skip': bytes between events that are not events (an <auth> element, noise); nothing to route.
    }
  }

  private onEvent(session: ClientSession, item: Extract<StreamItem, { kind: 'event' }>): void {
    this.counters.add('messagesReceived');
    const event = item.event;
    const disposition = classify(event.type);
    if (disposition === 'ping') {
      const pong = this.bytesFor(new OutgoingEvent(pongEvent(), this.encodes), session.format);
      if (pong !== undefined && session.write(pong) === 'sent') this.counters.add('messagesSent');
      return;
    }
    if (disposition === 'control') {
      this.negotiate(session, event);
      return;
    }
    this.learnIdentity(session, event);
    // From an XML client its text as received; from a protobuf client its frame as received, XML only if asked.
    const outgoing =
      item.takproto === undefined
        ? new OutgoingEvent(event, this.encodes, item.xml)
        : new OutgoingEvent(event, this.encodes, undefined, item.takproto);
    outgoing.from = session.id;
    const dest = destinations(event);
    this.remember(outgoing, dest);
    this.deliver(outgoing, dest, session);
    if (!session.closed) {
      const payload = {
        event,
        get xml(): string {
          return outgoing.xml;
        },
        client: session.info,
      } as ServerEventPayload;
      if (item.takproto !== undefined) payload.takproto = item.takproto;
      this.emit('event', payload);
    }
  }

  /**
   * A client's `t-x-takp-q`: answered in XML (the connection is XML until the answer), yes when the offer is
   * on and it asks for version 1; on yes both directions switch to protobuf after the answer. Other control
   * events, and a request from a client already on protobuf, are consumed.
   */
  private negotiate(session: ClientSession, event: CotEvent): void {
    const request = readRequest(event);
    if (request === undefined || session.format !== 'xml') return;
    const accepted = request && this.options.offerTakProtocol;
    session.write(Buffer.from(responseXml(accepted, Date.now()), 'utf8'));
    if (accepted && !session.closed) {
      const left = session.switchToProtobuf();
      this.emit('protocol', { client: session.info, format: session.format } satisfies ProtocolPayload);
      if (left.length > 0) this.onItems(session, left);
    }
    if (session.replayHeld) this.startReplay(session);
  }

  /** The event's bytes in `format`; undefined (counted by its code) when it cannot be written so. */
  private bytesFor(outgoing: OutgoingEvent, format: WireFormat): Buffer | undefined {
    const known = outgoing.encodeError() !== undefined;
    const bytes = outgoing.bytes(format);
    const error = outgoing.encodeError();
    if (bytes === undefined && !known && error !== undefined) {
      const code = (error as { code?: unknown }).code;
      this.counters.addCode(typeof code === 'string' ? code : 'ERR_TAKPROTO_ENCODE');
      this.emit('encodeError', { event: outgoing.event, error } satisfies EncodeErrorPayload);
    }
    return bytes;
  }

  private learnIdentity(session: ClientSession, event: CotEvent): void {
    const before = session.identity;
    if (before !== undefined && before.uid !== event.uid) return;
    const identity = identityFrom(event);
    if (identity === undefined) return;
    // A later event of the same uid updates what it carries and keeps the rest (an SA without contact keeps the callsign).
    const next = before === undefined ? identity : { ...before, ...identity, type: before.type };
    if (before !== undefined && !identityChanged(before, next)) return;
    session.setIdentity(next);
    this.emit('identified', session.info);
  }

  /** Updates the replay store: deletes remove what they link, undirected routed events are kept. */
  private remember(outgoing: OutgoingEvent, dest: Destinations | undefined): void {
    if (dest !== undefined) return;
    const event = outgoing.event;
    const disposition = classify(event.type);
    if (disposition === 'delete') {
      for (const uid of deletedUids(event)) this.store.delete(uid);
    } else if (disposition === 'route') {
      this.store.put(event.uid, outgoing, parseTime(event.stale), Date.now());
    }
  }

  /**
   * One write per recipient of the same Buffer for its format: everyone but `from`, or only the clients
   * `dest` names. A recipient whose queue is full is dropped afterwards. Returns how many got it.
   */
  private deliver(
    outgoing: OutgoingEvent,
    dest: Destinations | undefined,
    from: ClientSession | undefined,
  ): number {
    let sent = 0;
    for (const session of this.sessions.values()) {
      if (session === from) continue;
      if (dest !== undefined && !isNamed(dest, session.info.uid, session.info.callsign)) continue;
      const bytes = this.bytesFor(outgoing, session.format);
      if (bytes === undefined) continue;
      if (!session.corked) this.cork(session);
      const result = session.write(bytes);
      if (result === 'sent') sent++;
      else if (result === 'slow') this.counters.add('dropped');
    }
    this.counters.add('messagesSent', sent);
    return sent;
  }

  /**
   * Write batching: a recipient is corked at its first delivery in a turn of the event loop and uncorked by
   * one setImmediate after the poll phase, so the events of every client read in that turn reach it in one
   * writev (one syscall and, on a busy server, far fewer TCP segments) instead of one write each. It costs no
   * latency: the immediate runs as soon as this turn's I/O callbacks are done.
   */
  private cork(session: ClientSession): void {
    session.cork();
    this.corked.push(session);
    this.uncorkTimer ??= setImmediate(() => this.flushCorked());
  }

  private flushCorked(): void {
    if (this.uncorkTimer !== undefined) clearImmediate(this.uncorkTimer);
    this.uncorkTimer = undefined;
    const sessions = this.corked;
    this.corked = [];
    for (const session of sessions) session.uncork();
  }

  private dropSlow(session: ClientSession, verdict: SlowVerdict): void {
    const why =
      verdict.took === 0
        ? `stopped reading, or reads very slowly (it took none of its ${verdict.unsent} unsent bytes in ${Math.round(verdict.ms)} ms)`
        : `reads, but slower than events are sent to it (it took ${verdict.took} bytes in ${Math.round(verdict.ms)} ms while ${verdict.refused} events did not fit)`;
    this.remove(
      session,
      'slow',
      new ServerError(
        ServerErrorCode.SLOW_CLIENT,
        `client ${describe(session.info)} ${why}, and the next event would pass maxQueueBytes ${this.options.maxQueueBytes}; it was disconnected (raise maxQueueBytes for a slow link)`,
      ),
    );
  }

  /**
   * Removes a client once: socket destroyed, timers off. Unless the server is closing, its own SA is
   * forgotten and the others get a `t-x-d-d` for its uid (when no other connection speaks for that uid).
   */
  private remove(session: ClientSession, reason: DisconnectReason, error?: ServerError): void {
    if (session.closed) return;
    session.close();
    this.sessions.delete(session.id);
    if (reason !== 'closed' && reason !== 'error' && reason !== 'shutdown')
      this.counters.add('clientsDropped');
    const client = session.info;
    if (error !== undefined) this.report(client, error);
    const connection = this.connectionOf(session);
    if (connection) this.forget(connection);
    const identity = session.identity;
    if (identity !== undefined && reason !== 'shutdown' && !this.uidConnected(identity.uid)) {
      this.store.delete(identity.uid);
      const gone = new OutgoingEvent(deleteEvent({ uid: identity.uid, type: identity.type }), this.encodes);
      this.deliver(gone, undefined, undefined);
    }
    const payload: DisconnectPayload = { client, reason };
    if (error !== undefined) payload.error = error;
    this.emit('disconnect', payload);
  }

  private uidConnected(uid: string): boolean {
    for (const session of this.sessions.values()) if (session.identity?.uid === uid) return true;
    return false;
  }
}
