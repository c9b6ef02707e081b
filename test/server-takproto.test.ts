/**
 * CotServer and TAK Protocol version 1: the offer on connect, the answer to a request, the switch of both
 * directions, routing between XML and protobuf clients with each event encoded at most once per format,
 * replay in the client's format, and the hostile-client rules with a negotiation in them. Real sockets on
 * loopback, real TakClients; the manual clock where a deadline matters.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  buildCot,
  encodeTakStreamFrame,
  presenceEvent,
  StreamParser,
  TakClient,
  type CotEvent,
  type TakClientOptions,
  type TakProtocolChange,
  type TakReceivedEvent,
} from '../src/index';
import type { EncodeErrorPayload, ProtocolPayload, ServerEventPayload } from '../src/server/cot-server';
import { ServerErrorCode } from '../src/server/errors';
import { ManualClock } from './helpers/client-clock';
import { ClientPool, FAST } from './helpers/client-servers';
import { until } from './helpers/client-wait';
import { collect, ServerFixture, waitForEmit, waitUntil, type RawClient } from './helpers/server-clients';

const SUITE_TIMEOUT_MS = 60_000;
const ALPHA = { uid: 'uid-alpha', callsign: 'ALPHA', team: 'Red', role: 'Team Lead' };
const BRAVO = { uid: 'uid-bravo', callsign: 'BRAVO' };

function marker(uid: string): string {
  const now = Date.now();
  return buildCot({ uid, type: 'b-m-p-s-m', lat: 1, lon: 2, time: now, start: now, stale: now + 300_000 });
}

const fx = new ServerFixture();
const pool = new ClientPool();
afterEach(async () => {
  await pool.stopAll();
  await fx.close();
});

/** The request a client sends for version 1, as TakClient and ATAK write it. */
function requestXml(uid: string): string {
  return buildCot({
    uid,
    type: 't-x-takp-q',
    lat: 0,
    lon: 0,
    detail: { TakControl: { TakRequest: { version: '1' } } },
  });
}

function track(uid: string, extra: Partial<CotEvent> = {}): CotEvent {
  const now = Date.now();
  return {
    uid,
    type: 'a-f-G-U-C',
    how: 'm-g',
    time: new Date(now).toISOString(),
    start: new Date(now).toISOString(),
    stale: new Date(now + 300_000).toISOString(),
    point: { lat: 51.5, lon: -0.12, hae: 11, ce: 5, le: 7 },
    detail: {
      contact: { callsign: uid.toUpperCase(), endpoint: '*:-1:stcp' },
      __group: { name: 'Cyan', role: 'Team Member' },
      track: { speed: '3.5', course: '270' },
      remarks: { _text: 'kept whole in xmlDetail' },
    },
    ...extra,
  } as CotEvent;
}

/** A TakClient against the fixture's server, its received events and protocol changes collected. */
function takClient(
  uid: string,
  options: Partial<TakClientOptions> = {},
): { client: TakClient; received: TakReceivedEvent[]; changes: TakProtocolChange[] } {
  const client = pool.make({
    ...FAST,
    host: '127.0.0.1',
    port: fx.port,
    presence: { uid, callsign: uid.toUpperCase() },
    ...options,
  } as TakClientOptions);
  const received: TakReceivedEvent[] = [];
  const changes: TakProtocolChange[] = [];
  client.on('event', (event) => received.push(event));
  client.on('protocol', (change) => changes.push(change));
  client.start();
  return { client, received, changes };
}

function receivedUid(list: TakReceivedEvent[], uid: string): TakReceivedEvent | undefined {
  return list.find((r) => r.event.uid === uid);
}

/** The model without what a wire format may legitimately spell differently (whitespace of XML text). */
function meaning(event: CotEvent): unknown {
  return JSON.parse(JSON.stringify(event));
}

describe(
  'CotServer offers TAK Protocol version 1 and routes between XML and protobuf clients',
  {
    timeout: SUITE_TIMEOUT_MS,
  },
  () => {
    it('a negotiating TakClient switches to protobuf and exchanges events with an XML client, same model both ways', async () => {
      const server = await fx.start({ offerTakProtocol: true });
      const switched = waitForEmit<ProtocolPayload>(server, 'protocol');
      const pb = takClient('pb-1');
      await until(pb.client, 'protocol', () => pb.client.counters.protocol === 'protobuf', 'protobuf');
      assert.deepEqual(
        pb.changes.map((c) => c.reason),
        ['fixed', 'offered', 'accepted'],
      );
      assert.equal(pb.client.counters.serverVersion, 'takpak tak-server');
      assert.equal((await switched).format, 'protobuf');
      await waitUntil(() => server.formats().protobuf === 1, 'the server counts one protobuf client');

      const xml = await fx.connectAs('xml', ALPHA);
      assert.deepEqual(
        xml.negotiation.map((e) => e.type),
        ['t-x-takp-v'],
        'the XML client was offered and, not asking, stays XML',
      );
      await until(pb.client, 'event', () => receivedUid(pb.received, ALPHA.uid) !== undefined, 'ALPHA');

      // XML client -> protobuf client: a protobuf frame of the same model.
      const fromXml = track('from-xml');
      const events = collect<ServerEventPayload>(server, 'event');
      xml.write(buildCot(fromXml));
      await until(pb.client, 'event', () => receivedUid(pb.received, 'from-xml') !== undefined, 'from-xml');
      const got = receivedUid(pb.received, 'from-xml') as TakReceivedEvent;
      assert.ok(got.takproto, 'it came to the protobuf client as a frame');
      const sentAsXml = new StreamParser().push(Buffer.from(buildCot(fromXml)));
      assert.equal(sentAsXml[0]?.kind, 'event');
      const xmlModel = sentAsXml[0]?.kind === 'event' ? sentAsXml[0].event : undefined;
      assert.deepEqual(meaning(got.event), meaning(xmlModel as CotEvent));

      // Protobuf client -> XML client: XML of the same model, built once.
      const fromPb = track('from-pb');
      assert.notEqual(pb.client.send(fromPb), 'dropped');
      const atXml = await xml.waitForUid('from-pb');
      const framed = new StreamParser({ mode: 'protobuf' }).push(encodeTakStreamFrame(fromPb));
      const pbModel = framed[0]?.kind === 'event' ? framed[0].event : undefined;
      assert.deepEqual(meaning(atXml), meaning(pbModel as CotEvent));
      const fromPbPayload = events.items.find((p) => p.event.uid === 'from-pb') as ServerEventPayload;
      assert.ok(fromPbPayload.takproto, "the server's 'event' carries the frame as received");
      assert.match(fromPbPayload.xml, /^<event [^>]*uid="from-pb"/);
      events.stop();
      assert.deepEqual(server.formats(), { xml: 1, protobuf: 1 });
    });

    it('encodes each event at most once per wire format, whatever the number of recipients', async () => {
      const server = await fx.start({ offerTakProtocol: true });
      const pbs = ['pb-a', 'pb-b', 'pb-c'].map((uid) => takClient(uid));
      for (const pb of pbs) {
        await until(pb.client, 'protocol', () => pb.client.counters.protocol === 'protobuf', 'protobuf');
      }
      const xmls: RawClient[] = [];
      for (const name of ['x1', 'x2', 'x3']) xmls.push(await fx.connect(name));
      const sender = await fx.connectAs('sender', ALPHA);
      for (const pb of pbs) {
        await until(pb.client, 'event', () => receivedUid(pb.received, ALPHA.uid) !== undefined, 'ALPHA');
      }
      const before = server.encodings();
      sender.write(buildCot(track('once-from-xml')));
      for (const pb of pbs) {
        await until(pb.client, 'event', () => receivedUid(pb.received, 'once-from-xml') !== undefined, 'x');
      }
      await Promise.all(xmls.map((x) => x.waitForUid('once-from-xml')));
      // Three protobuf recipients, one encoding; the XML recipients get the bytes as received.
      assert.deepEqual(server.encodings(), { xml: before.xml, protobuf: before.protobuf + 1 });

      const mid = server.encodings();
      pbs[0]?.client.send(track('once-from-pb'));
      await Promise.all([...xmls, sender].map((x) => x.waitForUid('once-from-pb')));
      for (const pb of pbs.slice(1)) {
        await until(pb.client, 'event', () => receivedUid(pb.received, 'once-from-pb') !== undefined, 'y');
      }
      // Four XML recipients, one XML built; the protobuf recipients get the frame as received.
      assert.deepEqual(server.encodings(), { xml: mid.xml + 1, protobuf: mid.protobuf });

      // A late protobuf client's replay reuses what was made: no new encoding for either event.
      const late = takClient('pb-late');
      await until(late.client, 'event', () => receivedUid(late.received, 'once-from-pb') !== undefined, 'z');
      await until(late.client, 'event', () => receivedUid(late.received, 'once-from-xml') !== undefined, 'w');
      assert.ok(receivedUid(late.received, 'once-from-xml')?.takproto, 'replayed in protobuf');
      assert.deepEqual(server.encodings().xml, mid.xml + 1);
    });

    it('holds the replay for the answer to the offer, so a negotiating client gets it in protobuf', async () => {
      const server = await fx.start({ offerTakProtocol: true });
      const a = await fx.connectAs('a', ALPHA);
      a.write(buildCot(track('kept-1')));
      await waitUntil(() => server.metrics().tracked === 2, 'two tracked');
      const pb = takClient('pb-replay');
      await until(pb.client, 'event', () => receivedUid(pb.received, 'kept-1') !== undefined, 'kept-1');
      for (const uid of [ALPHA.uid, 'kept-1']) {
        assert.ok(receivedUid(pb.received, uid)?.takproto, `${uid} was replayed as protobuf`);
      }
      // Its own SA, sent before it asked and so kept before its replay began, is not sent back to it.
      a.write(marker('after-replay'));
      await until(pb.client, 'event', () => receivedUid(pb.received, 'after-replay') !== undefined, 'after');
      assert.equal(receivedUid(pb.received, 'pb-replay'), undefined, 'no echo of its own SA');
    });

    it('an XML client that never answers the offer gets its replay when the hold ends, in XML', async () => {
      const clock = new ManualClock();
      const server = await fx.start({ offerTakProtocol: true, clock, replayHoldMs: 2_000, idleTimeoutMs: 0 });
      const a = await fx.connectAs('a', ALPHA);
      await waitUntil(() => server.metrics().tracked === 1, 'one tracked');
      const late = await fx.connect('late');
      await late.waitFor(() => (late.negotiation.length === 1 ? true : undefined), 'the offer');
      assert.equal(late.events.length, 0, 'nothing replayed during the hold');
      clock.advance(2_000);
      const replayed = await late.waitForUid(ALPHA.uid);
      assert.equal(replayed.type.startsWith('a-'), true);
      assert.equal(a.closed, false);
    });

    it('a track updated during the hold reaches the client live once, and is not replayed after it', async () => {
      const clock = new ManualClock();
      const server = await fx.start({ offerTakProtocol: true, clock, replayHoldMs: 2_000, idleTimeoutMs: 0 });
      const a = await fx.connectAs('a', ALPHA);
      await fx.connectAs('b', BRAVO);
      await waitUntil(() => server.metrics().tracked === 2, 'two tracked');
      const late = await fx.connect('late');
      await late.waitFor(() => (late.negotiation.length === 1 ? true : undefined), 'the offer');
      a.write(buildCot(presenceEvent({ ...ALPHA, lat: 10 })));
      const live = await late.waitForUid(ALPHA.uid);
      assert.equal(live.point.lat, 10, 'the update came live');
      clock.advance(2_000);
      await late.waitForUid(BRAVO.uid); // the replay of the track that did not change
      assert.equal(
        late.events.filter((event) => event.uid === ALPHA.uid).length,
        1,
        'ALPHA once: live, not again (older or the same) from the replay',
      );
    });

    it('with the offer off: no t-x-takp-v, a request is answered no, and the client stays on XML', async () => {
      const server = await fx.start({ offerTakProtocol: false });
      const pb = takClient('pb-off');
      const xml = await fx.connectAs('xml', ALPHA);
      await until(pb.client, 'event', () => receivedUid(pb.received, ALPHA.uid) !== undefined, 'ALPHA');
      assert.deepEqual(xml.negotiation, [], 'no offer');
      assert.equal(pb.client.counters.protocol, 'xml');
      assert.equal(receivedUid(pb.received, ALPHA.uid)?.takproto, undefined);

      // A client that asks anyway is told no and is read as XML after it.
      const asker = await fx.connect('asker');
      asker.write(requestXml('asker'));
      const answer = await asker.waitFor(
        () => asker.negotiation.find((e) => e.type === 't-x-takp-r'),
        'the answer',
      );
      const control = answer.detail?.TakControl as { TakResponse?: { status?: string } } | undefined;
      assert.equal(control?.TakResponse?.status, 'false');
      asker.write(buildCot(presenceEvent(BRAVO)));
      await xml.waitForUid(BRAVO.uid);
      assert.deepEqual(server.formats(), { xml: 3, protobuf: 0 });
    });

    it('a raw client that asks gets status=true, then its frames are read and it is written frames', async () => {
      const server = await fx.start({ offerTakProtocol: true });
      const xml = await fx.connectAs('xml', ALPHA);
      const raw = await fx.connect('raw');
      raw.write(requestXml('raw'));
      const answer = await raw.waitFor(() => raw.negotiation.find((e) => e.type === 't-x-takp-r'), 'answer');
      const control = answer.detail?.TakControl as { TakResponse?: { status?: string } } | undefined;
      assert.equal(control?.TakResponse?.status, 'true');
      // Two frames in one write, the second split over two writes: the server reads each whole.
      const one = encodeTakStreamFrame(track('raw-1'));
      const two = encodeTakStreamFrame(track('raw-2'));
      raw.write(Buffer.concat([one, two.subarray(0, 5)]));
      raw.write(two.subarray(5));
      await xml.waitForUid('raw-2');
      assert.deepEqual(xml.uids().slice(-2), ['raw-1', 'raw-2']);
      assert.equal(server.metrics().parseErrors, 0);
      // XML after the switch is not a frame: skipped up to the next frame, never routed.
      raw.write(buildCot(track('not-a-frame')));
      raw.write(encodeTakStreamFrame(track('raw-3')));
      await xml.waitForUid('raw-3');
      assert.equal(xml.has('not-a-frame'), false);
    });

    it('a negotiation counts as the first event: the first-event deadline does not close a client that only asked', async () => {
      const clock = new ManualClock();
      const server = await fx.start({
        offerTakProtocol: true,
        clock,
        firstEventTimeoutMs: 5_000,
        replayHoldMs: 0,
      });
      const asker = await fx.connect('asker');
      const silent = await fx.connect('silent');
      asker.write(requestXml('asker'));
      await asker.waitFor(() => asker.negotiation.find((e) => e.type === 't-x-takp-r'), 'answer');
      const errors = collect<{ error: { code: string } }>(server, 'clientError');
      clock.advance(5_000);
      await silent.waitClosed();
      assert.deepEqual(
        errors.items.map((p) => p.error.code),
        [ServerErrorCode.FIRST_EVENT],
      );
      // The asker is alive and speaks protobuf: its ping gets a pong frame.
      asker.write(
        encodeTakStreamFrame({
          uid: 'asker-ping',
          type: 't-x-c-t',
          how: 'h-g-i-g-o',
          lat: 0,
          lon: 0,
        }),
      );
      await waitUntil(() => server.metrics().messagesSent >= 1, 'the pong');
      assert.equal(asker.closed, false);
    });

    it('an event TAK Protocol cannot carry still reaches XML clients, and is reported once by its code', async () => {
      const server = await fx.start({ offerTakProtocol: true });
      const pbs = ['pb-u1', 'pb-u2'].map((uid) => takClient(uid));
      for (const pb of pbs) {
        await until(pb.client, 'protocol', () => pb.client.counters.protocol === 'protobuf', 'protobuf');
      }
      const other = await fx.connect('other');
      const sender = await fx.connectAs('sender', ALPHA);
      const failures = collect<EncodeErrorPayload>(server, 'encodeError');
      const now = Date.now();
      // An attribute on <detail> itself: XML can say it, TAK Protocol cannot.
      sender.write(
        buildCot({
          uid: 'odd-detail',
          type: 'b-m-p-s-m',
          lat: 1,
          lon: 2,
          time: now,
          start: now,
          stale: now + 60_000,
          detail: { note: 'on the detail element', remarks: {} },
        }),
      );
      sender.write(marker('after-odd'));
      await other.waitForUid('after-odd');
      assert.equal(other.has('odd-detail'), true, 'the XML client got it');
      for (const pb of pbs) {
        await until(pb.client, 'event', () => receivedUid(pb.received, 'after-odd') !== undefined, 'after');
        assert.equal(receivedUid(pb.received, 'odd-detail'), undefined, 'no protobuf client got it');
      }
      assert.equal(
        server.metrics().errors.ERR_TAKPROTO_UNREPRESENTABLE,
        1,
        'counted once, not per recipient',
      );
      assert.deepEqual(
        failures.items.map((f) => f.event.uid),
        ['odd-detail'],
      );
      failures.stop();
    });

    it('routes a marker from an XML client to a protobuf client as a frame', async () => {
      await fx.start({ offerTakProtocol: true });
      const pb = takClient('pb-named');
      await until(pb.client, 'protocol', () => pb.client.counters.protocol === 'protobuf', 'protobuf');
      const xml = await fx.connectAs('xml', ALPHA);
      await until(pb.client, 'event', () => receivedUid(pb.received, ALPHA.uid) !== undefined, 'ALPHA');
      xml.write(marker('to-all'));
      await until(pb.client, 'event', () => receivedUid(pb.received, 'to-all') !== undefined, 'to-all');
      assert.ok(receivedUid(pb.received, 'to-all')?.takproto);
    });
  },
);
