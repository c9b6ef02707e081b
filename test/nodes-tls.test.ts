import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { after, afterEach, before, describe, it } from 'node:test';
import type { CotEvent } from '../src/index';
import type { SharedConnection } from '../src/nodes/connection';
import takConfig from '../src/nodes/tak-config';
import takReceive from '../src/nodes/tak-receive';
import takSend from '../src/nodes/tak-send';
import takServer from '../src/nodes/tak-server';
import { collect, eventually, getNode, startRed, stopRed, waitForConnectionStatus } from './helpers/red';
import { P12_PASSWORD, SERVER_NAME, makeDataPackage, makePki, type TestPki } from './helpers/tls-pki';
import { startTlsServer, type TestServer } from './helpers/tls-servers';
import { freePort } from './helpers/ports';

/** Node-RED's own tls-config node, loaded from the runtime's core nodes as Node-RED would. */
const tlsConfigNode = module.require('@node-red/nodes/core/network/05-tls.js') as (red: unknown) => void;

const NODES = [takConfig, takSend, takReceive, takServer, tlsConfigNode];

type Flow = Array<Record<string, unknown>>;
type Credentials = Record<string, Record<string, string>>;

const b64 = (data: Buffer | string): string => Buffer.from(data).toString('base64');

/** A tak-config with tak-send and tak-receive beside it; `config` overrides the tak-config's settings. */
function client(name: string, port: number, y: number, config: Record<string, unknown> = {}): Flow {
  return [
    {
      id: `cfg-${name}`,
      type: 'tak-config',
      host: '127.0.0.1',
      port,
      protocol: 'tls',
      callsign: name.toUpperCase(),
      uid: `uid-${name}`,
      identityGap: 0,
      reconnectMax: 1,
      serverName: SERVER_NAME,
      ...config,
    },
    { id: `send-${name}`, type: 'tak-send', z: 'tab', x: 100, y, server: `cfg-${name}`, wires: [] },
    {
      id: `recv-${name}`,
      type: 'tak-receive',
      z: 'tab',
      x: 100,
      y: y + 40,
      server: `cfg-${name}`,
      wires: [[`out-${name}`]],
    },
    { id: `out-${name}`, type: 'helper', z: 'tab', x: 300, y: y + 40, wires: [] },
  ];
}

function tlsServerNode(port: number, extra: Record<string, unknown> = {}): Flow {
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
      ...extra,
    },
    { id: 'srv-out', type: 'helper', z: 'tab', x: 300, y: 20, wires: [] },
  ];
}

function connectionOf(id: string): SharedConnection {
  const node = getNode(id) as unknown as { connection?: SharedConnection; configError?: string };
  assert.ok(node.connection, `${id} has no connection: ${node.configError ?? ''}`);
  return node.connection;
}

/** Every first argument (a status: its text) the node passed to `method` (warn, status...), from now on. */
function calls(node: EventEmitter, method: string): string[] {
  const seen: string[] = [];
  node.on(`call:${method}`, (call: { args: unknown[] }) => {
    const first = call.args[0];
    seen.push(
      typeof first === 'object' && first !== null
        ? String((first as { text?: unknown }).text)
        : String(first),
    );
  });
  return seen;
}

/** The admin HTTP API of the test runtime (supertest), for the dialog's endpoints. */
interface AdminAgent {
  post(path: string): { send(body: unknown): { expect(status: number): Promise<{ body: unknown }> } };
}

async function admin(): Promise<AdminAgent> {
  return ((await startRed()) as unknown as { request(): AdminAgent }).request();
}

const uids = (messages: Array<Record<string, unknown>>): string[] =>
  messages.map((m) => (m.payload as CotEvent).uid);

describe('TLS in a Node-RED runtime: tak-config, tak-send, tak-receive, tak-server, tls-config', () => {
  let pki: TestPki;
  const servers: TestServer[] = [];

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
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  /** tak-server with the makeCert.sh-style server .p12 and the legacy truststore as client CA. */
  function serverCredentials(): Credentials {
    return {
      srv: {
        serverCert: b64(pki.p12.serverLegacy),
        serverPassword: P12_PASSWORD,
        clientCa: b64(pki.p12.truststoreLegacy),
        clientCaPassword: P12_PASSWORD,
      },
    };
  }

  function alphaCredentials(clientCert: Buffer = pki.p12.alphaLegacy): Record<string, string> {
    return {
      clientCert: b64(clientCert),
      clientPassword: P12_PASSWORD,
      trustStore: b64(pki.p12.truststoreLegacy),
      trustPassword: P12_PASSWORD,
    };
  }

  it('two tak-configs exchange events with tak-server over mutual TLS: one with its own .p12, one through tls-config', async () => {
    const port = await freePort();
    const flow: Flow = [
      { id: 'tab', type: 'tab', label: 'tls' },
      ...tlsServerNode(port),
      ...client('alpha', port, 100),
      ...client('bravo', port, 200, { tlsSource: 'tls-config', tls: 'bravo-tls', serverName: '' }),
      {
        id: 'bravo-tls',
        type: 'tls-config',
        cert: pki.file('bravo.crt', pki.bravo.cert),
        key: pki.file('bravo.key', pki.bravo.key),
        ca: pki.file('ca.crt', pki.ca.cert),
        verifyservercert: true,
        servername: SERVER_NAME,
      },
    ];
    const red = await startRed();
    await red.load(NODES, flow, { ...serverCredentials(), 'cfg-alpha': alphaCredentials() });
    await waitForConnectionStatus('cfg-alpha', (text) => /^tak-config\.status\.connected(Wire)?$/.test(text));
    await waitForConnectionStatus('cfg-bravo', (text) => /^tak-config\.status\.connected(Wire)?$/.test(text));

    const atAlpha = collect(getNode('out-alpha'));
    const atBravo = collect(getNode('out-bravo'));
    const atServer = collect(getNode('srv-out'));
    getNode('send-alpha').receive({ payload: { uid: 'from-alpha', type: 'a-f-G-U-C', lat: 1, lon: 2 } });
    getNode('send-bravo').receive({ payload: { uid: 'from-bravo', type: 'a-h-G', lat: 3, lon: 4 } });
    await eventually(
      () => uids(atBravo).includes('from-alpha') && uids(atAlpha).includes('from-bravo'),
      'both events crossed the TLS server',
    );
    await eventually(() => uids(atServer).includes('from-alpha'), 'tak-server emitted the event');
    const seen = atServer.find((m) => (m.payload as CotEvent).uid === 'from-alpha') as {
      client: { callsign?: string; certificate?: { commonName?: string } };
    };
    assert.equal(seen.client.callsign, 'ALPHA');
    assert.equal(seen.client.certificate?.commonName, 'alpha', 'the sender is known by its certificate');
  });

  it('a data package imported through the dialog endpoint connects as it is', async () => {
    const port = await freePort();
    const red = await startRed();
    await red.load(
      NODES,
      [{ id: 'tab', type: 'tab', label: 'tls' }, ...tlsServerNode(port)],
      serverCredentials(),
    );
    const zip = makeDataPackage({
      connectString: `127.0.0.1:${port}:ssl`,
      client: pki.p12.alphaLegacy,
      trust: pki.p12.truststoreLegacy,
    });
    const response = await (
      await admin()
    )
      .post('/takpak/tls/data-package')
      .send({ zip: b64(zip) })
      .expect(200);
    const imported = response.body as {
      host: string;
      port: number;
      protocol: string;
      clientCert: string;
      clientPassword: string;
      trustStore: string;
      trustPassword: string;
    };
    assert.deepEqual([imported.host, imported.port, imported.protocol], ['127.0.0.1', port, 'tls']);

    await red.unload();
    await red.load(
      NODES,
      [
        { id: 'tab', type: 'tab', label: 'tls' },
        ...tlsServerNode(port),
        ...client('alpha', imported.port, 100, { host: imported.host, protocol: imported.protocol }),
      ],
      {
        ...serverCredentials(),
        'cfg-alpha': {
          clientCert: imported.clientCert,
          clientPassword: imported.clientPassword,
          trustStore: imported.trustStore,
          trustPassword: imported.trustPassword,
        },
      },
    );
    await waitForConnectionStatus('cfg-alpha', (text) => /^tak-config\.status\.connected(Wire)?$/.test(text));
  });

  it('the dialog endpoint checks a certificate with its password', async () => {
    const red = await startRed();
    await red.load(NODES, [{ id: 'tab', type: 'tab', label: 'tls' }]);
    const good = await (
      await admin()
    )
      .post('/takpak/tls/check')
      .send({ role: 'client', data: b64(pki.p12.alphaLegacy), password: P12_PASSWORD })
      .expect(200);
    assert.equal((good.body as { certificate: { commonName: string } }).certificate.commonName, 'alpha');
    const bad = await (
      await admin()
    )
      .post('/takpak/tls/check')
      .send({ role: 'client', data: b64(pki.p12.alphaLegacy), password: 'nope' })
      .expect(400);
    assert.equal((bad.body as { code: string }).code, 'ERR_TLS_BAD_PASSWORD');
  });

  it('an expired client certificate: the reason stays on the status while it backs off, both sides log why', async () => {
    const port = await freePort();
    const red = await startRed();
    await red.load(
      NODES,
      [{ id: 'tab', type: 'tab', label: 'tls' }, ...tlsServerNode(port), ...client('alpha', port, 100)],
      { ...serverCredentials(), 'cfg-alpha': alphaCredentials(pki.p12.alphaExpiredLegacy) },
    );
    const statuses = calls(getNode('send-alpha'), 'status');
    const serverWarnings = calls(getNode('srv'), 'warn');
    const connection = connectionOf('cfg-alpha');
    await eventually(() => connection.lastError !== undefined, 'the first attempt failed');
    assert.equal(connection.lastError?.code, 'ERR_TLS_CLIENT_CERT_REJECTED');
    assert.match(connection.lastError?.message ?? '', /expired on/);
    // From the first failure on: the first attempt could not know yet.
    statuses.splice(0, statuses.lastIndexOf('tak-config.status.error'));
    await eventually(() => statuses.includes('tak-config.status.retrying'), 'a retry kept the reason');
    await eventually(
      () => statuses.filter((s) => s === 'tak-config.status.error').length >= 2,
      'the retry failed the same way',
    );
    await eventually(
      () => serverWarnings.some((w) => w.includes('ERR_TLS_CLIENT_CERT_EXPIRED')),
      'tak-server said why',
    );
    assert.ok(!statuses.includes('tak-config.status.connected'), 'never shown as connected after a refusal');
  });

  it('against tak-server, each misconfigured tak-config gets its own code', async () => {
    const port = await freePort();
    const red = await startRed();
    const cases: Array<
      [name: string, config: Record<string, unknown>, credentials: Record<string, string>, code: string]
    > = [
      ['byip', { serverName: '' }, alphaCredentials(), 'ERR_TLS_NAME_MISMATCH'],
      [
        'notrust',
        {},
        { clientCert: b64(pki.p12.alphaLegacy), clientPassword: P12_PASSWORD },
        'ERR_TLS_UNKNOWN_CA',
      ],
      [
        'nocert',
        {},
        { trustStore: b64(pki.p12.truststoreLegacy), trustPassword: P12_PASSWORD },
        'ERR_TLS_CLIENT_CERT_REQUIRED',
      ],
      ['future', {}, alphaCredentials(pki.p12.alphaFutureLegacy), 'ERR_TLS_CLIENT_CERT_REJECTED'],
      ['stranger', {}, alphaCredentials(pki.p12.strangerLegacy), 'ERR_TLS_CLIENT_CERT_REJECTED'],
      ['modern', {}, alphaCredentials(pki.p12.alphaModern), ''],
    ];
    const flow: Flow = [{ id: 'tab', type: 'tab', label: 'tls' }, ...tlsServerNode(port)];
    const credentials: Credentials = serverCredentials();
    cases.forEach(([name, config, secrets], index) => {
      flow.push(...client(name, port, 100 + 100 * index, config));
      credentials[`cfg-${name}`] = secrets;
    });
    await red.load(NODES, flow, credentials);
    for (const [name, , , code] of cases) {
      const connection = connectionOf(`cfg-${name}`);
      if (code === '') {
        await waitForConnectionStatus(`cfg-${name}`, (text) =>
          /^tak-config\.status\.connected(Wire)?$/.test(text),
        );
        continue;
      }
      await eventually(() => connection.lastError !== undefined, `${name} failed`);
      assert.equal(connection.lastError?.code, code, `${name}: ${connection.lastError?.message ?? ''}`);
    }
  });

  it('verification off: connects, and warns on the status and in the log at every connect', async () => {
    const server = await startTlsServer({ key: pki.server.key, cert: pki.server.cert });
    servers.push(server);
    const red = await startRed();
    await red.load(NODES, [
      { id: 'tab', type: 'tab', label: 'tls' },
      ...client('alpha', server.port, 100, { verifyServer: false, serverName: '' }),
    ]);
    const warnings = calls(getNode('cfg-alpha'), 'warn');
    await waitForConnectionStatus('cfg-alpha', (text) => text === 'tak-config.status.connectedUnverified');
    await eventually(() => warnings.includes('tak-config.warnings.unverified'), 'the first connect warned');
    assert.equal(connectionOf('cfg-alpha').currentStatus.fill, 'yellow');
    await server.close(); // drops the connection; the client comes back to a new server on the same port
    const again = await startTlsServer({ key: pki.server.key, cert: pki.server.cert }, server.port);
    servers.push(again);
    await eventually(
      () => warnings.filter((w) => w === 'tak-config.warnings.unverified').length >= 2,
      'the reconnect warned again',
    );
  });

  it('the wrong .p12 password stops the config at deploy with the reason and its code', async () => {
    const red = await startRed();
    await red.load(NODES, [{ id: 'tab', type: 'tab', label: 'tls' }, ...client('alpha', 8089, 100)], {
      'cfg-alpha': { ...alphaCredentials(), clientPassword: 'wrong' },
    });
    const config = getNode('cfg-alpha') as unknown as { configError?: string };
    assert.match(
      config.configError ?? '',
      /password of the client certificate is wrong.*ERR_TLS_BAD_PASSWORD/,
    );
  });

  it('tcp to the TLS tak-server, and tls to a plain tak-server, say which way round it is', async () => {
    const tlsPort = await freePort();
    const plainPort = await freePort();
    const red = await startRed();
    await red.load(
      NODES,
      [
        { id: 'tab', type: 'tab', label: 'tls' },
        ...tlsServerNode(tlsPort),
        {
          id: 'plain',
          type: 'tak-server',
          z: 'tab',
          x: 100,
          y: 500,
          host: '127.0.0.1',
          port: plainPort,
          wires: [[]],
        },
        ...client('alpha', tlsPort, 100, { protocol: 'tcp' }),
        ...client('bravo', plainPort, 200, { connectTimeout: 1 }),
      ],
      { ...serverCredentials(), 'cfg-bravo': alphaCredentials() },
    );
    const plainToTls = connectionOf('cfg-alpha');
    const tlsToPlain = connectionOf('cfg-bravo');
    // A silent close counts as a TLS port the second time in a row (reconnectMax is 1 s).
    await eventually(
      () => plainToTls.lastError?.code === 'ERR_PLAIN_TO_TLS_PORT',
      'tcp to TLS was named',
      5_000,
    );
    await eventually(() => tlsToPlain.lastError !== undefined, 'tls to tcp failed', 5_000);
    assert.equal(tlsToPlain.lastError?.code, 'ERR_TLS_TO_PLAIN_PORT');
  });

  it('certificates and passwords are credentials, never flow properties', async () => {
    const helper = (await startRed()) as unknown as {
      _redNodes: { getCredentialDefinition(type: string): Record<string, { type: string }> };
    };
    for (const [type, names] of [
      [
        'tak-config',
        ['password', 'clientCert', 'clientKey', 'clientPassword', 'trustStore', 'trustPassword'],
      ],
      ['tak-server', ['serverCert', 'serverKey', 'serverPassword', 'clientCa', 'clientCaPassword']],
    ] as const) {
      const definition = helper._redNodes.getCredentialDefinition(type);
      for (const name of names) assert.equal(definition[name]?.type, 'password', `${type}.${name}`);
    }
  });
});
