import net from 'node:net';
import { buildCot, pongEvent, StreamParser } from '../../src/index';

/** Events kept for one client while it is away; past this the server drops the oldest and counts them. */
const MAILBOX_LIMIT = 100_000;

/**
 * A TAK server for the soak that can be made to misbehave: it routes each parsed event from one client to
 * the others and answers pings, like the real ones, and on command it stops, restarts on the same port,
 * stops reading a client, goes silent on it (half-open), or writes garbage and oversized events into a
 * client's stream between two events.
 *
 * Unlike a plain TAK server it keeps what it could not deliver to a known client (by the uid of its first
 * event) until that client is back, as if it had persistent subscriptions: the soak measures what our
 * client and nodes lose, and a server that forgets events while a receiver reconnects would hide that.
 */
export class FaultServer {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly identity = new Map<net.Socket, string>();
  private readonly mailbox = new Map<string, string[]>();
  mailboxDropped = 0;
  /** Sockets that are kept open but neither read nor answered: a half-open connection. */
  private readonly silenced = new WeakSet<net.Socket>();
  port = 0;
  connections = 0;
  restarts = 0;
  injectedGarbage = 0;
  injectedOversize = 0;

  async start(port = this.port): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }

  private accept(socket: net.Socket): void {
    this.connections++;
    this.sockets.add(socket);
    const parser = new StreamParser();
    socket.on('data', (chunk: Buffer) => {
      if (this.silenced.has(socket)) return;
      for (const item of parser.push(chunk)) {
        if (item.kind !== 'event') continue;
        if (item.event.type === 't-x-c-t') {
          socket.write(buildCot(pongEvent()));
          continue;
        }
        if (!this.identity.has(socket)) {
          this.identify(socket, item.event.uid);
          continue;
        }
        this.route(socket, item.xml);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.identity.delete(socket);
    });
  }

  /** Whether a client has named itself with this uid (since the server started; restarts keep the names). */
  knows(uid: string): boolean {
    return this.mailbox.has(uid);
  }

  /** A client's first event names it; what waited for it goes out now, in order. */
  private identify(socket: net.Socket, uid: string): void {
    this.identity.set(socket, uid);
    const waiting = this.mailbox.get(uid) ?? [];
    this.mailbox.set(uid, []);
    for (const xml of waiting) socket.write(xml);
  }

  private route(from: net.Socket, xml: string): void {
    const sender = this.identity.get(from);
    for (const uid of this.mailbox.keys()) {
      if (uid === sender) continue;
      // Every connection of that uid gets it, as on a real server: during a redeploy the old connection,
      // still closing, and the new one are both there, and only the new one still hands events to a flow.
      let written = false;
      for (const [socket, id] of this.identity) {
        if (id !== uid || this.silenced.has(socket)) continue;
        socket.write(xml);
        written = true;
      }
      if (written) continue;
      const box = this.mailbox.get(uid) as string[];
      box.push(xml);
      if (box.length > MAILBOX_LIMIT) {
        box.shift();
        this.mailboxDropped++;
      }
    }
  }

  /** Kills the server and every connection; `restart()` brings it back on the same port. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.identity.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async restart(): Promise<void> {
    await this.start(this.port);
    this.restarts++;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Stops reading every connection for `ms`: the clients' writes back up. */
  pauseReading(ms: number): void {
    const paused = [...this.sockets];
    for (const socket of paused) socket.pause();
    setTimeout(() => {
      for (const socket of paused) if (!socket.destroyed) socket.resume();
    }, ms).unref();
  }

  /** Makes every connection half-open: kept, never read or answered again. The client must notice by itself. */
  silenceAll(): void {
    for (const socket of this.sockets) {
      this.silenced.add(socket);
      socket.pause();
    }
  }

  /** Garbage bytes into every client's stream, between two events. */
  injectGarbage(): void {
    const garbage = Buffer.from('\u0000\u00ff<<not xml>> "\' <!-- <?x ', 'latin1');
    for (const socket of this.sockets) if (!this.silenced.has(socket)) socket.write(garbage);
    this.injectedGarbage++;
  }

  /** An event over the receivers' size cap into every client's stream. */
  injectOversize(bytes: number): void {
    const event = buildCot({ uid: 'oversize', type: 'a-f-G', lat: 0, lon: 0, remarks: 'x'.repeat(bytes) });
    for (const socket of this.sockets) if (!this.silenced.has(socket)) socket.write(event);
    this.injectedOversize++;
  }
}
