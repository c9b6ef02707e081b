/**
 * tak-server in a real Node-RED runtime against hostile clients: what the operator sees in the log and the
 * metrics, and a deploy that keeps the listener and its clients when the settings did not change.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { buildCot, presenceEvent } from '../src/index';
import takServer from '../src/nodes/tak-server';
import { WarnThrottle } from '../src/server/warn-throttle';
import { eventually, getNode, startRed, stopRed, waitFor } from './helpers/red';
import { freePort } from './helpers/ports';
import { RawClient, WAIT_MS } from './helpers/server-clients';
import { makePki, P12_PASSWORD } from './helpers/tls-pki';

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
      wires: [['srv-out']],
    },
    { id: 'srv-out', type: 'helper', z: 'tab', x: 300, y: 20, wires: [] },
  ];
}

/** Every first argument of a node method (warn, debug...) called from now on. */
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

const clients: RawClient[] = [];

describe('tak-server against hostile clients, in a Node-RED runtime', () => {
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

  it('warns about a malformed event, and many refusals of one kind give one line; metrics count them all', async () => {
    const port = await freePort();
    const red = await startRed();
    await red.load(NODES, flow(port, { maxPerAddress: 2 }));
    const srv = getNode('srv');
    const warnings = calls(srv, 'warn');
    await waitFor(srv, 'call:status', (call: { args: [{ fill?: string }] }) => call.args[0].fill === 'green');
    const a = await connect('a', port);
    clients.push(a);
    a.write(buildCot(presenceEvent({ uid: 'uid-a', callsign: 'A' })));
    a.write('<event version="2.0" uid="x" type="a-f-G"><detail/></event>');
    await eventually(() => warnings.some((w) => w.startsWith('ERR_COT_MISSING_POINT')), 'a warning');
    // One more slot from this address, then 30 refused.
    const b = await connect('b', port);
    clients.push(b);
    const refused: RawClient[] = [];
    for (let i = 0; i < 30; i++) refused.push(await connect(`r${i}`, port));
    clients.push(...refused);
    await Promise.all(refused.map((c) => c.waitClosed()));
    const metrics = waitFor<{ payload: { errors: Record<string, number> } }>(getNode('srv-out'), 'input');
    srv.receive({ topic: 'metrics' });
    const { payload } = await metrics;
    assert.equal(payload.errors.ERR_SERVER_ADDRESS_FULL, 30);
    assert.equal(payload.errors.ERR_COT_MISSING_POINT, 1);
    const lines = warnings.filter((w) => w.startsWith('ERR_SERVER_ADDRESS_FULL'));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0] as string, /2 connections from 127\.0\.0\.1 are open/);
  });

  it('refuses a queue per client smaller than the largest event, saying why', async () => {
    const port = await freePort();
    const red = await startRed();
    await red.load(NODES, flow(port, { maxEventKb: 8192, queueKb: 4096 }));
    const srv = getNode('srv');
    await eventually(
      () => (srv as unknown as { error: { args: unknown[][] } }).error.args.length > 0,
      'an error',
    );
    const message = String((srv as unknown as { error: { args: unknown[][] } }).error.args[0]?.[0]);
    assert.match(message, /maxQueueBytes 4194304 is less than maxEventBytes 8388608/);
    assert.match(message, /ERR_SERVER_OPTION/);
  });

  it('closes TLS handshakes left open after its handshake setting, and counts TLS failures in metrics', async () => {
    const pki = makePki();
    try {
      const port = await freePort();
      const red = await startRed();
      await red.load(
        NODES,
        flow(port, {
          protocol: 'tls',
          requireClientCert: false,
          handshakeTimeout: 1,
          firstEventTimeout: 60,
        }),
        {
          srv: { serverCert: pki.p12.serverLegacy.toString('base64'), serverPassword: P12_PASSWORD },
        },
      );
      const srv = getNode('srv');
      const spied = srv as unknown as { status: { args: Array<[{ fill?: string; text?: string }]> } };
      await eventually(
        () => spied.status.args.some(([status]) => status.fill === 'green'),
        `listening (${JSON.stringify(spied.status.args)})`,
      );
      const silent = await connect('silent', port);
      const plain = await connect('plain', port);
      clients.push(silent, plain);
      plain.write(buildCot(presenceEvent({ uid: 'uid-plain', callsign: 'PLAIN' }))); // TCP to the TLS port
      await Promise.all([silent.waitClosed(), plain.waitClosed()]);
      const metrics = waitFor<{ payload: { errors: Record<string, number> } }>(getNode('srv-out'), 'input');
      srv.receive({ topic: 'metrics' });
      const { errors } = (await metrics).payload;
      assert.equal(errors.ERR_TLS_HANDSHAKE_TIMEOUT, 1, JSON.stringify(errors));
      assert.equal(
        Object.values(errors).reduce((sum, n) => sum + n, 0),
        2,
        JSON.stringify(errors),
      );
    } finally {
      pki.cleanup();
    }
  });

  it('a full deploy with the same settings keeps the listener and its clients; a port change closes them', async () => {
    const port = await freePort();
    const red = await startRed();
    await red.load(NODES, flow(port));
    await red.setFlows(flow(port), 'full'); // the runtime's deploy events are watched from the first deploy on
    await eventually(() => getNode('srv') !== undefined, 'the node');
    const a = await connect('a', port);
    const b = await connect('b', port);
    clients.push(a, b);
    a.write(buildCot(presenceEvent({ uid: 'uid-a', callsign: 'A' })));
    b.write(buildCot(presenceEvent({ uid: 'uid-b', callsign: 'B' })));
    await Promise.all([a.waitForUid('uid-b'), b.waitForUid('uid-a')]);
    const socketA = a.socket;

    await red.setFlows(flow(port), 'full');
    const out = getNode('srv-out');
    const arrived = waitFor<{ payload: { uid: string } }>(
      out,
      'input',
      (m) => m.payload.uid === 'after-deploy',
    );
    b.write(buildCot({ uid: 'after-deploy', type: 'b-m-p-s-m', lat: 1, lon: 2 }));
    await a.waitForUid('after-deploy');
    await arrived; // the new node passes the clients' events on
    assert.equal(a.closed, false);
    assert.equal(b.closed, false);
    assert.equal(a.socket, socketA);

    const other = await freePort();
    await red.setFlows(flow(other), 'full');
    await Promise.all([a.waitClosed(), b.waitClosed()]);
    const c = await connect('c', other);
    clients.push(c);
    c.write(buildCot(presenceEvent({ uid: 'uid-c', callsign: 'C' })));
    await waitFor(getNode('srv-out'), 'input', undefined, WAIT_MS);
  });
});

describe('WarnThrottle', () => {
  it('writes one line per kind per interval and counts the rest in the next line or a line of their own', async () => {
    const lines: string[] = [];
    let now = 0;
    const throttle = new WarnThrottle(
      (line) => lines.push(line),
      50,
      () => now,
    );
    throttle.note('ERR_A', 'ERR_A: first');
    for (let i = 0; i < 5; i++) throttle.note('ERR_A', 'ERR_A: again');
    throttle.note('ERR_B', 'ERR_B: other kind');
    assert.deepEqual(lines, ['ERR_A: first', 'ERR_B: other kind']);
    now = 60;
    throttle.note('ERR_A', 'ERR_A: later');
    assert.equal(lines[2], 'ERR_A: later (5 more ERR_A since the last line)');
    throttle.note('ERR_A', 'ERR_A: within');
    await eventually(() => lines.length === 4, 'the count written on its own', 2_000);
    assert.equal(lines[3], 'ERR_A: 1 more since the last line');
    throttle.dispose();
  });
});
