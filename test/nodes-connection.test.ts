import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import type net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { buildCot, pongEvent, type CotEvent } from '../src/index';
import takConfig from '../src/nodes/tak-config';
import takReceive from '../src/nodes/tak-receive';
import takSend from '../src/nodes/tak-send';
import { CotPeer } from './helpers/cot-peer';
import {
  collect,
  eventually,
  getNode,
  startRed,
  stopRed,
  waitFor,
  waitForConnectionStatus,
  waitForStatus,
  isConnectedStatus,
} from './helpers/red';

/** Every uid a `note` node got, whichever flow it belonged to: survives redeploys, unlike a helper node's spy. */
const noted: string[] = [];

/** A node that notes the uid of every msg it gets. */
function noteNode(RED: {
  nodes: { createNode(node: unknown, def: unknown): void; registerType(type: string, ctor: unknown): void };
}): void {
  RED.nodes.registerType('note', function (this: EventEmitter, def: unknown) {
    RED.nodes.createNode(this, def);
    this.on('input', (msg: { payload: { uid: string } }) => noted.push(msg.payload.uid));
  });
}

const NODES = [takConfig, takSend, takReceive, noteNode];
const T = 'time="2026-01-31T12:00:00Z" start="2026-01-31T12:00:00Z" stale="2099-01-31T12:05:00Z"';

function flow(port: number, extra: Record<string, unknown> = {}): Array<Record<string, unknown>> {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    {
      id: 'cfg',
      type: 'tak-config',
      host: '127.0.0.1',
      port,
      protocol: 'tcp',
      callsign: 'GATEWAY & <co>',
      uid: 'takpak-test-gw',
      team: 'Green',
      role: 'HQ',
      identityGap: 0,
      reconnectMax: 1,
    },
    // Flow nodes need x and y: without them Node-RED takes a node for a config node.
    { id: 'send', type: 'tak-send', z: 'tab', x: 100, y: 100, server: 'cfg', wires: [] },
    { id: 'recv', type: 'tak-receive', z: 'tab', x: 100, y: 200, server: 'cfg', wires: [['out']], ...extra },
    { id: 'out', type: 'helper', z: 'tab', x: 300, y: 200, wires: [] },
    {
      id: 'catcher',
      type: 'catch',
      z: 'tab',
      x: 100,
      y: 300,
      scope: null,
      uncaught: false,
      wires: [['caught']],
    },
    { id: 'caught', type: 'helper', z: 'tab', x: 300, y: 300, wires: [] },
  ];
}

describe('tak-config, tak-send and tak-receive in a Node-RED runtime', () => {
  let peer: CotPeer;

  before(async () => {
    await startRed();
  });
  after(async () => {
    await stopRed();
  });
  afterEach(async () => {
    await (await startRed()).unload();
    await peer.close();
  });

  async function deploy(extra: Record<string, unknown> = {}): Promise<net.Socket> {
    peer = new CotPeer();
    const port = await peer.listen();
    const red = await startRed();
    const connected = waitFor<net.Socket>(peer, 'connection');
    await red.load(NODES, flow(port, extra));
    return connected;
  }

  it('connects, announces itself first, sends what tak-send gets and shows connected on every user', async () => {
    await deploy();
    const presence = await waitFor<{ event: CotEvent }>(peer, 'event');
    assert.equal(presence.event.uid, 'takpak-test-gw', 'the first event is the identity');
    assert.equal((presence.event.detail?.contact as { callsign: string }).callsign, 'GATEWAY & <co>');
    assert.deepEqual(presence.event.detail?.__group, { name: 'Green', role: 'HQ' });
    await waitForConnectionStatus('cfg', isConnectedStatus);

    const arrived = waitFor<{ event: CotEvent; xml: string }>(peer, 'event', (e) => e.event.uid === 'bus-7');
    getNode('send').receive({
      payload: { uid: 'bus-7', type: 'a-f-G-E-V', lat: 51.5, lon: -0.12, callsign: 'Bus "7"' },
    });
    const { event, xml } = await arrived;
    assert.equal(event.point.lat, 51.5);
    assert.equal((event.detail?.contact as { callsign: string }).callsign, 'Bus "7"');
    assert.ok(!xml.includes('\n'), 'one line on the wire');
  });

  it('passes CoT XML through, and rewrites a pretty-printed one as a single line', async () => {
    await deploy();
    const pretty = `<?xml version="1.0"?>\n<event version="2.0" uid="xml-1" type="a-h-G" how="h-e" ${T}>\n  <point lat="1" lon="2" hae="0" ce="1" le="1"/>\n</event>\n`;
    const arrived = waitFor<{ event: CotEvent; xml: string }>(peer, 'event', (e) => e.event.uid === 'xml-1');
    getNode('send').receive({ payload: Buffer.from(pretty) });
    const { xml } = await arrived;
    assert.ok(xml.startsWith('<event ') && !xml.includes('\n'), xml);
  });

  it('tak-receive emits each event from the server as model, XML and topic', async () => {
    const socket = await deploy();
    const messages = collect(getNode('out'));
    const xml = buildCot({ uid: 'from-server', type: 'a-f-G-U-C', lat: 3, lon: 4, callsign: 'HQ' });
    socket.write(xml);
    await eventually(() => messages.length === 1, 'tak-receive emitted the event');
    const msg = messages[0] as { payload: CotEvent; cot: string; topic: string };
    assert.equal(msg.payload.uid, 'from-server');
    assert.equal(msg.cot, xml);
    assert.equal(msg.topic, 'a-f-G-U-C');
  });

  it('filters by type prefix and keeps pongs to itself unless asked', async () => {
    const socket = await deploy({ types: 'a-h, b-t-f' });
    const messages = collect(getNode('out'));
    socket.write(buildCot(pongEvent()));
    socket.write(buildCot({ uid: 'friend', type: 'a-f-G', lat: 1, lon: 1 }));
    socket.write(buildCot({ uid: 'hostile', type: 'a-h-G', lat: 1, lon: 1 }));
    socket.write(buildCot({ uid: 'chat', type: 'b-t-f', lat: 1, lon: 1 }));
    await eventually(() => messages.length >= 2, 'two events passed the filter');
    await new Promise((resolve) => setTimeout(resolve, 100)); // nothing else may follow
    assert.deepEqual(
      messages.map((m) => (m.payload as CotEvent).uid),
      ['hostile', 'chat'],
    );
  });

  it('emits control events when asked', async () => {
    const socket = await deploy({ includeControl: true });
    const messages = collect(getNode('out'));
    socket.write(buildCot(pongEvent()));
    await eventually(() => messages.length === 1, 'the pong came out');
    assert.equal((messages[0]?.payload as CotEvent).type, 't-x-c-t-r');
  });

  it('emits parse errors as messages when asked', async () => {
    const socket = await deploy({ emitErrors: true });
    const messages = collect(getNode('out'));
    socket.write(`<event uid="bad" type="a-f-G" ${T}><point lat="north" lon="2"/></event>`);
    await eventually(() => messages.length === 1, 'the error came out');
    const msg = messages[0] as { topic: string; error: { code: string } };
    assert.equal(msg.topic, 'error');
    assert.equal(msg.error.code, 'ERR_COT_LAT');
  });

  it('bad input reaches a Catch node with the field named, and the node keeps working', async () => {
    await deploy();
    await waitForConnectionStatus('cfg', isConnectedStatus);
    const caught = collect(getNode('caught'));
    getNode('send').receive({ payload: { lat: 123, lon: 0, type: 'a-f-G', uid: 'x' }, topic: 'mine' });
    await eventually(() => caught.length === 1, 'the Catch node got the error');
    const error = caught[0]?.error as { message: string };
    assert.match(error.message, /point\.lat/);
    assert.match(error.message, /123/);
    assert.equal(caught[0]?.topic, 'mine', 'the msg that failed is the one caught');
    const arrived = waitFor<{ event: CotEvent }>(peer, 'event', (e) => e.event.uid === 'after');
    getNode('send').receive({ payload: { lat: 1, lon: 1, type: 'a-f-G', uid: 'after' } });
    await arrived;
  });

  it('a redeploy keeps the connection: same socket, nothing lost either way, what came meanwhile comes after', async () => {
    await deploy();
    await waitForConnectionStatus('cfg', isConnectedStatus);
    const red = await startRed();
    let newConnections = 0;
    peer.on('connection', () => newConnections++);
    // Both flows, old and new, note every uid tak-receive passes on in one global list.
    const noting = (nodes: Array<Record<string, unknown>>) => [
      ...nodes.map((node) => (node.id === 'recv' ? { ...node, wires: [['note']] } : node)),
      { id: 'note', type: 'note', z: 'tab', x: 300, y: 400, wires: [] },
    ];
    await red.setFlows(noting(flow(peer.port)), 'full');
    await waitForConnectionStatus('cfg', isConnectedStatus);
    noted.length = 0;
    const seen = (): string[] => noted;
    const event = (uid: string) =>
      `<event version="2.0" uid="${uid}" type="a-f-G" how="m-g" ${T}><point lat="1" lon="2" hae="0" ce="1" le="1"/></event>`;
    // Events from the server all through a deploy, and from the flow just before it and after it.
    let sending = true;
    let fromServer = 0;
    const pump = (async () => {
      while (sending) {
        peer.broadcast(event(`srv-${fromServer++}`));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const sendFromFlow = (from: number, to: number) => {
      for (let n = from; n < to; n++)
        getNode('send').receive({ payload: { uid: `flow-${n}`, type: 'a-f-G', lat: 1, lon: 1 } });
    };
    await new Promise((resolve) => setTimeout(resolve, 50));
    sendFromFlow(0, 50);
    await red.setFlows(noting(flow(peer.port)), 'full');
    await new Promise((resolve) => setTimeout(resolve, 100));
    sending = false;
    await pump;
    sendFromFlow(50, 60);
    await eventually(
      () => peer.received.filter((e) => e.uid.startsWith('flow-')).length >= 60,
      'the events from the flow arrived',
      5000,
    );
    await eventually(
      () => seen().filter((uid) => uid.startsWith('srv-')).length >= fromServer,
      'the events from the server arrived',
      5000,
    );
    assert.equal(newConnections, 0, 'no new connection');
    assert.equal(peer.sockets.size, 1);
    assert.deepEqual(
      seen().filter((uid) => uid.startsWith('srv-')),
      Array.from({ length: fromServer }, (_, k) => `srv-${k}`),
      'from the server: none missing, none twice, in order',
    );
    assert.deepEqual(
      peer.received.filter((e) => e.uid.startsWith('flow-')).map((e) => e.uid),
      Array.from({ length: 60 }, (_, k) => `flow-${k}`),
      'from the flow: none missing, none twice, in order',
    );
  });

  it('a redeploy with other settings makes a new connection and closes the old one', async () => {
    await deploy();
    await waitForConnectionStatus('cfg', isConnectedStatus);
    const red = await startRed();
    const order: string[] = [];
    peer.on('connection', () => order.push('open'));
    peer.on('close', () => order.push('close'));
    const reconnected = waitFor<net.Socket>(peer, 'connection');
    const presence = waitFor<{ event: CotEvent }>(
      peer,
      'event',
      (e) => (e.event.detail?.contact as { callsign?: string } | undefined)?.callsign === 'OTHER',
    );
    const changed = flow(peer.port).map((node) =>
      node.id === 'cfg' ? { ...node, callsign: 'OTHER' } : node,
    );
    await red.setFlows(changed, 'full');
    await reconnected;
    await presence;
    await eventually(() => peer.sockets.size === 1, 'the old socket closed');
    assert.deepEqual(order, ['close', 'open'], 'the old connection is gone before the new one opens');
  });

  it('redeploying only a node that uses the connection keeps it', async () => {
    await deploy();
    await waitForConnectionStatus('cfg', isConnectedStatus);
    let newConnections = 0;
    peer.on('connection', () => newConnections++);
    const red = await startRed();
    const changed = flow(peer.port, { types: 'a-f' });
    await red.setFlows(changed, 'nodes');
    const arrived = waitFor<Record<string, unknown>>(getNode('out'), 'input');
    peer.broadcast(
      `<event version="2.0" uid="after-nodes-deploy" type="a-f-G" how="m-g" ${T}><point lat="1" lon="2" hae="0" ce="1" le="1"/></event>`,
    );
    await arrived;
    assert.equal(newConnections, 0);
    assert.equal(peer.sockets.size, 1);
  });

  it('stopping Node-RED writes what was still queued (within the flush timeout), then closes the socket', async () => {
    peer = new CotPeer();
    const port = await peer.listen();
    const red = await startRed();
    const connected = waitFor<net.Socket>(peer, 'connection');
    // The rate limit keeps them queued; at 50/s eight take a fraction of the 2 s flush, even on a busy machine.
    await red.load(
      NODES,
      flow(port).map((node) => (node.id === 'cfg' ? { ...node, rateLimit: 50, rateBurst: 1 } : node)),
    );
    await connected;
    await waitForConnectionStatus('cfg', isConnectedStatus);
    for (let n = 0; n < 8; n++)
      getNode('send').receive({ payload: { uid: `queued-${n}`, type: 'a-f-G', lat: n, lon: 0 } });
    const closed = waitFor(peer, 'close', () => true, 10_000);
    await red.unload();
    await closed;
    assert.deepEqual(
      peer.received.filter((e) => e.uid.startsWith('queued-')).map((e) => e.uid),
      Array.from({ length: 8 }, (_, k) => `queued-${k}`),
    );
  });

  it('stopping the flows for good (not a deploy) closes the socket', async () => {
    await deploy();
    await waitForConnectionStatus('cfg', isConnectedStatus);
    const closed = waitFor(peer, 'close');
    await (await startRed()).unload();
    await closed;
    assert.equal(peer.sockets.size, 0);
  });

  it('removing the flow closes the socket', async () => {
    await deploy();
    await waitForConnectionStatus('cfg', isConnectedStatus);
    const red = await startRed();
    const closed = waitFor(peer, 'close');
    await red.setFlows([{ id: 'tab', type: 'tab', label: 'empty' }], 'full');
    await closed;
    assert.equal(peer.sockets.size, 0);
  });

  it('paces sending under a rate limit, merges waiting updates of a uid and says it is throttling', async () => {
    peer = new CotPeer();
    const port = await peer.listen();
    const red = await startRed();
    const connected = waitFor<net.Socket>(peer, 'connection');
    const paced = flow(port).map((node) =>
      node.id === 'cfg' ? { ...node, rateLimit: 2, rateBurst: 1 } : node,
    );
    await red.load(NODES, paced);
    await connected;
    await waitForConnectionStatus('cfg', isConnectedStatus);
    for (let n = 0; n < 30; n++) {
      getNode('send').receive({ payload: { uid: `unit-${n % 3}`, type: 'a-f-G', lat: n, lon: 0 } });
    }
    await waitForConnectionStatus('cfg', (text) => text === 'tak-config.status.throttling');
    // Three uids, thirty updates: each uid's latest position arrives, and far fewer than thirty events.
    await eventually(
      () => [0, 1, 2].every((k) => peer.received.some((e) => e.uid === `unit-${k}` && e.point.lat >= 27)),
      'the latest position of every uid arrived',
      10_000,
    );
    const sent = peer.received.filter((e) => e.uid.startsWith('unit-')).length;
    assert.ok(sent < 10, `${sent} events for 30 updates of 3 uids`);
    await waitForConnectionStatus('cfg', isConnectedStatus);
  });

  it('shows the error and retries when the server is not there', async () => {
    peer = new CotPeer();
    const port = await peer.listen();
    await peer.close(); // nothing listens on that port now
    const red = await startRed();
    await red.load(NODES, flow(port));
    const status = await waitForStatus(getNode('send'), (text) => text === 'tak-config.status.error');
    assert.equal(status.fill, 'red');
  });
});
