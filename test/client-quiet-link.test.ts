import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { TakClient, type TakClientOptions } from '../src/client/tak-client';
import { buildCot, pongEvent, PING_TYPE } from '../src/index';
import { StreamParser } from '../src/stream/stream-parser';
import { ManualClock } from './helpers/client-clock';

/** Servers here drop a client that has sent nothing for this long (ours did, and so do others). */
const SERVER_IDLE_MS = 60_000;
/** Simulated time moves a second at a time: a server's idle check runs about that often. */
const STEP_MS = 1_000;
/** Ten simulated minutes. */
const STEPS = 600;
/** Another client's SA reaches the receive-only one this often. */
const TRAFFIC_EVERY_STEPS = 2;
/** Real time one step may take to carry its bytes; far more than loopback needs. */
const SETTLE_LIMIT_MS = 5_000;

interface Peer {
  sock: net.Socket;
  parser: StreamParser;
  bytesIn: number;
  bytesOut: number;
  lastHeard: number;
  uids: Set<string>;
}

/**
 * A relay that drops any client silent for SERVER_IDLE_MS of the manual clock, answers pings with a pong,
 * and passes every other event to every other client. Its idle check runs before the bytes written at the
 * same instant are read: when a client's write and the server's deadline fall together, the server wins.
 */
class IdleDroppingServer {
  readonly peers = new Set<Peer>();
  drops = 0;
  private constructor(
    private readonly server: net.Server,
    private readonly clock: ManualClock,
  ) {}

  static async listen(clock: ManualClock): Promise<IdleDroppingServer> {
    const server = net.createServer();
    const relay = new IdleDroppingServer(server, clock);
    server.on('connection', (sock) => relay.accept(sock));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  private accept(sock: net.Socket): void {
    const peer: Peer = {
      sock,
      parser: new StreamParser(),
      bytesIn: 0,
      bytesOut: 0,
      lastHeard: this.clock.now(),
      uids: new Set(),
    };
    this.peers.add(peer);
    sock.on('error', () => undefined);
    sock.on('close', () => this.peers.delete(peer));
    sock.on('data', (chunk: Buffer) => {
      peer.bytesIn += chunk.length;
      peer.lastHeard = this.clock.now();
      for (const item of peer.parser.push(chunk)) {
        if (item.kind !== 'event') continue;
        peer.uids.add(item.event.uid);
        if (item.event.type === PING_TYPE) {
          this.write(peer, buildCot(pongEvent()));
          continue;
        }
        for (const other of this.peers) if (other !== peer) this.write(other, item.xml);
      }
    });
  }

  private write(peer: Peer, xml: string): void {
    peer.bytesOut += Buffer.byteLength(xml);
    peer.sock.write(xml);
  }

  sweep(): void {
    const now = this.clock.now();
    for (const peer of this.peers) {
      if (now - peer.lastHeard >= SERVER_IDLE_MS) {
        this.drops += 1;
        this.peers.delete(peer);
        peer.sock.destroy();
      }
    }
  }

  bytesInFrom(uid: string): number {
    for (const peer of this.peers) if (peer.uids.has(uid)) return peer.bytesIn;
    return -1;
  }

  /** Bytes written to the clients other than `uid`. */
  bytesOutToOthers(uid: string): number {
    let total = 0;
    for (const peer of this.peers) if (!peer.uids.has(uid)) total += peer.bytesOut;
    return total;
  }

  async close(): Promise<void> {
    for (const peer of this.peers) peer.sock.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const clients: TakClient[] = [];
const servers: IdleDroppingServer[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.stop()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** Waits (in real time) until `done` holds; a step's bytes cross loopback in a few turns of the loop. */
async function settle(done: () => boolean, what: string): Promise<void> {
  const limit = Date.now() + SETTLE_LIMIT_MS;
  while (!done()) {
    if (Date.now() > limit) throw new Error(`bytes did not settle within ${SETTLE_LIMIT_MS} ms: ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function quietMinutes(listener: Partial<TakClientOptions>): Promise<{
  drops: number;
  reconnects: number;
  received: number;
  pings: number;
}> {
  const clock = new ManualClock();
  const server = await IdleDroppingServer.listen(clock);
  servers.push(server);
  const common = { host: '127.0.0.1', port: server.port, connectionClock: clock };
  const sender = new TakClient({
    ...common,
    presence: { uid: 'busy-sender', callsign: 'SENDER', lat: 1, lon: 2 },
    identityGapMs: 0,
  });
  // The receive-only client: what it writes is up to its defaults (plus what the case gives).
  const quiet = new TakClient({ ...common, ...listener });
  clients.push(sender, quiet);
  let received = 0;
  quiet.on('event', () => (received += 1));
  sender.start();
  quiet.start();
  await settle(
    () => sender.state === 'connected' && quiet.state === 'connected' && server.peers.size === 2,
    'both connected',
  );
  for (let step = 1; step <= STEPS; step++) {
    if (step % TRAFFIC_EVERY_STEPS === 0) {
      sender.send({ uid: 'busy-track', type: 'a-f-G-U-C', lat: 1 + step / 1e4, lon: 2, callsign: 'TRACK' });
    }
    clock.advance(STEP_MS); // both clients' timers (pings, presence) fire and write
    server.sweep(); // the server's idle deadline, before the bytes of this instant are read
    await settle(() => {
      const senderIn = server.bytesInFrom('busy-sender');
      const quietOut = server.bytesOutToOthers('busy-sender');
      return (
        (sender.state !== 'connected' || senderIn === sender.counters.bytesSent) &&
        (quiet.state !== 'connected' || quiet.counters.bytesReceived >= quietOut)
      );
    }, `step ${step}`);
  }
  return {
    drops: server.drops,
    reconnects: quiet.counters.connects - 1,
    received,
    pings: quiet.counters.pingsSent,
  };
}

describe('a receive-only client against a server that drops clients silent for 60 s', () => {
  it('stays connected for ten simulated minutes with default settings and no presence: 0 reconnects', async () => {
    const result = await quietMinutes({});
    assert.equal(result.drops, 0, 'the server dropped nobody');
    assert.equal(result.reconnects, 0, 'the receive-only client never reconnected');
    // It heard the other client all along: about one event every two steps.
    assert.ok(result.received >= STEPS / TRAFFIC_EVERY_STEPS - 5, `received ${result.received}`);
    // One ping per 15 s of writing nothing, no more (TAK Server allows one per 5 s).
    assert.ok(result.pings >= 38 && result.pings <= 41, `pings sent: ${result.pings}`);
  });

  it('stays connected with the default presence every 60 s too (the demo map viewer)', async () => {
    const result = await quietMinutes({
      presence: { uid: 'map-viewer', callsign: 'VIEWER', lat: 51.5, lon: -0.12 },
      identityGapMs: 0,
    });
    assert.equal(result.drops, 0, 'the server dropped nobody');
    assert.equal(result.reconnects, 0);
  });
});
