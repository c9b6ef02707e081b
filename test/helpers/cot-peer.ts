import { EventEmitter } from 'node:events';
import net from 'node:net';
import { StreamParser, type CotEvent } from '../../src/index';

/**
 * A TAK-server stand-in for node tests: accepts connections on 127.0.0.1, parses what each client sends
 * and can write raw bytes back. Emits 'connection' (socket), 'event' ({ event, xml, socket }),
 * 'close' (socket).
 */
export class CotPeer extends EventEmitter {
  readonly received: CotEvent[] = [];
  readonly sockets = new Set<net.Socket>();
  private server: net.Server | undefined;
  port = 0;

  async listen(port = 0): Promise<number> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    const parser = new StreamParser();
    socket.on('data', (chunk: Buffer) => {
      for (const item of parser.push(chunk)) {
        if (item.kind !== 'event') continue;
        this.received.push(item.event);
        this.emit('event', { event: item.event, xml: item.xml, socket });
      }
    });
    socket.on('error', () => {
      // the client went away; 'close' follows
    });
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.emit('close', socket);
    });
    this.emit('connection', socket);
  }

  /** Writes to every connected client. */
  broadcast(bytes: string | Buffer): void {
    for (const socket of this.sockets) socket.write(bytes);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
