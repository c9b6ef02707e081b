/**
 * Real servers on 127.0.0.1 port 0 for the TLS tests: a TLS CoT server as Node's tls.createServer makes one
 * (which refuses a bad client certificate by closing, without an alert), and plain TCP servers that behave as
 * the ports a TLS client can land on by mistake.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { buildCot, StreamParser, type CotEvent } from '../../src/index';
import { TakClient, type TakClientOptions, type TakClientStateChange } from '../../src/client/tak-client';
import type { TakClientErrorInfo } from '../../src/client/errors';
import { waitFor } from './client-wait';

export interface TestServer extends EventEmitter {
  port: number;
  /** Data events received, from every connection. */
  received: CotEvent[];
  /** Raw TCP connections accepted. */
  connections: number;
  close(): Promise<void>;
}

function closer(server: net.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

async function listen(server: net.Server, port = 0): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return (server.address() as net.AddressInfo).port;
}

/**
 * A TLS CoT server: parses what each client sends (emits 'event') and greets each secure connection with an
 * event (uid "greeting"). 'tlsClientError' is passed on. Port 0 unless given (to stand in for one that went).
 */
export async function startTlsServer(options: tls.TlsOptions, port = 0): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const received: CotEvent[] = [];
  const server = tls.createServer(options, (socket) => {
    const parser = new StreamParser();
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const item of parser.push(chunk)) {
        if (item.kind !== 'event') continue;
        received.push(item.event);
        emitter.emit('event', item.event);
      }
    });
    socket.write(buildCot({ uid: 'greeting', type: 'a-f-G-U-C', lat: 1, lon: 2, callsign: 'SERVER' }));
  });
  const emitter = Object.assign(new EventEmitter(), {
    port: 0,
    received,
    connections: 0,
    close: closer(server, sockets),
  });
  server.on('connection', (socket: net.Socket) => {
    emitter.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', (error: Error) => emitter.emit('tlsClientError', error));
  emitter.port = await listen(server, port);
  return emitter;
}

/**
 * Plain TCP servers a TLS client (or a plain client) can meet:
 * - silent: takes the connection and says nothing (a TAK Server input waiting for CoT);
 * - talks: writes a CoT event at once (taky and FreeTAKServer replay stored events);
 * - closes: closes as soon as a byte arrives (a server that gives up on bytes it cannot read);
 * - alert: answers the first bytes with a TLS alert record (a TLS port that says so).
 */
export async function startPlainServer(mode: 'silent' | 'talks' | 'closes' | 'alert'): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (mode === 'talks') socket.write(buildCot({ uid: 'stored', type: 'a-f-G', lat: 1, lon: 1 }));
    socket.once('data', () => {
      if (mode === 'closes') socket.destroy();
      // TLS 1.2 record, alert level fatal (2), protocol_version (70): what an OpenSSL server says to plain text.
      if (mode === 'alert') socket.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]));
    });
  });
  const emitter = Object.assign(new EventEmitter(), {
    port: 0,
    received: [] as CotEvent[],
    connections: 0,
    close: closer(server, sockets),
  });
  server.on('connection', () => {
    emitter.connections += 1;
  });
  emitter.port = await listen(server);
  return emitter;
}

/** A client as the tests want it: identity first, no gap, quick retries without jitter, no keepalive. */
export function testClient(
  port: number,
  createSocket: TakClientOptions['createSocket'],
  extra: Partial<TakClientOptions> = {},
): TakClient {
  return new TakClient({
    host: '127.0.0.1',
    port,
    createSocket,
    presence: { uid: 'tls-test-client', callsign: 'TLS-TEST' },
    identityGapMs: 0,
    reconnectInitialMs: 50,
    reconnectMaxMs: 400,
    reconnectJitter: 0,
    connectTimeoutMs: 5_000,
    pingAfterIdleMs: 0,
    deadAfterIdleMs: 0,
    ...extra,
  });
}

/** Starts the client and resolves with the errors of its first `count` failed attempts (and stops it). */
export async function failures(
  client: TakClient,
  count: number,
  timeoutMs = 5_000,
): Promise<TakClientErrorInfo[]> {
  const errors: TakClientErrorInfo[] = [];
  const enough = waitFor<TakClientStateChange>(client, 'state', {
    filter: (change) => {
      if (change.state === 'reconnecting' && change.error !== undefined) errors.push(change.error);
      return errors.length >= count;
    },
    timeoutMs,
    what: `${count} failed attempts`,
  });
  client.start();
  try {
    await enough;
    return errors;
  } finally {
    await client.stop();
  }
}

/** Starts the client and resolves with the error of its first failed attempt (and stops it). */
export async function firstFailure(client: TakClient, timeoutMs = 5_000): Promise<TakClientErrorInfo> {
  return (await failures(client, 1, timeoutMs))[0] as TakClientErrorInfo;
}
