import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import { readDataPackage, readPreferences, MAX_DATA_PACKAGE_BYTES } from '../src/tls/data-package';
import { checkCertificateFile, importDataPackage } from '../src/tls/editor';
import { TlsError } from '../src/tls/errors';
import { P12_PASSWORD, makeDataPackage, makePki, type TestPki } from './helpers/tls-pki';

function rejects(work: () => unknown, code: string, message?: RegExp): void {
  assert.throws(work, (error: unknown) => {
    assert.ok(error instanceof TlsError, `a TlsError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('TAK Server connection data packages', () => {
  let pki: TestPki;
  before(() => {
    pki = makePki();
  });
  after(() => pki.cleanup());

  it('fills host, port, protocol, the client certificate and the truststore in one step', () => {
    const zip = makeDataPackage({
      connectString: 'tak.example.com:8089:ssl',
      client: pki.p12.alphaLegacy,
      trust: pki.p12.truststoreLegacy,
    });
    const found = readDataPackage(zip);
    assert.equal(found.host, 'tak.example.com');
    assert.equal(found.port, 8089);
    assert.equal(found.protocol, 'tls');
    assert.equal(found.connectString, 'tak.example.com:8089:ssl');
    assert.equal(found.description, 'TAK Server & friends');
    assert.equal(found.client?.file, 'certs/alpha.p12');
    assert.equal(found.client?.password, P12_PASSWORD);
    assert.equal(found.client?.identity.certificate.commonName, 'alpha');
    assert.deepEqual(found.client?.data, pki.p12.alphaLegacy);
    assert.equal(found.trust?.file, 'certs/truststore-root.p12');
    assert.deepEqual(
      found.trust?.store.certificates.map((c) => c.commonName),
      ['takpak test CA'],
    );
    assert.equal(found.enrollment, false);
    assert.deepEqual(found.warnings, []);
  });

  it('finds the files at the root, without a manifest and without locations in the .pref', () => {
    const zip = makeDataPackage({
      connectString: '10.0.0.5:8089:ssl',
      client: pki.p12.alphaModern,
      trust: pki.p12.truststoreModern,
      folder: '',
      manifest: false,
      noLocations: true,
    });
    const found = readDataPackage(zip);
    assert.equal(found.client?.file, 'alpha.p12', 'the .p12 with a key is the client certificate');
    assert.equal(
      found.trust?.file,
      'truststore-root.p12',
      'the one with certificates only is the truststore',
    );
    assert.deepEqual(found.warnings, []);
  });

  it('takes the only .p12 as the client certificate when the .pref names none', () => {
    const zip = makeDataPackage({
      connectString: '10.0.0.5:8089:ssl',
      client: pki.p12.alphaModern,
      noLocations: true,
    });
    assert.equal(readDataPackage(zip).client?.identity.certificate.commonName, 'alpha');
  });

  it('uses atakatak when the package gives no password, and says so', () => {
    const zip = makeDataPackage({
      connectString: 'tak:8089:ssl',
      client: pki.p12.alphaLegacy,
      trust: pki.p12.truststoreLegacy,
      clientPassword: null,
      caPassword: null,
    });
    const found = readDataPackage(zip);
    assert.equal(found.client?.password, 'atakatak');
    assert.equal(found.warnings.length, 2);
    assert.match(found.warnings[0] as string, /default \(atakatak\)/);
  });

  it('refuses a package whose password does not open its .p12, naming the file', () => {
    const zip = makeDataPackage({
      connectString: 'tak:8089:ssl',
      client: pki.p12.alphaLegacy,
      trust: pki.p12.truststoreLegacy,
      clientPassword: 'not-it',
    });
    rejects(() => readDataPackage(zip), 'ERR_TLS_BAD_PASSWORD', /certs\/alpha\.p12 in the data package/);
  });

  it('explains an enrollment package and an expired client certificate', () => {
    const enrollment = readDataPackage(
      makeDataPackage({
        connectString: 'tak:8089:ssl',
        trust: pki.p12.truststoreLegacy,
        extraPrefs: { enrollForCertificateWithTrust0: 'true', useAuth0: 'true' },
      }),
    );
    assert.equal(enrollment.enrollment, true);
    assert.equal(enrollment.client, undefined);
    assert.match(enrollment.warnings.join('\n'), /enrollment.*8446/);
    const expired = readDataPackage(
      makeDataPackage({ connectString: 'tak:8089:ssl', client: pki.p12.alphaExpiredLegacy }),
    );
    assert.match(expired.warnings.join('\n'), /expired on/);
    assert.match(expired.warnings.join('\n'), /no truststore/);
  });

  it('refuses what is not a connection package', () => {
    rejects(() => readDataPackage(Buffer.from('PK not really')), 'ERR_TLS_DATA_PACKAGE', /not a zip/);
    rejects(
      () => readDataPackage(zipSync({ 'readme.txt': strToU8('hello') })),
      'ERR_TLS_DATA_PACKAGE',
      /no \.pref/,
    );
    const noServer = zipSync({
      'certs/config.pref': strToU8(
        '<preferences><preference name="x"><entry key="a">b</entry></preference></preferences>',
      ),
    });
    rejects(() => readDataPackage(noServer), 'ERR_TLS_DATA_PACKAGE', /connectString0/);
    rejects(
      () => readDataPackage(makeDataPackage({ connectString: 'tak:notaport:ssl' })),
      'ERR_TLS_DATA_PACKAGE',
      /cannot be read/,
    );
    const doctype = zipSync({
      'a.pref': strToU8(
        '<!DOCTYPE x [<!ENTITY e "boom">]><preferences><entry key="connectString0">&e;</entry></preferences>',
      ),
    });
    rejects(() => readDataPackage(doctype), 'ERR_TLS_DATA_PACKAGE', /preferences file/);
    rejects(
      () => readDataPackage(new Uint8Array(MAX_DATA_PACKAGE_BYTES + 1)),
      'ERR_TLS_DATA_PACKAGE',
      /limit/,
    );
  });

  it('does not unpack a file too large to be a certificate', () => {
    const zip = zipSync({
      'certs/config.pref': makePref('tak:8089:ssl'),
      'certs/alpha.p12': new Uint8Array(2 * 1024 * 1024),
    });
    const found = readDataPackage(zip);
    assert.equal(found.client, undefined);
  });

  it('reads ATAK preference entries, entities and CDATA included', () => {
    const prefs = readPreferences(
      '<preferences><preference name="a"><entry key="x" class="s">a &amp; b</entry><entry key="y"><![CDATA[<c>]]></entry><entry key="x">second</entry></preference></preferences>',
    );
    assert.equal(prefs.get('x'), 'a & b');
    assert.equal(prefs.get('y'), '<c>');
  });

  it('the dialog endpoints: a package comes back as base64 certificates and passwords, a file is checked', () => {
    const zip = makeDataPackage({
      connectString: '127.0.0.1:8089:ssl',
      client: pki.p12.alphaLegacy,
      trust: pki.p12.truststoreLegacy,
    });
    const result = JSON.parse(JSON.stringify(importDataPackage({ zip: zip.toString('base64') }))) as {
      host: string;
      port: number;
      protocol: string;
      clientCert: string;
      clientPassword: string;
      trustStore: string;
      client: { commonName: string };
    };
    assert.equal(result.host, '127.0.0.1');
    assert.equal(result.port, 8089);
    assert.equal(result.protocol, 'tls');
    assert.deepEqual(Buffer.from(result.clientCert, 'base64'), pki.p12.alphaLegacy);
    assert.deepEqual(Buffer.from(result.trustStore, 'base64'), pki.p12.truststoreLegacy);
    assert.equal(result.clientPassword, P12_PASSWORD);
    assert.equal(result.client.commonName, 'alpha');
    rejects(() => importDataPackage({}), 'ERR_TLS_DATA_PACKAGE');

    const check = checkCertificateFile({
      role: 'client',
      data: pki.p12.alphaLegacy.toString('base64'),
      password: P12_PASSWORD,
    });
    assert.equal(check.certificate?.commonName, 'alpha');
    rejects(
      () =>
        checkCertificateFile({ role: 'client', data: pki.p12.alphaLegacy.toString('base64'), password: 'x' }),
      'ERR_TLS_BAD_PASSWORD',
    );
    const trust = checkCertificateFile({ role: 'trust', data: Buffer.from(pki.ca.cert).toString('base64') });
    assert.equal(trust.certificates[0]?.commonName, 'takpak test CA');
    const pem = checkCertificateFile({
      role: 'server',
      data: Buffer.from(pki.server.cert).toString('base64'),
      key: Buffer.from(pki.server.key).toString('base64'),
    });
    assert.equal(pem.certificate?.commonName, 'takserver.test');
  });
});

function makePref(connectString: string): Uint8Array {
  return strToU8(
    `<preferences><preference name="cot_streams"><entry key="connectString0">${connectString}</entry></preference><preference name="com.atakmap.app_preferences"><entry key="certificateLocation">cert/alpha.p12</entry></preference></preferences>`,
  );
}
