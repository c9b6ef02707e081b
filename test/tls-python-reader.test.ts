import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import { after, afterEach, before, describe, it } from 'node:test';
import { TakClient } from '../src/client/tak-client';
import { tlsSocketFactory } from '../src/tls/client-socket';
import { MAX_TLS_RECORD_BYTES } from '../src/tls/context';
import { loadClientTls } from '../src/tls/settings';
import { P12_PASSWORD, SERVER_NAME, makePki, type TestPki } from './helpers/tls-pki';

/** Debian's python3; the one on PATH otherwise. */
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
/** The burst of the issue: 100 events back to back. */
const BURST = 100;
/**
 * Long enough for loopback on a loaded machine, far shorter than the 15 s after which the client's next ping
 * would push a held-back tail out: an event still missing then is held back by the server's TLS layer.
 */
const ARRIVAL_LIMIT_MS = 5_000;

/**
 * A TLS server that reads the way taky and FreeTAKServer do: select() on the socket, then recv(4096). Data
 * already decrypted inside Python's ssl layer is invisible to select(), so the tail of a record bigger than
 * one recv waits for the next packet. It prints "ready PORT", then "events N" each time its count grows.
 */
const SERVER_PY = `
import select, socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("127.0.0.1", 0))
listener.listen(1)
print("ready", listener.getsockname()[1], flush=True)
raw, _ = listener.accept()
conn = ctx.wrap_socket(raw, server_side=True)
data = b""
count = 0
while True:
    readable, _, _ = select.select([conn], [], [], 0.2)
    if not readable:
        continue
    chunk = conn.recv(4096)
    if not chunk:
        break
    data += chunk
    seen = data.count(b"</event>")
    if seen != count:
        count = seen
        print("events", count, flush=True)
`;

interface PythonServer {
  port: number;
  /** The latest count the server printed. */
  events(): number;
  /** Resolves once the server has printed at least `n`, or with the count it had at `limitMs`. */
  waitFor(n: number, limitMs: number): Promise<number>;
  stop(): void;
}

async function startPythonServer(pki: TestPki): Promise<PythonServer> {
  const script = pki.file('select-recv-server.py', SERVER_PY);
  const child: ChildProcessWithoutNullStreams = spawn(PYTHON, [
    script,
    pki.file('py-server.crt', pki.server.cert),
    pki.file('py-server.key', pki.server.key),
  ]);
  let count = 0;
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const [word, value] = buffered.slice(0, newline).trim().split(' ');
        buffered = buffered.slice(newline + 1);
        if (word === 'ready') resolve(Number(value));
        if (word === 'events') count = Number(value);
        for (const wake of waiters) wake();
      }
    });
    child.on('exit', (code) => reject(new Error(`python server exited (${String(code)}): ${stderr}`)));
  });
  return {
    port,
    events: () => count,
    waitFor: (n, limitMs) =>
      new Promise<number>((resolve) => {
        const done = (): void => {
          if (count < n) return;
          clearTimeout(timer);
          waiters.delete(done);
          resolve(count);
        };
        const timer = setTimeout(() => {
          waiters.delete(done);
          resolve(count);
        }, limitMs);
        waiters.add(done);
        done();
      }),
    stop: () => child.kill(),
  };
}

describe('a burst over TLS to a Python server that reads with recv(4096) after select()', () => {
  let pki: TestPki;
  let servers: PythonServer[] = [];
  const clients: TakClient[] = [];
  before(() => {
    pki = makePki();
  });
  after(() => pki.cleanup());
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
    for (const server of servers) server.stop();
    servers = [];
  });

  async function burst(maxRecordBytes: number | undefined): Promise<number> {
    const server = await startPythonServer(pki);
    servers.push(server);
    const tls = loadClientTls({
      clientCert: pki.p12.alphaLegacy,
      clientPassword: P12_PASSWORD,
      trustStore: pki.p12.truststoreLegacy,
      trustPassword: P12_PASSWORD,
      serverName: SERVER_NAME,
    });
    const client = new TakClient({
      host: '127.0.0.1',
      port: server.port,
      createSocket: tlsSocketFactory(
        maxRecordBytes === undefined ? tls.options : { ...tls.options, maxRecordBytes },
      ),
      presence: { uid: 'python-burst', callsign: 'BURST', lat: 1, lon: 2 },
      identityGapMs: 0,
    });
    clients.push(client);
    // Queued before the connection: the whole burst goes out back to back once it is up.
    for (let i = 0; i < BURST; i++) {
      client.send({ uid: `burst-${i}`, type: 'a-f-G-U-C', lat: 1 + i / 1e3, lon: 2, callsign: `UNIT ${i}` });
    }
    client.start();
    // The presence and the burst.
    return server.waitFor(BURST + 1, ARRIVAL_LIMIT_MS);
  }

  it('arrives whole with the default record size (4 KiB records, each read by one recv)', async () => {
    assert.equal(await burst(undefined), BURST + 1);
  });

  it("with Node's own 16 KiB records the tail stays in the server's TLS layer (why the default is small)", async () => {
    const arrived = await burst(MAX_TLS_RECORD_BYTES);
    assert.ok(arrived < BURST + 1, `all ${arrived} arrived: the server no longer reads the way taky does`);
  });

  it('refuses a record size OpenSSL cannot use, saying what to give', () => {
    const tls = loadClientTls({ verifyServer: false });
    assert.throws(
      () => tlsSocketFactory({ ...tls.options, maxRecordBytes: 100 }),
      (error: Error & { code?: string }) =>
        error.code === 'ERR_TLS_SETTINGS' && /from 512 to 16384/.test(error.message),
    );
  });
});
