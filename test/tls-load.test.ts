import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { loadIdentity } from '../src/tls/identity';
import { loadTrustStore } from '../src/tls/truststore';
import {
  loadClientTls,
  loadServerTls,
  decodeStoredFile,
  clientSourcesFromTlsConfig,
} from '../src/tls/settings';
import { serverTlsOptions } from '../src/tls/context';
import { TlsError } from '../src/tls/errors';
import { REPO_ROOT } from './helpers/paths';
import { KEY_PASSPHRASE, P12_PASSWORD, makePki, p12Encryption, type TestPki } from './helpers/tls-pki';

/** Wrong passphrases tried on one key: about 8 of them pass the padding check. */
const WRONG_PASSPHRASE_TRIES = 2000;

function code(error: unknown): string | undefined {
  return error instanceof TlsError ? error.code : undefined;
}

function throwsCode(work: () => unknown, expected: string, message?: RegExp): void {
  assert.throws(work, (error: unknown) => {
    assert.ok(error instanceof TlsError, `a TlsError, got ${String(error)}`);
    assert.equal(code(error), expected);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('loading TLS identities and truststores', () => {
  let pki: TestPki;
  before(() => {
    pki = makePki();
  });
  after(() => pki.cleanup());

  it('the makeCert.sh-style legacy .p12 is really RC2-40, and Node cannot load it by itself', () => {
    const info = p12Encryption(pki, pki.p12.alphaLegacy);
    assert.match(info, /pbeWithSHA1And40BitRC2-CBC/, info);
    assert.throws(
      () => tls.createSecureContext({ pfx: pki.p12.alphaLegacy, passphrase: P12_PASSWORD }),
      (error: { code?: string }) => error.code === 'ERR_CRYPTO_UNSUPPORTED_OPERATION',
    );
  });

  it('reads the legacy .p12: key, certificate byte for byte, chain; Node takes the result', () => {
    const identity = loadIdentity({ cert: pki.p12.alphaLegacy, password: P12_PASSWORD });
    assert.equal(identity.format, 'pkcs12');
    assert.equal(identity.certificate.commonName, 'alpha');
    assert.equal(identity.certificate.issuerCommonName, 'takpak test CA');
    assert.equal(
      identity.certificate.fingerprint256,
      new X509Certificate(pki.alpha.cert).fingerprint256,
      'the certificate Node gets is the one openssl made',
    );
    assert.deepEqual(
      identity.chain.map((c) => c.commonName),
      ['takpak test CA'],
    );
    assert.match(identity.key, /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(
      createPrivateKey(identity.key).export({ format: 'jwk' }).n,
      createPrivateKey(pki.alpha.key).export({ format: 'jwk' }).n,
    );
    tls.createSecureContext({ key: identity.key, cert: identity.cert });
  });

  it('reads a modern (AES-256, PBKDF2) .p12 and an EC one', () => {
    assert.match(p12Encryption(pki, pki.p12.alphaModern), /AES-256-CBC/);
    assert.equal(
      loadIdentity({ cert: pki.p12.alphaModern, password: P12_PASSWORD }).certificate.commonName,
      'alpha',
    );
    const ec = loadIdentity({ cert: pki.p12.ecClient, password: P12_PASSWORD });
    assert.equal(ec.certificate.commonName, 'echo');
    assert.equal(createPrivateKey(ec.key).asymmetricKeyType, 'ec');
  });

  it('reads PEM: certificate and key apart, together, and a key with a passphrase', () => {
    assert.equal(loadIdentity({ cert: pki.alpha.cert, key: pki.alpha.key }).format, 'pem');
    assert.equal(loadIdentity({ cert: pki.alpha.cert + pki.alpha.key }).certificate.commonName, 'alpha');
    const encrypted = loadIdentity({
      cert: pki.alpha.cert,
      key: pki.alphaEncryptedKey,
      password: KEY_PASSPHRASE,
    });
    assert.doesNotMatch(encrypted.key, /ENCRYPTED/, 'held decrypted in memory for the secure context');
    throwsCode(
      () => loadIdentity({ cert: pki.alpha.cert, key: pki.alphaEncryptedKey, password: 'wrong' }),
      'ERR_TLS_BAD_PASSWORD',
      /passphrase/,
    );
    throwsCode(
      () => loadIdentity({ cert: pki.alpha.cert, key: pki.alphaEncryptedKey }),
      'ERR_TLS_BAD_PASSWORD',
      /give its passphrase/,
    );
  });

  it('every wrong passphrase reads as one, also the few that decrypt to bytes OpenSSL cannot decode', () => {
    // About one in 250 wrong passphrases gets past the padding check: enough tries to meet several.
    const counts = new Map<string, number>();
    for (let k = 0; k < WRONG_PASSPHRASE_TRIES; k++) {
      try {
        loadIdentity({ cert: pki.alpha.cert, key: pki.alphaEncryptedKey, password: `wrong-${k}` });
        assert.fail(`wrong-${k} opened the key`);
      } catch (error) {
        assert.ok(error instanceof TlsError, String(error));
        assert.equal(error.code, 'ERR_TLS_BAD_PASSWORD', `wrong-${k}: ${error.message}`);
        const cause = String((error.cause as { code?: string } | undefined)?.code);
        counts.set(cause, (counts.get(cause) ?? 0) + 1);
      }
    }
    assert.ok(
      (counts.get('ERR_OSSL_BAD_DECRYPT') ?? 0) > WRONG_PASSPHRASE_TRIES / 2,
      JSON.stringify([...counts]),
    );
  });

  it('says when the .p12 password is wrong or missing, legacy or modern', () => {
    for (const p12 of [pki.p12.alphaLegacy, pki.p12.alphaModern, pki.p12.truststoreLegacy]) {
      throwsCode(() => loadIdentity({ cert: p12, password: 'wrong' }), 'ERR_TLS_BAD_PASSWORD', /atakatak/);
      throwsCode(() => loadIdentity({ cert: p12 }), 'ERR_TLS_BAD_PASSWORD', /wrong or missing/);
    }
  });

  it('says what is wrong with files that are not an identity', () => {
    throwsCode(
      () => loadIdentity({ cert: pki.p12.truststoreLegacy, password: P12_PASSWORD }),
      'ERR_TLS_NO_KEY',
      /truststore/,
    );
    throwsCode(() => loadIdentity({ cert: pki.alpha.cert, key: pki.bravo.key }), 'ERR_TLS_KEY_MISMATCH');
    throwsCode(() => loadIdentity({ cert: pki.alpha.cert }), 'ERR_TLS_NO_KEY');
    throwsCode(() => loadIdentity({ cert: 'hello' }), 'ERR_TLS_BAD_FILE');
    throwsCode(
      () => loadIdentity({ cert: Buffer.from(zipSync({ a: new Uint8Array(1) })) }),
      'ERR_TLS_BAD_FILE',
    );
    throwsCode(() => loadIdentity({ cert: Buffer.from([0x30, 0x82, 0x01, 0x00, 0x02]) }), 'ERR_TLS_BAD_FILE');
  });

  it('reads truststores: legacy and modern .p12, PEM, DER; from a client .p12 only its CA', () => {
    for (const data of [pki.p12.truststoreLegacy, pki.p12.truststoreModern]) {
      const store = loadTrustStore({ data, password: P12_PASSWORD });
      assert.deepEqual(
        store.certificates.map((c) => c.commonName),
        ['takpak test CA'],
      );
    }
    assert.equal(loadTrustStore({ data: pki.ca.cert + pki.otherCa.cert }).ca.length, 2);
    const der = new X509Certificate(pki.ca.cert).raw;
    assert.equal(loadTrustStore({ data: der }).format, 'der');
    const fromClient = loadTrustStore({ data: pki.p12.alphaLegacy, password: P12_PASSWORD });
    assert.deepEqual(
      fromClient.certificates.map((c) => c.commonName),
      ['takpak test CA'],
    );
    throwsCode(
      () => loadTrustStore({ data: pki.p12.truststoreLegacy, password: 'x' }),
      'ERR_TLS_BAD_PASSWORD',
    );
    throwsCode(() => loadTrustStore({ data: 'no certificates here' }), 'ERR_TLS_BAD_FILE');
  });

  it('warns about an expired or not yet valid client certificate, and still loads it', () => {
    const expired = loadClientTls({ clientCert: pki.p12.alphaExpiredLegacy, clientPassword: P12_PASSWORD });
    assert.match(expired.warnings.join('\n'), /expired on \d{4}-\d\d-\d\d/);
    const future = loadClientTls({ clientCert: pki.p12.alphaFutureLegacy, clientPassword: P12_PASSWORD });
    assert.match(future.warnings.join('\n'), /not valid before/);
    assert.deepEqual(
      loadClientTls({ clientCert: pki.p12.alphaLegacy, clientPassword: P12_PASSWORD }).warnings,
      [],
    );
  });

  it('takes what a tls-config node hands over, a .p12 given as its certificate included', () => {
    const fromPem = loadClientTls(
      clientSourcesFromTlsConfig({
        cert: Buffer.from(pki.alpha.cert),
        key: Buffer.from(pki.alphaEncryptedKey),
        passphrase: KEY_PASSPHRASE,
        ca: Buffer.from(pki.ca.cert),
        servername: 'takserver.test',
        rejectUnauthorized: true,
      }),
    ).options;
    assert.equal(fromPem.identity?.certificate.commonName, 'alpha');
    assert.equal(fromPem.serverName, 'takserver.test');
    assert.equal(fromPem.verifyServer, true);
    const fromP12 = loadClientTls(
      clientSourcesFromTlsConfig({
        cert: pki.p12.alphaLegacy,
        key: pki.p12.alphaLegacy,
        passphrase: P12_PASSWORD,
      }),
    ).options;
    assert.equal(fromP12.identity?.certificate.commonName, 'alpha');
    assert.equal(
      loadClientTls(clientSourcesFromTlsConfig({ rejectUnauthorized: false })).options.verifyServer,
      false,
    );
  });

  it('reads stored credentials as base64 or PEM text', () => {
    assert.deepEqual(decodeStoredFile(pki.p12.alphaLegacy.toString('base64'), 'x'), pki.p12.alphaLegacy);
    assert.equal(decodeStoredFile(pki.ca.cert, 'x')?.toString(), pki.ca.cert.trim());
    assert.equal(decodeStoredFile('', 'x'), undefined);
    throwsCode(() => decodeStoredFile('not *base64*', 'x'), 'ERR_TLS_BAD_FILE');
  });

  it('a TLS listener that requires client certificates needs a CA to check them', () => {
    const { options } = loadServerTls({ serverCert: pki.p12.serverLegacy, serverPassword: P12_PASSWORD });
    throwsCode(() => serverTlsOptions(options), 'ERR_TLS_SETTINGS', /CA/);
    assert.equal(serverTlsOptions({ ...options, requireClientCert: false }).requestCert, false);
    throwsCode(() => loadServerTls({}), 'ERR_TLS_NO_CERTIFICATE');
  });

  it('never touches the file system: no fs in the TLS core', () => {
    const dir = path.join(REPO_ROOT, 'src', 'tls');
    for (const file of fs.readdirSync(dir)) {
      const source = fs.readFileSync(path.join(dir, file), 'utf8');
      assert.doesNotMatch(source, /from 'node:fs'|from 'fs'|require\('(node:)?fs'\)/, `${file} imports fs`);
    }
  });
});
