import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { realClock } from '../src/client/clock';
import { describe, it } from 'node:test';
import { chatEvent, deleteEvent, parseCot, presenceEvent, toCotEvent, type CotEvent } from '../src/index';
import { ClientSession, type SessionHandler } from '../src/server/client-session';
import { ServerErrorCode } from '../src/server/errors';
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CLIENTS,
  DEFAULT_MAX_QUEUE_BYTES,
  DEFAULT_SERVER_HOST,
  DEFAULT_SERVER_PORT,
  resolveOptions,
} from '../src/server/options';
import { classify, deletedUids, destinations, identityFrom } from '../src/server/routing';
import { TrackStore } from '../src/server/track-store';
import { DEFAULT_MAX_EVENT_BYTES } from '../src/stream/stream-parser';

/** A hang (a wait with no deadline, a close that never resolves) fails the suite instead of the run. */
const SUITE_TIMEOUT_MS = 20_000;

function withDetail(detail: CotEvent['detail'], type = 'b-m-p-s-m'): CotEvent {
  return toCotEvent({ uid: 'u', type, point: { lat: 0, lon: 0 }, detail });
}

describe('routing', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('classifies pings, control, deletes and the rest', () => {
    assert.equal(classify('t-x-c-t'), 'ping');
    assert.equal(classify('t-x-c-t-r'), 'control');
    assert.equal(classify('t-x-takp-v'), 'control');
    assert.equal(classify('t-x-takp-q'), 'control');
    assert.equal(classify('t-x-d-d'), 'delete');
    assert.equal(classify('t-x-X'), 'route');
    assert.equal(classify('a-f-G-U-C'), 'route');
    assert.equal(classify('b-t-f'), 'route');
  });

  it('reads marti dest as one element or several, by callsign and uid, from parsed XML too', () => {
    assert.equal(destinations(withDetail(undefined)), undefined);
    assert.equal(destinations(withDetail({ marti: {} })), undefined);
    assert.equal(destinations(withDetail({ marti: { dest: { mission: 'm' } } })), undefined);
    assert.deepEqual(destinations(withDetail({ marti: { dest: { callsign: 'A' } } })), {
      uids: [],
      callsigns: ['A'],
    });
    const parsed = parseCot(
      '<event version="2.0" uid="u" type="b-t-f" how="h-e" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2026-01-01T00:05:00Z"><point lat="0" lon="0" hae="0" ce="9" le="9"/><detail><marti><dest callsign="A"/><dest uid="u-b"/><dest callsign="C" uid="u-c"/></marti></detail></event>',
    );
    assert.deepEqual(destinations(parsed), { uids: ['u-b', 'u-c'], callsigns: ['A', 'C'] });
    const chat = chatEvent({ senderUid: 's', senderCallsign: 'S', text: 't', toCallsign: 'B' });
    assert.deepEqual(destinations(chat), { uids: [], callsigns: ['B'] });
  });

  it('reads the uids a delete links', () => {
    assert.deepEqual(deletedUids(deleteEvent({ uid: 'gone' })), ['gone']);
    assert.deepEqual(deletedUids(withDetail({ link: [{ uid: 'a' }, { uid: 'b' }] }, 't-x-d-d')), ['a', 'b']);
    assert.deepEqual(deletedUids(withDetail(undefined, 't-x-d-d')), []);
  });

  it('learns identity from an a- event or any event with a contact callsign', () => {
    const sa = presenceEvent({ uid: 'me', callsign: 'ME', team: 'Blue', role: 'HQ' });
    assert.deepEqual(identityFrom(sa), {
      uid: 'me',
      type: 'a-f-G-U-C',
      callsign: 'ME',
      endpoint: '*:-1:stcp',
      team: 'Blue',
      role: 'HQ',
    });
    assert.deepEqual(identityFrom(withDetail(undefined, 'a-f-G')), { uid: 'u', type: 'a-f-G' });
    assert.equal(identityFrom(withDetail({ contact: { callsign: 'X' } }, 't-x-X'))?.callsign, 'X');
    assert.equal(identityFrom(withDetail({ remarks: { _text: 'no contact' } })), undefined);
    assert.equal(identityFrom(withDetail({ contact: { callsign: '' } })), undefined);
  });
});

describe('TrackStore', { timeout: SUITE_TIMEOUT_MS }, () => {
  const bytes = (n: number): Buffer => Buffer.alloc(n, 0x61);

  it('keeps the latest per uid, in update order, and never an event already stale', () => {
    const store = new TrackStore(10, 1000);
    store.put('a', bytes(1), 200, 100);
    store.put('b', bytes(2), 200, 100);
    store.put('a', bytes(3), 300, 100);
    assert.deepEqual(store.uids(), ['b', 'a']);
    assert.equal(store.bytes, 5);
    store.put('b', bytes(1), 100, 100); // stale on arrival: only removes the older one
    assert.deepEqual(store.uids(), ['a']);
    assert.equal(store.get('a', 299)?.length, 3);
    assert.equal(store.get('a', 300), undefined);
    assert.equal(store.size, 0);
    assert.equal(store.bytes, 0);
  });

  it('evicts the least recently updated when full, by count and by bytes', () => {
    const store = new TrackStore(2, 10);
    store.put('a', bytes(4), 1e9, 0);
    store.put('b', bytes(4), 1e9, 0);
    store.put('c', bytes(4), 1e9, 0);
    assert.deepEqual(store.uids(), ['b', 'c']);
    store.put('d', bytes(8), 1e9, 0);
    assert.deepEqual(store.uids(), ['d']);
    store.put('e', bytes(11), 1e9, 0); // larger than the whole store: not kept
    assert.deepEqual(store.uids(), ['d']);
    assert.equal(new TrackStore(0, 10).size, 0);
  });

  it('sweeps what has gone stale', () => {
    const store = new TrackStore(10, 100);
    store.put('a', bytes(1), 150, 100);
    store.put('b', bytes(1), 250, 100);
    assert.equal(store.sweep(200), 1);
    assert.deepEqual(store.uids(), ['b']);
    assert.equal(store.delete('b'), true);
    assert.equal(store.delete('b'), false);
  });
});

describe('server options', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('fills the defaults', () => {
    const options = resolveOptions();
    assert.equal(options.host, DEFAULT_SERVER_HOST);
    assert.equal(options.host, '0.0.0.0');
    assert.equal(options.port, DEFAULT_SERVER_PORT);
    assert.equal(options.port, 8087);
    assert.equal(options.maxClients, DEFAULT_MAX_CLIENTS);
    assert.equal(options.maxEventBytes, DEFAULT_MAX_EVENT_BYTES);
    assert.equal(options.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS);
    assert.equal(options.maxQueueBytes, DEFAULT_MAX_QUEUE_BYTES);
    assert.equal(options.replay, true);
  });

  it('names the option that is wrong', () => {
    for (const bad of [
      { port: -1 },
      { maxClients: 0.5 },
      { maxQueueBytes: 0 },
      { staleSweepMs: 0 },
      { host: '' },
      { replay: 'yes' as unknown as boolean },
      { idleTimeoutMs: Number.NaN },
    ]) {
      const name = Object.keys(bad)[0] as string;
      assert.throws(
        () => resolveOptions(bad),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, ServerErrorCode.OPTION);
          assert.match(error.message, new RegExp(name));
          return true;
        },
      );
    }
    assert.equal(resolveOptions({ idleTimeoutMs: 0 }).idleTimeoutMs, 0);
  });
});

describe('ClientSession', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('ignores every socket event once closed', async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const client = net.connect({ host: '127.0.0.1', port });
    client.on('error', () => undefined);
    const [socket] = (await once(server, 'connection')) as [net.Socket];
    const calls: string[] = [];
    const handler: SessionHandler = {
      spoke: () => calls.push('spoke'),
      received: () => calls.push('received'),
      ended: () => calls.push('ended'),
      failed: () => calls.push('failed'),
      idle: () => calls.push('idle'),
      eventTimeout: () => calls.push('eventTimeout'),
      slow: () => calls.push('slow'),
      throttled: () => calls.push('throttled'),
      drained: () => calls.push('drained'),
    };
    const session = new ClientSession(
      'c',
      socket,
      {
        maxEventBytes: 1024,
        maxDepth: 32,
        idleTimeoutMs: 50,
        maxQueueBytes: 1024,
        eventTimeoutMs: 50,
        inputBytesPerSecond: 1,
        inputBurstBytes: 1,
        clock: realClock,
      },
      handler,
      0,
    );
    session.start();
    session.close();
    socket.emit('data', Buffer.from('<event/>'));
    socket.emit('end');
    socket.emit('error', new Error('late'));
    socket.emit('drain');
    assert.equal(session.write(Buffer.from('x')), 'gone');
    await once(socket, 'close');
    await once(client, 'close');
    assert.deepEqual(calls, []);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
