import assert from 'node:assert/strict';
import type tls from 'node:tls';
import { after, afterEach, before, describe, it } from 'node:test';
import type { CotEvent } from '../src/index';
import type { TakClient, TakClientStateChange } from '../src/client/tak-client';
import { classifySocketError } from '../src/client/errors';
import { tcpSocketFactory, tlsSocketFactory } from '../src/tls/client-socket';
import type { ClientTlsOptions } from '../src/tls/context';
import { loadClientTls, type ClientTlsSources } from '../src/tls/settings';
import { waitFor } from './helpers/client-wait';
import { KEY_PASSPHRASE, P12_PASSWORD, SERVER_NAME, makePki, type TestPki } from './helpers/tls-pki';
import {
  failures,
  firstFailure,
  startPlainServer,
  startTlsServer,
  testClient,
  type TestServer,
} from './helpers/tls-servers';

describe('TakClient over TLS against real TLS servers on 127.0.0.1', () => {
  let pki: TestPki;
  const servers: TestServer[] = [];
  const clients: TakClient[] = [];

  before(() => {
    pki = makePki();
  });
  after(() => pki.cleanup());
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  /** A TAK Server-like listener: our server certificate, client certificates from our CA required. */
  async function takServer(options: tls.TlsOptions = {}): Promise<TestServer> {
    const server = await startTlsServer({
      key: pki.server.key,
      cert: pki.server.cert,
      ca: pki.ca.cert,
      requestCert: true,
      rejectUnauthorized: true,
      ...options,
    });
    servers.push(server);
    return server;
  }

  /** The usual client: legacy .p12 from makeCert.sh, legacy truststore, the server's name. */
  function sources(extra: ClientTlsSources = {}): ClientTlsSources {
    return {
      clientCert: pki.p12.alphaLegacy,
      clientPassword: P12_PASSWORD,
      trustStore: pki.p12.truststoreLegacy,
      trustPassword: P12_PASSWORD,
      serverName: SERVER_NAME,
      ...extra,
    };
  }

  function factory(extra: ClientTlsSources = {}, tweak: Partial<ClientTlsOptions> = {}) {
    return tlsSocketFactory({ ...loadClientTls(sources(extra)).options, ...tweak });
  }

  function client(port: number, createSocket: ReturnType<typeof factory>, extra = {}): TakClient {
    const made = testClient(port, createSocket, extra);
    clients.push(made);
    return made;
  }

  async function exchange(made: TakClient, server: TestServer): Promise<void> {
    const greeted = waitFor<{ event: CotEvent }>(made, 'event', { what: 'the server greeting' });
    const presence = waitFor<CotEvent>(server, 'event', { what: 'the client presence' });
    made.start();
    assert.equal((await presence).uid, 'tls-test-client');
    assert.equal((await greeted).event.uid, 'greeting');
    const sent = waitFor<CotEvent>(server, 'event', { filter: (e) => e.uid === 'over-tls' });
    made.send({ uid: 'over-tls', type: 'a-f-G-U-C', lat: 51.5, lon: -0.12 });
    assert.equal((await sent).point.lat, 51.5);
  }

  it('mutual TLS with the legacy makeCert.sh .p12 and truststore, reaching the server by IP with its name set', async () => {
    const server = await takServer();
    await exchange(client(server.port, factory()), server);
  });

  it('mutual TLS with PEM: certificate, encrypted key with its passphrase, CA', async () => {
    const server = await takServer();
    const pem = factory({
      clientCert: Buffer.from(pki.alpha.cert),
      clientKey: Buffer.from(pki.alphaEncryptedKey),
      clientPassword: KEY_PASSPHRASE,
      trustStore: Buffer.from(pki.ca.cert),
    });
    await exchange(client(server.port, pem), server);
  });

  it('mutual TLS with a modern .p12 and with an EC client certificate, over TLS 1.2 too', async () => {
    const server = await takServer();
    await exchange(client(server.port, factory({ clientCert: pki.p12.alphaModern })), server);
    const old = await takServer({ maxVersion: 'TLSv1.2' });
    await exchange(client(old.port, factory({ clientCert: pki.p12.ecClient })), old);
  });

  it('name mismatch: the certificate names takserver.test, we connect by IP', async () => {
    const server = await takServer();
    const error = await firstFailure(client(server.port, factory({ serverName: undefined })));
    assert.equal(error.code, 'ERR_TLS_NAME_MISMATCH');
    assert.match(
      error.message,
      /is for takserver\.test, not 127\.0\.0\.1: set the server name to takserver\.test/,
    );
    const wrongName = await firstFailure(client(server.port, factory({ serverName: 'other.test' })));
    assert.equal(wrongName.code, 'ERR_TLS_NAME_MISMATCH');
  });

  it('unknown CA: no truststore (public roots only), or the truststore of another CA', async () => {
    const server = await takServer();
    const none = await firstFailure(client(server.port, factory({ trustStore: undefined })));
    assert.equal(none.code, 'ERR_TLS_UNKNOWN_CA');
    assert.match(none.message, /truststore-root\.p12/);
    const other = await firstFailure(
      client(server.port, factory({ trustStore: Buffer.from(pki.otherCa.cert) })),
    );
    assert.equal(other.code, 'ERR_TLS_UNKNOWN_CA');
  });

  it("the server's certificate expired, or is not valid yet", async () => {
    const expired = await takServer({ key: pki.serverExpired.key, cert: pki.serverExpired.cert });
    const error = await firstFailure(client(expired.port, factory()));
    assert.equal(error.code, 'ERR_TLS_SERVER_CERT_EXPIRED');
    assert.match(error.message, /has expired/);
    const future = await takServer({ key: pki.serverFuture.key, cert: pki.serverFuture.cert });
    const early = await firstFailure(client(future.port, factory()));
    assert.equal(early.code, 'ERR_TLS_SERVER_CERT_EXPIRED');
    assert.match(early.message, /not valid yet/);
  });

  it('the server demands a client certificate and we have none (TLS 1.3 alert, TLS 1.2 handshake failure)', async () => {
    const server = await takServer();
    const error = await firstFailure(client(server.port, factory({ clientCert: undefined })));
    assert.equal(error.code, 'ERR_TLS_CLIENT_CERT_REQUIRED');
    assert.equal(error.systemCode, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    assert.match(error.message, /makeCert\.sh client NAME/);
    const old = await takServer({ maxVersion: 'TLSv1.2' });
    const old12 = await firstFailure(client(old.port, factory({ clientCert: undefined })));
    assert.equal(old12.code, 'ERR_TLS_CLIENT_CERT_REQUIRED');
  });

  for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
    it(`the server refuses our expired, not yet valid or foreign certificate (${maxVersion}, closed without an alert)`, async () => {
      const server = await takServer({ maxVersion });
      const cases: Array<[Buffer, RegExp]> = [
        [pki.p12.alphaExpiredLegacy, /our client certificate CN=alpha.* expired on \d{4}-\d\d-\d\d/],
        [pki.p12.alphaFutureLegacy, /not valid before/],
        [pki.p12.strangerLegacy, /issued by .*someone else CA.*not from a CA the server trusts/],
      ];
      for (const [clientCert, message] of cases) {
        const error = await firstFailure(client(server.port, factory({ clientCert })));
        assert.equal(error.code, 'ERR_TLS_CLIENT_CERT_REJECTED', error.message);
        assert.match(error.message, message);
      }
    });
  }

  it('a TAK Server refusing our certificate with an alert is read the same way', () => {
    const target = { host: 'tak', port: 8089 };
    for (const alert of [
      'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
      'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
      'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
      'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
      'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
    ]) {
      const info = classifySocketError(Object.assign(new Error(alert), { code: alert }), target, 'connected');
      assert.equal(info.code, 'ERR_TLS_CLIENT_CERT_REJECTED', alert);
      assert.equal(info.systemCode, alert);
    }
    const handshake = classifySocketError(
      Object.assign(new Error('x'), { code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' }),
      target,
      'connecting',
    );
    assert.equal(handshake.code, 'ERR_TLS');
    assert.match(handshake.message, /client certificate/);
  });

  it('verification off connects to a server nobody vouches for, under another name', async () => {
    const server = await takServer();
    const blind = factory({ trustStore: undefined, serverName: undefined, verifyServer: false });
    await exchange(client(server.port, blind), server);
  });

  it('TLS to a plain TCP port: one that talks, one that says nothing, one that hangs up', async () => {
    const talks = await startPlainServer('talks');
    const silent = await startPlainServer('silent');
    const closes = await startPlainServer('closes');
    servers.push(talks, silent, closes);
    const talked = await firstFailure(client(talks.port, factory()));
    assert.equal(talked.code, 'ERR_TLS_TO_PLAIN_PORT');
    assert.equal(talked.systemCode, 'ERR_SSL_WRONG_VERSION_NUMBER');
    const quiet = await firstFailure(client(silent.port, factory({}, { handshakeTimeoutMs: 200 })));
    assert.equal(quiet.code, 'ERR_TLS_TO_PLAIN_PORT');
    assert.match(quiet.message, /did not answer the TLS handshake within 200 ms/);
    const hungUp = await firstFailure(client(closes.port, factory()));
    assert.equal(hungUp.code, 'ERR_TLS_TO_PLAIN_PORT');
    assert.match(hungUp.message, /without a byte of TLS/);
  });

  it('plain TCP to a TLS port: one that closes on plain text (twice in a row), one that answers with a TLS alert', async () => {
    const server = await takServer();
    const [first, second] = await failures(client(server.port, tcpSocketFactory()), 2);
    assert.equal(first?.code, 'ERR_CONNECTION_CLOSED', 'once could be a server going down');
    assert.equal(second?.code, 'ERR_PLAIN_TO_TLS_PORT');
    assert.match(second?.message ?? '', /2 times in a row.*set the protocol to tls \(ATAK: ssl\)/);
    const alert = await startPlainServer('alert');
    servers.push(alert);
    const answered = await firstFailure(client(alert.port, tcpSocketFactory()));
    assert.equal(answered.code, 'ERR_PLAIN_TO_TLS_PORT');
    assert.match(answered.message, /answered in TLS/);
  });

  it('plain TCP with a login that is closed at once stays a refused login', async () => {
    const server = await takServer();
    const error = await firstFailure(
      client(server.port, tcpSocketFactory({ sendsLogin: true }), {
        auth: { username: 'u', password: 'p' },
      }),
    );
    assert.notEqual(error.code, 'ERR_PLAIN_TO_TLS_PORT');
  });

  it('plain TCP still works as before with the TLS-aware factory', async () => {
    const plain = await startPlainServer('talks');
    servers.push(plain);
    const made = client(plain.port, tcpSocketFactory());
    const got = waitFor<{ event: CotEvent }>(made, 'event');
    made.start();
    assert.equal((await got).event.uid, 'stored');
  });

  it('no reconnect storm on a refused certificate: the delay doubles up to the cap and the reason stays', async () => {
    const server = await takServer();
    const made = client(server.port, factory({ clientCert: pki.p12.alphaExpiredLegacy }), {
      reconnectInitialMs: 20,
      reconnectMaxMs: 160,
    });
    const changes: TakClientStateChange[] = [];
    made.on('state', (change) => {
      if (change.state === 'reconnecting') changes.push(change);
    });
    const sixth = waitFor<TakClientStateChange>(made, 'state', {
      filter: () => changes.length >= 6,
      timeoutMs: 5_000,
      what: 'six failed attempts',
    });
    made.start();
    await sixth;
    await made.stop();
    assert.deepEqual(
      changes.map((c) => c.delayMs),
      [20, 40, 80, 160, 160, 160],
    );
    assert.ok(changes.every((c) => c.error?.code === 'ERR_TLS_CLIENT_CERT_REJECTED'));
    assert.equal(made.counters.lastError?.code, 'ERR_TLS_CLIENT_CERT_REJECTED');
    assert.ok(server.connections <= 7, `${server.connections} connections for six failures`);
  });
});
