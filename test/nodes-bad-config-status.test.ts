import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { startEmbeddedRed, type EmbeddedRed } from './helpers/embedded-red';
import { NODE_RED_MAIN } from './helpers/paths';

/** What the runtime announces to the editor for every status a node shows. */
interface NodeStatusEvent {
  id: string;
  status: { fill?: string; text?: string };
}

/** The runtime's event bus, where each node's status goes to the editor. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const events = (require(NODE_RED_MAIN) as { events: EventEmitter }).events;

/** A status is shown within milliseconds of a deploy; seconds means it never came. */
const STATUS_TIMEOUT_MS = 5_000;

function nextStatus(id: string, accept: (text: string) => boolean): Promise<string> {
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
      resolve(text);
    };
    events.on('node-status', listener);
  });
}

describe('a deploy with a bad setting says which and why on the node, not only "settings are wrong"', () => {
  let red: EmbeddedRed;

  before(async () => {
    red = await startEmbeddedRed({ onLog: () => undefined });
  });
  after(async () => {
    await red.deploy([]);
    await red.stop();
  });

  it('a tak-send whose tak-config has a latitude of 95', async () => {
    const status = nextStatus('bad-send', (text) => /settings are wrong/.test(text));
    await red.deploy([
      { id: 'bad-tab', type: 'tab', label: 'bad' },
      { id: 'bad-cfg', type: 'tak-config', host: '127.0.0.1', port: 8087, lat: '95', lon: '0' },
      { id: 'bad-send', type: 'tak-send', z: 'bad-tab', server: 'bad-cfg', wires: [] },
    ]);
    const text = await status;
    assert.match(text, /"lat" is "95"/);
    assert.match(text, /-90 to 90/);
  });

  it('a tak-server on port 70000', async () => {
    const status = nextStatus('bad-server', (text) => /settings are wrong/.test(text));
    await red.deploy([
      { id: 'bad-tab', type: 'tab', label: 'bad' },
      { id: 'bad-server', type: 'tak-server', z: 'bad-tab', host: '127.0.0.1', port: 70000, wires: [[]] },
    ]);
    const text = await status;
    assert.match(text, /port/);
    assert.match(text, /70000/);
  });
});
