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
import { serializeEvent } from '../cot/serialize';
import { parseTime } from '../cot/time';
import type { StreamError } from '../stream/errors';
import type { StreamItem } from '../stream/stream-parser';
import { ClientSession, type ClientInfo, type DisconnectReason, type SessionHandler } from './client-session';
import { ServerError, ServerErrorCode } from './errors';
import { MetricsCounter, type ServerMetrics } from './metrics';
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

export interface ServerAddress {
  address: string;
  port: number;
}

export interface ServerEventPayload {
  event: CotEvent;
  /** The event's exact XML as the client sent it. */
  xml: string;
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

export interface SendTarget {
  uid?: string;
  callsign?: string;
}

type State = 'new' | 'starting' | 'listening' | 'closing' | 'closed';

const XML_DECLARATION = /^\uFEFF?\s*<\?xml[^>]*\?>\s*/;

export class CotServer extends EventEmitter {
  private readonly options: ResolvedOptions;
  private readonly sessions = new Map<string, ClientSession>();
  private readonly store: TrackStore;
  private readonly counters = new MetricsCounter();
  private server: net.Server | undefined;
  private state: State = 'new';
  private starting: Promise<unknown> | undefined;
  private closing: Promise<void> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Sessions written to in this turn of the event loop, uncorked together at its end. */
  private corked: ClientSession[] = [];
  private uncorkTimer: NodeJS.Immediate | undefined;
  /** Every raw connection, sessions or not: an injected TLS server's sockets still in the handshake too. */
  private readonly connections = new Set<net.Socket>();
  private nextId = 1;
  private readonly handler: SessionHandler = {
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
          `client ${session.id} sent nothing for ${this.options.idleTimeoutMs} ms and was disconnected`,
        ),
      ),
    drained: (session) => this.pumpReplay(session),
  };

  constructor(options: CotServerOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.store = new TrackStore(this.options.maxTracked, this.options.maxTrackedBytes);
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
    server.on('connection', (socket: net.Socket) => {
      this.connections.add(socket);
      socket.once('close', () => this.connections.delete(socket));
    });
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
    for (const socket of this.connections) socket.destroy(); // not a session yet (TLS handshake) or refused
    this.connections.clear();
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
    let event: CotEvent;
    let xml: string;
    if (typeof input === 'string') {
      xml = input.replace(XML_DECLARATION, '').trim();
      event = parseCot(xml);
    } else {
      event = toCotEvent(input);
      xml = serializeEvent(event);
    }
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
    const bytes = Buffer.from(xml, 'utf8');
    this.remember(event, bytes, dest);
    return this.deliver(bytes, dest, undefined);
  }

  clients(): ClientInfo[] {
    return [...this.sessions.values()].map((s) => s.info);
  }

  metrics(): ServerMetrics {
    return this.counters.snapshot(this.sessions.size, this.store.size);
  }

  private onConnection(socket: net.Socket): void {
    this.counters.add('connectionsReceived');
    if (this.state !== 'listening') {
      socket.destroy();
      return;
    }
    const id = `client-${this.nextId++}`;
    if (this.sessions.size >= this.options.maxClients) {
      this.counters.add('connectionsRefused');
      socket.on('error', () => undefined); // destroyed below; a reset racing the destroy is expected
      const client: ClientInfo = Object.freeze({
        id,
        remoteAddress: socket.remoteAddress ?? '',
        remotePort: socket.remotePort ?? 0,
        connectedAt: Date.now(),
      });
      socket.destroy();
      this.emit('clientError', {
        client,
        error: new ServerError(
          ServerErrorCode.FULL,
          `${this.options.maxClients} clients are connected (maxClients); the connection from ${client.remoteAddress}:${client.remotePort} was closed`,
        ),
      } satisfies ClientErrorPayload);
      return;
    }
    const session = new ClientSession(id, socket, this.options, this.handler, Date.now());
    this.sessions.set(id, session);
    session.start();
    this.emit('client', session.info);
    if (this.options.replay && !session.closed) {
      session.replay = this.store.uids();
      this.pumpReplay(session);
    }
  }

  /** Writes replay events until the socket pushes back, then carries on at 'drain'. */
  private pumpReplay(session: ClientSession): void {
    const uids = session.replay;
    if (uids.length === 0) return;
    const now = Date.now();
    // Bounded: every pass moves replayAt on by one.
    while (session.replayAt < uids.length && !session.closed) {
      const bytes = this.store.get(uids[session.replayAt++] as string, now);
      if (bytes === undefined) continue;
      const result = session.write(bytes);
      if (result === 'slow') {
        this.counters.add('dropped');
        this.dropSlow(session);
        return;
      }
      if (result === 'gone') break; // its close events remove it
      this.counters.add('messagesSent');
      if (session.needsDrain) return;
    }
    session.replay = [];
    session.replayAt = 0;
  }

  private onItems(session: ClientSession, items: StreamItem[]): void {
    for (const item of items) {
      if (session.closed) return; // a listener closed the server, or the client was dropped
      if (item.kind === 'event') this.onEvent(session, item.event, item.xml);
      else if (item.kind === 'error') {
        this.counters.add('parseErrors');
        this.emit('clientError', { client: session.info, error: item.error } satisfies ClientErrorPayload);
      }
      // 'skip': bytes between events that are not events (an <auth> element, noise); nothing to route.
    }
  }

  private onEvent(session: ClientSession, event: CotEvent, xml: string): void {
    this.counters.add('messagesReceived');
    const disposition = classify(event.type);
    if (disposition === 'ping') {
      if (session.write(Buffer.from(serializeEvent(pongEvent()), 'utf8')) === 'sent') {
        this.counters.add('messagesSent');
      }
      return;
    }
    if (disposition === 'control') return;
    this.learnIdentity(session, event);
    const bytes = Buffer.from(xml, 'utf8');
    const dest = destinations(event);
    this.remember(event, bytes, dest);
    this.deliver(bytes, dest, session);
    if (!session.closed)
      this.emit('event', { event, xml, client: session.info } satisfies ServerEventPayload);
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
  private remember(event: CotEvent, bytes: Buffer, dest: Destinations | undefined): void {
    if (dest !== undefined) return;
    const disposition = classify(event.type);
    if (disposition === 'delete') {
      for (const uid of deletedUids(event)) this.store.delete(uid);
    } else if (disposition === 'route') {
      this.store.put(event.uid, bytes, parseTime(event.stale), Date.now());
    }
  }

  /**
   * One write of the same Buffer per recipient: everyone but `from`, or only the clients `dest` names.
   * A recipient whose queue is full is dropped afterwards. Returns how many got it.
   */
  private deliver(bytes: Buffer, dest: Destinations | undefined, from: ClientSession | undefined): number {
    let sent = 0;
    let slow: ClientSession[] | undefined;
    for (const session of this.sessions.values()) {
      if (session === from) continue;
      if (dest !== undefined && !isNamed(dest, session.info.uid, session.info.callsign)) continue;
      if (!session.corked) this.cork(session);
      const result = session.write(bytes);
      if (result === 'sent') sent++;
      else if (result === 'slow') {
        this.counters.add('dropped');
        (slow ??= []).push(session);
      }
    }
    this.counters.add('messagesSent', sent);
    for (const session of slow ?? []) this.dropSlow(session);
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

  private dropSlow(session: ClientSession): void {
    this.remove(
      session,
      'slow',
      new ServerError(
        ServerErrorCode.SLOW_CLIENT,
        `client ${session.id} stopped reading: ${session.socket.writableLength} bytes unsent, and the next event would pass maxQueueBytes ${this.options.maxQueueBytes}; it was disconnected`,
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
    if (reason === 'idle' || reason === 'slow') this.counters.add('clientsDropped');
    const client = session.info;
    if (error !== undefined) this.emit('clientError', { client, error } satisfies ClientErrorPayload);
    const identity = session.identity;
    if (identity !== undefined && reason !== 'shutdown' && !this.uidConnected(identity.uid)) {
      this.store.delete(identity.uid);
      const gone = serializeEvent(deleteEvent({ uid: identity.uid, type: identity.type }));
      this.deliver(Buffer.from(gone, 'utf8'), undefined, undefined);
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
