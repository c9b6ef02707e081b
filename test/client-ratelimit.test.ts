/**
 * Server-friendly sending over real loopback sockets, with the pacing on a clock moved by hand: the rate
 * limit, latest-wins coalescing, the minimum interval per uid, and how they keep order and count.
 */
import assert from 'node:assert/strict';
import type net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import type { TakClient, TakThrottle } from '../src/client/tak-client';
import { chatEvent, type CotElement, type CotEvent, type CotShortInput } from '../src/index';
import { ManualClock } from './helpers/client-clock';
import { ClientPool, FakeServer, FAST, type Received } from './helpers/client-servers';
import { until, waitFor } from './helpers/client-wait';

const HOST = '127.0.0.1';
const pool = new ClientPool();
const servers: FakeServer[] = [];

afterEach(async () => {
  await pool.stopAll();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(options: Parameters<typeof FakeServer.listen>[0] = {}): Promise<FakeServer> {
  const server = await FakeServer.listen(options);
  servers.push(server);
  return server;
}

/** What the server got, stamped with the pacing clock (which stands still while bytes travel). */
interface Arrival {
  at: number;
  uid: string;
  type: string;
  /** Remarks text: the update number of a position, "chat n" of a chat. */
  text: string;
  /** Which connection (0, 1, ...) carried it. */
  conn: number;
}

function remarksText(event: CotEvent): string {
  const remarks = event.detail?.remarks;
  return typeof remarks === 'object' && !Array.isArray(remarks) ? ((remarks as CotElement)._text ?? '') : '';
}

function record(server: FakeServer, clock: ManualClock): Arrival[] {
  const arrivals: Arrival[] = [];
  const conns = new Map<net.Socket, number>();
  server.on('connection', (socket: net.Socket) => conns.set(socket, conns.size));
  server.on('event', (r: Received) => {
    arrivals.push({
      at: clock.now(),
      uid: r.event.uid,
      type: r.event.type,
      text: remarksText(r.event),
      conn: conns.get(r.socket) ?? -1,
    });
  });
  return arrivals;
}

const UNITS = 100;

function position(unit: number, update: number): CotShortInput {
  return {
    uid: `unit-${unit}`,
    type: 'a-f-G-U-C',
    lat: 10 + unit / 1_000,
    lon: 20 + update / 100_000,
    callsign: `U${unit}`,
    remarks: String(update),
  };
}

function chat(n: number): CotEvent {
  return chatEvent({ senderUid: 'bridge', senderCallsign: 'BRIDGE', text: `chat ${n}`, messageId: `m-${n}` });
}

/** The burst of the issue: 10,000 updates for 100 uids (100 each, round robin), a chat after every 100th. */
function sendBurst(client: TakClient): { updates: number; chats: number } {
  let chats = 0;
  for (let i = 0; i < UNITS * 100; i++) {
    client.send(position(i % UNITS, Math.floor(i / UNITS)));
    if (i % UNITS === UNITS / 2) client.send(chat(chats++));
  }
  return { updates: UNITS * 100, chats };
}

/** Everything the client wrote has reached the server (the pacing clock stands still meanwhile). */
function settled(server: FakeServer, client: TakClient): Promise<void> {
  return until(
    server,
    'event',
    () => server.received.length === client.counters.eventsSent,
    `the server to have all ${client.counters.eventsSent} events written`,
  );
}

/** Moves the clock in steps until nothing waits, letting the bytes of each step arrive before the next. */
async function drain(
  clock: ManualClock,
  client: TakClient,
  server: FakeServer,
  stepMs: number,
  maxSteps: number,
  onStep?: (step: number) => Promise<void>,
): Promise<number> {
  await settled(server, client);
  let step = 0;
  while (client.queueLength > 0) {
    assert.ok(step < maxSteps, `still ${client.queueLength} waiting after ${maxSteps} steps`);
    clock.advance(stepMs);
    step += 1;
    await settled(server, client);
    if (onStep) await onStep(step);
  }
  return step;
}

/** The most arrivals in any window [t, t + windowMs). */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start += 1;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

/** offered = eventsSent - requeued + coalesced + dropped + waiting (see TakClientCounters). */
function assertCountersAddUp(client: TakClient): void {
  const c = client.counters;
  assert.equal(
    c.offered,
    c.eventsSent - c.requeued + c.coalesced + c.dropped + client.queueLength,
    JSON.stringify(c),
  );
}

function positionsByUnit(arrivals: Arrival[]): Map<string, number[]> {
  const byUnit = new Map<string, number[]>();
  for (const a of arrivals) {
    if (!a.uid.startsWith('unit-')) continue;
    const list = byUnit.get(a.uid) ?? [];
    list.push(Number(a.text));
    byUnit.set(a.uid, list);
  }
  return byUnit;
}

function chatNumbers(arrivals: Arrival[]): number[] {
  return arrivals.filter((a) => a.type === 'b-t-f').map((a) => Number(a.text.replace('chat ', '')));
}

const RATE = 10;
const BURST = 10;

describe('rate limit and latest wins, over loopback', () => {
  it('10,000 updates for 100 uids and 100 chats under 10 events/s: latest of each uid, every chat, in order, within the limit', async (t) => {
    const server = await serve();
    const clock = new ManualClock();
    const arrivals = record(server, clock);
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      clock,
      maxEventsPerSecond: RATE,
      burstEvents: BURST,
    });
    const throttles: TakThrottle[] = [];
    client.on('throttle', (change) => throttles.push(change));
    client.start();
    await waitFor(client, 'connected');

    const started = performance.now();
    const { updates, chats } = sendBurst(client);
    const burstMs = performance.now() - started;
    assert.equal(client.counters.eventsSent, BURST, 'the burst allowance went at once');
    assert.equal(client.throttling, true);
    assert.ok(
      client.queueLength <= UNITS + chats,
      `${client.queueLength} waiting: one per uid, and the chats`,
    );

    const steps = await drain(clock, client, server, 100, 1_000);
    const c = client.counters;
    assert.equal(c.offered, updates + chats);
    assert.equal(c.dropped, 0);
    assertCountersAddUp(client);
    assert.equal(c.eventsSent, arrivals.length);

    // Each uid's latest position arrived last, and its positions arrived in order.
    const byUnit = positionsByUnit(arrivals);
    assert.equal(byUnit.size, UNITS);
    for (const [uid, seen] of byUnit) {
      assert.equal(seen[seen.length - 1], 99, `${uid} ends at its latest update`);
      assert.ok(
        seen.every((n, i) => i === 0 || n > (seen[i - 1] as number)),
        `${uid} in order: ${seen.join(',')}`,
      );
    }
    // Every chat, once, in order.
    assert.deepEqual(
      chatNumbers(arrivals),
      Array.from({ length: chats }, (_, i) => i),
    );
    // Never more than the limit plus the burst in any second; after the first second, the limit alone.
    const times = arrivals.map((a) => a.at);
    const worst = maxInWindow(times, 1_000);
    assert.ok(worst <= RATE + BURST, `${worst} events in one second`);
    const later = maxInWindow(
      times.filter((time) => time >= 1_000),
      1_000,
    );
    assert.ok(later <= RATE, `${later} events in one second after the first`);
    // Paced to the limit: the last event went out when the limit allowed it, not earlier and not much later.
    const last = Math.max(...times);
    assert.equal(last, ((c.eventsSent - BURST) * 1_000) / RATE);
    assert.deepEqual(throttles[0], { throttling: true, waiting: 1 });
    assert.equal(client.throttling, true, 'until a token is back');
    clock.advance(1_000 / RATE);
    assert.equal(client.throttling, false);
    assert.deepEqual(
      throttles.map((x) => x.throttling),
      [true, false],
      'one start, one end: no flapping',
    );
    assert.deepEqual(throttles[1], { throttling: false, waiting: 0 });
    t.diagnostic(
      `offered ${c.offered}, sent ${c.eventsSent}, coalesced ${c.coalesced}, dropped ${c.dropped}; ` +
        `${worst} max in any second (${later} after the first); last at ${last / 1_000} s virtual after ${steps} steps; ` +
        `burst of sends took ${burstMs.toFixed(0)} ms; throttle events ${throttles.length}`,
    );
  });

  it('a disconnect during the burst loses nothing but superseded positions', async (t) => {
    const server = await serve();
    const clock = new ManualClock();
    const arrivals = record(server, clock);
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      clock,
      maxEventsPerSecond: RATE,
      burstEvents: BURST,
    });
    const throttles: TakThrottle[] = [];
    client.on('throttle', (change) => throttles.push(change));
    client.start();
    await waitFor(client, 'connected');
    const { updates, chats } = sendBurst(client);
    const coalescedInBurst = client.counters.coalesced;

    let cut = false;
    await drain(clock, client, server, 100, 1_000, async (step) => {
      if (step !== 60) return; // 6 s in: 70 events written, a chat among them, none confirmed (the server never talks)
      cut = true;
      const held = client.unconfirmedLength;
      assert.equal(held, BURST + 60, 'held for resend');
      const lost = waitFor(client, 'disconnected');
      for (const socket of server.sockets) socket.destroy();
      await lost;
      assert.equal(client.throttling, false, 'waiting for the connection now, not for the limit');
      await until(client, 'state', () => client.state === 'connected', 'the reconnect');
    });
    assert.ok(cut);
    const c = client.counters;
    assert.equal(c.connects, 2);
    assert.equal(c.requeued, BURST + 60);
    const superseded = c.coalesced - coalescedInBurst;
    assert.equal(superseded, BURST, "the burst's first positions: their uids' latest still waited");
    assert.equal(c.dropped, 0);
    assert.equal(c.offered, updates + chats);
    assertCountersAddUp(client);

    // Latest of every uid arrived; per connection strictly in order; across the loss never backwards.
    const byUnit = positionsByUnit(arrivals);
    assert.equal(byUnit.size, UNITS);
    for (const [uid, seen] of byUnit) {
      assert.equal(seen[seen.length - 1], 99, `${uid} ends at its latest update`);
      assert.ok(
        seen.every((n, i) => i === 0 || n >= (seen[i - 1] as number)),
        `${uid} never goes back: ${seen.join(',')}`,
      );
      for (const conn of [0, 1]) {
        const mine = arrivals.filter((a) => a.uid === uid && a.conn === conn).map((a) => Number(a.text));
        assert.ok(
          mine.every((n, i) => i === 0 || n > (mine[i - 1] as number)),
          `${uid} on ${conn}: ${mine.join(',')}`,
        );
      }
    }
    // Every chat arrived; first arrivals in order; repeats are only the resends of the first connection's.
    const numbers = chatNumbers(arrivals);
    const firsts = numbers.filter((n, i) => numbers.indexOf(n) === i);
    assert.deepEqual(
      firsts,
      Array.from({ length: chats }, (_, i) => i),
    );
    for (const conn of [0, 1]) {
      const mine = chatNumbers(arrivals.filter((a) => a.conn === conn));
      assert.ok(
        mine.every((n, i) => i === 0 || n > (mine[i - 1] as number)),
        `chats on ${conn}: ${mine.join(',')}`,
      );
    }
    const repeated = numbers.length - firsts.length;
    const worst = maxInWindow(
      arrivals.map((a) => a.at),
      1_000,
    );
    assert.ok(worst <= RATE + BURST, `${worst} events in one second`);
    t.diagnostic(
      `requeued ${c.requeued}, of which superseded ${superseded}; ` +
        `offered ${c.offered}, sent ${c.eventsSent}, coalesced ${c.coalesced}, chats repeated ${repeated}, ` +
        `${worst} max in any second`,
    );
  });

  it('a 50 Hz GPS under minIntervalPerUidMs 1000 becomes one event a second per uid, always the latest', async (t) => {
    const server = await serve();
    const clock = new ManualClock();
    const arrivals = record(server, clock);
    const client = pool.make({ host: HOST, port: server.port, ...FAST, clock, minIntervalPerUidMs: 1_000 });
    client.start();
    await waitFor(client, 'connected');
    const FIXES = 500; // 10 s at 50 Hz, two trackers
    for (let n = 0; n < FIXES; n++) {
      client.send(position(0, n));
      client.send(position(1, n));
      assert.ok(client.queueLength <= 2, 'one waiting update per uid at most');
      await settled(server, client); // stamped at the time it was written
      clock.advance(20);
      await settled(server, client);
    }
    await drain(clock, client, server, 20, 100);
    const expected = [0, ...Array.from({ length: 10 }, (_, i) => 49 + i * 50)]; // 0, 49, 99, ..., 499
    for (const uid of ['unit-0', 'unit-1']) {
      const mine = arrivals.filter((a) => a.uid === uid);
      assert.deepEqual(
        mine.map((a) => Number(a.text)),
        expected,
        uid,
      );
      const gaps = mine.slice(1).map((a, i) => a.at - (mine[i] as Arrival).at);
      assert.ok(
        gaps.every((gap) => gap >= 1_000),
        `gaps ${gaps.join(',')}`,
      );
    }
    const c = client.counters;
    assert.equal(c.offered, 2 * FIXES);
    assert.equal(c.eventsSent, 2 * expected.length);
    assert.equal(c.dropped, 0);
    assertCountersAddUp(client);
    t.diagnostic(
      `${c.offered} fixes at 50 Hz for 2 uids -> ${c.eventsSent} events in ${clock.now() / 1_000} s virtual, coalesced ${c.coalesced}`,
    );
  });

  it('while disconnected, updates coalesce to one per uid; chats, marked events and listed types keep every one, in order', async () => {
    const server = await serve();
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      neverCoalesceTypes: ['b-m-p-s-'],
    });
    for (let n = 0; n < 50; n++) {
      for (let unit = 0; unit < 10; unit++) client.send(position(unit, n));
      client.send(chat(n));
      client.send({ ...position(10, n), uid: 'marked' }, { coalesce: false });
      client.send({ ...position(11, n), uid: 'spot', type: 'b-m-p-s-p-i' });
    }
    assert.equal(client.queueLength, 10 + 50 * 3);
    assert.equal(client.counters.coalesced, 49 * 10);
    client.start();
    await until(server, 'event', () => server.received.length === 160, 'everything that waited');
    const arrivals = server.received.map((r) => ({ uid: r.event.uid, text: remarksText(r.event) }));
    for (let unit = 0; unit < 10; unit++) {
      assert.deepEqual(
        arrivals.filter((a) => a.uid === `unit-${unit}`).map((a) => a.text),
        ['49'],
      );
    }
    const series = (uid: string): number[] =>
      arrivals.filter((a) => a.uid === uid).map((a) => Number(a.text));
    const all = Array.from({ length: 50 }, (_, i) => i);
    assert.deepEqual(series('marked'), all);
    assert.deepEqual(series('spot'), all);
    assert.deepEqual(
      server.received.filter((r) => r.event.type === 'b-t-f').map((r) => remarksText(r.event)),
      all.map((n) => `chat ${n}`),
    );
    assert.equal(client.counters.eventsSent, 160);
    assertCountersAddUp(client);
  });

  it('when the server stops reading, updates coalesce instead of filling the queue', async () => {
    const server = await serve({ paused: true });
    const client = pool.make({ host: HOST, port: server.port, ...FAST, maxQueueEvents: 50 });
    client.start();
    await waitFor(client, 'connected');
    const padding = { padding: { _text: 'x'.repeat(16 * 1024) } };
    const big = (unit: number, n: number): CotShortInput => ({ ...position(unit, n), detail: padding });
    let n = 0;
    while (client.queueLength === 0) {
      client.send(big(n % 5, Math.floor(n / 5)));
      n += 1;
      assert.ok(n < 5_000, 'the kernel buffers never filled');
    }
    const before = client.counters.coalesced;
    for (let more = 0; more < 2_000; more++, n++) client.send(big(n % 5, Math.floor(n / 5)));
    assert.ok(client.queueLength <= 5, `${client.queueLength} waiting`);
    assert.ok(client.counters.coalesced - before >= 2_000 - 5);
    assert.equal(client.counters.dropped, 0);
    server.resumeAll();
    const lastOf = (unit: number): number => Math.floor((n - 1 - ((n - 1 - unit) % 5)) / 5);
    await until(
      server,
      'event',
      () => client.queueLength === 0 && server.received.length === client.counters.eventsSent,
      'everything written to arrive',
      8_000,
    );
    for (let unit = 0; unit < 5; unit++) {
      const seen = server.received
        .filter((r) => r.event.uid === `unit-${unit}`)
        .map((r) => Number(remarksText(r.event)));
      assert.equal(seen[seen.length - 1], lastOf(unit), `unit-${unit} ends at its latest`);
      assert.ok(
        seen.every((v, i) => i === 0 || v > (seen[i - 1] as number)),
        'in order',
      );
    }
    assertCountersAddUp(client);
  });

  it('a feed just above the limit reads as throttled throughout, not flapping at the rate', async () => {
    const server = await serve();
    const clock = new ManualClock();
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      clock,
      maxEventsPerSecond: RATE,
      burstEvents: 1,
    });
    const throttles: TakThrottle[] = [];
    client.on('throttle', (change) => throttles.push(change));
    client.start();
    await waitFor(client, 'connected');
    for (let n = 0; n < 110; n++) {
      client.send(position(0, n)); // 11 Hz for 10 s
      clock.advance(1_000 / 11);
    }
    // Writes made in one run go out together after it; let them, as the real clock would.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      throttles.map((x) => x.throttling),
      [true],
    );
    clock.advance(1_000);
    assert.deepEqual(
      throttles.map((x) => x.throttling),
      [true, false],
    );
    await settled(server, client);
    const seen = server.received.map((r) => Number(remarksText(r.event)));
    assert.equal(seen[seen.length - 1], 109);
    assert.ok(seen.length <= 1 + 10 * 10 + 1, `${seen.length} events in 10 s`);
  });

  it('stop() while throttled keeps to the limit, counts what is left as dropped and leaves no pacing timer', async () => {
    const server = await serve();
    const clock = new ManualClock();
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      clock,
      maxEventsPerSecond: RATE,
      burstEvents: BURST,
      flushTimeoutMs: 100,
    });
    const throttles: TakThrottle[] = [];
    client.on('throttle', (change) => throttles.push(change));
    client.start();
    await waitFor(client, 'connected');
    for (let n = 0; n < 50; n++) client.send(chat(n));
    assert.equal(client.counters.eventsSent, BURST);
    assert.equal(clock.pending, 1, 'one pacing timer');
    await client.stop();
    assert.equal(client.counters.dropped, 50 - BURST);
    assert.equal(clock.pending, 0);
    assert.deepEqual(
      throttles.map((x) => x.throttling),
      [true, false],
    );
    assertCountersAddUp(client);
  });

  it('a token that comes back between a refused take and the next timer still gets the events out', async () => {
    const server = await serve();
    // 200 events/s is a token every 5 ms and each clock reading moves on 1 ms: a token refused at one reading
    // is there a few readings later, when the pacing timer is set; it must then be set at once, not left out.
    const clock = new ManualClock(1);
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      clock,
      maxEventsPerSecond: 200,
      burstEvents: 1,
    });
    client.start();
    await waitFor(client, 'connected');
    for (let n = 0; n < 20; n++) client.send(chat(n));
    for (let step = 0; step < 200 && client.counters.eventsSent < 20; step++) clock.advance(5);
    assert.equal(
      client.counters.eventsSent,
      20,
      `${client.counters.eventsSent} of 20 written, ${clock.pending} timers set`,
    );
  });

  it('paces on the real clock too', async () => {
    const server = await serve();
    const client = pool.make({
      host: HOST,
      port: server.port,
      ...FAST,
      maxEventsPerSecond: 200,
      burstEvents: 5,
    });
    client.start();
    await waitFor(client, 'connected');
    const started = performance.now();
    for (let n = 0; n < 40; n++) client.send(chat(n));
    // Distinct uids: on a starved machine the fast keepalive may reconnect and resend (at-least-once).
    await until(
      server,
      'event',
      () => new Set(server.received.map((r) => r.event.uid)).size === 40,
      'all 40 chats',
    );
    const took = performance.now() - started;
    // 35 after the burst at 5 ms each: 175 ms (timers may run a little late, never early).
    assert.ok(took >= 165, `took only ${took} ms`);
    await until(client, 'throttle', () => !client.throttling, 'the throttling to end');
  });
});
