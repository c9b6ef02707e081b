import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import {
  buildCot,
  encodeTakStreamFrame,
  StreamParser,
  TakClient,
  type CotEvent,
  type TakClientOptions,
  type TakProtocolChange,
  type TakReceivedEvent,
} from '../src/index';
import { ManualClock } from './helpers/client-clock';
import { ClientPool, FAST } from './helpers/client-servers';
import { until, waitFor } from './helpers/client-wait';

/** What TAK Server's streaming inputs do with protobuf, one behaviour per test server. */
type Behaviour = 'accept' | 'refuse' | 'silent' | 'prototls';

const SERVER_VERSION = '5.2-RELEASE-test';
const T = 'time="2026-01-31T12:00:00Z" start="2026-01-31T12:00:00Z" stale="2026-01-31T12:05:00Z"';

function controlXml(type: string, inner: string): string {
  return `<event version="2.0" uid="protouid" type="${type}" how="m-g" ${T}><point lat="0" lon="0" hae="0" ce="999999" le="999999"/><detail><TakControl>${inner}</TakControl></detail></event>`;
}

const OFFER = controlXml(
  't-x-takp-v',
  `<TakProtocolSupport version="1"/><TakServerVersionInfo serverVersion="${SERVER_VERSION}"/>`,
);

function response(status: boolean): string {
  return controlXml('t-x-takp-r', `<TakResponse status="${status}"/>`);
}

function serverEvent(uid: string): CotEvent {
  return {
    version: '2.0',
    uid,
    type: 'a-f-G-U-C',
    how: 'm-g',
    time: '2026-01-31T12:00:00.000Z',
    start: '2026-01-31T12:00:00.000Z',
    stale: '2026-01-31T12:05:00.000Z',
    point: { lat: 1, lon: 2, hae: 9999999, ce: 9999999, le: 9999999 },
    detail: { contact: { callsign: uid } },
  };
}

interface Arrival {
  uid: string;
  type: string;
  wire: 'xml' | 'protobuf';
}

/** A loopback server that behaves like a TAK Server input: it offers, answers (or not), and records. */
class TakProtoServer extends EventEmitter {
  readonly arrivals: Arrival[] = [];
  private readonly sockets = new Set<net.Socket>();
  private constructor(
    private readonly server: net.Server,
    readonly behaviour: Behaviour,
  ) {
    super();
  }

  static async listen(behaviour: Behaviour, port = 0): Promise<TakProtoServer> {
    const server = net.createServer();
    const fake = new TakProtoServer(server, behaviour);
    server.on('connection', (socket) => fake.serve(socket));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const parser = new StreamParser({ mode: this.behaviour === 'prototls' ? 'protobuf' : 'xml' });
    // TAK Server reads protobuf from the byte after the request it accepted.
    if (this.behaviour === 'accept') parser.switchToProtobufAfter((event) => event.type === 't-x-takp-q');
    socket.on('data', (chunk: Buffer) => {
      for (const item of parser.push(chunk)) {
        if (item.kind !== 'event') continue;
        const arrival: Arrival = {
          uid: item.event.uid,
          type: item.event.type,
          wire: item.takproto === undefined ? 'xml' : 'protobuf',
        };
        this.arrivals.push(arrival);
        this.emit('arrival', arrival);
        if (arrival.type === 't-x-takp-q') this.answer(socket);
      }
    });
    if (this.behaviour !== 'prototls') socket.write(OFFER);
  }

  private answer(socket: net.Socket): void {
    if (this.behaviour === 'accept') {
      // The answer and the first protobuf frame in one write: the client must switch between them.
      socket.write(Buffer.concat([Buffer.from(response(true)), encodeTakStreamFrame(serverEvent('srv-pb'))]));
    } else if (this.behaviour === 'refuse') {
      socket.write(response(false) + buildCot(serverEvent('srv-xml')));
    }
  }

  /** Sends an event to every client, in the given wire format. */
  broadcast(event: CotEvent, wire: 'xml' | 'protobuf'): void {
    const data = wire === 'xml' ? buildCot(event) : encodeTakStreamFrame(event);
    for (const socket of this.sockets) socket.write(data);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const pool = new ClientPool();
const servers: TakProtoServer[] = [];
after(async () => {
  await pool.stopAll();
  await Promise.all(servers.map((server) => server.close()));
});

async function setup(
  behaviour: Behaviour,
  options: Partial<TakClientOptions> = {},
): Promise<{
  server: TakProtoServer;
  client: TakClient;
  changes: TakProtocolChange[];
  received: TakReceivedEvent[];
}> {
  const server = await TakProtoServer.listen(behaviour);
  servers.push(server);
  const client = pool.make({ ...FAST, host: '127.0.0.1', port: server.port, ...options });
  const changes: TakProtocolChange[] = [];
  const received: TakReceivedEvent[] = [];
  client.on('protocol', (change) => changes.push(change));
  client.on('event', (event) => received.push(event));
  client.start();
  return { server, client, changes, received };
}

function short(uid: string): { uid: string; type: string; lat: number; lon: number } {
  return { uid, type: 'a-f-G-U-C', lat: 1, lon: 2 };
}

describe('TakClient and TAK Protocol negotiation, against servers that behave like TAK Server', () => {
  it('offer, accept: the client asks, writes nothing else, then both directions speak protobuf', async () => {
    const { server, client, changes, received } = await setup('accept');
    await until(client, 'event', () => received.length >= 1, 'the first event from the server');
    assert.equal(received[0]?.event.uid, 'srv-pb');
    assert.ok(received[0]?.takproto, 'the event came as a protobuf frame, kept as received');
    assert.equal(received[0]?.event.detail?.contact !== undefined, true);
    assert.match(received[0]?.xml ?? '', /^<event .*uid="srv-pb"/, 'msg.cot stays XML, built from the model');
    const json = JSON.parse(JSON.stringify(received[0])) as Record<string, unknown>;
    assert.equal(json.xml, received[0]?.xml, 'JSON of the event keeps its XML');
    assert.deepEqual(json.event, JSON.parse(JSON.stringify(received[0]?.event)));
    assert.deepEqual(
      changes.map((c) => c.reason),
      ['fixed', 'offered', 'accepted'],
    );
    assert.equal(client.counters.protocol, 'protobuf');
    assert.equal(client.counters.serverVersion, SERVER_VERSION);
    // Before the answer the client wrote its request and nothing else.
    assert.deepEqual(server.arrivals, [{ uid: client.ownUid, type: 't-x-takp-q', wire: 'xml' }]);

    client.send(short('mine-1'));
    const arrival = await waitFor<Arrival>(server, 'arrival', { filter: (a) => a.uid === 'mine-1' });
    assert.equal(arrival.wire, 'protobuf');
    server.broadcast(serverEvent('srv-pb-2'), 'protobuf');
    await until(client, 'event', () => received.length >= 2, 'a second protobuf event');
    assert.equal(received[1]?.event.uid, 'srv-pb-2');
  });

  it('offer, refuse: the connection stays XML both ways', async () => {
    const { server, client, changes, received } = await setup('refuse');
    await until(client, 'event', () => received.length >= 1, 'the XML event after the refusal');
    assert.equal(received[0]?.event.uid, 'srv-xml');
    assert.equal(received[0]?.takproto, undefined);
    assert.deepEqual(
      changes.map((c) => `${c.reason}:${c.protocol}`),
      ['fixed:xml', 'offered:xml', 'refused:xml'],
    );
    assert.equal(client.counters.protocol, 'xml');
    client.send(short('mine-x'));
    const arrival = await waitFor<Arrival>(server, 'arrival', { filter: (a) => a.uid === 'mine-x' });
    assert.equal(arrival.wire, 'xml');
  });

  it('offer, never answered: nothing else is written for 60 s, then the client stays on XML', async () => {
    const clock = new ManualClock();
    const { server, client, changes } = await setup('silent', { connectionClock: clock });
    await waitFor<Arrival>(server, 'arrival', { filter: (a) => a.type === 't-x-takp-q' });
    assert.equal(client.send(short('held')), 'queued', 'held while the request is unanswered');
    clock.advance(59_999);
    assert.equal(client.counters.eventsSent, 0, 'nothing written before the timeout');
    assert.equal(client.queueLength, 1);
    clock.advance(1);
    assert.equal(changes.at(-1)?.reason, 'timeout');
    const arrival = await waitFor<Arrival>(server, 'arrival', { filter: (a) => a.uid === 'held' });
    assert.equal(arrival.wire, 'xml');
    assert.equal(client.counters.protocol, 'xml');
    assert.deepEqual(
      server.arrivals.map((a) => a.type),
      ['t-x-takp-q', 'a-f-G-U-C'],
    );
  });

  it("protocol 'protobuf' (prototls): protobuf from the first byte, no negotiation", async () => {
    const { server, client, changes, received } = await setup('prototls', {
      protocol: 'protobuf',
      presence: { uid: 'pb-client', callsign: 'PB' },
      identityGapMs: 0,
    });
    const presence = await waitFor<Arrival>(server, 'arrival', { filter: (a) => a.uid === 'pb-client' });
    assert.equal(presence.wire, 'protobuf');
    assert.deepEqual(changes, [{ protocol: 'protobuf', reason: 'fixed' }]);
    client.send(short('pb-1'));
    assert.equal(
      (await waitFor<Arrival>(server, 'arrival', { filter: (a) => a.uid === 'pb-1' })).wire,
      'protobuf',
    );
    server.broadcast(serverEvent('srv-1'), 'protobuf');
    await until(client, 'event', () => received.length >= 1, 'a protobuf event');
    assert.equal(received[0]?.event.uid, 'srv-1');
  });

  it("protocol 'xml': an offer is not answered", async () => {
    const { server, client, changes } = await setup('accept', { protocol: 'xml' });
    await until(client, 'state', () => client.state === 'connected', 'connected');
    client.send(short('x-1'));
    const arrival = await waitFor<Arrival>(server, 'arrival', { filter: (a) => a.uid === 'x-1' });
    assert.equal(arrival.wire, 'xml');
    assert.ok(!server.arrivals.some((a) => a.type === 't-x-takp-q'), 'no request was sent');
    assert.deepEqual(changes, [{ protocol: 'xml', reason: 'fixed' }]);
  });

  it('an unknown protocol setting is refused', () => {
    assert.throws(
      () => new TakClient({ host: '127.0.0.1', port: 1, protocol: 'json' as unknown as 'xml' }),
      /protocol is json/,
    );
  });
});

describe('TakClient: what it queues on a protobuf connection', () => {
  it('is a frame and no XML; after a reconnect that stays on XML, the same events go out as XML', async () => {
    const { server, client, changes } = await setup('accept', { resendUnconfirmed: true });
    await until(client, 'protocol', () => changes.some((c) => c.protocol === 'protobuf'), 'protobuf agreed');
    const sent: CotEvent[] = [];
    for (let i = 0; i < 20; i++) {
      const event = { ...serverEvent(`held-${i}`), detail: { contact: { callsign: `c&<>"'${i}` } } };
      sent.push(event);
      client.send(event);
    }
    const held = (s: TakProtoServer): Arrival[] => s.arrivals.filter((a) => a.uid.startsWith('held-'));
    await until(server, 'arrival', () => held(server).length >= 20, 'the 20 events, as frames');
    assert.ok(
      held(server).every((a) => a.wire === 'protobuf'),
      'written as frames',
    );
    // Written, never confirmed (this server answers no ping): held for a resend. The next server on the
    // same port refuses protobuf, so they go out again as XML made from the frames.
    const port = server.port;
    await server.close();
    const refusing = await TakProtoServer.listen('refuse', port);
    servers.push(refusing);
    await until(refusing, 'arrival', () => held(refusing).length >= 20, 'the 20 events again', 10_000);
    assert.deepEqual(
      held(refusing).map((a) => [a.uid, a.wire]),
      sent.map((e) => [e.uid, 'xml']),
    );
  });

  it('is refused over the size limit as TAK Protocol bytes, with the same code', async () => {
    const { client, changes } = await setup('accept', { maxSendEventBytes: 300 });
    await until(client, 'protocol', () => changes.some((c) => c.protocol === 'protobuf'), 'protobuf agreed');
    const big = { ...serverEvent('big'), detail: { remarks: { _text: 'x'.repeat(400) } } };
    assert.throws(
      () => client.send(big),
      (error: unknown) =>
        error instanceof Error &&
        (error as { code?: string }).code === 'ERR_CLIENT_EVENT_TOO_LARGE' &&
        /as TAK Protocol/.test(error.message),
    );
    // Well under the limit as a frame: sent.
    assert.ok(['sent', 'queued'].includes(client.send(serverEvent('small'))));
  });
});
