import net from 'node:net';
import { TAKPROTO_MAGIC, unframeTakMessage } from '../takproto/frame';
import { readDatagram, type MeshReceived } from './mesh-datagram';
import { DIRECT_READ_TIMEOUT_MS, DIRECT_SEND_TIMEOUT_MS, MAX_DIRECT_CONNECTIONS } from './mesh-defaults';
import { MeshError, MeshErrorCode } from './mesh-errors';
import { frameMesh } from '../takproto/frame';

export interface DirectListenerOptions {
  address: string;
  port: number;
  maxBytes: number;
  maxDepth?: number;
  onEvent(received: MeshReceived, from: string): void;
  onBad(error: MeshError, from: string): void;
}

/**
 * ATAK's direct-message port: each connection brings one event (XML, or TAK Protocol in any framing) and
 * closes. Every byte is hostile: the size, the time a connection may take and the number at once are capped.
 */
export class DirectListener {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly o: DirectListenerOptions) {
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.maxConnections = MAX_DIRECT_CONNECTIONS;
  }

  /** Listens; rejects with ERR_MESH_SOCKET when the port is taken or the address is gone. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void =>
        reject(
          new MeshError(
            MeshErrorCode.SOCKET,
            `the direct-message port ${this.o.address}:${this.o.port} cannot be listened on (${error.code ?? error.message}): another program (ATAK, another mesh node) may have it; set another endpoint port`,
            error,
          ),
        );
      this.server.once('error', onError);
      this.server.listen(this.o.port, this.o.address, () => {
        this.server.off('error', onError);
        this.server.on('error', () => undefined); // after listening, failures are per connection
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    const from = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const chunks: Buffer[] = [];
    let length = 0;
    let failed = false;
    const fail = (message: string): void => {
      if (failed) return;
      failed = true;
      this.o.onBad(new MeshError(MeshErrorCode.BAD_DATAGRAM, message), from);
      socket.destroy();
    };
    socket.setTimeout(DIRECT_READ_TIMEOUT_MS, () =>
      fail(`a direct connection from ${from} sent no whole event within ${DIRECT_READ_TIMEOUT_MS / 1000} s`),
    );
    socket.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > this.o.maxBytes) {
        fail(
          `a direct connection from ${from} sent more than the largest event read (${this.o.maxBytes} bytes)`,
        );
        return;
      }
      chunks.push(chunk);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('end', () => {
      if (failed) return;
      socket.end();
      const bytes = Buffer.concat(chunks, length);
      try {
        // A phone may write TAK Protocol in stream framing; the datagram reader takes mesh framing.
        const datagram =
          bytes[0] === TAKPROTO_MAGIC
            ? frameMesh(unframeTakMessage(bytes, { maxBytes: this.o.maxBytes }))
            : bytes;
        const received = readDatagram(datagram, { maxBytes: this.o.maxBytes + 3, maxDepth: this.o.maxDepth });
        if (received.event) this.o.onEvent(received, from);
      } catch (error) {
        if (error instanceof MeshError) this.o.onBad(error, from);
        else
          this.o.onBad(
            new MeshError(
              MeshErrorCode.BAD_DATAGRAM,
              `a direct connection from ${from} sent no CoT event: ${String(error)}`,
              error,
            ),
            from,
          );
      }
    });
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Connects to `host:port`, writes one event, closes: how ATAK delivers a direct message. */
export function sendDirect(host: string, port: number, bytes: Buffer, localAddress?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, localAddress });
    const fail = (why: string, cause?: unknown): void => {
      socket.destroy();
      reject(
        new MeshError(
          MeshErrorCode.DIRECT_FAILED,
          `a direct message to ${host}:${port} was not delivered: ${why}`,
          cause,
        ),
      );
    };
    socket.setTimeout(DIRECT_SEND_TIMEOUT_MS, () =>
      fail(`no answer within ${DIRECT_SEND_TIMEOUT_MS / 1000} s`),
    );
    socket.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message, error));
    socket.on('connect', () => socket.end(bytes));
    socket.on('close', (hadError) => {
      if (!hadError) resolve();
    });
  });
}
