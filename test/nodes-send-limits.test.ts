import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { buildCot, type CotEvent } from '../src/index';
import takConfig from '../src/nodes/tak-config';
import takReceive from '../src/nodes/tak-receive';
import takSend from '../src/nodes/tak-send';
import { CotPeer } from './helpers/cot-peer';
import { REPO_ROOT } from './helpers/paths';
import {
  collect,
  eventually,
  getNode,
  startRed,
  stopRed,
  waitFor,
  waitForConnectionStatus,
  isConnectedStatus,
} from './helpers/red';

const NODES = [takConfig, takSend, takReceive];

function flow(
  port: number,
  config: Record<string, unknown> = {},
  withReceive = false,
): Array<Record<string, unknown>> {
  const nodes: Array<Record<string, unknown>> = [
    { id: 'tab', type: 'tab', label: 'test' },
    {
      id: 'cfg',
      type: 'tak-config',
      host: '127.0.0.1',
      port,
      protocol: 'tcp',
      callsign: 'GW',
      uid: 'takpak-limits-gw',
      identityGap: 0,
      reconnectMax: 1,
      ...config,
    },
    { id: 'send', type: 'tak-send', z: 'tab', x: 100, y: 100, server: 'cfg', wires: [] },
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
  if (withReceive) {
    nodes.push(
      { id: 'recv', type: 'tak-receive', z: 'tab', x: 100, y: 200, server: 'cfg', wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab', x: 300, y: 200, wires: [] },
    );
  }
  return nodes;
}

/**
 * Stops the flows as Node-RED does when it shuts down (not a deploy), with the test helper's spies still on:
 * its unload() takes them off first, and then nothing a node warns while closing can be seen.
 */
async function stopFlowsForGood(): Promise<void> {
  const red = (await startRed()) as unknown as { _redNodes: { stopFlows(): Promise<void> } };
  await red._redNodes.stopFlows();
}

function remarkEvent(uid: string, bytes: number): string {
  return buildCot({ uid, type: 'a-f-G-U-C', lat: 1, lon: 2, remarks: 'r'.repeat(bytes) });
}

describe('tak-send limits and tak-config messages in a Node-RED runtime', () => {
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

  async function deploy(config: Record<string, unknown> = {}, withReceive = false): Promise<net.Socket> {
    peer = new CotPeer();
    const port = await peer.listen();
    const red = await startRed();
    const connected = waitFor<net.Socket>(peer, 'connection');
    await red.load(NODES, flow(port, config, withReceive));
    return connected;
  }

  it('a 5 MB event reaches Catch with ERR_CLIENT_EVENT_TOO_LARGE; the next event still goes', async () => {
    await deploy();
    await waitForConnectionStatus('cfg', isConnectedStatus);
    const caught = collect(getNode('caught'));
    getNode('send').receive({ payload: remarkEvent('five-mb', 5_000_000), topic: 'camera' });
    await eventually(() => caught.length === 1, 'the refusal reaches Catch');
    const error = caught[0]?.error as { message: string; source: { id: string } };
    assert.equal(error.source.id, 'send');
    assert.match(error.message, /ERR_CLIENT_EVENT_TOO_LARGE|over the 1\.0 MiB this connection sends/);
    assert.equal(caught[0]?.topic, 'camera', 'the msg that failed is the one Catch gets');

    const arrived = waitFor<{ event: CotEvent }>(peer, 'event', (e) => e.event.uid === 'small');
    getNode('send').receive({ payload: { uid: 'small', type: 'a-f-G-U-C', lat: 1, lon: 2 } });
    await arrived;
    assert.ok(!peer.received.some((event) => event.uid === 'five-mb'), 'the big one never went out');
  });

  it('the outgoing limit is a tak-config setting (largest outgoing event, KiB)', async () => {
    await deploy({ maxEventKb: 1024, maxSendKb: 8 });
    await waitForConnectionStatus('cfg', isConnectedStatus);
    const caught = collect(getNode('caught'));
    getNode('send').receive({ payload: remarkEvent('ten-kb', 10_000) });
    await eventually(() => caught.length === 1, 'the refusal reaches Catch');
    assert.match(String((caught[0]?.error as { message: string }).message), /over the 8\.0 KiB/);
  });

  it('a send-only tak-config logs no tak-receive warning when it stops, however much the server sent', async () => {
    const socket = await deploy();
    await waitForConnectionStatus('cfg', isConnectedStatus);
    const config = getNode('cfg');
    const warnings: string[] = [];
    config.on('call:warn', (call: { args: unknown[] }) => warnings.push(String(call.args[0])));
    // The server relays other clients' traffic to every connection, a send-only one too.
    const relayed = Array.from({ length: 5 }, (_, i) =>
      buildCot({ uid: `other-${i}`, type: 'a-f-G-U-C', lat: 1, lon: 2 }),
    ).join('');
    socket.write(relayed);
    await eventually(
      () =>
        (config as unknown as { connection: { current?: { counters: { eventsReceived: number } } } })
          .connection.current?.counters.eventsReceived === 5,
      'the client read the five events',
    );
    await stopFlowsForGood();
    assert.deepEqual(
      warnings.filter((text) => /handover|tak-receive/.test(text)),
      [],
      'nothing about a tak-receive that was never there',
    );
  });

  it('with a tak-receive deployed, one event lost at close is reported in correct English', async () => {
    const socket = await deploy({}, true);
    await waitForConnectionStatus('cfg', isConnectedStatus);
    const config = getNode('cfg');
    const warnings: string[] = [];
    config.on('call:warn', (call: { args: unknown[] }) => warnings.push(String(call.args[0])));
    // The tak-receive goes (a modified-nodes deploy removes it); one event arrives; then the config closes.
    const red = await startRed();
    const out = collect(getNode('out'));
    socket.write(buildCot({ uid: 'first', type: 'a-f-G-U-C', lat: 1, lon: 2 }));
    await eventually(() => out.length === 1, 'the first event reaches tak-receive');
    await red.setFlows(
      flow(peer.port, {}, false).map((node) => (node.id === 'cfg' ? { ...node } : node)),
      'nodes',
    );
    socket.write(buildCot({ uid: 'orphan', type: 'a-f-G-U-C', lat: 1, lon: 2 }));
    const cfgNow = getNode('cfg') as unknown as {
      connection: { current?: { counters: { eventsReceived: number } } };
    };
    await eventually(() => cfgNow.connection.current?.counters.eventsReceived === 2, 'the orphan was read');
    assert.equal(getNode('cfg'), config, 'the tak-config was not restarted by the deploy');
    await stopFlowsForGood();
    // The test runtime has no message catalogs: the key says which text a user reads (checked below).
    const lost = warnings.filter((text) => /handover|tak-receive/.test(text));
    assert.deepEqual(lost, ['tak-config.warnings.handover.closedOne'], JSON.stringify(warnings));
  });

  it('each lost-events warning has a text for one event and one for several, in correct English', () => {
    const catalog = JSON.parse(
      fs.readFileSync(path.join(REPO_ROOT, 'nodes', 'locales', 'en-US', 'tak-config.json'), 'utf8'),
    ) as { 'tak-config': { warnings: { handover: Record<string, string> } } };
    const texts = catalog['tak-config'].warnings.handover;
    for (const why of ['overflow', 'stale', 'closed']) {
      const many = texts[why] ?? '';
      const one = texts[`${why}One`] ?? '';
      assert.match(many, /^__count__ events from __endpoint__ were /, why);
      assert.match(one, /^1 event from __endpoint__ was /, `${why}One`);
      assert.doesNotMatch(one, /__count__|events were/, `${why}One`);
    }
  });
});
