import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, afterEach, before, describe, it } from 'node:test';
import { CotServer, type CotEvent } from '../src/index';
import type { TakClient } from '../src/client/tak-client';
import { tcpSocketFactory, tlsSocketFactory } from '../src/tls/client-socket';
import { loadClientTls, loadServerTls, type ClientTlsSources } from '../src/tls/settings';
import {
  tlsServerFactory,
  type AcceptedClient,
  type HandshakeFailure,
  type RefusedClient,
} from '../src/tls/server';
import { waitFor } from './helpers/client-wait';
import { P12_PASSWORD, SERVER_NAME, makePki, type TestPki } from './helpers/tls-pki';
import { failures as failedAttempts, firstFailure, testClient } from './helpers/tls-servers';

describe('CotServer with a TLS listener that requires client certificates', () => {
  let pki: TestPki;
  let server: CotServer | undefined;
  const clients: TakClient[] = [];
  let refused: RefusedClient[] = [];
  let failures: HandshakeFailure[] = [];
  let accepted: AcceptedClient[] = [];
  const hookEvents = new EventEmitter();

  before(() => {
    pki = makePki();
  });
  after(() => pki.cleanup());
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
    await server?.close();
    server = undefined;
    refused = [];
    failures = [];
    accepted = [];
  });

  async function listen(requireClientCert = true): Promise<number> {
    const { options } = loadServerTls({
      serverCert: pki.p12.serverLegacy,
      serverPassword: P12_PASSWORD,
      clientCa: pki.p12.truststoreLegacy,
      clientCaPassword: P12_PASSWORD,
      requireClientCert,
    });
    server = new CotServer({
      host: '127.0.0.1',
      port: 0,
      createServer: tlsServerFactory(options, {
        refused: (client) => refused.push(client),
        handshakeFailed: (failure) => {
          failures.push(failure);
          hookEvents.emit('handshakeFailed', failure);
        },
        accepted: (client) => accepted.push(client),
      }),
    });
    return (await server.listen()).port;
  }

  function client(port: number, extra: ClientTlsSources, uid: string): TakClient {
    const { options } = loadClientTls({
      trustStore: pki.p12.truststoreLegacy,
      trustPassword: P12_PASSWORD,
      serverName: SERVER_NAME,
      ...extra,
    });
    const made = testClient(port, tlsSocketFactory(options), {
      presence: { uid, callsign: uid.toUpperCase() },
    });
    clients.push(made);
    return made;
  }

  it('two clients with makeCert.sh .p12 files exchange events through it', async () => {
    const port = await listen();
    const alpha = client(port, { clientCert: pki.p12.alphaLegacy, clientPassword: P12_PASSWORD }, 'alpha');
    const bravo = client(port, { clientCert: pki.p12.bravoLegacy, clientPassword: P12_PASSWORD }, 'bravo');
    const identified = waitFor(server as CotServer, 'identified', {
      filter: () => (server as CotServer).clients().filter((c) => c.uid !== undefined).length === 2,
    });
    alpha.start();
    bravo.start();
    await identified;
    const atBravo = waitFor<{ event: CotEvent }>(bravo, 'event', {
      filter: (r) => r.event.uid === 'from-alpha',
    });
    alpha.send({ uid: 'from-alpha', type: 'a-f-G-U-C', lat: 1, lon: 2 });
    assert.equal((await atBravo).event.point.lon, 2);
    assert.deepEqual(accepted.map((c) => c.certificate?.commonName).sort(), ['alpha', 'bravo']);
    assert.deepEqual(refused, []);
    assert.deepEqual(
      (server as CotServer)
        .clients()
        .map((c) => `${c.uid}: ${c.certificate?.commonName}`)
        .sort(),
      ['alpha: alpha', 'bravo: bravo'],
      'each client is known by its certificate as well as its uid',
    );
  });

  it('refuses clients without a certificate, with an expired one, or one from another CA, saying why', async () => {
    const port = await listen();
    const none = await firstFailure(client(port, {}, 'none'));
    assert.equal(none.code, 'ERR_TLS_CLIENT_CERT_REQUIRED');
    const expired = await firstFailure(
      client(port, { clientCert: pki.p12.alphaExpiredLegacy, clientPassword: P12_PASSWORD }, 'old'),
    );
    assert.equal(expired.code, 'ERR_TLS_CLIENT_CERT_REJECTED');
    assert.match(expired.message, /expired on/);
    const stranger = await firstFailure(
      client(port, { clientCert: pki.p12.strangerLegacy, clientPassword: P12_PASSWORD }, 'stranger'),
    );
    assert.equal(stranger.code, 'ERR_TLS_CLIENT_CERT_REJECTED');
    assert.deepEqual(
      refused.map((r) => r.code),
      ['ERR_TLS_CLIENT_NO_CERT', 'ERR_TLS_CLIENT_CERT_EXPIRED', 'ERR_TLS_CLIENT_UNKNOWN_CA'],
    );
    assert.match(refused[1]?.message ?? '', /CN=alpha.* expired on \d{4}-\d\d-\d\d/);
    assert.match(refused[2]?.message ?? '', /someone else CA.*not signed by the configured CA/);
    const metrics = (server as CotServer).metrics();
    assert.equal(metrics.connectionsReceived, 0, 'a refused client never reaches the CoT server');
  });

  it('tells a plain TCP client apart, on both sides', async () => {
    const port = await listen();
    const plain = testClient(port, tcpSocketFactory());
    clients.push(plain);
    const failed = waitFor(hookEvents, 'handshakeFailed');
    const errors = await failedAttempts(plain, 2);
    assert.equal(errors[1]?.code, 'ERR_PLAIN_TO_TLS_PORT');
    await failed;
    assert.match(failures[0]?.code ?? '', /WRONG_VERSION_NUMBER|HTTP_REQUEST|UNKNOWN_PROTOCOL/);
    assert.match(failures[0]?.message ?? '', /plain TCP to the TLS port/);
  });

  it('a client that does not trust our certificate shows as a dropped handshake', async () => {
    const port = await listen();
    const doubting = client(
      port,
      {
        clientCert: pki.p12.alphaLegacy,
        clientPassword: P12_PASSWORD,
        trustStore: Buffer.from(pki.otherCa.cert),
      },
      'doubting',
    );
    const failed = waitFor(hookEvents, 'handshakeFailed');
    const error = await firstFailure(doubting);
    assert.equal(error.code, 'ERR_TLS_UNKNOWN_CA');
    await failed;
    assert.match(failures[0]?.message ?? '', /does not trust our server certificate/);
  });

  it('without required client certificates anyone with the CA can connect', async () => {
    const port = await listen(false);
    const anonymous = client(port, {}, 'anon');
    const connected = waitFor(anonymous, 'connected');
    anonymous.start();
    await connected;
    assert.equal(accepted[0]?.certificate, undefined);
  });
});
