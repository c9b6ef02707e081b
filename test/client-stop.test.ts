import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { TakClientError } from '../src/client/errors';
import type { TakClient, TakClientStateChange, TakDropped } from '../src/client/tak-client';
import {
  ClientPool,
  closedPort,
  FakeServer,
  FAST,
  listenerCounts,
  numbered,
  numbers,
  PRESENCE,
  recordingFactory,
} from './helpers/client-servers';
import { activeTimers, quietFor, until, waitFor } from './helpers/client-wait';

const HOST = '127.0.0.1';
const pool = new ClientPool();
const servers: FakeServer[] = [];

async function serve(options: Parameters<typeof FakeServer.listen>[0] = {}): Promise<FakeServer> {
  const server = await FakeServer.listen(options);
  servers.push(server);
  return server;
}

afterEach(async () => {
  await pool.stopAll();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Every listener the client added to any of its sockets is gone. */
function assertNoListenersLeft(factory: ReturnType<typeof recordingFactory>): void {
  assert.ok(factory.sockets.length > 0);
  for (const socket of factory.sockets) {
    assert.deepEqual(listenerCounts(socket), factory.baselines.get(socket), 'listeners left on a socket');
    assert.ok(socket.destroyed, 'socket closed');
  }
}

/** Nothing moves for a span longer than every timeout the client was given. */
async function assertQuiet(client: TakClient, ms: number): Promise<void> {
  const before = JSON.stringify(client.counters);
  await quietFor(ms);
  assert.equal(JSON.stringify(client.counters), before, 'something fired after stop()');
  assert.equal(client.state, 'stopped');
}

describe('stop()', () => {
  it('while connected: flushes the queue, closes, leaves no timer and no listener', async () => {
    const server = await serve();
    const factory = recordingFactory();
    const timersBefore = activeTimers();
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      createSocket: factory.createSocket,
      presence: PRESENCE,
      identityGapMs: 50,
      pingAfterIdleMs: 30,
      pingIntervalMs: 20,
      deadAfterIdleMs: 100,
      presenceIntervalMs: 30,
    });
    client.start();
    await waitFor(client, 'connected');
    for (let n = 0; n < 20; n++) client.send(numbered('s', n)); // still in the identity gap: queued
    assert.equal(client.queueLength, 20);
    const states: string[] = [];
    client.on('state', (s) => states.push(s.state));
    const disconnected = waitFor<{ reason: string }>(client, 'disconnected');
    await client.stop();
    assert.equal((await disconnected).reason, 'stopped');
    assert.deepEqual(states, ['stopped']);
    await until(server, 'closed', () => server.sockets.size === 0, 'the server side closed');
    assert.deepEqual(
      numbers(server.uids(), 's'),
      [...Array(20).keys()],
      'the queue went out before the close',
    );
    assert.equal(client.counters.dropped, 0);
    assertNoListenersLeft(factory);
    assert.equal(activeTimers(), timersBefore, 'a timer is left');
    const pings = server.pings.length;
    await assertQuiet(client, 200);
    assert.equal(server.pings.length, pings);
  });

  it('while reconnecting: the pending attempt never happens', async () => {
    const port = await closedPort();
    const factory = recordingFactory();
    const timersBefore = activeTimers();
    const client = pool.make({
      host: HOST,
      port,
      ...FAST,
      createSocket: factory.createSocket,
      reconnectInitialMs: 50,
    });
    client.start();
    await waitFor<TakClientStateChange>(client, 'state', { filter: (s) => s.state === 'reconnecting' });
    const attempts = factory.sockets.length;
    await client.stop();
    assert.equal(client.state, 'stopped');
    await assertQuiet(client, 150);
    assert.equal(factory.sockets.length, attempts, 'no attempt after stop()');
    assertNoListenersLeft(factory);
    assert.equal(activeTimers(), timersBefore);
  });

  it('while connecting: the attempt is abandoned and its socket destroyed', async () => {
    const sockets: net.Socket[] = [];
    const timersBefore = activeTimers();
    const client = pool.make({
      host: HOST,
      port: 9,
      ...FAST,
      connectTimeoutMs: 100,
      createSocket: () => {
        const socket = new net.Socket(); // never connects
        sockets.push(socket);
        return socket;
      },
    });
    client.start();
    assert.equal(client.state, 'connecting');
    await client.stop();
    assert.equal(sockets.length, 1);
    assert.ok(sockets[0]?.destroyed);
    assert.equal(sockets[0]?.listenerCount('close'), 0);
    assert.equal(sockets[0]?.listenerCount('error'), 0);
    await assertQuiet(client, 150);
    assert.equal(activeTimers(), timersBefore);
  });

  it('against a server that stopped reading: gives up at flushTimeoutMs and counts what it could not send', async () => {
    const server = await serve({ paused: true });
    const factory = recordingFactory();
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      createSocket: factory.createSocket,
      flushTimeoutMs: 100,
      maxQueueEvents: 20,
    });
    client.start();
    await waitFor(client, 'connected');
    // Fill the socket and the kernel's buffers until the client has to queue.
    const remarks = 'y'.repeat(16 * 1024);
    let offered = 0;
    for (; client.queueLength === 0; offered++) {
      client.send(numbered('stuck', offered, remarks));
      assert.ok(offered < 5_000);
    }
    // The kernel may still take some while stop() flushes (its buffers grow, the server's stream reads up to its
    // high-water mark): so many megabytes wait that it cannot take them all.
    const big = 'z'.repeat(512 * 1024);
    while (client.queueLength < 10) client.send(numbered('stuck', offered++, big));
    const dropped: TakDropped[] = [];
    client.on('dropped', (d) => dropped.push(d));
    const started = performance.now();
    await client.stop();
    const took = performance.now() - started;
    // Without the deadline stop() would wait for ever; the upper bound leaves room for a busy CI machine.
    assert.ok(took >= 90 && took < 3_000, `stop() took ${took} ms`);
    assert.equal(dropped.length, 1, 'one dropped report');
    assert.equal(dropped[0]?.reason, 'stopped');
    assert.ok(dropped[0].count >= 1 && dropped[0].count <= 10, `dropped ${dropped[0].count}`);
    const c = client.counters;
    assert.equal(c.dropped, dropped[0].count);
    // Every event is accounted for: written before or during the flush, or dropped; none is left waiting.
    assert.equal(client.queueLength, 0);
    assert.equal(c.eventsSent - c.requeued + c.coalesced + c.dropped, offered);
    assertNoListenersLeft(factory);
  });

  it('is idempotent; send() afterwards throws; start() afterwards connects again', async () => {
    const server = await serve();
    const client = pool.make({ host: HOST, port: server.port, ...FAST });
    client.start();
    await waitFor(client, 'connected');
    const first = client.stop();
    assert.equal(client.stop(), first);
    assert.throws(
      () => client.send(numbered('late', 1)),
      (e: unknown) => e instanceof TakClientError && e.code === 'ERR_CLIENT_STOPPED',
    );
    assert.throws(() => client.start(), { code: 'ERR_CLIENT_STOPPED' });
    await first;
    await client.stop();
    assert.throws(() => client.send(numbered('late', 2)), { code: 'ERR_CLIENT_STOPPED' });
    client.start();
    await waitFor(client, 'connected');
    assert.equal(client.send(numbered('again', 1)), 'sent');
    await until(server, 'event', () => server.uids().includes('again-1'), 'the event after the restart');
    assert.equal(client.counters.connects, 2);
  });

  it('before start(): queued events are counted as dropped', async () => {
    const client = pool.make({ host: HOST, port: 9, ...FAST });
    client.send(numbered('never', 1));
    client.send(numbered('never', 2));
    const dropped = waitFor<TakDropped>(client, 'dropped');
    await client.stop();
    assert.deepEqual(await dropped, { count: 2, reason: 'stopped' });
    assert.equal(client.state, 'stopped');
  });

  it('from inside a listener, mid-reconnect, leaves nothing behind', async () => {
    const server = await serve();
    server.on('connection', (socket: net.Socket) => socket.end());
    const factory = recordingFactory();
    const timersBefore = activeTimers();
    const client = pool.make({ host: HOST, port: server.port, ...FAST, createSocket: factory.createSocket });
    let stopped: Promise<void> | undefined;
    client.on('disconnected', () => {
      stopped ??= client.stop();
    });
    client.start();
    await waitFor(client, 'disconnected');
    await stopped;
    assert.equal(client.state, 'stopped');
    await assertQuiet(client, 100);
    assert.equal(factory.sockets.length, 1);
    assertNoListenersLeft(factory);
    assert.equal(activeTimers(), timersBefore);
  });
});
