/**
 * The depth limit and the text check in a real Node-RED runtime: a msg out of a node wired to two others
 * is deep-copied by Node-RED's recursive cloneMessage, which an event nested thousands deep overflowed,
 * taking the whole runtime down.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  MAX_DEPTH_LIMIT,
  StreamParser,
  type CotElement,
  type CotEvent,
  type ServerMetrics,
} from '../src/index';
import cotParse from '../src/nodes/cot-parse';
import takServer from '../src/nodes/tak-server';
import { eventWith, nestedEvent } from './helpers/limits';
import { freePort } from './helpers/ports';
import { collect, eventually, getNode, startRed, stopRed } from './helpers/red';
import { ev } from './helpers/stream';
import { catchCode } from './helpers/catch-code';

type Msg = Record<string, unknown>;

const DEEP = 10_000;

/** Node-RED's own deep copy, the one a msg goes through when a wire splits (no typings are published). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeRedUtil = require('@node-red/util') as { util: { cloneMessage<M>(msg: M): M } };

/** An event whose every level below detail is a repeated element (two siblings): the model's deepest shape. */
function repeatedEvent(levels: number): string {
  let inner = '<leaf/>';
  for (let level = levels; level > 3; level--) inner = `<r>${inner}</r><r/>`;
  return ev('repeated', inner);
}

/** JS object levels of a value, arrays counted: what a recursive copy descends through. */
function objectDepth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, objectDepth(child));
  return deepest + 1;
}

function nestRepeated(levels: number): CotElement {
  let element: CotElement = { leaf: 'x' };
  for (let k = 0; k < levels; k++) element = { r: [element, {}] };
  return element;
}

/** Everything a node logs at any level, as text. */
function logged(node: EventEmitter): string[] {
  const lines: string[] = [];
  for (const method of ['debug', 'log', 'warn', 'error']) {
    node.on(`call:${method}`, (call: { args: unknown[] }) => lines.push(String(call.args[0])));
  }
  return lines;
}

/** The uids of the events among the msgs (metrics msgs left out). */
function uids(messages: Msg[]): string[] {
  return messages.filter((m) => m.topic !== 'metrics').map((m) => (m.payload as CotEvent).uid);
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined); // the test ends by destroying it
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

describe("Node-RED's cloneMessage and the highest maxDepth", () => {
  it('copies a msg holding an event at MAX_DEPTH_LIMIT in its deepest shape, and one three times deeper', () => {
    const items = new StreamParser({ maxDepth: MAX_DEPTH_LIMIT }).push(
      Buffer.from(repeatedEvent(MAX_DEPTH_LIMIT)),
    );
    const parsed = items[0];
    assert.ok(parsed?.kind === 'event', 'the event is read at the highest setting');
    const msg = { payload: parsed.event, cot: parsed.xml };
    assert.ok(objectDepth(msg) >= 2 * (MAX_DEPTH_LIMIT - 3), `the msg is ${objectDepth(msg)} objects deep`);
    assert.deepEqual(nodeRedUtil.util.cloneMessage(msg), msg);
    // Room to spare for a deeper call stack than this test's.
    const deeper = { payload: { ...parsed.event, detail: nestRepeated(3 * MAX_DEPTH_LIMIT) } };
    assert.doesNotThrow(() => nodeRedUtil.util.cloneMessage(deeper));
  });
});

describe('parse limits in a Node-RED runtime', () => {
  before(async () => {
    await startRed();
  });
  after(async () => {
    await stopRed();
  });
  afterEach(async () => {
    await (await startRed()).unload();
  });

  it('tak-server wired to two nodes: a 10,000-deep event is refused with its code, the runtime stays up, the next event reaches both', async (t) => {
    const port = await freePort();
    const red = await startRed();
    await red.load(takServer, [
      { id: 'tab', type: 'tab', label: 'limits' },
      {
        id: 'srv',
        type: 'tak-server',
        z: 'tab',
        host: '127.0.0.1',
        port,
        // The relay is compared byte for byte: no protobuf offer in front of the events.
        offerProtobuf: false,
        wires: [['one', 'two']],
      },
      { id: 'one', type: 'helper', z: 'tab', wires: [] },
      { id: 'two', type: 'helper', z: 'tab', wires: [] },
    ]);
    const atOne = collect(getNode('one'));
    const atTwo = collect(getNode('two'));
    const lines = logged(getNode('srv'));
    let socket: net.Socket | undefined;
    for (let attempt = 0; socket === undefined; attempt++) {
      // The node starts listening after load() returns: try again until it does, for at most a few seconds.
      try {
        socket = await connect(port);
      } catch (error) {
        if (attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    t.after(() => socket?.destroy());
    // Another client: what the server relays to it must be exactly the good events' bytes.
    const watcher = await connect(port);
    t.after(() => watcher.destroy());
    const relayed: Buffer[] = [];
    watcher.on('data', (chunk: Buffer) => relayed.push(chunk));
    await eventually(() => {
      getNode('srv').receive({ topic: 'metrics' });
      const last = [...atOne].reverse().find((m) => m.topic === 'metrics');
      return (last?.payload as { clients?: unknown[] } | undefined)?.clients?.length === 2;
    }, 'both clients accepted');
    const normal = ev('normal');
    socket.write(nestedEvent('deep', DEEP) + normal + eventWith(Buffer.from([0x00]), 'nul').toString());
    socket.write(Buffer.concat([eventWith(Buffer.from([0xc0, 0xaf]), 'overlong'), Buffer.from(ev('last'))]));
    await eventually(
      () => uids(atOne).includes('last') && uids(atTwo).includes('last'),
      'the events after the refused ones reached both wires',
    );
    assert.deepEqual(uids(atOne), ['normal', 'last']);
    assert.deepEqual(uids(atTwo), ['normal', 'last']);
    const events = atOne.filter((m) => m.topic !== 'metrics');
    assert.equal(events[0]?.cot, normal, 'msg.cot is the bytes received');
    await eventually(() => Buffer.concat(relayed).includes('uid="last"'), 'the relay of the last event');
    assert.ok(
      Buffer.concat(relayed).equals(Buffer.from(normal + ev('last'))),
      'relayed: the good events exactly',
    );
    assert.notEqual(
      events[0]?.payload,
      atTwo.find((m) => m.topic !== 'metrics')?.payload,
      'the second wire got its own copy',
    );
    await eventually(
      () =>
        ['ERR_COT_TOO_DEEP', 'ERR_COT_BAD_CHAR', 'ERR_COT_BAD_UTF8'].every((c) =>
          lines.some((l) => l.includes(c)),
        ),
      'each refusal logged with its code',
    );
    getNode('srv').receive({ topic: 'metrics', after: 'last' });
    await eventually(() => atOne.some((m) => m.after === 'last'), 'the metrics msg asked for last');
    const metrics = atOne.find((m) => m.after === 'last')?.payload as ServerMetrics;
    assert.equal(metrics.parseErrors, 3);
    assert.equal(metrics.messagesReceived, 2);
  });

  it('cot-parse wired to two nodes: the deep XML goes to Catch with ERR_COT_TOO_DEEP, the good one to both', async () => {
    const red = await startRed();
    await red.load(cotParse, [
      { id: 'tab', type: 'tab', label: 'limits' },
      { id: 'p', type: 'cot-parse', z: 'tab', wires: [['one', 'two']] },
      { id: 'one', type: 'helper', z: 'tab', wires: [] },
      { id: 'two', type: 'helper', z: 'tab', wires: [] },
      { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab', wires: [] },
    ]);
    const atOne = collect(getNode('one'));
    const atTwo = collect(getNode('two'));
    const caught = collect(getNode('caught'));
    getNode('p').receive({ payload: nestedEvent('deep', DEEP) });
    await eventually(() => caught.length === 1, 'the refusal at the Catch node');
    assert.equal((caught[0]?.error as { code?: string }).code, catchCode('ERR_COT_TOO_DEEP'));
    getNode('p').receive({ payload: Buffer.from(nestedEvent('deep', DEEP) + ev('good')) });
    await eventually(
      () => atOne.length === 1 && atTwo.length === 1 && caught.length === 2,
      'good event and error',
    );
    assert.deepEqual(uids(atOne), ['good']);
    assert.deepEqual(uids(atTwo), ['good']);
    assert.equal((caught[1]?.error as { code?: string }).code, catchCode('ERR_COT_TOO_DEEP'));
  });
});
