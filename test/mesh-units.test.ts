import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { describe, it } from 'node:test';
import { buildCot } from '../src/cot/build';
import { parseCot } from '../src/cot/parse';
import { presenceEvent } from '../src/cot/helpers';
import { MeshClient } from '../src/client/mesh-client';
import { MeshContacts } from '../src/client/mesh-contacts';
import { readDatagram } from '../src/client/mesh-datagram';
import { MAX_MESH_CONTACTS } from '../src/client/mesh-defaults';
import { MeshError } from '../src/client/mesh-errors';
import { findInterface, listMeshInterfaces } from '../src/client/mesh-interface';
import { encodeTakControl, encodeTakMessage } from '../src/takproto/codec';
import { frameMesh } from '../src/takproto/frame';
import { ManualClock } from './helpers/client-clock';
import { waitFor } from './helpers/client-wait';

const control = { minProtoVersion: 1, maxProtoVersion: 1, contactUid: '' };

function sa(uid: string, callsign: string, endpoint = '10.0.0.9:4242:tcp') {
  return presenceEvent({ uid, callsign, endpoint });
}

describe('mesh contacts and the version rule', () => {
  it('no contacts: XML; all announced: TAK Protocol; one never announced: XML until two minutes of its silence', () => {
    const clock = new ManualClock();
    const contacts = new MeshContacts(() => clock.now());
    assert.equal(contacts.agreedVersion(), 0);
    contacts.heardControl(control, 'a', '10.0.0.1');
    assert.equal(contacts.agreedVersion(), 1);
    contacts.heardEvent(sa('x', 'xml-only'), '10.0.0.2');
    assert.equal(contacts.agreedVersion(), 0);
    clock.advance(60_000);
    contacts.heardControl(control, 'a', '10.0.0.1');
    clock.advance(60_000);
    assert.equal(contacts.agreedVersion(), 0, 'exactly two minutes: still counts');
    clock.advance(1);
    assert.equal(contacts.agreedVersion(), 1);
    assert.deepEqual(
      contacts.list().map((c) => c.uid),
      ['a'],
    );
  });

  it('an announcement without contactUid speaks for the SA from the same address', () => {
    const clock = new ManualClock();
    const contacts = new MeshContacts(() => clock.now());
    contacts.heardEvent(sa('phone', 'p'), '10.0.0.4');
    contacts.heardControl(control, 'from:10.0.0.4', '10.0.0.4');
    assert.equal(contacts.agreedVersion(), 1);
    assert.equal(contacts.size, 1, 'one device');
    contacts.heardEvent(sa('other', 'o'), '10.0.0.5');
    assert.equal(contacts.agreedVersion(), 0);
  });

  it('ranges that share no version we speak give XML', () => {
    const clock = new ManualClock();
    const contacts = new MeshContacts(() => clock.now());
    contacts.heardControl({ ...control, minProtoVersion: 2, maxProtoVersion: 3 }, 'future', '10.0.0.1');
    assert.equal(contacts.agreedVersion(), 0);
  });

  it('finds a contact by uid or by callsign, the most recently heard first; chats and non-SA make no contact', () => {
    const clock = new ManualClock();
    const contacts = new MeshContacts(() => clock.now());
    contacts.heardEvent(sa('u1', 'dup', '10.0.0.1:4242:tcp'), '10.0.0.1');
    clock.advance(10);
    contacts.heardEvent(sa('u2', 'dup', '10.0.0.2:4242:tcp'), '10.0.0.2');
    contacts.heardEvent({ ...sa('chat', 'c'), type: 'b-t-f' }, '10.0.0.3');
    assert.equal(contacts.find('u1')?.endpoint, '10.0.0.1:4242:tcp');
    assert.equal(contacts.find('dup')?.uid, 'u2');
    assert.equal(contacts.find('chat'), undefined);
    assert.equal(contacts.size, 2);
  });

  it(`keeps at most ${MAX_MESH_CONTACTS} contacts, dropping the longest silent`, () => {
    const clock = new ManualClock();
    const contacts = new MeshContacts(() => clock.now());
    for (let i = 0; i <= MAX_MESH_CONTACTS; i++) {
      contacts.heardControl(control, `u${i}`, '10.0.0.1');
      clock.advance(1);
    }
    assert.equal(contacts.size, MAX_MESH_CONTACTS);
    assert.equal(contacts.find('u0'), undefined);
    assert.ok(contacts.find(`u${MAX_MESH_CONTACTS}`));
  });
});

describe('mesh datagrams', () => {
  const xml = buildCot({ uid: 'd1', type: 'a-f-G', lat: 1, lon: 2 });

  it('reads XML and TAK Protocol mesh frames, with their TakControl', () => {
    const fromXml = readDatagram(Buffer.from(xml), { maxBytes: 65_535 });
    assert.equal(fromXml.format, 'xml');
    assert.equal(fromXml.event?.uid, 'd1');
    assert.equal(fromXml.xml, xml);
    const proto = readDatagram(
      frameMesh(encodeTakMessage(parseCot(xml), { control: { ...control, contactUid: 'me' } })),
      {
        maxBytes: 65_535,
      },
    );
    assert.equal(proto.format, 'protobuf');
    assert.equal(proto.event?.uid, 'd1');
    assert.equal(proto.control?.contactUid, 'me');
    assert.match(proto.xml, /uid="d1"/);
    const announcement = readDatagram(frameMesh(encodeTakControl(control)), { maxBytes: 65_535 });
    assert.equal(announcement.event, undefined);
    assert.equal(announcement.control?.maxProtoVersion, 1);
  });

  for (const [name, bytes] of [
    ['text that is not CoT', Buffer.from('hello')],
    ['an empty datagram', Buffer.alloc(0)],
    ['a stream frame, not a mesh one', Buffer.from([0xbf, 0x02, 0x08, 0x01])],
    ['a broken TakMessage', Buffer.from([0xbf, 0x01, 0xbf, 0x12, 0x50])],
    ['XML cut short', Buffer.from(xml.slice(0, 60))],
    ['too large', Buffer.from(xml + ' '.repeat(100))],
  ] as const) {
    it(`refuses ${name} with ERR_MESH_BAD_DATAGRAM`, () => {
      assert.throws(
        () => readDatagram(bytes, { maxBytes: xml.length + 10 }),
        (error: unknown) => error instanceof MeshError && error.code === 'ERR_MESH_BAD_DATAGRAM',
      );
    });
  }
});

describe('mesh interfaces', () => {
  const fake = {
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '', internal: true, cidr: '' }],
    wlan0: [
      {
        address: '192.168.1.5',
        netmask: '255.255.255.0',
        family: 'IPv4',
        mac: '',
        internal: false,
        cidr: '',
      },
    ],
    eth1: [
      {
        address: 'fe80::1',
        netmask: 'ffff::',
        family: 'IPv6',
        mac: '',
        internal: false,
        cidr: '',
        scopeid: 2,
      },
    ],
  } as unknown as Parameters<typeof findInterface>[1];

  it('finds an interface by name or address, loopback listed last', () => {
    assert.equal(findInterface('wlan0', fake).address, '192.168.1.5');
    assert.equal(findInterface('192.168.1.5', fake).name, 'wlan0');
    assert.deepEqual(
      listMeshInterfaces(fake).map((i) => i.name),
      ['wlan0', 'lo'],
    );
  });

  it('says which interfaces there are when the one chosen is missing, and when it has no IPv4 address', () => {
    assert.throws(() => findInterface('wlan9', fake), {
      code: 'ERR_MESH_NO_INTERFACE',
      message: /wlan0 192\.168\.1\.5/,
    });
    assert.throws(() => findInterface('10.1.1.1', fake), { code: 'ERR_MESH_NO_INTERFACE' });
    assert.throws(() => findInterface('eth1', fake), {
      code: 'ERR_MESH_NO_ADDRESS',
      message: /no IPv4 address/,
    });
  });
});

describe('udp: unicast datagrams to a server', () => {
  it('sends each event as one datagram to host:port; msg.to is refused (udp has no contacts)', async () => {
    const server = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    const client = new MeshClient({
      mode: 'udp',
      host: '127.0.0.1',
      port: server.address().port,
      sendFormat: 'xml',
    });
    try {
      client.start();
      await waitFor(client, 'state', { filter: (c: { state: string }) => c.state === 'connected' });
      const xml = buildCot({ uid: 'to-server', type: 'a-f-G', lat: 1, lon: 2 });
      const got = waitFor<Buffer>(server, 'message');
      assert.equal(client.send(xml), 'sent');
      assert.equal((await got).toString(), xml);
      assert.equal(client.info?.target, `127.0.0.1:${server.address().port}`);
      assert.throws(() => client.send(xml, { to: 'someone' }), { code: 'ERR_MESH_NOT_AVAILABLE' });
    } finally {
      await client.stop();
      server.close();
    }
  });

  it('keeps events sent before the socket opens, in order, dropping the oldest past maxPendingEvents', async () => {
    const server = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    const port = server.address().port;
    const client = new MeshClient({
      mode: 'udp',
      host: '127.0.0.1',
      port,
      sendFormat: 'xml',
      maxPendingEvents: 2,
    });
    const got: string[] = [];
    server.on('message', (bytes: Buffer) => got.push(bytes.toString()));
    try {
      const events = [1, 2, 3].map((i) => buildCot({ uid: `early-${i}`, type: 'a-f-G', lat: 1, lon: 2 }));
      for (const xml of events) assert.equal(client.send(xml), 'queued');
      assert.equal(client.counters.dropped, 1);
      const two = new Promise<void>((resolve) => server.on('message', () => got.length === 2 && resolve()));
      client.start();
      await two;
      assert.deepEqual(got, events.slice(1));
      assert.equal(client.counters.eventsSent, 2);
    } finally {
      await client.stop();
      server.close();
    }
  });

  it('paces multicast and udp sends to maxEventsPerSecond, in order, on the client clock', async () => {
    const server = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    const clock = new ManualClock();
    const client = new MeshClient({
      mode: 'udp',
      host: '127.0.0.1',
      port: server.address().port,
      sendFormat: 'xml',
      maxEventsPerSecond: 1,
      burstEvents: 1,
      clock,
    });
    const got: string[] = [];
    const arrived = (count: number): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (got.length < count) return;
          server.off('message', check);
          resolve();
        };
        server.on('message', check);
        check();
      });
    server.on('message', (bytes: Buffer) => got.push(/uid="([^"]+)"/.exec(bytes.toString())?.[1] ?? '?'));
    try {
      client.start();
      await waitFor(client, 'state', { filter: (c: { state: string }) => c.state === 'connected' });
      const outcomes = ['p1', 'p2', 'p3'].map((uid) =>
        client.send(buildCot({ uid, type: 'a-f-G', lat: 1, lon: 2 })),
      );
      assert.deepEqual(outcomes, ['sent', 'queued', 'queued']);
      await arrived(1);
      clock.advance(999);
      assert.equal(client.counters.eventsSent, 1, 'not before a second has passed');
      clock.advance(1);
      await arrived(2);
      clock.advance(1000);
      await arrived(3);
      assert.deepEqual(got, ['p1', 'p2', 'p3']);
    } finally {
      await client.stop();
      server.close();
    }
  });

  it('refuses options that cannot work', () => {
    assert.throws(() => new MeshClient({ mode: 'udp' }), { code: 'ERR_MESH_OPTIONS' });
    assert.throws(() => new MeshClient({ mode: 'mesh', ttl: 0 }), { code: 'ERR_MESH_OPTIONS' });
  });
});
