/**
 * A TAK Server enrollment port (8446) for the tests: HTTPS on 127.0.0.1 port 0 with the test PKI's server
 * certificate, answering GET /Marti/api/tls/config and POST /Marti/api/tls/signClient[/v2] as TAK Server does,
 * the CSR signed by the test CA with openssl. Each test can replace any answer with its own.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { P12_PASSWORD, type TestPki } from './tls-pki';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Handler = (request: SeenRequest, res: http.ServerResponse) => void;

export interface EnrollServer {
  port: number;
  seen: SeenRequest[];
  /** Answers by path (without query); a path not here gets the default TAK Server answer. */
  handlers: Map<string, Handler>;
  close(): Promise<void>;
}

export const USERNAME = 'alice';
export const PASSWORD = 'secret words';

export const CONFIG_XML =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<ns2:certificateConfig xmlns="http://bbn.com/marti/xml/config" xmlns:ns2="com.bbn.marti.config">' +
  '<nameEntries><nameEntry name="O" value="takpak tests"/><nameEntry name="OU" value="enrolled"/></nameEntries>' +
  '</ns2:certificateConfig>';

let counter = 0;

/** Signs a PEM CSR with the test CA (clientAuth, 30 days), as TAK Server's CA does; returns PEM. */
export function signCsr(pki: TestPki, csr: string, ca: 'ca' | 'other-ca' = 'ca'): string {
  counter += 1;
  const csrFile = pki.file(`enroll-${counter}.csr`, csr);
  const extFile = pki.file(
    `enroll-${counter}.ext`,
    'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n',
  );
  const out = path.join(pki.dir, `enroll-${counter}.pem`);
  execFileSync(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      csrFile,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-set_serial',
      `${5000 + counter}`,
      '-days',
      '30',
      '-sha256',
      '-extfile',
      extFile,
      '-out',
      out,
    ],
    { cwd: pki.dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return fs.readFileSync(out, 'utf8');
}

/** The subject openssl reads from a CSR, e.g. "subject=O = takpak tests, OU = enrolled, CN = alice". */
export function csrSubject(pki: TestPki, csr: string): string {
  counter += 1;
  const file = pki.file(`probe-${counter}.csr`, csr);
  return execFileSync('openssl', ['req', '-in', file, '-noout', '-verify', '-subject'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** A PEM certificate without its BEGIN/END lines and newlines: how TAK Server's v2 JSON carries them. */
export function bareBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

/** The PKCS#12 keystore the older signClient answers: the signed certificate and the CA, no key. */
export function keystore(pki: TestPki, signedPem: string): Buffer {
  counter += 1;
  const input = pki.file(`ks-${counter}.pem`, signedPem);
  const out = path.join(pki.dir, `ks-${counter}.p12`);
  execFileSync(
    'openssl',
    [
      'pkcs12',
      '-export',
      '-nokeys',
      '-in',
      input,
      '-certfile',
      'ca.pem',
      '-out',
      out,
      '-passout',
      `pass:${P12_PASSWORD}`,
    ],
    { cwd: pki.dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return fs.readFileSync(out);
}

function authorized(request: SeenRequest): boolean {
  const expected = `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`;
  return request.headers.authorization === expected;
}

/** TAK Server's answers: 401 without the right Basic auth, the config, and v2 JSON with bare PEM bodies. */
function defaultHandler(pki: TestPki): Handler {
  return (request, res) => {
    const route = request.url.split('?')[0];
    if (!authorized(request)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="TAK"' }).end();
      return;
    }
    if (request.method === 'GET' && route === '/Marti/api/tls/config') {
      res.writeHead(200, { 'Content-Type': 'application/xml' }).end(CONFIG_XML);
      return;
    }
    if (request.method === 'POST' && route === '/Marti/api/tls/signClient/v2') {
      const signed = signCsr(pki, request.body);
      // TAK Server has been seen sending this JSON as text/plain.
      res
        .writeHead(200, { 'Content-Type': 'text/plain' })
        .end(JSON.stringify({ signedCert: bareBody(signed), ca0: bareBody(pki.ca.cert) }));
      return;
    }
    res.writeHead(404).end();
  };
}

export async function startEnrollServer(pki: TestPki): Promise<EnrollServer> {
  const seen: SeenRequest[] = [];
  const handlers = new Map<string, Handler>();
  const fallback = defaultHandler(pki);
  const sockets = new Set<net.Socket>();
  const server = https.createServer({ key: pki.server.key, cert: pki.server.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(request);
      const handler = handlers.get(request.url.split('?')[0] as string) ?? fallback;
      handler(request, res);
    });
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A client that hangs up on a certificate it does not trust is not an error of the server.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    seen,
    handlers,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
