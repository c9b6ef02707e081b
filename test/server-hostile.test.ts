/**
 * CotServer against hostile clients: connections that hold slots without speaking, events that never end,
 * many connections from one address, TLS handshakes left open, floods, and the idle rule against
 * conforming clients. Time-driven rules run on a manual clock; sockets are real.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { buildCot, pingEvent, presenceEvent } from '../src/index';
import { type ClientErrorPayload, type DisconnectPayload } from '../src/server/cot-server';
import { ServerErrorCode } from '../src/server/errors';
import { DEFAULT_IDLE_TIMEOUT_MS, resolveOptions } from '../src/server/options';
import { loadServerTls } from '../src/tls/settings';
import { tlsServerFactory } from '../src/tls/server';
import { ManualClock } from './helpers/client-clock';
import { collect, ServerFixture, WAIT_MS, waitForEmit, waitUntil } from './helpers/server-clients';
import { P12_PASSWORD, makePki, type TestPki } from './helpers/tls-pki';

const SUITE_TIMEOUT_MS = 30_000;
const ALPHA = { uid: 'uid-alpha', callsign: 'ALPHA' };
const BRAVO = { uid: 'uid-bravo', callsign: 'BRAVO' };
const REAL = { uid: 'uid-real', callsign: 'REAL' };

function marker(uid: string, text = ''): string {
  const now = Date.now();
  return buildCot({
    uid,
    type: 'b-m-p-s-m',
    how: 'h-e',
    time: now,
    start: now,
    stale: now + 300_000,
    point: { lat: 1, lon: 2 },
    detail: text === '' ? {} : { remarks: { _text: text } },
  });
}

const ping = (uid: string): string => buildCot(pingEvent(uid));
/** The start of an event that is never finished. */
const PARTIAL = '<event version="2.0" uid="never" type="a-f-G" how="m-g" time="2026-01-01T00:00:00Z"';
/** A complete event the reader refuses: an error item, not a sign of life. */
const REFUSED = '<event version="2.0" uid="bad" type="a-f-G"><detail/></event>';

/** Raw sockets that connect and then do what the test says; every one waits for its connect. */
async function swarm(port: number, count: number, localAddress?: string): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = net.connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
    socket.on('error', () => undefined);
    socket.resume(); // reads, so it sees the server's close
    sockets.push(socket);
  }
  await Promise.all(
    sockets.map(
      (s) =>
        new Promise<void>((resolve, reject) => {
          s.once('connect', () => resolve());
          s.once('close', () => resolve()); // refused at once: the test looks at the count
          s.once('error', reject);
        }),
    ),
  );
  return sockets;
}

/** Resolves when the socket has closed; rejects after WAIT_MS so a socket left open fails the test, not the run. */
function closed(socket: net.Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the socket was not closed')), WAIT_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const fx = new ServerFixture();
const extra: net.Socket[] = [];
afterEach(async () => {
  for (const socket of extra.splice(0)) socket.destroy();
  await fx.close();
});

describe('CotServer under attack: lock-out', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('serves a real client while silent connections fill every slot, closing the oldest silent one', async () => {
    const server = await fx.start({ maxClients: 10, maxClientsPerAddress: 100 });
    const a = await fx.connectAs('a', ALPHA);
    const idle = await swarm(fx.port, 9);
    extra.push(...idle);
    await waitUntil(() => server.metrics().connections === 10, '10 connections');
    const evicted = waitForEmit<ClientErrorPayload>(
      server,
      'clientError',
      (p) => p.error.code === ServerErrorCode.EVICTED,
    );
    const real = await fx.connectAs('real', REAL);
    await a.waitForUid(REAL.uid);
    await real.waitForUid(ALPHA.uid);
    a.write(marker('after'));
    await real.waitForUid('after');
    await evicted;
    await Promise.race(idle.map(closed)); // a silent one made room
    assert.equal(real.closed, false);
    assert.equal(server.metrics().errors[ServerErrorCode.EVICTED], 1);
  });

  it('serves a real client while trickling connections fill every slot', async () => {
    const server = await fx.start({ maxClients: 10, maxClientsPerAddress: 100 });
    const a = await fx.connectAs('a', ALPHA);
    const tricklers = await swarm(fx.port, 9);
    extra.push(...tricklers);
    for (const socket of tricklers) socket.write(PARTIAL.slice(0, 20)); // and a byte now and then, never an end
    await waitUntil(() => server.metrics().connections === 10, '10 connections');
    const real = await fx.connectAs('real', REAL);
    await a.waitForUid(REAL.uid);
    await real.waitForUid(ALPHA.uid);
    assert.equal(real.closed, false);
  });

  it('refuses a connection when every slot holds a client that has sent events (ERR_SERVER_FULL)', async () => {
    const server = await fx.start({ maxClients: 2 });
    await fx.connectAs('a', ALPHA);
    await fx.connectAs('b', BRAVO);
    const full = waitForEmit<ClientErrorPayload>(server, 'clientError');
    const [late] = await swarm(fx.port, 1);
    extra.push(late as net.Socket);
    assert.equal((await full).error.code, ServerErrorCode.FULL);
    await closed(late as net.Socket);
  });

  it('closes a connection with no complete event by firstEventTimeoutMs; one that sent an event stays', async () => {
    const clock = new ManualClock();
    const server = await fx.start({ clock, firstEventTimeoutMs: 5_000 });
    const [silent, trickler] = await swarm(fx.port, 2);
    extra.push(silent as net.Socket, trickler as net.Socket);
    const good = await fx.connectAs('good', ALPHA);
    trickler?.write(PARTIAL);
    await waitUntil(() => server.metrics().connections === 3, '3 connections');
    const errors = collect<ClientErrorPayload>(server, 'clientError');
    clock.advance(4_999);
    assert.equal(errors.items.length, 0);
    clock.advance(1);
    await Promise.all([closed(silent as net.Socket), closed(trickler as net.Socket)]);
    assert.deepEqual(
      errors.items.map((p) => p.error.code),
      [ServerErrorCode.FIRST_EVENT, ServerErrorCode.FIRST_EVENT],
    );
    good.write(ping(ALPHA.uid));
    await good.waitForUid('takPong');
    assert.equal(good.closed, false);
  });

  it('closes a client whose event is not finished within eventTimeoutMs of its first byte', async () => {
    const clock = new ManualClock();
    const server = await fx.start({ clock, eventTimeoutMs: 10_000, idleTimeoutMs: 0 });
    const a = await fx.connectAs('a', ALPHA);
    const event = marker('slow-event');
    const half = Math.floor(event.length / 2);
    // Each write ends with a ping, so its pong shows the bytes before it were read.
    a.write(`${ping(ALPHA.uid)}${event.slice(0, half)}`);
    await a.waitForCount(1);
    clock.advance(6_000);
    a.write(`${event.slice(half)}${ping(ALPHA.uid)}${PARTIAL}`); // done in time; a new one begins now
    await a.waitForCount(2);
    const gone = waitForEmit<DisconnectPayload>(server, 'disconnect');
    clock.advance(6_000); // 12 s after the first event began, 6 s into the second
    assert.equal(a.closed, false);
    a.write(' ');
    a.write(ping(ALPHA.uid).slice(0, 10)); // bytes keep coming, the event does not end
    clock.advance(4_000);
    const { reason, error } = await gone;
    assert.equal(reason, 'deadline');
    assert.equal((error as { code?: string }).code, ServerErrorCode.EVENT_TIMEOUT);
    await a.waitClosed();
  });

  it('limits connections per address, and another address is still admitted', async () => {
    const server = await fx.start({ maxClientsPerAddress: 3 });
    const first = await swarm(fx.port, 3);
    extra.push(...first);
    await waitUntil(() => server.metrics().connections === 3, '3 connections');
    const refused = waitForEmit<ClientErrorPayload>(server, 'clientError');
    const [fourth] = await swarm(fx.port, 1);
    extra.push(fourth as net.Socket);
    assert.equal((await refused).error.code, ServerErrorCode.ADDRESS_FULL);
    await closed(fourth as net.Socket);
    const [other] = await swarm(fx.port, 1, '127.0.0.2');
    extra.push(other as net.Socket);
    await waitUntil(() => server.metrics().connections === 4, 'the other address admitted');
    assert.equal(other?.destroyed, false);
  });
});

describe('CotServer under attack: the idle rule', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('counts pings as life, and bytes that make no event as nothing', async () => {
    const clock = new ManualClock();
    const server = await fx.start({ clock, idleTimeoutMs: 20_000, eventTimeoutMs: 0 });
    const pinger = await fx.connectAs('pinger', ALPHA);
    const noisy = await fx.connectAs('noisy', BRAVO);
    const gone = waitForEmit<DisconnectPayload>(server, 'disconnect');
    clock.advance(15_000);
    pinger.write(ping(ALPHA.uid));
    await pinger.waitForCount(2); // BRAVO's SA, then its pong
    const refused = waitForEmit<ClientErrorPayload>(server, 'clientError');
    noisy.write(`garbage ${REFUSED}${PARTIAL}`);
    await refused;
    clock.advance(15_000); // 30 s since BRAVO's SA, 15 s since ALPHA's ping
    const { client, reason } = await gone;
    assert.equal(reason, 'idle');
    assert.equal(client.uid, BRAVO.uid);
    pinger.write(ping(ALPHA.uid));
    await pinger.waitForCount(4); // the delete for BRAVO, then a pong
    clock.advance(15_000);
    pinger.write(ping(ALPHA.uid));
    await pinger.waitForCount(5);
    assert.equal(pinger.closed, false);
  });

  it('by default never drops a client keeping ATAK timings: an SA every 180 s while it is sent to', async () => {
    const clock = new ManualClock();
    const server = await fx.start({ clock });
    const atak = await fx.connectAs('atak', ALPHA);
    const feeder = await fx.connectAs('feeder', BRAVO);
    const disconnects = collect<DisconnectPayload>(server, 'disconnect');
    for (let i = 0; i < 4; i++) {
      clock.advance(180_000);
      atak.send(presenceEvent(ALPHA));
      feeder.send(presenceEvent(BRAVO));
      await feeder.waitForCount(2 + i);
    }
    assert.deepEqual(disconnects.items, []);
    assert.ok(DEFAULT_IDLE_TIMEOUT_MS > 2 * 180_000);
  });
});

describe('CotServer under attack: queues and input rate', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('refuses a send queue smaller than the largest event', () => {
    assert.throws(
      () => resolveOptions({ maxEventBytes: 8 * 1024 * 1024, maxQueueBytes: 4 * 1024 * 1024 }),
      (error: Error & { code?: string }) =>
        error.code === ServerErrorCode.OPTION && /maxQueueBytes.*maxEventBytes/.test(error.message),
    );
    assert.equal(resolveOptions({ maxEventBytes: 4096, maxQueueBytes: 4096 }).maxQueueBytes, 4096);
  });

  it('tells a client that reads, only slower than it is sent to, from one that stopped reading', async () => {
    const server = await fx.start({ maxQueueBytes: 256 * 1024, maxEventBytes: 64 * 1024 });
    const slow = await fx.connectAs('slow', ALPHA);
    // Reads one chunk every 20 ms: the kernel keeps taking bytes from the server's queue, slowly.
    slow.socket.pause();
    const sip = setInterval(() => {
      slow.socket.once('data', () => slow.socket.pause());
      slow.socket.resume();
    }, 20);
    try {
      const dropped = waitForEmit<ClientErrorPayload>(
        server,
        'clientError',
        (p) => p.error.code === ServerErrorCode.SLOW_CLIENT,
        20_000,
      );
      let isDropped = false;
      void dropped.then(() => (isDropped = true)).catch(() => undefined);
      const big = marker('big', 'y'.repeat(8 * 1024));
      // Faster than it reads, bounded: at most 256 rounds of 128 KiB.
      for (let round = 0; round < 256 && !isDropped; round++) {
        for (let i = 0; i < 16; i++) server.send(big);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const { error } = await dropped;
      assert.match(error.message, /reads, but slower than events are sent to it/);
    } finally {
      clearInterval(sip);
    }
  });

  it('pauses a flooding client at its input rate while a pair keeps exchanging events', async () => {
    const clock = new ManualClock();
    const server = await fx.start({ clock, inputBytesPerSecond: 64 * 1024, inputBurstBytes: 64 * 1024 });
    const a = await fx.connectAs('a', ALPHA);
    const b = await fx.connectAs('b', BRAVO);
    const flood = await fx.connectAs('flood', REAL);
    const big = (i: number): string => marker(`flood-${i}`, 'f'.repeat(16 * 1024));
    let batch = '';
    for (let i = 0; i < 40; i++) batch += big(i); // about 650 KiB: ten times its burst
    flood.write(batch);
    await waitUntil(() => server.metrics().throttled >= 1, 'the flood paused');
    for (let i = 0; i < 5; i++) {
      a.write(marker(`a-${i}`));
      b.write(marker(`b-${i}`));
      await Promise.all([b.waitForUid(`a-${i}`), a.waitForUid(`b-${i}`)]);
    }
    const before = b.uids().filter((uid) => uid.startsWith('flood-')).length;
    assert.ok(before < 40, `all ${before} flood events went through at once`);
    // Time passes on the clock: the share refills and the rest is read, nothing lost.
    for (let step = 0; step < 60 && !b.has('flood-39'); step++) {
      const count = b.events.length;
      clock.advance(1_000);
      await b.waitForCount(count + 1, 1_000).catch(() => undefined); // a chunk read holds a few events
    }
    await b.waitForUid('flood-39');
    assert.equal(b.uids().filter((uid) => uid.startsWith('flood-')).length, 40);
  });
});

describe('CotServer under attack: TLS handshakes left open', { timeout: SUITE_TIMEOUT_MS }, () => {
  let pki: TestPki;
  before(() => {
    pki = makePki();
  });
  after(() => pki.cleanup());

  it('counts handshaking sockets against maxClients and closes them after the handshake timeout', async () => {
    const { options } = loadServerTls({
      serverCert: pki.p12.serverLegacy,
      serverPassword: P12_PASSWORD,
      clientCa: pki.p12.truststoreLegacy,
      clientCaPassword: P12_PASSWORD,
    });
    const failures: string[] = [];
    const server = await fx.start({
      maxClients: 5,
      maxClientsPerAddress: 100,
      firstEventTimeoutMs: 0, // the handshake timeout alone must close them
      createServer: tlsServerFactory(
        { ...options, handshakeTimeoutMs: 300 },
        { handshakeFailed: (f) => failures.push(f.code) },
      ),
    });
    const silent = await swarm(fx.port, 5);
    extra.push(...silent);
    await waitUntil(() => server.metrics().connections === 5, '5 handshaking connections counted');
    const evicted = waitForEmit<ClientErrorPayload>(
      server,
      'clientError',
      (p) => p.error.code === ServerErrorCode.EVICTED,
    );
    const [sixth] = await swarm(fx.port, 1);
    extra.push(sixth as net.Socket);
    await evicted; // full of handshakes: the oldest made room
    assert.ok(server.metrics().connections <= 5);
    await Promise.all([...silent, sixth as net.Socket].map(closed));
    assert.ok(failures.includes('ERR_TLS_HANDSHAKE_TIMEOUT'), failures.join());
    await waitUntil(() => server.metrics().connections === 0, 'every connection gone');
  });
});
