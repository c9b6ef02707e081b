/**
 * Real TCP clients for the CoT server tests: raw net.Sockets that parse what they receive with our
 * StreamParser. Every wait is driven by an event and has a deadline, so a hang fails fast with a message.
 */
import type { EventEmitter } from 'node:events';
import net from 'node:net';
import { buildCot, presenceEvent, StreamParser, type CotEvent, type PresenceOptions } from '../../src/index';
import { CotServer, type ClientInfo, type CotServerOptions } from '../../src/server/cot-server';

/** Long enough for a loaded CI machine, short enough that a hang fails the test quickly. */
export const WAIT_MS = 4000;

/** Resolves with the first payload of `name` that `accept` takes; rejects after `ms`. Set up before acting. */
export function waitForEmit<T>(
  emitter: EventEmitter,
  name: string,
  accept: (payload: T) => boolean = () => true,
  ms = WAIT_MS,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(name, listener);
      reject(new Error(`no '${name}' event within ${ms} ms`));
    }, ms);
    const listener = (payload: T): void => {
      if (!accept(payload)) return;
      clearTimeout(timer);
      emitter.off(name, listener);
      resolve(payload);
    };
    emitter.on(name, listener);
  });
}

/** Collects every payload of `name` until stop() is called. */
export function collect<T>(emitter: EventEmitter, name: string): { items: T[]; stop: () => void } {
  const items: T[] = [];
  const listener = (payload: T): void => {
    items.push(payload);
  };
  emitter.on(name, listener);
  return { items, stop: () => emitter.off(name, listener) };
}

/** For state with no event of its own (the stale sweep): re-checks every 20 ms, at most until `ms`. */
export async function waitUntil(check: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not true within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export class RawClient {
  readonly events: CotEvent[] = [];
  readonly xml: string[] = [];
  readonly errors: string[] = [];
  /** The server's t-x-takp-* events (offer, answer), kept apart from what was routed. */
  readonly negotiation: CotEvent[] = [];
  closed = false;
  private readonly parser = new StreamParser();
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly socket: net.Socket,
  ) {
    socket.on('data', (chunk: Buffer) => {
      for (const item of this.parser.push(chunk)) {
        if (item.kind === 'event' && item.event.type.startsWith('t-x-takp-')) {
          // An XML client that does not negotiate ignores the protobuf offer, as ATAK's older versions do.
          this.negotiation.push(item.event);
        } else if (item.kind === 'event') {
          this.events.push(item.event);
          this.xml.push(item.xml);
        } else if (item.kind === 'error') this.errors.push(item.error.code);
      }
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => undefined); // resets are expected when the server drops a client
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  send(input: Parameters<typeof buildCot>[0]): string {
    const xml = buildCot(input);
    this.socket.write(xml);
    return xml;
  }

  /** Re-checks `pick` on every chunk received until it gives a value. */
  waitFor<T>(pick: () => T | undefined, what: string, ms = WAIT_MS): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        let value: T | undefined;
        try {
          value = pick();
        } catch (error) {
          done();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value === undefined) return;
        done();
        resolve(value);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: ${what} not seen within ${ms} ms (has ${this.uids().join(', ')})`));
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  waitForEvent(predicate: (event: CotEvent) => boolean, what: string, ms = WAIT_MS): Promise<CotEvent> {
    return this.waitFor(() => this.events.find(predicate), what, ms);
  }

  waitForUid(uid: string, ms = WAIT_MS): Promise<CotEvent> {
    return this.waitForEvent((e) => e.uid === uid, `uid ${uid}`, ms);
  }

  waitForCount(count: number, ms = WAIT_MS): Promise<number> {
    return this.waitFor(
      () => (this.events.length >= count ? this.events.length : undefined),
      `${count} events`,
      ms,
    );
  }

  waitClosed(ms = WAIT_MS): Promise<true> {
    return this.waitFor(() => (this.closed ? true : undefined), 'the connection closing', ms);
  }

  uids(): string[] {
    return this.events.map((e) => e.uid);
  }

  has(uid: string): boolean {
    return this.events.some((e) => e.uid === uid);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A marker event whose stale time has passed: delivered by the server but never kept for replay. */
export function barrierEvent(uid: string): string {
  const now = Date.now();
  return buildCot({
    uid,
    type: 'b-m-p-s-m',
    lat: 0,
    lon: 0,
    time: now - 10_000,
    start: now - 10_000,
    stale: now - 5_000,
  });
}

let barrierCount = 0;

/**
 * Everything the server wrote to these clients before now has arrived once this resolves: the server
 * writes to each socket in order, and the barrier is written to each after whatever came before it.
 */
export async function barrier(server: CotServer, clients: RawClient[]): Promise<void> {
  const uid = `barrier-${++barrierCount}`;
  server.send(barrierEvent(uid));
  await Promise.all(clients.map((c) => c.waitForUid(uid)));
}

/** The events a client received before the last barrier, barriers left out. */
export function received(client: RawClient): string[] {
  return client.uids().filter((uid) => !uid.startsWith('barrier-'));
}

/** One server and its clients per test; `close()` ends them all and waits for every socket to close. */
export class ServerFixture {
  server: CotServer | undefined;
  port = 0;
  readonly clients: RawClient[] = [];

  async start(options: CotServerOptions = {}): Promise<CotServer> {
    // These tests are about an XML server unless a test turns the protobuf offer on (server-takproto.test.ts).
    const server = new CotServer({ host: '127.0.0.1', port: 0, offerTakProtocol: false, ...options });
    this.server = server;
    this.port = (await server.listen()).port;
    return server;
  }

  /** Connects and waits until the server has registered the connection. */
  async connect(name: string): Promise<RawClient> {
    const server = this.requireServer();
    const socket = net.connect({ host: '127.0.0.1', port: this.port });
    const client = new RawClient(name, socket);
    this.clients.push(client);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name}: no connection within ${WAIT_MS} ms`)),
        WAIT_MS,
      );
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    const localPort = socket.localPort;
    if (!server.clients().some((c) => c.remotePort === localPort)) {
      await waitForEmit<ClientInfo>(server, 'client', (info) => info.remotePort === localPort);
    }
    return client;
  }

  /** Connects and sends a presence event; resolves when the server has identified the client. */
  async connectAs(name: string, presence: PresenceOptions): Promise<RawClient> {
    const client = await this.connect(name);
    const identified = waitForEmit<ClientInfo>(
      this.requireServer(),
      'identified',
      (info) => info.uid === presence.uid,
    );
    client.write(buildCot(presenceEvent(presence)));
    await identified;
    return client;
  }

  requireServer(): CotServer {
    if (!this.server) throw new Error('start() the fixture first');
    return this.server;
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.destroy();
    const server = this.server;
    if (server) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`server.close() still pending after ${WAIT_MS} ms`)),
          WAIT_MS,
        );
      });
      await Promise.race([server.close(), deadline]).finally(() => clearTimeout(timer));
    }
    await Promise.all(this.clients.map((c) => c.waitClosed()));
    this.clients.length = 0;
    this.server = undefined;
  }
}
