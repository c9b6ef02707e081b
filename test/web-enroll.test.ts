/**
 * Certificate enrollment against a TAK Server-like enrollment port on 127.0.0.1 (real TLS, certificates from
 * openssl): each answer format, each refusal, the server's certificate trusted, pinned or seen first, a slow
 * server, hostile answers, and the enrolled certificate used for a real mutual-TLS connection.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { after, afterEach, before, describe, it } from 'node:test';
import { enroll, enrollWithLink, parseEnrollLink, renewalTime, WebError, WebErrorCode } from '../src/web';
import type { EnrollOptions } from '../src/web';
import {
  bareBody,
  csrSubject,
  keystore,
  PASSWORD,
  signCsr,
  startEnrollServer,
  USERNAME,
  type EnrollServer,
} from './helpers/enroll-server';
import { makePki, SERVER_NAME, type TestPki } from './helpers/tls-pki';

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<WebError> {
  const error = await promise.then(
    () => assert.fail(`expected ${code}, but it succeeded`),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof WebError, `a WebError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}

describe('parseEnrollLink', () => {
  it('reads host, username and token from an ATAK enrollment link', () => {
    const link = parseEnrollLink(
      ' tak://com.atakmap.app/enroll?host=tak.example.com&username=alice&token=s%26cret ',
    );
    assert.deepEqual(link, { host: 'tak.example.com', port: undefined, username: 'alice', token: 's&cret' });
  });

  it('reads a port given with the host', () => {
    const link = parseEnrollLink('tak://com.atakmap.app/enroll?host=10.0.0.5:8446&username=a&token=b');
    assert.equal(link.host, '10.0.0.5');
    assert.equal(link.port, 8446);
  });

  it('refuses other links, missing parts and bad hosts, never showing the token', () => {
    const bad = [
      'https://tak.example.com/enroll?host=x&username=a&token=b',
      'tak://com.atakmap.app/import?host=x&username=a&token=b',
      'tak://com.atakmap.app/enroll?host=x&username=a',
      'tak://com.atakmap.app/enroll?host=bad%20host&username=a&token=topsecret',
      'not a link at all',
    ];
    for (const text of bad) {
      assert.throws(
        () => parseEnrollLink(text),
        (error: unknown) =>
          error instanceof WebError &&
          error.code === WebErrorCode.BAD_REQUEST &&
          !error.message.includes('topsecret'),
        text,
      );
    }
  });
});

describe('renewalTime', () => {
  it('is the given fraction of the lifetime in', () => {
    assert.equal(
      renewalTime('2026-01-01T00:00:00.000Z', '2026-01-31T00:00:00.000Z', 0.5),
      '2026-01-16T00:00:00.000Z',
    );
  });
});

describe('enroll against a TAK Server-like enrollment port on 127.0.0.1', () => {
  let pki: TestPki;
  let server: EnrollServer;

  before(() => {
    pki = makePki();
  });
  after(() => pki.cleanup());
  afterEach(async () => {
    await server?.close();
  });

  function options(extra: Partial<EnrollOptions> = {}): EnrollOptions {
    return {
      host: '127.0.0.1',
      port: server.port,
      username: USERNAME,
      password: PASSWORD,
      trust: [pki.ca.cert],
      serverName: SERVER_NAME,
      ...extra,
    };
  }

  it('enrolls with v2 JSON (bare PEM bodies, text/plain): identity for our key, CA chain, subject as asked', async () => {
    server = await startEnrollServer(pki);
    const result = await enroll(options({ clientUid: 'takpak-gw-1' }));
    assert.equal(result.format, 'json');
    assert.equal(result.endpoint, 'signClient/v2');
    assert.equal(result.server.trust, 'truststore');
    assert.equal(result.identity.certificate.commonName, USERNAME);
    assert.equal(result.identity.certificate.subject, 'O=takpak tests, OU=enrolled, CN=alice');
    assert.equal(result.identity.certificate.issuerCommonName, 'takpak test CA');
    assert.ok(
      new X509Certificate(result.identity.cert).checkPrivateKey(
        // The key is what we made: the certificate fits it.
        (await import('node:crypto')).createPrivateKey(result.identity.key),
      ),
    );
    assert.deepEqual(
      result.trust?.certificates.map((certificate) => certificate.commonName),
      ['takpak test CA'],
    );
    assert.equal(Date.parse(result.renewAt) > Date.now(), true);
    const [config, sign] = server.seen;
    assert.equal(config?.method, 'GET');
    assert.equal(config?.url, '/Marti/api/tls/config');
    assert.equal(sign?.method, 'POST');
    assert.equal(sign?.url, '/Marti/api/tls/signClient/v2?clientUid=takpak-gw-1&version=takpak');
    assert.equal(sign?.headers['content-type'], 'application/pkcs10');
    assert.match(csrSubject(pki, sign?.body ?? ''), /O = takpak tests, OU = enrolled, CN = alice/);
  });

  it('reads v2 JSON whose entries carry their BEGIN/END lines, and a JSON config', async () => {
    server = await startEnrollServer(pki);
    server.handlers.set('/Marti/api/tls/config', (_request, res) => {
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ nameEntries: [{ name: 'O', value: 'json org' }] }));
    });
    server.handlers.set('/Marti/api/tls/signClient/v2', (request, res) => {
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ signedCert: signCsr(pki, request.body), ca0: pki.ca.cert }));
    });
    const result = await enroll(options());
    assert.equal(result.identity.certificate.subject, 'O=json org, CN=alice');
    assert.equal(result.trust?.ca.length, 1);
  });

  it('reads the v2 XML answer', async () => {
    server = await startEnrollServer(pki);
    server.handlers.set('/Marti/api/tls/signClient/v2', (request, res) => {
      const signed = bareBody(signCsr(pki, request.body));
      res
        .writeHead(200, { 'Content-Type': 'application/xml' })
        .end(
          `<?xml version="1.0"?><enrollment><signedCert>${signed}</signedCert><ca0>${bareBody(pki.ca.cert)}</ca0></enrollment>`,
        );
    });
    const result = await enroll(options());
    assert.equal(result.format, 'xml');
    assert.equal(result.identity.certificate.commonName, USERNAME);
    assert.equal(result.trust?.certificates[0]?.commonName, 'takpak test CA');
  });

  it('falls back to the older signClient when v2 is absent, and reads its PKCS#12 keystore', async () => {
    server = await startEnrollServer(pki);
    server.handlers.set('/Marti/api/tls/signClient/v2', (_request, res) => res.writeHead(404).end());
    server.handlers.set('/Marti/api/tls/signClient', (request, res) => {
      res
        .writeHead(200, { 'Content-Type': 'application/octet-stream' })
        .end(keystore(pki, signCsr(pki, request.body)));
    });
    const result = await enroll(options({ clientUid: 'uid-9' }));
    assert.equal(result.format, 'pkcs12');
    assert.equal(result.endpoint, 'signClient');
    assert.equal(result.identity.certificate.commonName, USERNAME);
    assert.equal(result.trust?.certificates[0]?.commonName, 'takpak test CA');
    assert.equal(server.seen.at(-1)?.url, '/Marti/api/tls/signClient?clientUid=uid-9');
  });

  it('enrolls with an enrollment link pasted whole', async () => {
    server = await startEnrollServer(pki);
    const link = `tak://com.atakmap.app/enroll?host=127.0.0.1:${server.port}&username=${USERNAME}&token=${encodeURIComponent(PASSWORD)}`;
    const result = await enrollWithLink(link, { trust: [pki.ca.cert], serverName: SERVER_NAME });
    assert.equal(result.identity.certificate.commonName, USERNAME);
  });

  it('without a truststore: trusts on first use and reports the fingerprint; a pinned fingerprint is checked', async () => {
    server = await startEnrollServer(pki);
    const expected = new X509Certificate(pki.server.cert).fingerprint256;
    const first = await enroll(options({ trust: undefined, serverName: undefined }));
    assert.equal(first.server.trust, 'first-use');
    assert.equal(first.server.certificate.fingerprint256, expected);
    const pinned = await enroll(
      options({ trust: undefined, expectedFingerprint: expected.replace(/:/g, '').toLowerCase() }),
    );
    assert.equal(pinned.server.trust, 'fingerprint');
    const before = server.seen.length;
    const error = await rejectsWith(
      enroll(options({ trust: undefined, expectedFingerprint: 'AA'.repeat(32) })),
      WebErrorCode.UNTRUSTED,
    );
    assert.match(error.message, new RegExp(expected));
    assert.equal(server.seen.length, before, 'no request (and no password) went to the wrong server');
  });

  it('refuses a server whose certificate is not from the truststore, before sending the password', async () => {
    server = await startEnrollServer(pki);
    await rejectsWith(enroll(options({ trust: [pki.otherCa.cert] })), WebErrorCode.UNTRUSTED);
    await rejectsWith(enroll(options({ serverName: 'other.name' })), WebErrorCode.UNTRUSTED);
    assert.equal(server.seen.length, 0);
  });

  it('says 401, 403 and 404 each in its own words', async () => {
    server = await startEnrollServer(pki);
    const wrong = await rejectsWith(enroll(options({ password: 'hunter2-typo' })), WebErrorCode.UNAUTHORIZED);
    assert.equal(wrong.status, 401);
    assert.ok(!wrong.message.includes('hunter2'), 'the password never appears in a message');
    server.handlers.set('/Marti/api/tls/config', (_request, res) => res.writeHead(403).end());
    await rejectsWith(enroll(options()), WebErrorCode.FORBIDDEN);
    server.handlers.set('/Marti/api/tls/config', (_request, res) => res.writeHead(404).end());
    await rejectsWith(enroll(options()), WebErrorCode.DISABLED);
    server.handlers.delete('/Marti/api/tls/config');
    server.handlers.set('/Marti/api/tls/signClient/v2', (_request, res) => res.writeHead(404).end());
    server.handlers.set('/Marti/api/tls/signClient', (_request, res) => res.writeHead(404).end());
    await rejectsWith(enroll(options()), WebErrorCode.DISABLED);
  });

  it('reports a refused CSR with what the server said', async () => {
    server = await startEnrollServer(pki);
    server.handlers.set('/Marti/api/tls/signClient/v2', (_request, res) =>
      res.writeHead(500).end('CSR subject does not match\u0000\u0007'),
    );
    const error = await rejectsWith(enroll(options()), WebErrorCode.CSR_REFUSED);
    assert.match(error.message, /HTTP 500: CSR subject does not match\)/);
  });

  it('refuses answers it cannot read: a login page, a redirect, garbage, someone else’s certificate, too much', async () => {
    server = await startEnrollServer(pki);
    type Answer = (res: import('node:http').ServerResponse) => void;
    const config = '/Marti/api/tls/config';
    const sign = '/Marti/api/tls/signClient/v2';
    const answers: Array<[string, Answer, string, RegExp]> = [
      [
        config,
        (res) =>
          res
            .writeHead(200, { 'Content-Type': 'text/html' })
            .end('<!DOCTYPE html><html><title>Login</title></html>'),
        WebErrorCode.HTML_PAGE,
        /web page/,
      ],
      [
        config,
        (res) => res.writeHead(302, { Location: '/login' }).end(),
        WebErrorCode.HTML_PAGE,
        /redirected .* to \/login/,
      ],
      [
        config,
        (res) => res.writeHead(200).end('<ns2:other/>'),
        WebErrorCode.BAD_ANSWER,
        /not a certificate config/,
      ],
      [
        sign,
        (res) => res.writeHead(200).end('{"signedCert": "bm90IGEgY2VydA=="}'),
        WebErrorCode.BAD_ANSWER,
        /not a certificate/,
      ],
      [sign, (res) => res.writeHead(200).end('{"ca0": "x"}'), WebErrorCode.BAD_ANSWER, /no "signedCert"/],
      [
        sign,
        (res) => res.writeHead(200).end('{"signedCert": '),
        WebErrorCode.BAD_ANSWER,
        /not readable JSON/,
      ],
      [
        sign,
        (res) => res.writeHead(200).end(JSON.stringify({ signedCert: bareBody(pki.bravo.cert) })),
        WebErrorCode.BAD_ANSWER,
        /not for the key we sent/,
      ],
      [
        sign,
        (res) => res.writeHead(200).end(Buffer.alloc(2 * 1024 * 1024, 0x41)),
        WebErrorCode.TOO_BIG,
        /more than/,
      ],
      [
        sign,
        (res) => res.writeHead(200).end(Buffer.from([0x30, 0x82, 0x01, 0x00, 0x02])),
        WebErrorCode.BAD_ANSWER,
        /keystore/,
      ],
    ];
    for (const [route, answer, code, message] of answers) {
      server.handlers.clear();
      server.handlers.set(route, (_request, res) => answer(res));
      const error = await rejectsWith(enroll(options()), code);
      assert.match(error.message, message);
    }
  });

  it('gives up on a server that accepts the request and never answers', async () => {
    server = await startEnrollServer(pki);
    let held = 0;
    server.handlers.set('/Marti/api/tls/config', () => {
      held += 1; // never answered
    });
    await rejectsWith(enroll(options({ timeoutMs: 300 })), WebErrorCode.TIMEOUT);
    assert.equal(held, 1);
  });

  it('says a closed port is unreachable', async () => {
    server = await startEnrollServer(pki);
    const port = server.port;
    await server.close();
    await rejectsWith(enroll(options({ port })), WebErrorCode.UNREACHABLE);
  });

  it('refuses empty credentials before connecting', async () => {
    server = await startEnrollServer(pki);
    await rejectsWith(enroll(options({ password: '' })), WebErrorCode.BAD_REQUEST);
    await rejectsWith(enroll(options({ username: 'a:b' })), WebErrorCode.BAD_REQUEST);
    assert.equal(server.seen.length, 0);
  });

  it('the enrolled certificate and chain open a mutual-TLS connection to a server that requires our CA', async () => {
    server = await startEnrollServer(pki);
    const result = await enroll(options());
    const takServer = tls.createServer({
      key: pki.server.key,
      cert: pki.server.cert,
      ca: pki.ca.cert,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const peer = new Promise<string | undefined>((resolve) => {
      takServer.once('secureConnection', (socket) => {
        resolve(socket.getPeerCertificate().subject?.CN as string | undefined);
        socket.end();
      });
    });
    await new Promise<void>((resolve) => takServer.listen(0, '127.0.0.1', resolve));
    const address = takServer.address() as import('node:net').AddressInfo;
    const client = tls.connect({
      host: '127.0.0.1',
      port: address.port,
      servername: SERVER_NAME,
      key: result.identity.key,
      cert: result.identity.cert,
      ca: result.trust?.ca,
    });
    client.on('error', () => undefined);
    try {
      assert.equal(await peer, USERNAME);
    } finally {
      client.destroy();
      await new Promise<void>((resolve) => takServer.close(() => resolve()));
    }
  });
});
