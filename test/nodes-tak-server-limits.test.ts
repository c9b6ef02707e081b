/**
 * tak-server with the parse limits (depth, bytes that are not XML text) in a real Node-RED runtime: the
 * refusals reach the log and the metrics, a deep event cannot take the runtime down when the output is wired
 * to two nodes, and the depth limit is a setting.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { buildCot, presenceEvent } from '../src/index';
import takServer from '../src/nodes/tak-server';
import { eventually, getNode, startRed, stopRed, waitFor } from './helpers/red';
import { eventWith, nestedEvent } from './helpers/limits';
import { freePort } from './helpers/ports';
import { RawClient } from './helpers/server-clients';

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
      // Two wires: Node-RED deep-copies the message for the second, as in the crash.
      wires: [['out-1', 'out-2']],
    },
    { id: 'out-1', type: 'helper', z: 'tab', x: 300, y: 20, wires: [] },
    { id: 'out-2', type: 'helper', z: 'tab', x: 300, y: 60, wires: [] },
  ];
}

function calls(node: EventEmitter, method: string): string[] {
  const seen: string[] = [];
  node.on(`call:${method}`, (call: { args: unknown[] }) => seen.push(String(call.args[0])));
  return seen;
}

async function connect(name: string, port: number): Promise<RawClient> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const client = new RawClient(name, socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return client;
}

async function metrics(): Promise<Record<string, number>> {
  const reply = waitFor<{ payload: { errors: Record<string, number> } }>(
    getNode('out-1'),
    'input',
    (m) => (m as { topic?: string }).topic === 'metrics',
  );
  getNode('srv').receive({ topic: 'metrics' });
  return (await reply).payload.errors;
}

const clients: RawClient[] = [];

describe('tak-server and the parse limits, in a Node-RED runtime', () => {
  before(async () => {
    await startRed();
  });
  after(async () => {
    await stopRed();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await (await startRed()).unload();
  });

  it('refuses a 10,000-deep event with ERR_COT_TOO_DEEP, warns, and the runtime and the stream go on', async () => {
    const port = await freePort();
    const red = await startRed();
    await red.load(NODES, flow(port));
    const warnings = calls(getNode('srv'), 'warn');
    const a = await connect('a', port);
    const b = await connect('b', port);
    clients.push(a, b);
    b.write(buildCot(presenceEvent({ uid: 'uid-b', callsign: 'B' })));
    const after = waitFor<{ payload: { uid: string } }>(
      getNode('out-2'),
      'input',
      (m) => m.payload.uid === 'after',
    );
    a.write(buildCot(presenceEvent({ uid: 'uid-a', callsign: 'A' })));
    a.write(nestedEvent('deep', 10_000));
    a.write(buildCot({ uid: 'after', type: 'b-m-p-s-m', lat: 1, lon: 2 }));
    await after;
    await b.waitForUid('after');
    assert.ok(!b.has('deep'), 'the deep event was relayed');
    await eventually(() => warnings.some((w) => w.startsWith('ERR_COT_TOO_DEEP')), 'a warning');
    assert.equal((await metrics()).ERR_COT_TOO_DEEP, 1);
  });

  it('takes the depth limit from its setting', async () => {
    const port = await freePort();
    const red = await startRed();
    await red.load(NODES, flow(port, { maxDepth: 8 }));
    const a = await connect('a', port);
    clients.push(a);
    const shallow = waitFor<{ payload: { uid: string } }>(
      getNode('out-1'),
      'input',
      (m) => m.payload.uid === 'six',
    );
    a.write(nestedEvent('ten', 10));
    a.write(nestedEvent('six', 6));
    await shallow;
    assert.equal((await metrics()).ERR_COT_TOO_DEEP, 1);
  });

  it('refuses invalid UTF-8 and characters XML cannot carry, counted and warned per code', async () => {
    const port = await freePort();
    const red = await startRed();
    await red.load(NODES, flow(port));
    const warnings = calls(getNode('srv'), 'warn');
    const a = await connect('a', port);
    const b = await connect('b', port);
    clients.push(a, b);
    b.write(buildCot(presenceEvent({ uid: 'uid-b', callsign: 'B' })));
    a.write(buildCot(presenceEvent({ uid: 'uid-a', callsign: 'A' })));
    await b.waitForUid('uid-a');
    a.write(eventWith(Buffer.from([0xff]), 'bad-utf8'));
    a.write(eventWith(Buffer.from([0x00]), 'nul'));
    a.write(buildCot({ uid: 'after', type: 'b-m-p-s-m', lat: 1, lon: 2 }));
    await b.waitForUid('after');
    assert.ok(!b.has('bad-utf8') && !b.has('nul'), b.uids().join());
    const errors = await metrics();
    assert.equal(errors.ERR_COT_BAD_UTF8, 1);
    assert.equal(errors.ERR_COT_BAD_CHAR, 1);
    await eventually(
      () =>
        ['ERR_COT_BAD_UTF8', 'ERR_COT_BAD_CHAR'].every((code) => warnings.some((w) => w.startsWith(code))),
      'a warning for each',
    );
  });
});
