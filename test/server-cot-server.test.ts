import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { buildCot, chatEvent, deleteEvent, pingEvent, type CotElement, type CotEvent } from '../src/index';
import {
  CotServer,
  type ClientErrorPayload,
  type ClientInfo,
  type DisconnectPayload,
  type ServerEventPayload,
} from '../src/server/cot-server';
import { ServerErrorCode } from '../src/server/errors';
import {
  barrier,
  collect,
  received,
  ServerFixture,
  waitForEmit,
  waitUntil,
  type RawClient,
} from './helpers/server-clients';

/** A hang (a wait with no deadline, a close that never resolves) fails the suite instead of the run. */
const SUITE_TIMEOUT_MS = 20_000;

/** A marker (not SA) from a client, with its stale a given number of seconds ahead. */
function marker(uid: string, staleSeconds = 300, detail: CotEvent['detail'] = {}): string {
  const now = Date.now();
  return buildCot({
    version: '2.0',
    uid,
    type: 'b-m-p-s-m',
    how: 'h-e',
    time: now,
    start: now,
    stale: now + staleSeconds * 1000,
    point: { lat: 1, lon: 2 },
    detail,
  });
}

function directed(uid: string, dests: Array<{ callsign?: string; uid?: string }>): string {
  return marker(uid, 300, { marti: { dest: dests.length === 1 ? (dests[0] as CotElement) : dests } });
}

const ALPHA = { uid: 'uid-alpha', callsign: 'ALPHA', team: 'Red', role: 'Team Lead' };
const BRAVO = { uid: 'uid-bravo', callsign: 'BRAVO' };
const CHARLIE = { uid: 'uid-charlie', callsign: 'CHARLIE' };
const DELTA = { uid: 'uid-delta', callsign: 'DELTA' };

const fx = new ServerFixture();
afterEach(() => fx.close());

describe('CotServer: identity and routing', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('learns a client identity from its SA: uid, callsign, team, role, endpoint, address', async () => {
    const server = await fx.start();
    const a = await fx.connect('a');
    const identified = waitForEmit<ClientInfo>(server, 'identified');
    a.write(buildCot(pingEvent('uid-alpha'))); // a ping identifies nobody
    a.send({
      uid: 'uid-alpha',
      type: 'a-f-G-U-C',
      lat: 1,
      lon: 2,
      callsign: 'ALPHA',
      team: 'Red',
      role: 'Team Lead',
    });
    const info = await identified;
    assert.equal(info.uid, 'uid-alpha');
    assert.equal(info.callsign, 'ALPHA');
    assert.equal(info.team, 'Red');
    assert.equal(info.role, 'Team Lead');
    assert.equal(info.remoteAddress, '127.0.0.1');
    assert.equal(info.remotePort, a.socket.localPort);
    assert.ok(info.connectedAt <= Date.now());
    assert.deepEqual(server.clients(), [info]);

    // A new callsign for the same uid is news; another uid's event (a marker it placed) is not its identity.
    const renamed = waitForEmit<ClientInfo>(server, 'identified');
    a.send({
      uid: 'uid-alpha',
      type: 'a-f-G-U-C',
      lat: 1,
      lon: 2,
      callsign: 'ALPHA-2',
      team: 'Red',
      role: 'Team Lead',
    });
    a.send({ uid: 'marker-1', type: 'a-h-G', lat: 1, lon: 2, callsign: 'H.1' });
    assert.equal((await renamed).callsign, 'ALPHA-2');
    await waitForEmit<ServerEventPayload>(server, 'event', (p) => p.event.uid === 'marker-1');
    assert.equal(server.clients()[0]?.callsign, 'ALPHA-2');
    // An SA without contact or group keeps what was learnt.
    a.send({ uid: 'uid-alpha', type: 'a-f-G-U-C', lat: 3, lon: 4 });
    await waitForEmit<ServerEventPayload>(server, 'event', (p) => p.event.uid === 'uid-alpha');
    assert.deepEqual({ ...server.clients()[0] }, { ...info, callsign: 'ALPHA-2' });
  });

  it('sends every event to all other clients, exactly as received, and never back to the sender', async () => {
    const server = await fx.start();
    const a = await fx.connectAs('a', ALPHA);
    const b = await fx.connectAs('b', BRAVO);
    const c = await fx.connectAs('c', CHARLIE);
    const events = collect<ServerEventPayload>(server, 'event');
    // Pretty-printed and behind a declaration: forwarded byte for byte all the same.
    const xml = marker('m-1').replace('<point', '\n  <point');
    a.write(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
    await Promise.all([b.waitForUid('m-1'), c.waitForUid('m-1')]);
    assert.equal(b.xml[b.events.findIndex((e) => e.uid === 'm-1')], xml);
    assert.equal(c.xml[c.events.findIndex((e) => e.uid === 'm-1')], xml);
    await barrier(server, [a, b, c]);
    assert.ok(!a.has('m-1'), 'echoed to the sender');
    assert.ok(!a.has(ALPHA.uid));
    assert.equal(events.items.length, 1);
    assert.equal(events.items[0]?.xml, xml);
    assert.equal(events.items[0]?.client.uid, ALPHA.uid);
  });

  it('sends an event with marti dest only to the clients named, by callsign, by uid, or several', async () => {
    const server = await fx.start();
    const a = await fx.connectAs('a', ALPHA);
    const b = await fx.connectAs('b', BRAVO);
    const c = await fx.connectAs('c', CHARLIE);
    const d = await fx.connectAs('d', DELTA);
    a.write(directed('to-bravo', [{ callsign: 'BRAVO' }]));
    a.write(directed('to-charlie', [{ uid: 'uid-charlie' }]));
    a.write(directed('to-bravo-delta', [{ callsign: 'BRAVO' }, { uid: 'uid-delta' }]));
    a.write(directed('to-alpha-self', [{ callsign: 'ALPHA' }]));
    a.write(directed('to-nobody', [{ callsign: 'ZULU' }]));
    a.write(
      buildCot(
        chatEvent({ senderUid: ALPHA.uid, senderCallsign: 'ALPHA', text: 'hi', toCallsign: 'CHARLIE' }),
      ),
    );
    await b.waitForUid('to-bravo-delta');
    await c.waitForEvent((e) => e.type === 'b-t-f', 'the chat');
    await barrier(server, [a, b, c, d]);
    const sas = [ALPHA.uid, BRAVO.uid, CHARLIE.uid, DELTA.uid];
    const directedOnly = (client: RawClient): string[] => received(client).filter((u) => !sas.includes(u));
    assert.deepEqual(directedOnly(a), []);
    assert.deepEqual(directedOnly(b), ['to-bravo', 'to-bravo-delta']);
    assert.deepEqual(
      directedOnly(c).map((u) => u.split('.')[0]),
      ['to-charlie', 'GeoChat'],
    );
    assert.deepEqual(directedOnly(d), ['to-bravo-delta']);

    // Directed events are never replayed.
    const late = await fx.connect('late');
    await late.waitForCount(4);
    await barrier(server, [late]);
    assert.deepEqual(received(late).sort(), [...sas].sort());
  });

  it('answers a ping with a pong to the sender only and consumes control types', async () => {
    const server = await fx.start();
    const a = await fx.connectAs('a', ALPHA);
    const b = await fx.connectAs('b', BRAVO);
    const events = collect<ServerEventPayload>(server, 'event');
    a.write(buildCot(pingEvent(ALPHA.uid)));
    const pong = await a.waitForUid('takPong');
    assert.equal(pong.type, 't-x-c-t-r');
    assert.equal(pong.how, 'h-g-i-g-o');
    const control = (type: string, uid: string): string =>
      buildCot({ uid, type, lat: 0, lon: 0, detail: { TakControl: { TakRequest: { version: '1' } } } });
    a.write(control('t-x-takp-q', 'proto-request'));
    a.write(control('t-x-c-t-r', 'a-pong'));
    a.write(marker('after-control'));
    await b.waitForUid('after-control');
    await barrier(server, [a, b]);
    assert.deepEqual(received(b), [ALPHA.uid, 'after-control']);
    assert.deepEqual(received(a), [BRAVO.uid, 'takPong']);
    assert.deepEqual(
      events.items.map((p) => p.event.uid),
      ['after-control'],
    );
    assert.equal(server.metrics().messagesReceived, 2 + 4); // two SAs, ping, two control, marker
  });
});

describe('CotServer: replay and the track store', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('gives a late joiner the latest non-stale event of every tracked uid, without control or deletes', async () => {
    const server = await fx.start();
    const a = await fx.connectAs('a', ALPHA);
    a.write(marker('m-1'));
    a.write(marker('m-2'));
    a.write(marker('m-1', 600, { remarks: { _text: 'moved' } })); // the latest wins
    a.write(buildCot(pingEvent(ALPHA.uid)));
    a.write(buildCot(deleteEvent({ uid: 'm-2' })));
    await waitForEmit<ServerEventPayload>(server, 'event', (p) => p.event.type === 't-x-d-d');
    const late = await fx.connect('late');
    await late.waitForCount(2);
    await barrier(server, [late]);
    assert.deepEqual(received(late), [ALPHA.uid, 'm-1']);
    assert.equal((late.events[1]?.detail?.remarks as { _text: string })._text, 'moved');
    assert.equal(server.metrics().tracked, 2);
  });

  it('replays more than the socket buffer holds, resuming at drain, in update order', async () => {
    const server = await fx.start({ inputBytesPerSecond: 0 }); // the 12 MB batch goes in at full speed
    const a = await fx.connectAs('a', ALPHA);
    // About 12 MB. The pump runs synchronously in the connection handler, so the late joiner cannot read
    // during it: loopback buffers a few MiB (3.7 MiB on the dev machine) and the rest must wait for 'drain'.
    const count = 4000;
    const padding = { remarks: { _text: 'p'.repeat(3000) } };
    let batch = '';
    for (let i = 0; i < count; i++) batch += marker(`m-${i}`, 300, padding);
    const last = waitForEmit<ServerEventPayload>(server, 'event', (p) => p.event.uid === `m-${count - 1}`);
    a.write(batch);
    await last;
    const late = await fx.connect('late');
    a.write(marker('live-during-replay'));
    await late.waitForCount(count + 2);
    const uids = received(late);
    assert.equal(uids.length, count + 2);
    const replayed = uids.filter((u) => u !== 'live-during-replay');
    assert.deepEqual(replayed, [ALPHA.uid, ...Array.from({ length: count }, (_, i) => `m-${i}`)]);
    assert.equal(server.metrics().dropped, 0);
  });

  it('does not replay with replay: false', async () => {
    const server = await fx.start({ replay: false });
    await fx.connectAs('a', ALPHA);
    const late = await fx.connect('late');
    await barrier(server, [late]);
    assert.deepEqual(received(late), []);
  });

  it('forgets stale events in the sweep and never replays one', async () => {
    const server = await fx.start({ staleSweepMs: 50 });
    const a = await fx.connectAs('a', ALPHA);
    const staleAt = Date.now() + 1000;
    a.write(marker('short', 1));
    a.write(marker('long', 300));
    await waitForEmit<ServerEventPayload>(server, 'event', (p) => p.event.uid === 'long');
    assert.equal(server.metrics().tracked, 3);
    await waitUntil(() => server.metrics().tracked === 2, 'the sweep forgetting the stale marker');
    assert.ok(Date.now() >= staleAt - 50, 'forgotten before it went stale');
    const late = await fx.connect('late');
    await late.waitForCount(2);
    await barrier(server, [late]);
    assert.deepEqual(received(late), [ALPHA.uid, 'long']);
  });

  it('checks staleness at replay time, whatever the sweep interval', async () => {
    const server = await fx.start({ staleSweepMs: 3_600_000 });
    const a = await fx.connectAs('a', ALPHA);
    const seen = waitForEmit<ServerEventPayload>(server, 'event', (p) => p.event.uid === 'short');
    a.write(marker('short', 1));
    const staleAt = Date.parse((await seen).event.stale);
    await waitUntil(() => Date.now() > staleAt, 'the marker going stale');
    assert.equal(server.metrics().tracked, 2, 'the sweep has not run');
    const late = await fx.connect('late');
    await late.waitForCount(1);
    await barrier(server, [late]);
    assert.deepEqual(received(late), [ALPHA.uid]);
  });
});

describe('CotServer: clients leaving', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('tells the others with a t-x-d-d when a client leaves, and forgets its SA', async () => {
    const server = await fx.start();
    const a = await fx.connectAs('a', ALPHA);
    const b = await fx.connectAs('b', BRAVO);
    const gone = waitForEmit<DisconnectPayload>(server, 'disconnect');
    a.socket.end();
    const notice = await b.waitForEvent((e) => e.type === 't-x-d-d', 'the delete');
    assert.equal((notice.detail?.link as { uid: string }).uid, ALPHA.uid);
    const { client, reason } = await gone;
    assert.equal(reason, 'closed');
    assert.equal(client.uid, ALPHA.uid);
    assert.deepEqual(
      server.clients().map((c) => c.uid),
      [BRAVO.uid],
    );
    const late = await fx.connect('late');
    await late.waitForCount(1);
    await barrier(server, [late]);
    assert.deepEqual(received(late), [BRAVO.uid]);
  });

  it('drops a client that sends nothing for idleTimeoutMs; one that pings stays', async () => {
    const server = await fx.start({ idleTimeoutMs: 300 });
    const a = await fx.connectAs('a', ALPHA);
    const b = await fx.connectAs('b', BRAVO);
    const keepAlive = setInterval(() => b.write(buildCot(pingEvent(BRAVO.uid))), 100);
    try {
      const error = waitForEmit<ClientErrorPayload>(server, 'clientError');
      const gone = waitForEmit<DisconnectPayload>(server, 'disconnect');
      await a.waitClosed();
      assert.equal((await error).error.code, ServerErrorCode.IDLE);
      assert.equal((await error).client.uid, ALPHA.uid);
      assert.equal((await gone).reason, 'idle');
      await b.waitForEvent((e) => e.type === 't-x-d-d', 'the delete for the idle client');
      assert.equal(b.closed, false);
      assert.equal(server.metrics().clientsDropped, 1);
      assert.deepEqual(
        server.clients().map((c) => c.uid),
        [BRAVO.uid],
      );
    } finally {
      clearInterval(keepAlive);
    }
  });

  it('costs a garbage-sending client only its garbage; its good events still route', async () => {
    const server = await fx.start({ maxEventBytes: 4096 });
    const g = await fx.connectAs('g', ALPHA);
    const b = await fx.connectAs('b', BRAVO);
    const c = await fx.connectAs('c', CHARLIE);
    const errors = collect<ClientErrorPayload>(server, 'clientError');
    const broken = marker('broken').slice(0, 120);
    const noPoint =
      '<event version="2.0" uid="no-point" type="a-f-G" how="m-g" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2026-01-01T00:05:00Z"><detail/></event>';
    const huge = marker('huge', 300, { remarks: { _text: 'x'.repeat(5000) } });
    g.write(`garbage \u0000\u00ff <<>> ${marker('good-1')}${broken}${marker('good-2')}${noPoint}&&&${huge}`);
    g.write(Buffer.from([0xbf, 0x01, 0xbf, 0x00, 0x12]));
    g.write(marker('good-3'));
    await b.waitForUid('good-3');
    c.write(marker('from-c'));
    await b.waitForUid('from-c');
    await barrier(server, [b, g]);
    assert.deepEqual(received(b), [ALPHA.uid, CHARLIE.uid, 'good-1', 'good-2', 'good-3', 'from-c']);
    assert.equal(g.closed, false);
    assert.ok(received(g).includes('from-c'));
    const codes = errors.items.map((p) => p.error.code);
    // Cut inside a quoted value, the next `<event` reads as broken markup rather than a new event.
    assert.ok(codes.includes('ERR_STREAM_TRUNCATED') || codes.includes('ERR_STREAM_MALFORMED'), codes.join());
    assert.ok(codes.includes('ERR_COT_MISSING_POINT'), codes.join());
    assert.ok(codes.includes('ERR_STREAM_OVERSIZE'), codes.join());
    assert.ok(errors.items.every((p) => p.client.uid === ALPHA.uid));
    assert.equal(server.metrics().parseErrors, errors.items.length);
  });

  it('drops a client that stops reading once its queue passes maxQueueBytes; the others keep receiving', async () => {
    const maxQueueBytes = 256 * 1024;
    const server = await fx.start({ maxQueueBytes, maxEventBytes: 64 * 1024 });
    const slow = await fx.connectAs('slow', ALPHA);
    const reader = await fx.connectAs('reader', BRAVO);
    slow.socket.pause();
    const dropped = waitForEmit<ClientErrorPayload>(server, 'clientError', undefined, 15_000);
    let isDropped = false;
    void dropped.then(() => (isDropped = true)).catch(() => undefined);
    const big = marker('big', 300, { remarks: { _text: 'y'.repeat(8 * 1024) } });
    const perRound = 16; // 128 KiB: half the limit, so the reader, which does read, is never in danger
    let sent = 0;
    // The kernel buffers several MiB on loopback before the server's own queue grows: at most 64 MiB.
    for (let round = 0; round < 512 && !isDropped; round++) {
      for (let i = 0; i < perRound; i++) server.send(big);
      sent += perRound;
      await reader.waitForCount(1 + sent); // + the slow client's SA
    }
    const { error, client } = await dropped;
    assert.equal(error.code, ServerErrorCode.SLOW_CLIENT);
    assert.match(error.message, /stopped reading/);
    assert.equal(client.uid, ALPHA.uid);
    slow.socket.resume(); // reads what the kernel holds, then sees the server's close
    await slow.waitClosed();
    await reader.waitForEvent((e) => e.type === 't-x-d-d', 'the delete for the slow client');
    const d = await fx.connectAs('d', DELTA);
    d.write(marker('still-routing'));
    await reader.waitForUid('still-routing');
    const metrics = server.metrics();
    assert.equal(metrics.clientsDropped, 1);
    assert.ok(metrics.dropped >= 1);
    assert.equal(reader.closed, false);
  });

  it('refuses connections beyond maxClients and keeps serving the others', async () => {
    const server = await fx.start({ maxClients: 2 });
    const a = await fx.connectAs('a', ALPHA);
    const b = await fx.connectAs('b', BRAVO);
    const full = waitForEmit<ClientErrorPayload>(server, 'clientError');
    const extra = net.connect({ host: '127.0.0.1', port: fx.port });
    extra.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => extra.once('close', () => resolve()));
    const { error } = await full;
    assert.equal(error.code, ServerErrorCode.FULL);
    await closed;
    a.write(marker('m'));
    await b.waitForUid('m');
    const metrics = server.metrics();
    assert.equal(metrics.connectionsReceived, 3);
    assert.equal(metrics.connectionsRefused, 1);
    assert.equal(metrics.openSockets, 2);
  });
});

describe('CotServer: from the flow, metrics, lifecycle', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('sends from the flow to all, to a uid, to a callsign', async () => {
    const server = await fx.start();
    const a = await fx.connectAs('a', ALPHA);
    const b = await fx.connectAs('b', BRAVO);
    const c = await fx.connectAs('c', CHARLIE);
    assert.equal(server.send({ uid: 'flow-all', type: 'a-n-G', lat: 1, lon: 2, callsign: 'SENSOR' }), 3);
    assert.equal(server.send(marker('flow-uid'), { uid: BRAVO.uid }), 1);
    assert.equal(
      server.send(`<?xml version="1.0" encoding="UTF-8"?>\n${marker('flow-callsign')}\n`, {
        callsign: 'CHARLIE',
      }),
      1,
    );
    assert.equal(server.send(marker('flow-both'), { uid: ALPHA.uid, callsign: 'BRAVO' }), 2);
    assert.equal(server.send(marker('flow-nobody'), { callsign: 'ZULU' }), 0);
    assert.equal(server.send(directed('flow-dest', [{ callsign: 'CHARLIE' }])), 1);
    assert.throws(() => server.send(marker('x'), {}), { code: ServerErrorCode.INPUT });
    assert.throws(() => server.send('<event uid="x"/>'), { code: /^ERR_COT_/ });
    assert.throws(() => server.send('not xml'), { code: /^ERR_COT_/ });
    assert.throws(() => server.send({ type: 'a-f-G', lat: 100, lon: 0 }), { code: 'ERR_COT_LAT' });
    await barrier(server, [a, b, c]);
    const flow = (client: RawClient): string[] => received(client).filter((u) => u.startsWith('flow-'));
    assert.deepEqual(flow(a), ['flow-all', 'flow-both']);
    assert.deepEqual(flow(b), ['flow-all', 'flow-uid', 'flow-both']);
    assert.deepEqual(flow(c), ['flow-all', 'flow-callsign', 'flow-dest']);
    const raw = c.xml[c.events.findIndex((e) => e.uid === 'flow-callsign')] as string;
    assert.ok(raw.startsWith('<event'), 'the declaration and newline are not sent');
    // Broadcasts from the flow are replayed; directed ones are not.
    const late = await fx.connect('late');
    await late.waitForCount(4);
    await barrier(server, [late]);
    assert.deepEqual(received(late), [ALPHA.uid, BRAVO.uid, CHARLIE.uid, 'flow-all']);
  });

  it('counts what it did', async () => {
    const server = await fx.start();
    const a = await fx.connect('a');
    const b = await fx.connect('b');
    const c = await fx.connect('c');
    for (const [client, who] of [
      [a, ALPHA],
      [b, BRAVO],
      [c, CHARLIE],
    ] as const) {
      client.send({ uid: who.uid, type: 'a-f-G-U-C', lat: 1, lon: 1, callsign: who.callsign });
    }
    await Promise.all([a.waitForCount(2), b.waitForCount(2), c.waitForCount(2)]); // 3 SAs x 2 others
    a.write(buildCot(pingEvent(ALPHA.uid)));
    await a.waitForUid('takPong'); // +1
    a.write(`<event nonsense ${marker('m-1')}`);
    await Promise.all([b.waitForUid('m-1'), c.waitForUid('m-1')]); // +2
    let metrics = server.metrics();
    assert.deepEqual(metrics, {
      connectionsReceived: 3,
      connectionsRefused: 0,
      openSockets: 3,
      messagesReceived: 5,
      messagesSent: 6 + 1 + 2,
      dropped: 0,
      clientsDropped: 0,
      parseErrors: 1,
      throttled: 0,
      connections: 3,
      errors: { ERR_STREAM_MALFORMED: 1 },
      tracked: 4,
    });
    const gone = waitForEmit<DisconnectPayload>(server, 'disconnect');
    c.destroy();
    await gone;
    await Promise.all(
      [a, b].map((client) => client.waitForEvent((e) => e.type === 't-x-d-d', 'the delete for c')),
    );
    metrics = server.metrics();
    assert.equal(metrics.openSockets, 2);
    assert.equal(metrics.messagesSent, 9 + 2);
    assert.equal(metrics.tracked, 3);
  });

  it('close() with clients connected ends them all and leaves no socket, server or timer behind', async () => {
    const before = process.getActiveResourcesInfo();
    const server = await fx.start({ idleTimeoutMs: 60_000, staleSweepMs: 1000 });
    const a = await fx.connectAs('a', ALPHA);
    const b = await fx.connectAs('b', BRAVO);
    const disconnects = collect<DisconnectPayload>(server, 'disconnect');
    await server.close();
    await Promise.all([a.waitClosed(), b.waitClosed()]);
    assert.deepEqual(disconnects.items.map((d) => d.reason).sort(), ['shutdown', 'shutdown']);
    assert.equal(server.clients().length, 0);
    assert.equal(server.send(marker('after')), 0);
    await server.close(); // twice is fine
    await assert.rejects(server.listen(), { code: ServerErrorCode.STATE });
    const count = (list: string[], kind: string): number => list.filter((r) => r === kind).length;
    const after = process.getActiveResourcesInfo();
    for (const kind of ['TCPServerWrap', 'TCPSocketWrap', 'Timeout']) {
      assert.equal(count(after, kind), count(before, kind), `${kind}: ${after.join()}`);
    }
  });

  it('rejects listen() on a port in use, reports it as error, and may listen again', async () => {
    const first = await fx.start();
    const second = new CotServer({ host: '127.0.0.1', port: fx.port });
    const reported = waitForEmit<Error>(second, 'error');
    await assert.rejects(second.listen(), { code: 'EADDRINUSE' });
    assert.equal(((await reported) as Error & { code: string }).code, 'EADDRINUSE');
    await first.close();
    const { port } = await second.listen();
    assert.equal(port, fx.port);
    await second.close();
  });

  it('uses an injected server, and close() also ends connections it never handed over', async (t) => {
    let held: net.Socket | undefined;
    t.after(() => held?.destroy()); // should close() ever leave it open, the test fails instead of hanging
    const server = await fx.start({
      createServer: (onConnection) =>
        net.createServer((socket) => {
          // The first connection stays "in its handshake" for ever; later ones are handed over.
          if (held === undefined) held = socket;
          else onConnection(socket);
        }),
    });
    const stuck = net.connect({ host: '127.0.0.1', port: fx.port });
    stuck.on('error', () => undefined);
    t.after(() => stuck.destroy());
    const stuckClosed = new Promise<void>((resolve) => stuck.once('close', () => resolve()));
    await waitUntil(() => held !== undefined, 'the first connection arriving');
    const a = await fx.connectAs('a', ALPHA);
    const b = await fx.connectAs('b', BRAVO);
    a.write(marker('via-injected'));
    await b.waitForUid('via-injected');
    assert.equal(server.clients().length, 2);
    await server.close();
    await stuckClosed;
    assert.equal(held?.destroyed, true);
  });

  it('refuses bad options with ERR_SERVER_OPTION', () => {
    assert.throws(() => new CotServer({ maxClients: 0 }), { code: ServerErrorCode.OPTION });
    assert.throws(() => new CotServer({ port: 70000 }), { code: ServerErrorCode.OPTION });
    assert.throws(() => new CotServer({ idleTimeoutMs: 1.5 }), { code: ServerErrorCode.OPTION });
    assert.throws(() => new CotServer({ maxEventBytes: 10 }), /maxEventBytes/);
  });
});
