import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildCot } from '../src/cot/build';
import { chatEvent } from '../src/cot/helpers';
import { Device, makeMesh, netnsUnavailable, type DeviceReport, type NetnsMesh } from './helpers/netns';

/*
 * The mesh between real sockets: each "device" is a MeshClient in its own process inside a network
 * namespace these tests make (a bridge, a veth per device, a multicast route on each end). Needs root.
 */

const skip = netnsUnavailable();

const SA = { group: '239.2.3.1', port: 6969 };
const CHAT = { group: '224.10.10.1', port: 17012 };

function presence(name: string): Record<string, unknown> {
  return { uid: `uid-${name}`, callsign: name, lat: 1, lon: 2 };
}

function marker(uid: string): string {
  return buildCot({ uid, type: 'a-f-G', lat: 10, lon: 20 });
}

function chat(from: string, text: string): string {
  return buildCot(chatEvent({ senderUid: `uid-${from}`, senderCallsign: from, text }));
}

const connected = (r: DeviceReport): boolean => r.t === 'state' && r.state === 'connected';
const eventFrom =
  (uid: string) =>
  (r: DeviceReport): boolean =>
    r.t === 'event' && r.uid === uid;

describe('the mesh across network namespaces', { skip }, () => {
  const devices: Device[] = [];
  const meshes: NetnsMesh[] = [];

  function device(ns: string, options: Record<string, unknown>): Device {
    const d = new Device(ns, { mode: 'mesh', interface: 'eth0', ...options });
    devices.push(d);
    return d;
  }

  function mesh(count: number): NetnsMesh {
    const m = makeMesh(count);
    meshes.push(m);
    return m;
  }

  async function ready(...list: Device[]): Promise<void> {
    await Promise.all(list.map((d) => d.waitReport(connected, 'connected')));
  }

  after(async () => {
    await Promise.all(devices.map((d) => d.stop()));
    for (const m of meshes) m.cleanup();
  });

  before(() => undefined);

  it('two devices exchange SA and GeoChat in XML', async () => {
    const m = mesh(2);
    const [na, nb] = m.devices as [(typeof m.devices)[0], (typeof m.devices)[0]];
    const a = device(na.ns, { presence: presence('alpha'), sendFormat: 'xml' });
    const b = device(nb.ns, { presence: presence('bravo'), sendFormat: 'xml' });
    await ready(a, b);
    // Each one's presence went out when it started; the other may not have been listening yet.
    a.command({ cmd: 'send', xml: marker('uid-alpha-2') });
    b.command({ cmd: 'send', xml: chat('bravo', 'hello from bravo') });
    const sa = await b.waitReport(eventFrom('uid-alpha-2'), 'alpha marker at bravo');
    assert.equal(sa.format, 'xml');
    const heard = await a.waitReport((r) => r.t === 'event' && r.type === 'b-t-f', 'bravo chat at alpha');
    assert.match(String(heard.xml), /hello from bravo/);
    assert.equal(heard.format, 'xml');
    const info = await a.query();
    assert.equal((info.info as { interface: string }).interface, 'eth0');
    assert.equal((info.info as { address: string }).address, na.address);
  });

  it('three devices each hear the other two, in TAK Protocol too', async () => {
    const m = mesh(3);
    const list = m.devices.map((d, i) => device(d.ns, { sendFormat: i === 0 ? 'protobuf' : 'xml' }));
    await ready(...list);
    list.forEach((d, i) => d.command({ cmd: 'send', xml: marker(`m-${i}`) }));
    for (const [i, d] of list.entries()) {
      for (const j of [0, 1, 2].filter((k) => k !== i)) {
        const got = await d.waitReport(eventFrom(`m-${j}`), `m-${j} at device ${i}`);
        assert.equal(got.format, j === 0 ? 'protobuf' : 'xml');
      }
    }
    const heard = list.map((d) => d.reports.filter((r) => r.t === 'event').length);
    assert.deepEqual(heard, [2, 2, 2], 'no device heard itself');
    // GeoChat in TAK Protocol, on the chat group.
    (list[0] as Device).command({ cmd: 'send', xml: chat('zero', 'proto chat') });
    for (const d of list.slice(1)) {
      const got = await d.waitReport((r) => r.t === 'event' && r.type === 'b-t-f', 'the chat');
      assert.equal(got.format, 'protobuf');
      assert.match(String(got.xml), /proto chat/);
    }
  });

  it('two receivers on one host both get every datagram', async () => {
    const m = mesh(2);
    const [na, nb] = m.devices as [(typeof m.devices)[0], (typeof m.devices)[0]];
    const sender = device(na.ns, { directPort: 0 });
    const r1 = device(nb.ns, { directPort: 0 });
    const r2 = device(nb.ns, { directPort: 0 });
    await ready(sender, r1, r2);
    const count = 50;
    for (let i = 0; i < count; i++) sender.command({ cmd: 'send', xml: marker(`seq-${i}`) });
    for (const r of [r1, r2]) {
      await r.waitReport(eventFrom(`seq-${count - 1}`), 'the last event');
      const uids = r.reports.filter((x) => x.t === 'event').map((x) => x.uid);
      assert.equal(new Set(uids).size, count);
    }
  });

  it('a second program on the host still joins the mesh when the direct port is taken, and says so', async () => {
    const m = mesh(2);
    const [na, nb] = m.devices as [(typeof m.devices)[0], (typeof m.devices)[0]];
    const first = device(na.ns, { sendFormat: 'xml' });
    await ready(first);
    const second = device(na.ns, { sendFormat: 'xml', presence: presence('second') });
    const far = device(nb.ns, { directPort: 0 });
    await ready(second, far);
    const problem = await second.waitReport((r) => r.t === 'problem', 'the port problem');
    assert.equal(problem.code, 'ERR_MESH_SOCKET');
    assert.match(
      String(problem.message),
      /direct-message port 10\.77\.0\.1:4242 cannot be listened on \(EADDRINUSE\)/,
    );
    assert.equal(((await first.query()).counters as { parseErrors: number }).parseErrors, 0);
    far.command({ cmd: 'send', xml: marker('to-both') });
    await first.waitReport(eventFrom('to-both'), 'the event at the first');
    await second.waitReport(eventFrom('to-both'), 'the event at the second');
  });

  it('with loopback off, no program on the sending host hears our datagrams; on, they do, and we never hear ourselves', async () => {
    const m = mesh(2);
    const [na, nb] = m.devices as [(typeof m.devices)[0], (typeof m.devices)[0]];
    // XML only: no version announcements, so the one event is all each sends.
    const quiet = device(na.ns, { directPort: 0, loopback: false, sendFormat: 'xml' });
    const loud = device(na.ns, { directPort: 0, loopback: true, sendFormat: 'xml' });
    const far = device(nb.ns, { directPort: 0 });
    await ready(quiet, loud, far);
    quiet.command({ cmd: 'send', xml: marker('from-quiet') });
    loud.command({ cmd: 'send', xml: marker('from-loud') });
    await far.waitReport(eventFrom('from-quiet'), 'quiet at far');
    await far.waitReport(eventFrom('from-loud'), 'loud at far');
    // The same host hears the looped one; once it has, the quiet one (sent first) would have come too.
    await quiet.waitReport(eventFrom('from-loud'), 'loud looped back to quiet');
    assert.equal(quiet.reports.filter(eventFrom('from-quiet')).length, 0, 'quiet heard itself');
    assert.equal(loud.reports.filter(eventFrom('from-quiet')).length, 0, 'loopback off leaked to the host');
    assert.equal(loud.reports.filter(eventFrom('from-loud')).length, 0, 'loud heard itself');
    // Loud's own socket reads its echo in its own time: ask until it has (a bounded number of round trips).
    let echoes = 0;
    for (let i = 0; i < 100 && echoes === 0; i++) {
      echoes = ((await loud.query()).counters as { ownEchoes: number }).ownEchoes;
    }
    assert.equal(echoes, 1);
  });

  it('a datagram that is not CoT, or a broken frame, is counted and skipped; the next event comes through', async () => {
    const m = mesh(2);
    const [na, nb] = m.devices as [(typeof m.devices)[0], (typeof m.devices)[0]];
    const a = device(na.ns, { directPort: 0 });
    const b = device(nb.ns, { directPort: 0 });
    await ready(a, b);
    a.command({ cmd: 'raw', hex: Buffer.from('hello, not cot').toString('hex'), ...SA });
    a.command({ cmd: 'raw', hex: 'bf01bf0aff', ...SA });
    a.command({ cmd: 'raw', hex: 'bf02bf', ...CHAT });
    a.command({ cmd: 'send', xml: marker('after-garbage') });
    await b.waitReport(eventFrom('after-garbage'), 'the good event');
    // The chat group's socket is another socket: its datagram may be read after the SA group's.
    await b.waitReport((r) => r.t === 'parseError' && /mesh header/.test(String(r.message)), 'the chat one');
    const errors = b.reports.filter((r) => r.t === 'parseError');
    assert.equal(errors.length, 3);
    assert.ok(errors.every((e) => e.code === 'ERR_MESH_BAD_DATAGRAM'));
    assert.equal(((await b.query()).counters as { parseErrors: number }).parseErrors, 3);
  });

  it('an event larger than a datagram is refused before sending', async () => {
    const m = mesh(1);
    const a = device((m.devices[0] as { ns: string }).ns, { directPort: 0 });
    await ready(a);
    const big = buildCot({ uid: 'big', type: 'a-f-G', lat: 1, lon: 1, remarks: 'x'.repeat(70_000) });
    a.command({ cmd: 'send', xml: big, id: 'big' });
    const refused = await a.waitReport((r) => r.id === 'big', 'the answer');
    assert.equal(refused.t, 'error');
    assert.equal(refused.code, 'ERR_MESH_EVENT_TOO_LARGE');
    const counters = (await a.query()).counters as { eventsSent: number; offered: number };
    assert.deepEqual([counters.offered, counters.eventsSent], [1, 0]);
  });

  it('a missing interface is a clear status, and the wrong one (loopback) reaches nobody', async () => {
    const m = mesh(2);
    const [na, nb] = m.devices as [(typeof m.devices)[0], (typeof m.devices)[0]];
    const missing = device(na.ns, { interface: 'wlan9', directPort: 0 });
    const state = await missing.waitReport((r) => r.t === 'state' && r.state === 'reconnecting', 'a status');
    assert.equal((state.error as { code: string }).code, 'ERR_MESH_NO_INTERFACE');
    assert.match(
      (state.error as { message: string }).message,
      /no interface "wlan9" on this host; there are: eth0 10\.77\.0\.1/,
    );
    const wrong = device(na.ns, { interface: 'lo', directPort: 0 });
    const right = device(na.ns, { directPort: 0 });
    const far = device(nb.ns, { directPort: 0 });
    await ready(wrong, right, far);
    assert.equal(((await wrong.query()).info as { interface: string }).interface, 'lo');
    wrong.command({ cmd: 'send', xml: marker('on-lo') });
    right.command({ cmd: 'send', xml: marker('on-eth0') });
    await far.waitReport(eventFrom('on-eth0'), 'the eth0 event');
    assert.equal(far.reports.filter(eventFrom('on-lo')).length, 0);
  });
});
