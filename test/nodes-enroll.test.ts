/**
 * Enrollment in a real Node-RED runtime: the tak-config dialog's endpoint enrolls against a TAK Server-like
 * enrollment port, and a tak-config holding what came back connects with it to a TLS tak-server that requires
 * client certificates from that CA.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { CotEvent } from '../src/index';
import takConfig from '../src/nodes/tak-config';
import takReceive from '../src/nodes/tak-receive';
import takSend from '../src/nodes/tak-send';
import takServer from '../src/nodes/tak-server';
import { renewalTime } from '../src/web';
import { PASSWORD, startEnrollServer, USERNAME, type EnrollServer } from './helpers/enroll-server';
import { freePort } from './helpers/ports';
import {
  collect,
  eventually,
  getNode,
  startRed,
  stopRed,
  waitForConnectionStatus,
  isConnectedStatus,
} from './helpers/red';
import { P12_PASSWORD, SERVER_NAME, makePki, type TestPki } from './helpers/tls-pki';

const NODES = [takConfig, takSend, takReceive, takServer];
const b64 = (data: Buffer | string): string => Buffer.from(data).toString('base64');

interface AdminAgent {
  post(path: string): { send(body: unknown): { expect(status: number): Promise<{ body: unknown }> } };
}

async function admin(): Promise<AdminAgent> {
  return ((await startRed()) as unknown as { request(): AdminAgent }).request();
}

interface Enrolled {
  clientCert: string;
  clientKey: string;
  trustStore: string;
  certificate: { commonName: string; validFrom: string; validTo: string };
  server: { trust: string; fingerprint256: string };
  renewAt: string;
}

describe('enrollment in a Node-RED runtime: the tak-config endpoint, then mutual TLS with the new certificate', () => {
  let pki: TestPki;
  let enrollServer: EnrollServer;

  before(async () => {
    pki = makePki();
    await startRed();
  });
  after(async () => {
    await stopRed();
    pki.cleanup();
  });
  afterEach(async () => {
    await (await startRed()).unload();
    await enrollServer?.close();
  });

  function takServerNode(port: number): Array<Record<string, unknown>> {
    return [
      {
        id: 'srv',
        type: 'tak-server',
        z: 'tab',
        x: 100,
        y: 20,
        host: '127.0.0.1',
        port,
        protocol: 'tls',
        idleTimeout: 60,
        wires: [['srv-out']],
      },
      { id: 'srv-out', type: 'helper', z: 'tab', x: 300, y: 20, wires: [] },
    ];
  }

  it('enrolls through the dialog endpoint; the tak-config connects with the new certificate and plans its renewal', async () => {
    enrollServer = await startEnrollServer(pki);
    const red = await startRed();
    await red.load(NODES, [{ id: 'tab', type: 'tab', label: 'enroll' }], {});
    const response = await (
      await admin()
    )
      .post('/takpak/web/enroll')
      .send({
        link: `tak://com.atakmap.app/enroll?host=127.0.0.1:${enrollServer.port}&username=${USERNAME}&token=${encodeURIComponent(PASSWORD)}`,
        trustStore: b64(pki.p12.truststoreLegacy),
        trustPassword: P12_PASSWORD,
        serverName: SERVER_NAME,
        uid: 'uid-gateway',
      })
      .expect(200);
    const enrolled = response.body as Enrolled;
    assert.equal(enrolled.certificate.commonName, USERNAME);
    assert.equal(enrolled.server.trust, 'truststore');
    assert.match(enrolled.trustStore, /BEGIN CERTIFICATE/);
    assert.match(enrollServer.seen.at(-1)?.url ?? '', /clientUid=uid-gateway/);

    const port = await freePort();
    await red.unload();
    await red.load(
      NODES,
      [
        { id: 'tab', type: 'tab', label: 'enroll' },
        ...takServerNode(port),
        {
          id: 'cfg',
          type: 'tak-config',
          host: '127.0.0.1',
          port,
          protocol: 'tls',
          callsign: 'GATEWAY',
          uid: 'uid-gateway',
          identityGap: 0,
          reconnectMax: 1,
          serverName: SERVER_NAME,
          enrollUser: USERNAME,
          enrollPort: enrollServer.port,
          renewPercent: 67,
        },
        { id: 'send', type: 'tak-send', z: 'tab', x: 100, y: 100, server: 'cfg', wires: [] },
      ],
      {
        srv: {
          serverCert: b64(pki.p12.serverLegacy),
          serverPassword: P12_PASSWORD,
          // The CA the enrolled certificate comes from: the server requires client certificates from it.
          clientCa: b64(pki.ca.cert),
        },
        cfg: {
          clientCert: enrolled.clientCert,
          clientKey: enrolled.clientKey,
          trustStore: enrolled.trustStore,
          enrollPassword: PASSWORD,
        },
      },
    );
    await waitForConnectionStatus('cfg', isConnectedStatus);
    const atServer = collect(getNode('srv-out'));
    getNode('send').receive({ payload: { uid: 'from-gateway', type: 'a-f-G-U-C', lat: 1, lon: 2 } });
    await eventually(
      () => atServer.some((m) => (m.payload as CotEvent).uid === 'from-gateway'),
      'tak-server got the event',
    );
    const seen = atServer.find((m) => (m.payload as CotEvent).uid === 'from-gateway') as {
      client: { certificate?: { commonName?: string } };
    };
    assert.equal(
      seen.client.certificate?.commonName,
      USERNAME,
      'the server knows us by the enrolled certificate',
    );
  });

  it('the endpoint answers each enrollment failure with its code', async () => {
    enrollServer = await startEnrollServer(pki);
    const red = await startRed();
    await red.load(NODES, [{ id: 'tab', type: 'tab', label: 'enroll' }], {});
    const base = { host: '127.0.0.1', port: enrollServer.port, username: USERNAME, serverName: SERVER_NAME };
    const wrong = await (
      await admin()
    )
      .post('/takpak/web/enroll')
      .send({ ...base, password: 'nope', trustStore: pki.ca.cert })
      .expect(400);
    assert.equal((wrong.body as { code: string }).code, 'ERR_ENROLL_UNAUTHORIZED');
    const untrusted = await (
      await admin()
    )
      .post('/takpak/web/enroll')
      .send({ ...base, password: PASSWORD, trustStore: pki.otherCa.cert })
      .expect(400);
    assert.equal((untrusted.body as { code: string }).code, 'ERR_WEB_UNTRUSTED');
    const firstUse = await (
      await admin()
    )
      .post('/takpak/web/enroll')
      .send({ ...base, password: PASSWORD })
      .expect(200);
    assert.equal((firstUse.body as Enrolled).server.trust, 'first-use');
    assert.match((firstUse.body as Enrolled).server.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const badLink = await (
      await admin()
    )
      .post('/takpak/web/enroll')
      .send({ link: 'tak://com.atakmap.app/enroll?host=x' })
      .expect(400);
    assert.equal((badLink.body as { code: string }).code, 'ERR_ENROLL_BAD_REQUEST');
  });

  it('a tak-config with an enrolled certificate logs when it will renew it', async () => {
    enrollServer = await startEnrollServer(pki);
    const red = await startRed();
    await red.load(NODES, [{ id: 'tab', type: 'tab', label: 'enroll' }], {});
    const enrolled = (
      await (
        await admin()
      )
        .post('/takpak/web/enroll')
        .send({
          host: '127.0.0.1',
          port: enrollServer.port,
          username: USERNAME,
          password: PASSWORD,
          trustStore: pki.ca.cert,
          serverName: SERVER_NAME,
        })
        .expect(200)
    ).body as Enrolled;
    await red.unload();
    const port = await freePort();
    const config = {
      id: 'cfg',
      type: 'tak-config',
      host: '127.0.0.1',
      port,
      protocol: 'tls',
      serverName: SERVER_NAME,
      enrollUser: USERNAME,
      enrollPort: enrollServer.port,
      renewPercent: 50,
    };
    await red.load(NODES, [{ id: 'tab', type: 'tab', label: 'enroll' }, config], {
      cfg: {
        clientCert: enrolled.clientCert,
        clientKey: enrolled.clientKey,
        trustStore: enrolled.trustStore,
        enrollPassword: PASSWORD,
      },
    });
    const due = renewalTime(enrolled.certificate.validFrom, enrolled.certificate.validTo, 0.5);
    assert.equal((getNode('cfg') as unknown as { renewalDueAt?: string }).renewalDueAt, due);
    const logs = (red as unknown as { log(): { getCalls(): Array<{ args: Array<{ msg?: unknown }> }> } })
      .log()
      .getCalls()
      .map((call) => String(call.args[0]?.msg ?? ''));
    assert.ok(logs.includes('tak-config.log.renewal'), 'the log says a renewal is planned');
  });

  it('renewal off (0 %), or no stored password: nothing is planned', async () => {
    const red = await startRed();
    const enrolledNode = (renewPercent: number): Record<string, unknown> => ({
      id: 'cfg',
      type: 'tak-config',
      host: '127.0.0.1',
      port: 1,
      protocol: 'tls',
      enrollUser: USERNAME,
      renewPercent,
    });
    const credentials = { clientCert: pki.alpha.cert, clientKey: pki.alpha.key, trustStore: pki.ca.cert };
    await red.load(NODES, [{ id: 'tab', type: 'tab', label: 'enroll' }, enrolledNode(0)], {
      cfg: { ...credentials, enrollPassword: PASSWORD },
    });
    assert.equal((getNode('cfg') as unknown as { renewalDueAt?: string }).renewalDueAt, undefined);
    await red.unload();
    await red.load(NODES, [{ id: 'tab', type: 'tab', label: 'enroll' }, enrolledNode(67)], {
      cfg: credentials,
    });
    assert.equal((getNode('cfg') as unknown as { renewalDueAt?: string }).renewalDueAt, undefined);
    await red.unload();
    await red.load(NODES, [{ id: 'tab', type: 'tab', label: 'enroll' }, enrolledNode(67)], {
      cfg: { ...credentials, enrollPassword: PASSWORD },
    });
    assert.ok((getNode('cfg') as unknown as { renewalDueAt?: string }).renewalDueAt);
  });

  it('the stored password is used to enroll again only for the host, port and user it was kept for', async () => {
    enrollServer = await startEnrollServer(pki);
    const red = await startRed();
    await red.load(
      NODES,
      [
        { id: 'tab', type: 'tab', label: 'enroll' },
        {
          id: 'cfg',
          type: 'tak-config',
          host: '127.0.0.1',
          port: 8089,
          protocol: 'tls',
          enrollUser: USERNAME,
          enrollPort: enrollServer.port,
          renewPercent: 0,
        },
      ],
      {
        cfg: {
          clientCert: pki.alpha.cert,
          clientKey: pki.alpha.key,
          trustStore: pki.ca.cert,
          enrollPassword: PASSWORD,
        },
      },
    );
    const ask = (host: string): Promise<{ body: unknown }> =>
      admin().then((agent) =>
        agent
          .post('/takpak/web/enroll')
          .send({
            id: 'cfg',
            host,
            port: String(enrollServer.port),
            username: USERNAME,
            password: '__PWRD__',
            trustStore: '__PWRD__',
            serverName: SERVER_NAME,
          })
          .expect(host === '127.0.0.1' ? 200 : 400),
      );
    const same = await ask('127.0.0.1');
    assert.equal(
      (same.body as Enrolled).certificate.commonName,
      USERNAME,
      'the stored password and truststore were used',
    );
    const elsewhere = await ask('localhost');
    assert.equal((elsewhere.body as { code: string }).code, 'ERR_ENROLL_BAD_REQUEST');
    assert.match((elsewhere.body as { message: string }).message, /no password/);
  });
});
