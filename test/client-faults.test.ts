import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import type { TakClientStateChange, TakDropped } from '../src/client/tak-client';
import { buildCot, type StreamError } from '../src/index';
import {
  ClientPool,
  closedPort,
  FakeServer,
  FAST,
  numbered,
  numbers,
  PRESENCE,
  recordingFactory,
} from './helpers/client-servers';
import { quietFor, until, waitFor } from './helpers/client-wait';

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

/** Every 'state' change of a client, as it happens. */
function recordStates(client: {
  on(event: 'state', listener: (c: TakClientStateChange) => void): unknown;
}): TakClientStateChange[] {
  const states: TakClientStateChange[] = [];
  client.on('state', (change) => states.push(change));
  return states;
}

const reconnects = (states: TakClientStateChange[]): TakClientStateChange[] =>
  states.filter((s) => s.state === 'reconnecting');

describe('faults', () => {
  it('server closes mid-event: the cut event is a parseError, the client reconnects', async () => {
    const server = await serve();
    const half = buildCot({ uid: 'cut', type: 'a-f-G', lat: 1, lon: 1 }).slice(0, 60);
    server.on('connection', (socket: net.Socket) => {
      if (server.connections === 1) socket.end(half);
    });
    const client = pool.make({ host: HOST, port: server.port, ...FAST });
    const states = recordStates(client);
    const errors: StreamError[] = [];
    client.on('parseError', (e) => errors.push(e));
    const disconnected = waitFor<{ reason: string; error?: { code: string } }>(client, 'disconnected');
    client.start();
    assert.equal((await disconnected).error?.code, 'ERR_CONNECTION_CLOSED');
    await until(client, 'state', () => client.counters.connects === 2, 'the second connection');
    assert.deepEqual(
      errors.map((e) => e.code),
      ['ERR_STREAM_TRUNCATED'],
    );
    assert.equal(client.counters.parseErrors, 1);
    assert.equal(reconnects(states)[0]?.delayMs, FAST.reconnectInitialMs);
  });

  it('server restarts on the same port while events flow: backoff, then every event arrives, in order', async () => {
    const server = await serve();
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      presence: PRESENCE,
      identityGapMs: 20,
      maxQueueEvents: 5_000,
    });
    const states = recordStates(client);
    client.start();
    await waitFor(client, 'connected');

    const TOTAL = 400;
    let next = 0;
    const sender = setInterval(() => {
      for (let i = 0; i < 2 && next < TOTAL; i++) client.send(numbered('r', next++));
      if (next >= TOTAL) clearInterval(sender);
    }, 2);
    try {
      await until(server, 'event', () => server.received.length >= 60, '60 events before the restart');
      await server.close();
      const firstLife = numbers(server.uids(), 'r');
      const firstCount = server.received.length;
      // The outage lasts at least two refused attempts, with growing delays.
      await until(
        client,
        'state',
        () => reconnects(states).filter((s) => s.error?.code === 'ERR_CONNECT_REFUSED').length >= 2,
        'two refused attempts',
      );
      const sentDuringOutage = next;
      await server.reopen();
      await until(server, 'event', () => server.uids().includes(`r-${TOTAL - 1}`), 'the last event', 8_000);

      const secondLife = numbers(server.uids().slice(firstCount), 'r');
      const all = new Set([...firstLife, ...secondLife]);
      for (let n = 0; n < TOTAL; n++) assert.ok(all.has(n), `r-${n} never arrived`);
      assert.ok(
        secondLife.every((n, i) => i === 0 || n === (secondLife[i - 1] as number) + 1),
        'after the restart: each event once, in order',
      );
      assert.ok((secondLife[0] as number) <= (firstLife[firstLife.length - 1] as number) + 1, 'no gap');
      assert.ok(sentDuringOutage > firstLife.length, 'events were sent during the outage');
      const counters = client.counters;
      assert.equal(counters.dropped, 0);
      assert.equal(counters.connects, 2);
      const delays = reconnects(states).map((s) => s.delayMs as number);
      assert.deepEqual(delays.slice(0, 3), [20, 40, 80]);
      assert.equal(
        server.received[firstCount]?.event.uid,
        PRESENCE.uid,
        'presence first after the reconnect',
      );
    } finally {
      clearInterval(sender);
    }
  });

  it('server stops reading: the queue fills, the oldest waiting events are dropped and counted, memory stays bounded', async () => {
    const server = await serve({ paused: true });
    const factory = recordingFactory();
    const MAX = 50;
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      createSocket: factory.createSocket,
      maxQueueEvents: MAX,
    });
    const dropped: TakDropped[] = [];
    client.on('dropped', (d) => dropped.push(d));
    client.start();
    await waitFor(client, 'connected');

    const remarks = 'x'.repeat(16 * 1024);
    let sent = 0;
    let queued = 0;
    while (client.counters.dropped < 200) {
      if (client.send(numbered('bp', sent++, remarks)) === 'queued') queued += 1;
      assert.ok(sent < 5_000, 'the kernel buffers never filled');
      assert.ok(client.queueLength + client.unconfirmedLength <= MAX, 'held at most maxQueueEvents');
    }
    const socket = factory.sockets[0] as net.Socket;
    assert.ok(
      socket.writableLength < 64 * 1024 + remarks.length * 2,
      `socket buffer ${socket.writableLength}`,
    );
    assert.ok(queued > 0);
    assert.equal(client.queueLength, MAX);
    assert.equal(
      dropped.reduce((sum, d) => sum + d.count, 0),
      client.counters.dropped,
    );
    assert.ok(dropped.every((d) => d.reason === 'queue-full'));

    server.resumeAll();
    await until(server, 'event', () => server.uids().includes(`bp-${sent - 1}`), 'the newest event', 8_000);
    const got = numbers(server.uids(), 'bp');
    assert.equal(got.length + client.counters.dropped, sent, 'every event either arrived or was counted');
    assert.ok(
      got.every((n, i) => i === 0 || n > (got[i - 1] as number)),
      'in order',
    );
    // The drops are one run: what was already written went through, the newest MAX waited and went through.
    const gapAt = got.findIndex((n, i) => n !== i);
    assert.equal(got[gapAt], sent - MAX);
    assert.deepEqual(
      got.slice(gapAt),
      Array.from({ length: MAX }, (_, i) => sent - MAX + i),
    );
    assert.equal(client.queueLength, 0);
  });

  it('server silent: pings, then drops the connection and reconnects', async () => {
    const server = await serve();
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      presence: PRESENCE,
      pingAfterIdleMs: 100,
      pingIntervalMs: 40,
      deadAfterIdleMs: 250,
    });
    client.start();
    const reconnecting = await waitFor<TakClientStateChange>(client, 'state', {
      filter: (s) => s.state === 'reconnecting',
    });
    assert.equal(reconnecting.error?.code, 'ERR_KEEPALIVE_TIMEOUT');
    // Pings at 100, 140, 180, 220 ms of silence; dead at 250 (a late timer on a loaded machine may skip the last).
    const pingsSent = client.counters.pingsSent;
    assert.ok(pingsSent >= 3 && pingsSent <= 4, `${pingsSent} pings`);
    await until(server, 'ping', () => server.pings.length >= pingsSent, 'the pings at the server');
    assert.ok(
      server.pings.every((p) => p.event.uid === `${PRESENCE.uid}-ping` && p.event.type === 't-x-c-t'),
    );
    await until(client, 'state', () => client.counters.connects === 2, 'a new connection');
    assert.equal(client.counters.lastError?.code, 'ERR_KEEPALIVE_TIMEOUT');
  });

  it('connection refused: backs off, no storm', async () => {
    const port = await closedPort();
    const factory = recordingFactory();
    const client = pool.make({
      host: HOST,
      port,
      ...FAST,
      createSocket: factory.createSocket,
      reconnectInitialMs: 20,
      reconnectMaxMs: 160,
    });
    const states = recordStates(client);
    const started = performance.now();
    client.start();
    await until(client, 'state', () => factory.sockets.length >= 7, 'seven attempts');
    const elapsed = performance.now() - started;
    const delays = reconnects(states).map((s) => s.delayMs);
    assert.deepEqual(delays.slice(0, 6), [20, 40, 80, 160, 160, 160]);
    assert.ok(elapsed >= 20 + 40 + 80 + 160 + 160 + 160 - 20, `7 attempts took only ${elapsed} ms`);
    assert.ok(reconnects(states).every((s) => s.error?.code === 'ERR_CONNECT_REFUSED'));
    assert.match(reconnects(states)[0]?.error?.message ?? '', /refused the connection/);
    assert.equal(client.counters.connects, 0);
    assert.equal(client.counters.disconnects, 0);
  });

  it('a server that accepts and hangs up at once gets backed off too', async () => {
    const server = await serve();
    server.on('connection', (socket: net.Socket) => socket.end());
    const client = pool.make({ host: HOST, port: server.port, ...FAST, reconnectMaxMs: 80 });
    const states = recordStates(client);
    client.start();
    await until(client, 'state', () => reconnects(states).length >= 5, 'five losses');
    assert.deepEqual(
      reconnects(states).map((s) => s.delayMs),
      [20, 40, 80, 80, 80],
    );
    assert.ok(reconnects(states).every((s) => s.error?.code === 'ERR_CONNECTION_CLOSED'));
  });

  it('a connection that stayed up healthyAfterMs resets the backoff', async () => {
    const server = await serve({ answerPings: true });
    await server.close();
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      healthyAfterMs: 100,
      pingAfterIdleMs: 40,
    });
    const states = recordStates(client);
    client.start();
    await until(client, 'state', () => reconnects(states).length >= 3, 'three refusals');
    await server.reopen();
    await waitFor(client, 'connected');
    await until(server, 'ping', () => server.pings.length >= 4, 'four pings: over 100 ms connected');
    const before = reconnects(states).length;
    await server.close();
    await until(client, 'state', () => reconnects(states).length > before, 'the next loss');
    const delays = reconnects(states).map((s) => s.delayMs);
    assert.deepEqual(delays.slice(0, 3), [20, 40, 80]);
    assert.equal(delays[before], 20, 'back to the initial delay');
  });

  it('connect timeout: an attempt that never connects is given up', async () => {
    const client = pool.make({
      host: HOST,
      port: 9,
      ...FAST,
      connectTimeoutMs: 50,
      createSocket: () => new net.Socket(), // never connects
    });
    client.start();
    const change = await waitFor<TakClientStateChange>(client, 'state', {
      filter: (s) => s.state === 'reconnecting',
    });
    assert.equal(change.error?.code, 'ERR_CONNECT_TIMEOUT');
    assert.match(change.error?.message ?? '', /within 50 ms/);
  });

  it('host not found is reported as such', async () => {
    const client = pool.make({
      host: 'no-such-host.invalid',
      port: 8087,
      ...FAST,
      createSocket: (target) =>
        net.connect({
          ...target,
          lookup: ((_host: string, _options: unknown, callback: (error: Error | null) => void) =>
            callback(
              Object.assign(new Error('getaddrinfo ENOTFOUND no-such-host.invalid'), { code: 'ENOTFOUND' }),
            )) as unknown as net.LookupFunction,
        }),
    });
    client.start();
    const change = await waitFor<TakClientStateChange>(client, 'state', {
      filter: (s) => s.state === 'reconnecting',
    });
    assert.equal(change.error?.code, 'ERR_HOST_NOT_FOUND');
    assert.equal(change.error?.systemCode, 'ENOTFOUND');
  });

  it('a login the server hangs up on is reported as ERR_AUTH_REJECTED', async () => {
    const server = await serve();
    server.on('connection', (socket: net.Socket) => socket.once('data', () => socket.end()));
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      auth: { username: 'u', password: 'wrong' },
    });
    client.start();
    const change = await waitFor<TakClientStateChange>(client, 'state', {
      filter: (s) => s.state === 'reconnecting',
    });
    assert.equal(change.error?.code, 'ERR_AUTH_REJECTED');
    assert.match(change.error?.message ?? '', /username and password/);
  });

  it('a connection reset is reported and recovered from', async () => {
    const server = await serve();
    server.on('connection', (socket: net.Socket) => {
      if (server.connections === 1) setImmediate(() => socket.resetAndDestroy());
    });
    const client = pool.make({ host: HOST, port: server.port, ...FAST });
    client.start();
    const change = await waitFor<TakClientStateChange>(client, 'state', {
      filter: (s) => s.state === 'reconnecting',
    });
    assert.equal(change.error?.code, 'ERR_CONNECTION_RESET');
    await until(client, 'state', () => client.state === 'connected', 'connected again');
  });

  it('events written just before a loss are written again after the reconnect (at least once)', async () => {
    const server = await serve();
    const client = pool.make({ host: HOST, port: server.port, ...FAST, confirmAfterMs: 60_000 });
    client.start();
    await waitFor(client, 'connected');
    for (let n = 0; n < 5; n++) assert.equal(client.send(numbered('held', n)), 'sent');
    await until(server, 'event', () => server.received.length === 5, 'five events');
    assert.equal(client.unconfirmedLength, 5, 'no sign yet that the server has them');
    for (const socket of server.sockets) socket.destroy();
    await until(server, 'event', () => server.received.length === 10, 'five again');
    assert.deepEqual(numbers(server.uids(), 'held'), [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
    assert.equal(client.counters.requeued, 5);
    assert.equal(client.counters.eventsSent, 10);
  });

  it('with resendUnconfirmed false, nothing is written twice (at most once)', async () => {
    const server = await serve();
    const client = pool.make({ host: HOST, port: server.port, ...FAST, resendUnconfirmed: false });
    client.start();
    await waitFor(client, 'connected');
    for (let n = 0; n < 5; n++) client.send(numbered('once', n));
    await until(server, 'event', () => server.received.length === 5, 'five events');
    assert.equal(client.unconfirmedLength, 0);
    for (const socket of server.sockets) socket.destroy();
    await until(client, 'state', () => client.counters.connects === 2, 'reconnected');
    client.send(numbered('once', 5));
    await until(server, 'event', () => server.received.length === 6, 'the sixth');
    assert.deepEqual(numbers(server.uids(), 'once'), [0, 1, 2, 3, 4, 5]);
    assert.equal(client.counters.requeued, 0);
  });

  it('a pong confirms what was written before its ping: nothing is written twice', async () => {
    const server = await serve({ answerPings: true });
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      pingAfterIdleMs: 30,
      confirmAfterMs: 60_000,
    });
    client.start();
    await waitFor(client, 'connected');
    for (let n = 0; n < 5; n++) client.send(numbered('acked', n));
    await until(server, 'ping', () => server.pings.length >= 2, 'two pings');
    assert.equal(client.unconfirmedLength, 0);
    for (const socket of server.sockets) socket.destroy();
    await until(client, 'state', () => client.counters.connects === 2, 'reconnected');
    assert.equal(client.counters.requeued, 0);
    assert.deepEqual(numbers(server.uids(), 'acked'), [0, 1, 2, 3, 4]);
  });

  it('data arriving confirmAfterMs after a write confirms it', async () => {
    const server = await serve({ answerPings: true });
    const client = pool.make({ host: HOST, port: server.port, ...FAST, confirmAfterMs: 20 });
    client.start();
    await waitFor(client, 'connected');
    for (let n = 0; n < 3; n++) client.send(numbered('c', n));
    await until(server, 'event', () => server.received.length === 3, 'three events');
    const socket = [...server.sockets][0] as net.Socket;
    await quietFor(40); // the point: the writes age past confirmAfterMs before the server talks
    socket.write(buildCot({ uid: 'server-talks', type: 'a-f-G', lat: 0, lon: 0 }));
    await waitFor(client, 'event');
    assert.equal(client.unconfirmedLength, 0);
  });
});
