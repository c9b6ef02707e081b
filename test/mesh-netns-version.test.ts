import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { buildCot } from '../src/cot/build';
import { chatEvent } from '../src/cot/helpers';
import { Device, makeMesh, netnsUnavailable, type DeviceReport, type NetnsMesh } from './helpers/netns';

/*
 * The mesh's TAK Protocol version following the devices heard (manual clocks), direct messages over TCP,
 * and deaf receive sockets rebuilt; between processes in network namespaces these tests make. Needs root.
 */

const skip = netnsUnavailable();

/**
 * Longer than any clock move in the version test: a rebuild there would reopen a socket while the next
 * datagram is on its way (rebuilds have their own test below).
 */
const NO_REBUILD_MS = 3_600_000;

interface Contact {
  uid: string;
  callsign?: string;
  endpoint?: string;
  control?: { min: number; max: number; at: number };
}

const connected = (r: DeviceReport): boolean => r.t === 'state' && r.state === 'connected';
const eventFrom =
  (uid: string) =>
  (r: DeviceReport): boolean =>
    r.t === 'event' && r.uid === uid;
const heard =
  (check: (contacts: Contact[]) => boolean) =>
  (r: DeviceReport): boolean =>
    r.t === 'contact' && check(r.contacts as Contact[]);

function presence(name: string): Record<string, unknown> {
  return { uid: `uid-${name}`, callsign: name, lat: 1, lon: 2 };
}

function marker(uid: string): string {
  return buildCot({ uid, type: 'a-f-G', lat: 10, lon: 20 });
}

describe('mesh versions, direct messages and rebuilds across namespaces', { skip }, () => {
  const devices: Device[] = [];
  const meshes: NetnsMesh[] = [];

  function device(ns: string, options: Record<string, unknown>): Device {
    const d = new Device(ns, { mode: 'mesh', interface: 'eth0', ...options });
    devices.push(d);
    return d;
  }

  function nses(count: number): string[] {
    const m = makeMesh(count);
    meshes.push(m);
    return m.devices.map((d) => d.ns);
  }

  async function advance(d: Device, ms: number): Promise<void> {
    const id = Math.random().toString(36).slice(2);
    d.command({ cmd: 'advance', ms, id });
    await d.waitReport((r) => r.t === 'advanced' && r.id === id, 'the clock moved');
  }

  after(async () => {
    await Promise.all(devices.map((d) => d.stop()));
    for (const m of meshes) m.cleanup();
  });

  it('one XML-only device holds the mesh at XML; two minutes of its silence lift it to TAK Protocol', async () => {
    const [na, nb, nc] = nses(3) as [string, string, string];
    const a = device(na, {
      presence: presence('alpha'),
      manualClock: true,
      rebuildAfterSilenceMs: NO_REBUILD_MS,
      directPort: 0,
    });
    const b = device(nb, {
      presence: presence('bravo'),
      manualClock: true,
      rebuildAfterSilenceMs: NO_REBUILD_MS,
      directPort: 0,
    });
    const c = device(nc, {
      presence: presence('charlie'),
      manualClock: true,
      rebuildAfterSilenceMs: NO_REBUILD_MS,
      directPort: 0,
      sendFormat: 'xml',
    });
    await Promise.all([a, b, c].map((d) => d.waitReport(connected, 'connected')));
    // Every device speaks again a minute on (its presence; bravo its announcement too): all are listening now.
    await advance(b, 60_000);
    await advance(c, 60_000);
    await a.waitReport(
      heard(
        (list) =>
          list.some((x) => x.uid === 'uid-bravo' && x.control?.max === 1) &&
          list.some((x) => x.uid === 'uid-charlie'),
      ),
      'alpha hearing bravo announce and charlie',
    );
    const held = await a.query();
    assert.equal(held.protocol, 'xml');
    const bravoAtAlpha = (held.contacts as Contact[]).find((x) => x.uid === 'uid-bravo');
    assert.deepEqual(bravoAtAlpha?.control && [bravoAtAlpha.control.min, bravoAtAlpha.control.max], [1, 1]);
    assert.equal((held.contacts as Contact[]).find((x) => x.uid === 'uid-charlie')?.control, undefined);
    a.command({ cmd: 'send', xml: marker('while-held') });
    assert.equal((await b.waitReport(eventFrom('while-held'), 'the held event')).format, 'xml');

    // Charlie goes quiet; bravo announces again at alpha's minute 1; at minute 2 charlie is past the window.
    await c.stop();
    await advance(a, 61_000);
    await advance(b, 60_000);
    await a.waitReport(
      heard((list) => list.some((x) => x.uid === 'uid-bravo' && (x.control?.at ?? 0) >= 61_000)),
      'bravo announcing again',
    );
    assert.equal((await a.query()).protocol, 'xml', 'charlie still counts inside two minutes');
    await advance(a, 60_000);
    const lifted = await a.query();
    assert.equal(lifted.protocol, 'protobuf');
    assert.deepEqual(
      (lifted.contacts as Contact[]).map((x) => x.uid),
      ['uid-bravo'],
    );
    assert.equal((lifted.info as { protocol: string }).protocol, 'protobuf');
    a.command({ cmd: 'send', xml: marker('after-lift') });
    const got = await b.waitReport(eventFrom('after-lift'), 'the lifted event');
    assert.equal(got.format, 'protobuf');
    assert.match(String(got.xml), /uid="after-lift"/);
  });

  it('direct chats travel over TCP both ways, to a callsign or a uid heard on the mesh', async () => {
    const [na, nb] = nses(2) as [string, string];
    const a = device(na, {
      presence: presence('alpha'),
      manualClock: true,
      rebuildAfterSilenceMs: NO_REBUILD_MS,
      sendFormat: 'xml',
    });
    await a.waitReport(connected, 'alpha connected');
    const b = device(nb, { presence: presence('bravo'), sendFormat: 'xml' });
    await b.waitReport(connected, 'bravo connected');
    await a.waitReport(
      heard((list) => list.some((x) => x.callsign === 'bravo')),
      'bravo SA at alpha',
    );
    const contacts = (await a.query()).contacts as Contact[];
    assert.equal(contacts.find((x) => x.callsign === 'bravo')?.endpoint, '10.77.0.2:4242:tcp');

    const toBravo = buildCot(
      chatEvent({
        senderUid: 'uid-alpha',
        senderCallsign: 'alpha',
        text: 'just for bravo',
        roomId: 'uid-bravo',
        room: 'bravo',
      }),
    );
    a.command({ cmd: 'send', xml: toBravo, to: 'bravo', id: 'd1' });
    assert.equal((await a.waitReport((r) => r.id === 'd1', 'the answer')).outcome, 'queued');
    const atBravo = await b.waitReport(
      (r) => r.t === 'event' && /just for bravo/.test(String(r.xml)),
      'the chat at bravo',
    );
    assert.equal(atBravo.type, 'b-t-f');
    assert.equal(((await b.query()).counters as { directReceived: number }).directReceived, 1);

    await advance(a, 60_000); // alpha's next SA, so bravo knows alpha's endpoint
    await b.waitReport(
      heard((list) => list.some((x) => x.uid === 'uid-alpha')),
      'alpha SA at bravo',
    );
    b.command({ cmd: 'send', xml: marker('reply-by-uid'), to: 'uid-alpha' });
    await a.waitReport(eventFrom('reply-by-uid'), 'the reply at alpha');
    assert.equal(((await a.query()).counters as { directReceived: number }).directReceived, 1);

    b.command({ cmd: 'send', xml: marker('nobody'), to: 'zulu', id: 'd3' });
    const refused = await b.waitReport((r) => r.id === 'd3', 'the refusal');
    assert.equal(refused.code, 'ERR_MESH_UNKNOWN_CONTACT');
  });

  it('a receive socket that hears nothing for the silence time is rebuilt and hears again', async () => {
    const [na, nb] = nses(2) as [string, string];
    const a = device(na, { directPort: 0, sendFormat: 'xml' });
    const b = device(nb, { directPort: 0, manualClock: true, sendFormat: 'xml' });
    await Promise.all([a, b].map((d) => d.waitReport(connected, 'connected')));
    await advance(b, 30_000);
    assert.equal(((await b.query()).counters as { rebuilds: number }).rebuilds, 2);
    // The rebuilt sockets bind and join again: an event sent now may beat them, so send until one lands.
    for (let i = 0; i < 50 && !b.reports.some((r) => r.t === 'event'); i++) {
      a.command({ cmd: 'send', xml: marker(`after-rebuild-${i}`) });
      await a.query();
    }
    await b.waitReport((r) => r.t === 'event', 'an event after the rebuild');
  });
});
