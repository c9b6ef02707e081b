import { EventEmitter } from 'node:events';
import net from 'node:net';
import {
  buildCot,
  deleteEvent,
  PING_TYPE,
  pongEvent,
  StreamParser,
  type CotEvent,
  type CotShortInput,
  type StreamError,
} from '../../src/index';
import { TakClient, type TakClientOptions } from '../../src/client/tak-client';

/** What a fake server took in: the event, its XML and the connection it came on. */
export interface Received {
  event: CotEvent;
  xml: string;
  socket: net.Socket;
}

/**
 * Behaviours of real servers (docs/tak-protocol.md section 2), each switchable, so a test server acts like
 * the one the test is about.
 */
export interface FakeServerOptions {
  /** FreeTAKServer: the first event of a connection is its identity; the rest of that first read is thrown away. */
  identityFirstRead?: boolean;
  /** taky and FreeTAKServer: data events are stored and sent to each new connection, back to back in one write. */
  replay?: boolean;
  /** Send each data event to the other connections, never back to its sender. */
  broadcast?: boolean;
  /** TAK Server, taky, FreeTAKServer: answer t-x-c-t with a pong. */
  answerPings?: boolean;
  /** taky: malformed XML disconnects the client. Otherwise a bad event is skipped, as TAK Server does. */
  dropOnMalformed?: boolean;
  /** FreeTAKServer: tell the others with t-x-d-d when a client leaves. */
  announceLeave?: boolean;
  /** Written to each new connection at once, raw (garbage, broken events, anything). */
  greeting?: string;
  /** Read nothing from new connections (a server that stopped reading). */
  paused?: boolean;
  /** Keep every byte each connection sent, in `transcripts`. */
  record?: boolean;
}

/** A TAK-like server on 127.0.0.1, port 0 unless told, with a StreamParser per connection. */
export class FakeServer extends EventEmitter {
  readonly options: FakeServerOptions;
  /** Data events accepted, in order of arrival. */
  readonly received: Received[] = [];
  readonly pings: Received[] = [];
  /** FreeTAKServer: the identity of each connection, and what it threw away with it. */
  readonly identities: Received[] = [];
  readonly discarded: Received[] = [];
  /** Stream problems on the server side (bad events skipped). */
  readonly problems: StreamError[] = [];
  readonly sockets = new Set<net.Socket>();
  /** With `record`: what each connection sent, in order of connection. */
  readonly transcripts: string[] = [];
  private stored: string[] = [];
  connections = 0;
  private server: net.Server | undefined;
  private portNumber = 0;

  private constructor(options: FakeServerOptions) {
    super();
    this.options = options;
  }

  static async listen(options: FakeServerOptions = {}, port = 0): Promise<FakeServer> {
    const fake = new FakeServer(options);
    await fake.listenOn(port);
    return fake;
  }

  get port(): number {
    return this.portNumber;
  }

  /** Events stored for replay (taky keeps every non-stale one). */
  store(xml: string): void {
    this.stored.push(xml);
  }

  uids(): string[] {
    return this.received.map((r) => r.event.uid);
  }

  /** Stops listening and drops every connection, like a server process going away. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port, like the server coming back after a restart. */
  async reopen(): Promise<void> {
    await this.listenOn(this.portNumber);
  }

  resumeAll(): void {
    this.options.paused = false;
    for (const socket of this.sockets) socket.resume();
  }

  private async listenOn(port: number): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.portNumber = (server.address() as net.AddressInfo).port;
  }

  private accept(socket: net.Socket): void {
    this.connections += 1;
    this.sockets.add(socket);
    socket.on('error', () => {}); // resets are part of the tests
    const parser = new StreamParser();
    let awaitingIdentity = this.options.identityFirstRead === true;
    const transcript = this.transcripts.length;
    if (this.options.record) this.transcripts.push('');
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (this.options.announceLeave) {
        const gone = buildCot(deleteEvent({ uid: 'whoever' }));
        for (const other of this.sockets) other.write(gone);
      }
      this.emit('closed', socket);
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.options.record) this.transcripts[transcript] += chunk.toString('utf8');
      const items = parser.push(chunk);
      let identityThisRead = false;
      for (const item of items) {
        if (socket.destroyed) return;
        if (item.kind === 'error') {
          this.problems.push(item.error);
          this.emit('problem', item.error);
          if (this.options.dropOnMalformed) socket.destroy();
          continue;
        }
        if (item.kind !== 'event') continue;
        const received: Received = { event: item.event, xml: item.xml, socket };
        if (awaitingIdentity) {
          awaitingIdentity = false;
          identityThisRead = true;
          this.identities.push(received);
          this.emit('identity', received);
          continue;
        }
        if (identityThisRead) {
          this.discarded.push(received);
          this.emit('discarded', received);
          continue;
        }
        if (item.event.type === PING_TYPE) {
          this.pings.push(received);
          if (this.options.answerPings) socket.write(buildCot(pongEvent()));
          this.emit('ping', received);
          continue;
        }
        if (item.event.type.startsWith('t-x-c') || item.event.type.startsWith('t-x-takp')) continue;
        this.received.push(received);
        if (this.options.replay) this.stored.push(item.xml);
        if (this.options.broadcast) {
          for (const other of this.sockets) if (other !== socket) other.write(item.xml);
        }
        this.emit('event', received);
      }
    });
    if (this.options.greeting) socket.write(this.options.greeting);
    if (this.options.replay && this.stored.length > 0) socket.write(this.stored.join(''));
    if (this.options.paused) socket.pause();
    this.emit('connection', socket);
  }
}

/** A socket factory that records every socket it makes (so every attempt) and every write the client makes. */
export function recordingFactory(): {
  createSocket: NonNullable<TakClientOptions['createSocket']>;
  sockets: net.Socket[];
  /** Listener counts of each socket as created, before the client added any. */
  baselines: Map<net.Socket, Record<string, number>>;
  /** The data of every write() call, in order, across sockets. */
  writes: string[];
} {
  const sockets: net.Socket[] = [];
  const baselines = new Map<net.Socket, Record<string, number>>();
  const writes: string[] = [];
  return {
    sockets,
    baselines,
    writes,
    createSocket: (target) => {
      const socket = net.connect({ host: target.host, port: target.port });
      sockets.push(socket);
      baselines.set(socket, listenerCounts(socket));
      const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
      socket.write = ((...args: unknown[]) => {
        writes.push(String(args[0]));
        return write(...args);
      }) as typeof socket.write;
      return socket;
    },
  };
}

const WATCHED = ['connect', 'secureConnect', 'data', 'drain', 'end', 'error', 'close', 'timeout'];

export function listenerCounts(socket: net.Socket): Record<string, number> {
  return Object.fromEntries(WATCHED.map((name) => [name, socket.listenerCount(name)]));
}

/** A port nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Small timeouts for tests: everything happens in tens of milliseconds. */
export const FAST: Partial<TakClientOptions> = {
  connectTimeoutMs: 1_000,
  reconnectInitialMs: 20,
  reconnectMaxMs: 200,
  reconnectJitter: 0,
  identityGapMs: 30,
  flushTimeoutMs: 500,
  pingAfterIdleMs: 0,
  deadAfterIdleMs: 0,
  presenceIntervalMs: 0,
};

export const PRESENCE = { uid: 'takpak-test-client', callsign: 'TESTER' };

/** Clients made through here are stopped by stopAll(), whatever the test did. */
export class ClientPool {
  private readonly clients: TakClient[] = [];

  make(options: TakClientOptions): TakClient {
    const client = new TakClient(options);
    this.clients.push(client);
    return client;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((client) => client.stop()));
  }
}

/** A small valid event for the client to send; uids `<prefix>-<n>` so order can be checked. */
export function numbered(prefix: string, n: number, remarks?: string): CotShortInput {
  const input: CotShortInput = {
    uid: `${prefix}-${n}`,
    type: 'a-f-G-U-C',
    lat: 1,
    lon: 2,
    callsign: `${prefix}${n}`,
  };
  if (remarks !== undefined) input.remarks = remarks;
  return input;
}

/** The numbers of the `<prefix>-<n>` uids, in order. */
export function numbers(uids: string[], prefix: string): number[] {
  return uids
    .filter((uid) => uid.startsWith(`${prefix}-`))
    .map((uid) => Number(uid.slice(prefix.length + 1)));
}
