import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { after, afterEach, before, describe, it } from 'node:test';
import type { CotEvent } from '../src/index';
import { NODE_RED_MAIN } from './helpers/paths';
import { startEmbeddedRed, type EmbeddedRed } from './helpers/embedded-red';
import { NegotiatingServer, TEST_SERVER_VERSION } from './helpers/takproto-server';

/*
 * The status people read, in the runtime with the package installed (its locale strings loaded): the wire
 * format in use and the server version the server announced.
 */

interface NodeStatusEvent {
  id: string;
  status: { fill?: string; text?: string };
}

// The Node-RED the embedded runtime runs (the matrix's, when it picks another version), not always our own.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const events = (require(NODE_RED_MAIN) as { events: EventEmitter }).events;

/** A status comes within milliseconds of a connect; seconds means it never came. */
const STATUS_TIMEOUT_MS = 5_000;

function nextStatus(id: string, accept: (text: string) => boolean): Promise<NodeStatusEvent['status']> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(() => {
      events.off('node-status', listener);
      reject(new Error(`no matching status on ${id}; saw ${JSON.stringify(seen)}`));
    }, STATUS_TIMEOUT_MS);
    const listener = (event: NodeStatusEvent): void => {
      if (event.id !== id) return;
      const text = event.status?.text ?? '';
      seen.push(text);
      if (!accept(text)) return;
      clearTimeout(timer);
      events.off('node-status', listener);
      resolve(event.status);
    };
    events.on('node-status', listener);
  });
}

const WELCOME: CotEvent = {
  version: '2.0',
  uid: 'srv-welcome',
  type: 'a-f-G-U-C',
  how: 'm-g',
  time: '2026-01-31T12:00:00.000Z',
  start: '2026-01-31T12:00:00.000Z',
  stale: '2099-01-31T12:05:00.000Z',
  point: { lat: 1, lon: 2, hae: 0, ce: 9999999, le: 9999999 },
};

describe('tak-config status names the wire format (Node-RED runtime, package installed)', () => {
  let red: EmbeddedRed;
  let server: NegotiatingServer;

  before(async () => {
    red = await startEmbeddedRed({ onLog: () => undefined });
  });
  after(async () => {
    await red.deploy([]);
    await red.stop();
  });
  afterEach(async () => {
    await red.deploy([]);
    await server.close();
  });

  async function deploy(takProtocol: string): Promise<number> {
    server = new NegotiatingServer(WELCOME);
    const port = await server.listen();
    await red.deploy([
      { id: 'wire-tab', type: 'tab', label: 'wire' },
      { id: 'wire-cfg', type: 'tak-config', host: '127.0.0.1', port, protocol: 'tcp', takProtocol },
      {
        id: 'wire-recv',
        type: 'tak-receive',
        z: 'wire-tab',
        x: 100,
        y: 100,
        server: 'wire-cfg',
        wires: [[]],
      },
    ]);
    return port;
  }

  it('negotiate with a server that offers and accepts: protobuf and the server version', async () => {
    const asking = nextStatus('wire-recv', (text) => /asking for protobuf/.test(text));
    const status = nextStatus('wire-recv', (text) => /, protobuf/.test(text));
    const port = await deploy('negotiate');
    assert.equal(
      (await asking).text,
      `connected to 127.0.0.1:${port}, XML, asking for protobuf (${TEST_SERVER_VERSION})`,
      'while it waits for the answer',
    );
    const shown = await status;
    assert.equal(shown.text, `connected to 127.0.0.1:${port}, protobuf (${TEST_SERVER_VERSION})`);
    assert.equal(shown.fill, 'green');
  });

  it('xml only: plain connected, no format said (the server offered nothing it asked for)', async () => {
    const status = nextStatus('wire-recv', (text) => /^connected/.test(text));
    const port = await deploy('xml');
    assert.equal((await status).text, `connected to 127.0.0.1:${port}`);
  });
});
