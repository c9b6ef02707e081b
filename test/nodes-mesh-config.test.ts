import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import type { EventEmitter } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { connectionSettings } from '../src/nodes/config-options';
import { NODE_RED_MAIN } from './helpers/paths';
import { startEmbeddedRed, type EmbeddedRed } from './helpers/embedded-red';

/*
 * tak-config on protocols mesh and udp in a real runtime: the settings read, a missing interface as the
 * status of every node that uses it, udp carrying tak-send's events to a server's UDP port (loopback).
 */

interface NodeStatusEvent {
  id: string;
  status: { fill?: string; text?: string };
}

// The Node-RED the embedded runtime runs (the matrix's, when it picks another version), not always our own.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const events = (require(NODE_RED_MAIN) as { events: EventEmitter }).events;

/** A status is shown within milliseconds of a deploy; seconds means it never came. */
const STATUS_TIMEOUT_MS = 5_000;

function nextStatus(id: string, accept: (text: string) => boolean): Promise<{ text: string; fill: string }> {
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
      resolve({ text, fill: event.status.fill ?? '' });
    };
    events.on('node-status', listener);
  });
}

describe('tak-config mesh and udp settings', () => {
  const base = { id: 'cfg', type: 'tak-config', z: '', name: '' };

  it('mesh needs no host and takes ATAK defaults', () => {
    const { mesh } = connectionSettings({ ...base, protocol: 'mesh', host: '' });
    assert.ok(mesh);
    assert.deepEqual(
      [mesh.sa, mesh.chat, mesh.ttl, mesh.loopback, mesh.sendFormat, mesh.directPort],
      [{ group: '239.2.3.1', port: 6969 }, { group: '224.10.10.1', port: 17012 }, 1, false, 'auto', 4242],
    );
    assert.equal(mesh.presence?.uid, 'takpak-cfg');
    const paced = connectionSettings({
      ...base,
      protocol: 'mesh',
      rateLimit: 5,
      rateBurst: 2,
      queueSize: 50,
    }).mesh;
    assert.deepEqual([paced?.maxEventsPerSecond, paced?.burstEvents, paced?.maxPendingEvents], [5, 2, 50]);
  });

  for (const [name, def, pattern] of [
    [
      'a group that is not multicast',
      { saGroup: '10.0.0.1' },
      /SA group "10\.0\.0\.1" is not an IPv4 multicast/,
    ],
    [
      'both groups off',
      { saEnabled: false, chatEnabled: 'false' },
      /both the SA and the chat group turned off/,
    ],
    ['a TTL of 0', { ttl: 0 }, /"TTL" is 0/],
    ['an unknown send format', { sendFormat: 'json' }, /send format "json"/],
  ] as const) {
    it(`refuses ${name}, naming it`, () => {
      assert.throws(() => connectionSettings({ ...base, protocol: 'mesh', ...def }), {
        code: 'ERR_TAKPAK_SETTING',
        message: pattern,
      });
    });
  }

  it('udp needs a host', () => {
    assert.throws(() => connectionSettings({ ...base, protocol: 'udp', host: '' }), {
      message: /udp has no host/,
    });
  });
});

describe('tak-config mesh and udp in a runtime', () => {
  let red: EmbeddedRed;

  before(async () => {
    red = await startEmbeddedRed({ onLog: () => undefined, http: 'editor' });
  });
  after(async () => {
    await red.deploy([]);
    await red.stop();
  });

  it("the dialog's interface list is the host's IPv4 interfaces, loopback last", async () => {
    const response = await fetch(`${red.url}/takpak/mesh/interfaces`);
    assert.equal(response.status, 200);
    const list = (await response.json()) as Array<{ name: string; address: string; internal: boolean }>;
    assert.ok(list.length >= 1);
    assert.deepEqual(list.at(-1), { name: 'lo', address: '127.0.0.1', internal: true });
  });

  it('a missing interface is the status of the nodes that use the mesh, with the interfaces there are', async () => {
    const status = nextStatus('mesh-recv', (text) => /no interface/.test(text));
    await red.deploy([
      { id: 'mesh-tab', type: 'tab', label: 'mesh' },
      { id: 'mesh-cfg', type: 'tak-config', protocol: 'mesh', meshInterface: 'wlan-missing', directPort: 0 },
      { id: 'mesh-recv', type: 'tak-receive', z: 'mesh-tab', server: 'mesh-cfg', wires: [[]] },
    ]);
    const { text, fill } = await status;
    assert.equal(fill, 'red');
    assert.match(
      text,
      /^no interface "wlan-missing" on this host; there are: .*lo 127\.0\.0\.1.*; retry in 10 s$/,
    );
  });

  it('udp carries tak-send events to a server UDP port, and the status names the target', async () => {
    const server = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    const port = server.address().port;
    try {
      const status = nextStatus('udp-send', (text) => text.startsWith('udp to'));
      await red.deploy([
        { id: 'udp-tab', type: 'tab', label: 'udp' },
        { id: 'udp-cfg', type: 'tak-config', protocol: 'udp', host: '127.0.0.1', port, sendFormat: 'xml' },
        { id: 'udp-send', type: 'tak-send', z: 'udp-tab', server: 'udp-cfg', wires: [] },
      ]);
      assert.equal((await status).text, `udp to 127.0.0.1:${port} via any`);
      const got = new Promise<Buffer>((resolve) => server.once('message', resolve));
      red.nodes
        .getNode('udp-send')
        ?.receive({ payload: { uid: 'over-udp', type: 'a-f-G', lat: 1, lon: 2 }, to: 'ignored' });
      assert.match((await got).toString(), /uid="over-udp"/);
    } finally {
      server.close();
    }
  });
});
