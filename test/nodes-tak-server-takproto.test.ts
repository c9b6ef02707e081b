/**
 * tak-server and TAK Protocol version 1 in a real Node-RED runtime: a protobuf client (TakClient that
 * negotiates) and an XML client exchange events through the node, the node's output carries msg.takproto
 * for the protobuf one, metrics count the formats, and the "offer" setting turned off keeps both on XML.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { TakClient, type CotEvent, type TakClientOptions, type TakReceivedEvent } from '../src/index';
import takServer from '../src/nodes/tak-server';
import { FAST } from './helpers/client-servers';
import { until } from './helpers/client-wait';
import { collect, eventually, getNode, startRed, stopRed, waitFor } from './helpers/red';
import { freePort } from './helpers/ports';

const NODES = [takServer];

function flow(port: number, extra: Record<string, unknown> = {}): Array<Record<string, unknown>> {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    {
      id: 'srv',
      type: 'tak-server',
      z: 'tab',
      x: 100,
      y: 20,
      host: '127.0.0.1',
      port,
      ...extra,
      wires: [['out']],
    },
    { id: 'out', type: 'helper', z: 'tab', x: 300, y: 20, wires: [] },
  ];
}

const clients: TakClient[] = [];

function client(
  uid: string,
  port: number,
  protocol: TakClientOptions['protocol'],
): { client: TakClient; received: TakReceivedEvent[] } {
  const c = new TakClient({
    ...FAST,
    host: '127.0.0.1',
    port,
    protocol,
    presence: { uid, callsign: uid.toUpperCase() },
  } as TakClientOptions);
  clients.push(c);
  const received: TakReceivedEvent[] = [];
  c.on('event', (event) => received.push(event));
  c.start();
  return { client: c, received };
}

function marker(uid: string): { uid: string; type: string; lat: number; lon: number; callsign: string } {
  return { uid, type: 'b-m-p-s-m', lat: 10, lon: 20, callsign: `mark ${uid}` };
}

async function metricsPayload(): Promise<{ formats: { xml: number; protobuf: number } }> {
  const reply = waitFor<{ payload: { formats: { xml: number; protobuf: number } } }>(
    getNode('out'),
    'input',
    (m) => (m as { topic?: string }).topic === 'metrics',
  );
  getNode('srv').receive({ topic: 'metrics' });
  return (await reply).payload;
}

describe('tak-server with protobuf and XML clients in one runtime', () => {
  before(async () => {
    await startRed();
  });
  after(async () => {
    await stopRed();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    await (await startRed()).unload();
  });

  it('offers protobuf by default: a negotiating client switches, and events cross to and from an XML client', async () => {
    const port = await freePort();
    await (await startRed()).load(NODES, flow(port));
    const out = collect(getNode('out'));
    const pb = client('pb-node', port, 'negotiate');
    await until(pb.client, 'protocol', () => pb.client.counters.protocol === 'protobuf', 'protobuf');
    const xml = client('xml-node', port, 'xml');
    await until(xml.client, 'event', () => xml.received.some((r) => r.event.uid === 'pb-node'), 'pb SA');

    pb.client.send(marker('from-pb'));
    xml.client.send(marker('from-xml'));
    await until(xml.client, 'event', () => xml.received.some((r) => r.event.uid === 'from-pb'), 'from-pb');
    await until(pb.client, 'event', () => pb.received.some((r) => r.event.uid === 'from-xml'), 'from-xml');
    const atPb = pb.received.find((r) => r.event.uid === 'from-xml') as TakReceivedEvent;
    const atXml = xml.received.find((r) => r.event.uid === 'from-pb') as TakReceivedEvent;
    assert.ok(atPb.takproto, 'the protobuf client was sent a frame');
    assert.equal(atXml.takproto, undefined, 'the XML client was sent XML');
    assert.equal(
      (atXml.event.detail?.contact as { callsign?: string } | undefined)?.callsign,
      'mark from-pb',
    );

    await eventually(
      () => ['from-pb', 'from-xml'].every((uid) => out.some((m) => (m.payload as CotEvent).uid === uid)),
      'the node emitted both',
    );
    const fromPb = out.find((m) => (m.payload as CotEvent).uid === 'from-pb') as Record<string, unknown>;
    const fromXml = out.find((m) => (m.payload as CotEvent).uid === 'from-xml') as Record<string, unknown>;
    assert.ok(Buffer.isBuffer(fromPb.takproto), 'msg.takproto: the frame as received');
    assert.match(fromPb.cot as string, /^<event [^>]*uid="from-pb"/, 'msg.cot stays XML');
    assert.equal((fromPb.client as { uid?: string }).uid, 'pb-node', 'msg.client: who sent it');
    assert.equal((fromXml.client as { uid?: string }).uid, 'xml-node');
    assert.equal(fromXml.takproto, undefined);
    assert.deepEqual((await metricsPayload()).formats, { xml: 1, protobuf: 1 });
  });

  it('with the offer off, a negotiating client stays on XML', async () => {
    const port = await freePort();
    await (await startRed()).load(NODES, flow(port, { offerProtobuf: false }));
    const out = collect(getNode('out'));
    const pb = client('pb-off', port, 'negotiate');
    const xml = client('xml-off', port, 'xml');
    await until(xml.client, 'event', () => xml.received.some((r) => r.event.uid === 'pb-off'), 'pb SA');
    await until(pb.client, 'event', () => pb.received.some((r) => r.event.uid === 'xml-off'), 'xml SA');
    pb.client.send(marker('off-1'));
    await until(xml.client, 'event', () => xml.received.some((r) => r.event.uid === 'off-1'), 'off-1');
    assert.equal(pb.client.counters.protocol, 'xml');
    await eventually(() => out.some((m) => (m.payload as CotEvent).uid === 'off-1'), 'the node emitted it');
    const msg = out.find((m) => (m.payload as CotEvent).uid === 'off-1') as Record<string, unknown>;
    assert.equal(msg.takproto, undefined);
    assert.deepEqual((await metricsPayload()).formats, { xml: 2, protobuf: 0 });
  });
});
