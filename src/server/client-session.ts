/**
 * One connected client: its socket, its own stream parser, its idle timer, its identity and its place in a
 * replay. The session turns socket events into calls on its handler (the server) and ignores every socket
 * event once it is closed, so a late event from a removed client can do nothing.
 */
import type net from 'node:net';
import tls from 'node:tls';
import { summarize, type CertificateSummary } from '../tls/certificate';
import { StreamParser, type StreamItem } from '../stream/stream-parser';
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
 * reading, or the server is closing.
 */
export type DisconnectReason = 'closed' | 'error' | 'idle' | 'slow' | 'shutdown';

export interface SessionHandler {
  /** Items parsed from the client's bytes, in stream order. */
  received(session: ClientSession, items: StreamItem[]): void;
  /** The client closed its side (or the socket closed without an error). */
  ended(session: ClientSession): void;
  /** The socket failed, or reading it threw. */
  failed(session: ClientSession, error: Error): void;
  /** Nothing received for idleTimeoutMs. */
  idle(session: ClientSession): void;
  /** The socket's queue emptied after a write that returned false. */
  drained(session: ClientSession): void;
}

export interface SessionLimits {
  maxEventBytes: number;
  idleTimeoutMs: number;
  maxQueueBytes: number;
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
  private readonly parser: StreamParser;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly socket: net.Socket,
    private readonly limits: SessionLimits,
    private readonly handler: SessionHandler,
    now: number,
  ) {
    this.parser = new StreamParser({ maxEventBytes: limits.maxEventBytes });
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
    if (this.limits.idleTimeoutMs > 0) {
      this.idleTimer = setTimeout(() => {
        if (!this.closed) this.handler.idle(this);
      }, this.limits.idleTimeoutMs);
    }
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.idleTimer?.refresh();
    let items: StreamItem[];
    try {
      items = this.parser.push(chunk);
    } catch (error) {
      // The parser reports bad input as items; a throw is a fault in it, and costs this client only.
      this.handler.failed(this, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (items.length > 0) this.handler.received(this, items);
  }

  private onEnd(): void {
    if (this.closed) return;
    const items = this.parser.end(); // an event cut off by the close comes out as ERR_STREAM_TRUNCATED
    if (items.length > 0) this.handler.received(this, items);
    if (!this.closed) this.handler.ended(this);
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
    const queued = socket.writableLength;
    if (queued > 0 && queued + bytes.length > this.limits.maxQueueBytes) return 'slow';
    socket.write(bytes);
    return 'sent';
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
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.replay = [];
    this.socket.destroy();
  }
}
