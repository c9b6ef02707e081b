import assert from 'node:assert/strict';
import type net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import type { TakReceivedEvent } from '../src/client/tak-client';
import { buildCot, chatEvent, type StreamError } from '../src/index';
import {
  ClientPool,
  FakeServer,
  FAST,
  numbered,
  numbers,
  PRESENCE,
  recordingFactory,
} from './helpers/client-servers';
import { until, waitFor } from './helpers/client-wait';

const HOST = '127.0.0.1';
const pool = new ClientPool();
const servers: FakeServer[] = [];

async function serve(options: Parameters<typeof FakeServer.listen>[0]): Promise<FakeServer> {
  const server = await FakeServer.listen(options);
  servers.push(server);
  return server;
}

afterEach(async () => {
  await pool.stopAll();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('against a FreeTAKServer-like server (identity = first event, rest of the first read discarded)', () => {
  it('sends the presence first, waits, then the queue: nothing is thrown away', async () => {
    const welcome = buildCot(chatEvent({ senderUid: 'server', senderCallsign: 'FTS', text: 'welcome' }));
    const server = await serve({ identityFirstRead: true, greeting: welcome });
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      presence: PRESENCE,
      identityGapMs: 80,
    });
    const received: TakReceivedEvent[] = [];
    client.on('event', (r) => received.push(r));
    for (const n of range(10)) assert.equal(client.send(numbered('fts', n)), 'queued');
    client.start();
    await until(server, 'event', () => server.received.length >= 10, '10 events at the server');

    assert.equal(server.identities.length, 1);
    const identity = server.identities[0]?.event;
    assert.equal(identity?.uid, PRESENCE.uid);
    assert.equal((identity?.detail?.contact as { callsign: string }).callsign, PRESENCE.callsign);
    assert.deepEqual(server.discarded, [], 'nothing shared the first read with the identity');
    assert.deepEqual(numbers(server.uids(), 'fts'), range(10));
    await until(client, 'event', () => received.length >= 1, 'the welcome chat');
    assert.equal(received[0]?.event.type, 'b-t-f');
    assert.equal(received[0]?.xml, welcome);
    assert.equal(client.send(numbered('fts', 10)), 'sent', 'connected and idle: written at once');
  });

  it('gets the t-x-d-d the server broadcasts when another client leaves', async () => {
    const server = await serve({ identityFirstRead: true, announceLeave: true });
    const a = pool.make({ host: HOST, port: server.port, ...FAST, presence: { uid: 'a', callsign: 'A' } });
    const b = pool.make({ host: HOST, port: server.port, ...FAST, presence: { uid: 'b', callsign: 'B' } });
    a.start();
    b.start();
    await until(server, 'identity', () => server.identities.length === 2, 'both identities');
    const gone = waitFor<TakReceivedEvent>(a, 'event', { filter: (r) => r.event.type === 't-x-d-d' });
    await b.stop();
    assert.equal((await gone).event.type, 't-x-d-d');
  });
});

describe('against a taky-like server (replays stored events back to back, never echoes)', () => {
  it('receives replayed events written without separators, and its own events reach others only', async () => {
    const server = await serve({ replay: true, broadcast: true });
    const stored = ['old-1', 'old-2', 'old-3'].map((uid) => buildCot({ uid, type: 'a-h-G', lat: 5, lon: 6 }));
    for (const xml of stored) server.store(xml);

    const a = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      presence: { uid: 'client-a', callsign: 'A' },
    });
    const aGot: string[] = [];
    a.on('event', ({ event }) => aGot.push(event.uid));
    a.start();
    await until(a, 'event', () => aGot.length >= 3, 'the replay');
    assert.deepEqual(aGot, ['old-1', 'old-2', 'old-3']);
    assert.equal(a.counters.eventsReceived, 3);

    a.send(numbered('from-a', 1));
    await until(server, 'event', () => server.uids().includes('from-a-1'), 'from-a-1 at the server');

    const b = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      presence: { uid: 'client-b', callsign: 'B' },
    });
    const bGot: string[] = [];
    b.on('event', ({ event }) => bGot.push(event.uid));
    b.start();
    await until(b, 'event', () => bGot.includes('from-a-1'), 'the replay to b');
    assert.deepEqual(bGot.slice(0, 3), ['old-1', 'old-2', 'old-3']);
    assert.ok(bGot.includes('client-a'), "a's presence was stored and replayed");
    await until(a, 'event', () => aGot.includes('client-b'), "b's presence at a");
    assert.ok(!aGot.includes('from-a-1') && !aGot.includes('client-a'), 'never echoed to the sender');
  });
});

describe('against a TAK Server-like server (pongs, skips bad events and bytes outside events)', () => {
  it('keeps a quiet connection alive with pings; pongs are consumed, not emitted', async () => {
    const server = await serve({ answerPings: true });
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      presence: PRESENCE,
      pingAfterIdleMs: 60,
      pingIntervalMs: 30,
      deadAfterIdleMs: 200,
    });
    const emitted: string[] = [];
    client.on('event', ({ event }) => emitted.push(event.type));
    client.on('control', ({ event }) => emitted.push(`control ${event.type}`));
    client.start();
    // Six pings take over 360 ms: well past deadAfterIdleMs, so only the pongs kept the connection.
    await until(server, 'ping', () => server.pings.length >= 6, 'six pings');
    const counters = client.counters;
    assert.ok(counters.pongsReceived >= 5, `pongs ${counters.pongsReceived}`);
    assert.equal(counters.controlReceived, counters.pongsReceived);
    assert.equal(counters.connects, 1);
    assert.equal(counters.disconnects, 0);
    assert.deepEqual(emitted, []);
    assert.equal(server.pings[0]?.event.uid, `${PRESENCE.uid}-ping`);
  });

  it('emits pongs as control events when asked', async () => {
    const server = await serve({ answerPings: true });
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      pingAfterIdleMs: 30,
      emitControl: true,
    });
    client.start();
    const control = await waitFor<TakReceivedEvent>(client, 'control');
    assert.equal(control.event.type, 't-x-c-t-r');
    assert.equal(control.event.uid, 'takPong');
  });

  it('reports bad events and noise from the server as parseError and carries on', async () => {
    const good = buildCot({ uid: 'good', type: 'a-f-G', lat: 1, lon: 1 });
    const noPoint = good.replace(/<point[^>]*\/>/, '');
    const broken = good.replace('<point', '<point <');
    const server = await serve({ greeting: `garbage ${noPoint}${broken}\n${good}` });
    const client = pool.make({ host: HOST, port: server.port, ...FAST });
    const errors: StreamError[] = [];
    client.on('parseError', (e) => errors.push(e));
    client.start();
    const got = await waitFor<TakReceivedEvent>(client, 'event');
    assert.equal(got.event.uid, 'good');
    assert.deepEqual(
      errors.map((e) => e.code),
      ['ERR_COT_MISSING_POINT', 'ERR_STREAM_MALFORMED'],
    );
    assert.equal(client.counters.parseErrors, 2);
    assert.equal(client.state, 'connected');
  });

  it('logs in with <auth> first, escaped, then the presence; every write is one single-line event', async () => {
    const server = await serve({ record: true });
    const factory = recordingFactory();
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      createSocket: factory.createSocket,
      presence: PRESENCE,
      auth: { username: 'bob', password: 'p&"<w>' },
    });
    client.send(numbered('after-auth', 1));
    client.send(
      `<?xml version="1.0"?>\n${buildCot({ uid: 'multi', type: 'a-f-G', lat: 1, lon: 1 }).replace('><', '>\n  <')}`,
    );
    client.start();
    await until(server, 'event', () => server.uids().includes('multi'), 'the queued events');
    const transcript = server.transcripts[0] as string;
    assert.ok(
      transcript.startsWith(
        `<auth><cot username="bob" password="p&amp;&quot;&lt;w&gt;" uid="${PRESENCE.uid}"/></auth><event `,
      ),
      transcript.slice(0, 120),
    );
    assert.equal(server.received[0]?.event.uid, PRESENCE.uid, 'the presence is the first event');
    assert.doesNotMatch(transcript, /[\r\n]/, 'no newline anywhere');
    assert.equal(factory.writes.length, 4);
    for (const write of factory.writes) {
      assert.match(write, /^(<auth>.*<\/auth>|<event .*<\/event>)$/, 'one whole element per write');
    }
  });

  it('sends the presence again every presenceIntervalMs', async () => {
    const server = await serve({});
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      presence: PRESENCE,
      presenceIntervalMs: 40,
    });
    client.start();
    await until(
      server,
      'event',
      () => server.uids().filter((u) => u === PRESENCE.uid).length >= 3,
      '3 presences',
    );
    const times = server.received.map((r) => Date.parse(r.event.time));
    assert.ok(
      times.every((t, i) => i === 0 || t >= (times[i - 1] as number)),
      'each one fresh',
    );
  });
});

describe('writing to the socket', () => {
  /** Counts the socket's calls into its handle: one per system call (write or writev). */
  function countHandleWrites(socket: net.Socket): { single: number; gathered: number } {
    const counts = { single: 0, gathered: 0 };
    const inner = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => void>;
    const write = inner._write.bind(socket);
    const writev = inner._writev.bind(socket);
    inner._write = (...args) => {
      counts.single += 1;
      write(...args);
    };
    inner._writev = (...args) => {
      counts.gathered += 1;
      writev(...args);
    };
    return counts;
  }

  it('events sent in one run leave in one write; a lone event still goes at once, alone', async () => {
    const server = await serve({});
    const factory = recordingFactory();
    const client = pool.make({ host: HOST, port: server.port, ...FAST, createSocket: factory.createSocket });
    client.start();
    await waitFor(client, 'connected');
    const counts = countHandleWrites(factory.sockets[0] as net.Socket);
    for (let n = 0; n < 50; n++) assert.equal(client.send(numbered('burst', n)), 'sent');
    await until(server, 'event', () => server.received.length === 50, 'the burst');
    assert.deepEqual(counts, { single: 0, gathered: 1 });
    assert.deepEqual(numbers(server.uids(), 'burst'), range(50), 'in order');

    client.send(numbered('lone', 1));
    await until(server, 'event', () => server.uids().includes('lone-1'), 'the lone event');
    assert.deepEqual(counts, { single: 1, gathered: 1 });
  });
});
