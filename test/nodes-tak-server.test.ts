import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { CotEvent } from '../src/index';
import takConfig from '../src/nodes/tak-config';
import takReceive from '../src/nodes/tak-receive';
import takSend from '../src/nodes/tak-send';
import takServer from '../src/nodes/tak-server';
import {
  collect,
  eventually,
  getNode,
  startRed,
  stopRed,
  waitFor,
  waitForConnectionStatus,
} from './helpers/red';
import { freePort } from './helpers/ports';

const NODES = [takConfig, takSend, takReceive, takServer];

function client(name: string, port: number, y: number): Array<Record<string, unknown>> {
  return [
    {
      id: `cfg-${name}`,
      type: 'tak-config',
      host: '127.0.0.1',
      port,
      callsign: name.toUpperCase(),
      uid: `uid-${name}`,
      identityGap: 0,
      reconnectMax: 1,
    },
    { id: `send-${name}`, type: 'tak-send', z: 'tab', x: 100, y, server: `cfg-${name}`, wires: [] },
    {
      id: `recv-${name}`,
      type: 'tak-receive',
      z: 'tab',
      x: 100,
      y: y + 40,
      server: `cfg-${name}`,
      wires: [[`out-${name}`]],
    },
    { id: `out-${name}`, type: 'helper', z: 'tab', x: 300, y: y + 40, wires: [] },
  ];
}

function flow(port: number): Array<Record<string, unknown>> {
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
      idleTimeout: 60,
      wires: [['srv-out']],
    },
    { id: 'srv-out', type: 'helper', z: 'tab', x: 300, y: 20, wires: [] },
    ...client('alpha', port, 100),
    ...client('bravo', port, 200),
  ];
}

const uids = (messages: Array<Record<string, unknown>>): string[] =>
  messages.map((m) => (m.payload as CotEvent).uid);

describe('tak-server with tak-config, tak-send and tak-receive in one runtime', () => {
  before(async () => {
    await startRed();
  });
  after(async () => {
    await stopRed();
  });
  afterEach(async () => {
    await (await startRed()).unload();
  });

  async function deploy(): Promise<void> {
    const red = await startRed();
    await red.load(NODES, flow(await freePort()));
    // tak-receive users start both connections; wait until both are up and identified.
    await waitForConnectionStatus('cfg-alpha', (text) => text === 'tak-config.status.connected');
    await waitForConnectionStatus('cfg-bravo', (text) => text === 'tak-config.status.connected');
    // Connected is not yet identified: since the server offers protobuf, each client's SA may follow its
    // negotiation, so ask the server until it names both (bounded: 50 asks).
    for (let ask = 0; ask < 50; ask++) {
      const reply = waitFor<{ payload: { clients: Array<{ callsign?: string }> } }>(
        getNode('srv-out'),
        'input',
        (m) => (m as { topic?: string }).topic === 'metrics',
      );
      getNode('srv').receive({ topic: 'metrics' });
      const names = (await reply).payload.clients.map((c) => c.callsign);
      if (names.includes('ALPHA') && names.includes('BRAVO')) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('the server did not identify both clients');
  }

  it('exchanges events both ways, never echoing to the sender, and hands every event to the flow', async () => {
    await deploy();
    const atAlpha = collect(getNode('out-alpha'));
    const atBravo = collect(getNode('out-bravo'));
    const atServer = collect(getNode('srv-out'));
    getNode('send-alpha').receive({
      payload: { uid: 'from-alpha', type: 'a-f-G-U-C', lat: 1, lon: 2, callsign: 'A&<1>' },
    });
    getNode('send-bravo').receive({ payload: { uid: 'from-bravo', type: 'a-h-G', lat: 3, lon: 4 } });
    await eventually(
      () => uids(atBravo).includes('from-alpha') && uids(atAlpha).includes('from-bravo'),
      'both events crossed',
    );
    assert.ok(!uids(atAlpha).includes('from-alpha'), 'no echo to alpha');
    assert.ok(!uids(atBravo).includes('from-bravo'), 'no echo to bravo');
    const fromAlpha = atBravo.find((m) => (m.payload as CotEvent).uid === 'from-alpha');
    assert.equal(
      ((fromAlpha?.payload as CotEvent).detail?.contact as { callsign: string }).callsign,
      'A&<1>',
    );
    await eventually(
      () => uids(atServer).includes('from-alpha') && uids(atServer).includes('from-bravo'),
      'the server node emitted both',
    );
    const seen = atServer.find((m) => (m.payload as CotEvent).uid === 'from-alpha') as {
      client: { callsign?: string };
      cot: string;
    };
    assert.equal(seen.client.callsign, 'ALPHA', 'the sender is identified by its presence event');
    assert.ok(seen.cot.startsWith('<event'));
  });

  it('sends a msg from the flow to every client, or only to msg.to', async () => {
    await deploy();
    const atAlpha = collect(getNode('out-alpha'));
    const atBravo = collect(getNode('out-bravo'));
    getNode('srv').receive({ payload: { uid: 'to-all', type: 'a-n-G', lat: 0, lon: 0 } });
    getNode('srv').receive({ payload: { uid: 'to-bravo', type: 'a-n-G', lat: 0, lon: 0 }, to: 'BRAVO' });
    getNode('srv').receive({
      payload: { uid: 'to-alpha-uid', type: 'a-n-G', lat: 0, lon: 0 },
      to: { uid: 'uid-alpha' },
    });
    await eventually(
      () =>
        uids(atBravo).includes('to-bravo') &&
        uids(atAlpha).includes('to-alpha-uid') &&
        uids(atAlpha).includes('to-all'),
      'the directed events arrived',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(uids(atBravo).includes('to-all'));
    assert.ok(!uids(atAlpha).includes('to-bravo'));
    assert.ok(!uids(atBravo).includes('to-alpha-uid'));
  });

  it('answers msg.topic "metrics" with its counters and clients', async () => {
    await deploy();
    const atServer = collect(getNode('srv-out'));
    getNode('srv').receive({ topic: 'metrics' });
    await eventually(() => atServer.some((m) => m.topic === 'metrics'), 'the metrics came out');
    const metrics = atServer.find((m) => m.topic === 'metrics')?.payload as {
      openSockets: number;
      connectionsReceived: number;
      clients: Array<{ callsign?: string }>;
    };
    assert.equal(metrics.openSockets, 2);
    assert.ok(metrics.connectionsReceived >= 2);
    assert.deepEqual(metrics.clients.map((c) => c.callsign).sort(), ['ALPHA', 'BRAVO']);
  });

  it('refuses bad input from the flow with an error a Catch node can see', async () => {
    const red = await startRed();
    const port = await freePort();
    await red.load(NODES, [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'srv', type: 'tak-server', z: 'tab', x: 100, y: 20, host: '127.0.0.1', port, wires: [[]] },
      {
        id: 'catcher',
        type: 'catch',
        z: 'tab',
        x: 100,
        y: 100,
        scope: null,
        uncaught: false,
        wires: [['caught']],
      },
      { id: 'caught', type: 'helper', z: 'tab', x: 300, y: 100, wires: [] },
    ]);
    const caught = collect(getNode('caught'));
    getNode('srv').receive({ payload: { type: 'a-f-G', lat: 0, lon: 500 } });
    await eventually(() => caught.length === 1, 'the Catch node got the error');
    assert.match((caught[0]?.error as { message: string }).message, /point\.lon/);
  });
});
