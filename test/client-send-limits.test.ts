import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import type { TakClientStateChange } from '../src/client/tak-client';
import { buildCot } from '../src/index';
import { ClientPool, FAST, FakeServer, PRESENCE, closedPort } from './helpers/client-servers';
import { until, waitFor } from './helpers/client-wait';

const HOST = '127.0.0.1';
const pool = new ClientPool();
const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await pool.stopAll();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A valid event of about `bytes` bytes: a long remark. */
function bigEvent(uid: string, bytes: number): string {
  return buildCot({ uid, type: 'a-f-G-U-C', lat: 1, lon: 2, remarks: 'x'.repeat(bytes) });
}

describe('TakClient refuses events bigger than the outgoing limit', () => {
  it('a 5 MB event is refused with ERR_CLIENT_EVENT_TOO_LARGE under the default (the incoming limit, 1 MiB)', async () => {
    const client = pool.make({ host: HOST, port: await closedPort(), ...FAST });
    for (const input of [
      bigEvent('big', 5_000_000),
      { uid: 'big', type: 'a-f-G-U-C', lat: 1, lon: 2, remarks: 'y'.repeat(5e6) },
    ]) {
      assert.throws(
        () => client.send(input),
        (error: Error & { code?: string }) =>
          error.code === 'ERR_CLIENT_EVENT_TOO_LARGE' &&
          /4\.8 MiB, over the 1\.0 MiB this connection sends/.test(error.message) &&
          /send a smaller event, or raise the limit/.test(error.message),
      );
    }
    assert.equal(client.counters.offered, 0, 'nothing was queued');
    assert.equal(client.queueLength, 0);
  });

  it('an event just under the limit goes, one just over does not; multi-byte text counts in bytes', async () => {
    const client = pool.make({ host: HOST, port: await closedPort(), ...FAST, maxSendEventBytes: 4_096 });
    const under = bigEvent('same', 100); // uids of four letters each, so the overhead is the same
    const overhead = Buffer.byteLength(under) - 100;
    assert.equal(client.send(bigEvent('fits', 4_096 - overhead)), 'queued');
    assert.throws(() => client.send(bigEvent('over', 4_097 - overhead)), {
      code: 'ERR_CLIENT_EVENT_TOO_LARGE',
    });
    // 1,400 three-byte characters: 1,400 UTF-16 units, 4,200 bytes.
    assert.throws(
      () => client.send({ uid: 'wide', type: 'a-f-G-U-C', lat: 1, lon: 2, remarks: '\u20ac'.repeat(1_400) }),
      {
        code: 'ERR_CLIENT_EVENT_TOO_LARGE',
      },
    );
  });

  it('the limit follows maxEventBytes unless given, and stays within TAK Server\u2019s 8 MB', () => {
    const opts = { host: HOST, port: 1, ...FAST };
    const small = pool.make({ ...opts, maxEventBytes: 2_048 });
    assert.throws(() => small.send(bigEvent('a', 3_000)), { code: 'ERR_CLIENT_EVENT_TOO_LARGE' });
    assert.throws(() => pool.make({ ...opts, maxSendEventBytes: 9 * 1024 * 1024 }), {
      code: 'ERR_CLIENT_OPTIONS',
    });
    assert.throws(() => pool.make({ ...opts, maxSendEventBytes: 10 }), { code: 'ERR_CLIENT_OPTIONS' });
  });

  it('a refused event loses nothing else: the events around it arrive', async () => {
    const server = await FakeServer.listen({});
    servers.push(server);
    const client = pool.make({ host: HOST, port: server.port, ...FAST, presence: PRESENCE });
    client.start();
    client.send({ uid: 'before', type: 'a-f-G-U-C', lat: 1, lon: 2 });
    assert.throws(() => client.send(bigEvent('huge', 2_000_000)), { code: 'ERR_CLIENT_EVENT_TOO_LARGE' });
    client.send({ uid: 'after', type: 'a-f-G-U-C', lat: 1, lon: 2 });
    await until(server, 'event', () => server.uids().includes('after'), 'the event after the refused one');
    assert.deepEqual(
      server.uids().filter((uid) => uid !== PRESENCE.uid),
      ['before', 'after'],
    );
  });
});

describe('a port that answers in HTTP', () => {
  async function httpServer(): Promise<number> {
    // Node's HTTP server answers anything that is not HTTP with "HTTP/1.1 400 Bad Request" and closes.
    const server = http.createServer((_request, response) => response.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    servers.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    return (server.address() as net.AddressInfo).port;
  }

  it('is reported as HTTP, not CoT, with its status line: not as a closed connection', async () => {
    const port = await httpServer();
    const client = pool.make({ host: HOST, port, ...FAST, presence: PRESENCE });
    const failed = waitFor<TakClientStateChange>(client, 'state', {
      filter: (change) => change.state === 'reconnecting' && change.error !== undefined,
    });
    client.start();
    const { error } = await failed;
    assert.equal(error?.code, 'ERR_HTTP_PORT');
    assert.match(
      error?.message ?? '',
      /speaks HTTP, not CoT \(it answered "HTTP\/1\.1 400 Bad Request"\): check the port/,
    );
  });

  it('an answer that starts like HTTP only in its first bytes, split over chunks, is still told apart', async () => {
    // A raw server that writes "HTT" and "P/1.0 404 Not Found" separately.
    const server = await FakeServer.listen({});
    servers.push(server);
    server.on('connection', (socket: net.Socket) => {
      socket.write('HTT');
      setImmediate(() => socket.end('P/1.0 404 Not Found\r\n\r\n'));
    });
    const client = pool.make({ host: HOST, port: server.port, ...FAST });
    const failed = waitFor<TakClientStateChange>(client, 'state', {
      filter: (change) => change.state === 'reconnecting' && change.error !== undefined,
    });
    client.start();
    assert.equal((await failed).error?.code, 'ERR_HTTP_PORT');
  });

  it('CoT that happens to follow is read as usual (only a connection that starts with HTTP/ is judged)', async () => {
    const server = await FakeServer.listen({});
    servers.push(server);
    server.on('connection', (socket: net.Socket) =>
      socket.write(buildCot({ uid: 'hello', type: 'a-f-G-U-C', lat: 1, lon: 2 })),
    );
    const client = pool.make({ host: HOST, port: server.port, ...FAST });
    const event = waitFor<{ event: { uid: string } }>(client, 'event');
    client.start();
    assert.equal((await event).event.uid, 'hello');
  });
});
