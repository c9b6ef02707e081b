import path from 'node:path';
/**
 * tak-package in a real Node-RED runtime: a JPEG read by a file-in node is uploaded to a TAK Server-like web
 * API and announced through a tak-config; another tak-config's tak-receive gets the file-share event and a
 * second tak-package downloads it, byte-identical. Over mutual TLS with the tak-configs' certificates, and
 * refusals reach a Catch node with their codes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import takConfig from '../src/nodes/tak-config';
import takPackage from '../src/nodes/tak-package';
import takReceive from '../src/nodes/tak-receive';
import takSend from '../src/nodes/tak-send';
import takServer from '../src/nodes/tak-server';
import { readDataPackageZip } from '../src/web';
import { startMartiServer, type MartiServer } from './helpers/marti-server';
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
import { catchCode } from './helpers/catch-code';
import { NODE_RED_MAIN } from './helpers/paths';

/**
 * Node-RED's own file-in node, from the core nodes of the Node-RED the tests run on (the matrix picks other
 * versions). Catch nodes come with the test helper's runtime.
 */
const fileNodes = module.require(
  require.resolve('@node-red/nodes/core/storage/10-file.js', { paths: [path.dirname(NODE_RED_MAIN)] }),
) as (red: unknown) => void;
const NODES = [takConfig, takSend, takReceive, takServer, takPackage, fileNodes];

const b64 = (data: Buffer | string): string => Buffer.from(data).toString('base64');

describe('tak-package in a Node-RED runtime', () => {
  let pki: TestPki;
  let marti: MartiServer;

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
    await marti?.close();
  });

  function flow(cotPort: number, extra: Record<string, unknown> = {}): Array<Record<string, unknown>> {
    const config = (name: string): Record<string, unknown> => ({
      id: `cfg-${name}`,
      type: 'tak-config',
      host: '127.0.0.1',
      port: cotPort,
      protocol: 'tls',
      serverName: SERVER_NAME,
      callsign: name.toUpperCase(),
      uid: `uid-${name}`,
      identityGap: 0,
      reconnectMax: 1,
    });
    const pkg = (id: string, server: string, wires: string[]): Record<string, unknown> => ({
      id,
      type: 'tak-package',
      z: 'tab',
      x: 300,
      y: 100,
      server,
      mode: 'auto',
      apiProtocol: 'https',
      apiPort: marti.port,
      maxMb: 5,
      announce: true,
      timeout: 10,
      wires: [wires],
      ...extra,
    });
    return [
      { id: 'tab', type: 'tab', label: 'packages' },
      {
        id: 'srv',
        type: 'tak-server',
        z: 'tab',
        x: 100,
        y: 20,
        host: '127.0.0.1',
        port: cotPort,
        protocol: 'tls',
        idleTimeout: 60,
        wires: [[]],
      },
      config('alpha'),
      config('bravo'),
      {
        id: 'file-in',
        type: 'file in',
        z: 'tab',
        x: 100,
        y: 100,
        filename: pki.file('still.jpg', jpegBytes),
        filenameType: 'str',
        format: '',
        allProps: false,
        wires: [['up']],
      },
      pkg('up', 'cfg-alpha', ['up-out']),
      { id: 'up-out', type: 'helper', z: 'tab', x: 500, y: 100, wires: [] },
      {
        id: 'recv',
        type: 'tak-receive',
        z: 'tab',
        x: 100,
        y: 200,
        server: 'cfg-bravo',
        types: 'b-f-t-r',
        wires: [['down']],
      },
      pkg('down', 'cfg-bravo', ['down-out']),
      { id: 'down-out', type: 'helper', z: 'tab', x: 500, y: 200, wires: [] },
      {
        id: 'catch',
        type: 'catch',
        z: 'tab',
        x: 100,
        y: 300,
        scope: null,
        uncaught: false,
        wires: [['caught']],
      },
      { id: 'caught', type: 'helper', z: 'tab', x: 300, y: 300, wires: [] },
    ];
  }

  const jpegBytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(100_000)]);

  function credentials(): Record<string, Record<string, string>> {
    const client = (p12: Buffer): Record<string, string> => ({
      clientCert: b64(p12),
      clientPassword: P12_PASSWORD,
      trustStore: b64(pki.p12.truststoreLegacy),
      trustPassword: P12_PASSWORD,
    });
    return {
      srv: {
        serverCert: b64(pki.p12.serverLegacy),
        serverPassword: P12_PASSWORD,
        clientCa: b64(pki.p12.truststoreLegacy),
        clientCaPassword: P12_PASSWORD,
      },
      'cfg-alpha': client(pki.p12.alphaLegacy),
      'cfg-bravo': client(pki.p12.bravoLegacy),
    };
  }

  it('a JPEG from a file-in node is uploaded and announced; the other side downloads it byte-identical', async () => {
    marti = await startMartiServer(pki);
    const red = await startRed();
    await red.load(NODES, flow(await freePort()), credentials());
    await waitForConnectionStatus('cfg-alpha', isConnectedStatus);
    await waitForConnectionStatus('cfg-bravo', isConnectedStatus);
    const uploaded = collect(getNode('up-out'));
    const downloaded = collect(getNode('down-out'));
    const caught = collect(getNode('caught'));
    getNode('file-in').receive({});
    await eventually(() => downloaded.length > 0 || caught.length > 0, 'the file went round', 10_000);
    assert.deepEqual(
      caught.map((m) => m.error),
      [],
    );
    const up = uploaded[0]?.payload as { hash: string; url: string; name: string; event: { type: string } };
    assert.equal(up.name, 'still.jpg');
    assert.equal(up.event.type, 'b-f-t-r');
    const stored = marti.packages.get(up.hash);
    assert.equal(stored?.uploader, 'alpha', 'uploaded with alpha’s certificate');
    assert.equal(stored?.creatorUid, 'uid-alpha');
    const down = downloaded[0] as {
      payload: Buffer;
      filename: string;
      package: { entries: Array<{ path: string; bytes: Buffer }>; from: { callsign: string } };
    };
    assert.ok(down.payload.equals(stored?.bytes as Buffer), 'the package arrived as uploaded');
    assert.equal(down.package.from.callsign, 'ALPHA');
    assert.equal(down.package.entries.length, 1);
    assert.match(down.package.entries[0]?.path ?? '', /\/still\.jpg$/);
    assert.ok(down.package.entries[0]?.bytes.equals(jpegBytes), 'the JPEG inside is byte-identical');
    assert.equal(readDataPackageZip(down.payload).name, 'still.jpg');
    assert.ok(
      marti.seen.some(
        (request) => request.method === 'GET' && request.url.pathname === '/Marti/sync/content',
      ),
    );
  });

  it('a package replaced on the server and one over the limit reach Catch with their codes', async () => {
    marti = await startMartiServer(pki);
    const red = await startRed();
    await red.load(NODES, flow(await freePort()), credentials());
    await waitForConnectionStatus('cfg-alpha', isConnectedStatus);
    const caught = collect(getNode('caught'));
    marti.handlers.set('/Marti/sync/content', (_request, res) =>
      res.writeHead(200).end(Buffer.from('not what was announced')),
    );
    getNode('down').receive({ payload: { hash: 'a'.repeat(64) } });
    await eventually(() => caught.length > 0, 'the refusal reached Catch');
    assert.equal(
      (caught[0]?.error as { code?: string } | undefined)?.code,
      catchCode('ERR_PACKAGE_MISMATCH'),
    );
    getNode('up').receive({ payload: randomBytes(6 * 1024 * 1024), filename: 'big.bin' });
    await eventually(() => caught.length > 1, 'the second refusal reached Catch');
    assert.equal((caught[1]?.error as { code?: string } | undefined)?.code, catchCode('ERR_PACKAGE_TOO_BIG'));
  });

  it('a tak-config without TLS lends no trust: the API’s certificate is checked against the public roots', async () => {
    marti = await startMartiServer(pki);
    const red = await startRed();
    await red.load(
      NODES,
      [
        { id: 'tab', type: 'tab', label: 'packages' },
        {
          id: 'cfg',
          type: 'tak-config',
          host: '127.0.0.1',
          port: await freePort(),
          protocol: 'tcp',
          reconnectMax: 1,
        },
        {
          id: 'down',
          type: 'tak-package',
          z: 'tab',
          x: 300,
          y: 100,
          server: 'cfg',
          mode: 'download',
          apiProtocol: 'https',
          apiPort: marti.port,
          wires: [[]],
        },
        {
          id: 'catch',
          type: 'catch',
          z: 'tab',
          x: 100,
          y: 300,
          scope: null,
          uncaught: false,
          wires: [['caught']],
        },
        { id: 'caught', type: 'helper', z: 'tab', x: 300, y: 300, wires: [] },
      ],
      {},
    );
    const caught = collect(getNode('caught'));
    getNode('down').receive({ payload: 'a'.repeat(64) });
    await eventually(() => caught.length > 0, 'the refusal reached Catch');
    assert.equal((caught[0]?.error as { code?: string } | undefined)?.code, catchCode('ERR_WEB_UNTRUSTED'));
    assert.equal(marti.seen.length, 0, 'no request went to a server nobody vouched for');
  });
});
