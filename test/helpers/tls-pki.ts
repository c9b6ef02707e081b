/**
 * A throwaway PKI for the TLS tests, made with Debian's openssl in a temp dir (removed by cleanup()) the way
 * TAK Server's scripts make theirs: a CA, server and client certificates signed by it, .p12 files with
 * `openssl pkcs12 -export -legacy` (RC2-40 certificates, 3DES key: what makeCert.sh writes under OpenSSL 3)
 * and without (AES-256/PBKDF2), truststores, expired and not-yet-valid certificates, one from another CA, an
 * EC client and an encrypted PEM key. Nothing of it is committed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync, strToU8 } from 'fflate';

export const P12_PASSWORD = 'atakatak';
export const KEY_PASSPHRASE = 'correct horse';
/** The name in the test server certificates (no subjectAltName, as makeCert.sh server certificates). */
export const SERVER_NAME = 'takserver.test';

export interface Pem {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  ca: Pem;
  otherCa: Pem;
  /** CN=takserver.test, serverAuth, no SAN. */
  server: Pem;
  serverExpired: Pem;
  serverFuture: Pem;
  /** CN=alpha, clientAuth. */
  alpha: Pem;
  bravo: Pem;
  alphaExpired: Pem;
  alphaFuture: Pem;
  /** Signed by otherCa. */
  stranger: Pem;
  /** alpha's key encrypted with KEY_PASSPHRASE (AES-256, PKCS#8). */
  alphaEncryptedKey: string;
  /** .p12 files, all with P12_PASSWORD; `legacy` ones made with -legacy, the others with OpenSSL 3's defaults. */
  p12: {
    alphaLegacy: Buffer;
    alphaModern: Buffer;
    bravoLegacy: Buffer;
    alphaExpiredLegacy: Buffer;
    alphaFutureLegacy: Buffer;
    strangerLegacy: Buffer;
    serverLegacy: Buffer;
    /** An EC (P-256) client, modern encryption: the key node-forge hands over undecoded. */
    ecClient: Buffer;
    /** CA only, no key, as truststore-root.p12. */
    truststoreLegacy: Buffer;
    truststoreModern: Buffer;
  };
  /** Absolute path of a file written in dir (for tls-config, which reads files). */
  file(name: string, contents: string | Buffer): string;
  cleanup(): void;
}

function run(dir: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args.join(' ')} failed: ${stderr || String(error)}`, { cause: error });
  }
}

/** OpenSSL's GeneralizedTime, days from now. */
function stamp(daysFromNow: number): string {
  const date = new Date(Date.now() + daysFromNow * 86_400_000);
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

const CA_CONFIG = `[ca]
default_ca = test_ca
[test_ca]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any_name
unique_subject = no
copy_extensions = none
[any_name]
commonName = supplied
organizationName = optional
[server_ext]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
[client_ext]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
`;

/** Makes the whole PKI; about a second of openssl. Throws with openssl's words when a step fails. */
export function makePki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'takpak-tls-'));
  const read = (name: string): string => fs.readFileSync(path.join(dir, name), 'utf8');
  const readBytes = (name: string): Buffer => fs.readFileSync(path.join(dir, name));
  try {
    fs.writeFileSync(path.join(dir, 'ca.cnf'), CA_CONFIG);
    fs.writeFileSync(path.join(dir, 'index.txt'), '');
    fs.writeFileSync(path.join(dir, 'serial'), '1000\n');

    const makeCa = (name: string, cn: string): Pem => {
      run(dir, [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.pem`,
        '-subj',
        `/O=takpak tests/CN=${cn}`,
        '-days',
        '30',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ]);
      return { cert: read(`${name}.pem`), key: read(`${name}.key`) };
    };
    const makeKey = (name: string): void => {
      run(dir, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', `${name}.key`]);
    };
    const sign = (
      name: string,
      keyName: string,
      cn: string,
      ca: string,
      extensions: 'server_ext' | 'client_ext',
      fromDays: number,
      toDays: number,
    ): Pem => {
      run(dir, [
        'req',
        '-new',
        '-key',
        `${keyName}.key`,
        '-out',
        `${name}.csr`,
        '-subj',
        `/O=takpak tests/CN=${cn}`,
      ]);
      run(dir, [
        'ca',
        '-batch',
        '-config',
        'ca.cnf',
        '-cert',
        `${ca}.pem`,
        '-keyfile',
        `${ca}.key`,
        '-in',
        `${name}.csr`,
        '-out',
        `${name}.pem`,
        '-notext',
        '-extensions',
        extensions,
        '-startdate',
        stamp(fromDays),
        '-enddate',
        stamp(toDays),
      ]);
      return { cert: read(`${name}.pem`), key: read(`${keyName}.key`) };
    };
    const p12 = (
      out: string,
      name: string,
      keyName: string | undefined,
      legacy: boolean,
      caName = 'ca',
    ): Buffer => {
      const args = ['pkcs12', '-export', ...(legacy ? ['-legacy'] : []), '-in', `${name}.pem`, '-out', out];
      args.push('-passout', `pass:${P12_PASSWORD}`, '-name', name);
      // As makeCert.sh: the client's .p12 carries its CA chain.
      if (keyName === undefined) args.push('-nokeys');
      else args.push('-inkey', `${keyName}.key`, '-certfile', `${caName}.pem`);
      run(dir, args);
      return readBytes(out);
    };

    const ca = makeCa('ca', 'takpak test CA');
    const otherCa = makeCa('other-ca', 'someone else CA');
    for (const key of ['server', 'alpha', 'bravo', 'stranger']) makeKey(key);
    const server = sign('server', 'server', SERVER_NAME, 'ca', 'server_ext', -1, 30);
    const serverExpired = sign('server-expired', 'server', SERVER_NAME, 'ca', 'server_ext', -30, -1);
    const serverFuture = sign('server-future', 'server', SERVER_NAME, 'ca', 'server_ext', 20, 40);
    const alpha = sign('alpha', 'alpha', 'alpha', 'ca', 'client_ext', -1, 30);
    const bravo = sign('bravo', 'bravo', 'bravo', 'ca', 'client_ext', -1, 30);
    const alphaExpired = sign('alpha-expired', 'alpha', 'alpha', 'ca', 'client_ext', -30, -1);
    const alphaFuture = sign('alpha-future', 'alpha', 'alpha', 'ca', 'client_ext', 20, 40);
    const stranger = sign('stranger', 'stranger', 'stranger', 'other-ca', 'client_ext', -1, 30);
    run(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ec.key']);
    sign('ec', 'ec', 'echo', 'ca', 'client_ext', -1, 30);
    run(dir, [
      'pkcs8',
      '-topk8',
      '-in',
      'alpha.key',
      '-out',
      'alpha-enc.key',
      '-v2',
      'aes-256-cbc',
      '-passout',
      `pass:${KEY_PASSPHRASE}`,
    ]);

    const pki: TestPki = {
      dir,
      ca,
      otherCa,
      server,
      serverExpired,
      serverFuture,
      alpha,
      bravo,
      alphaExpired,
      alphaFuture,
      stranger,
      alphaEncryptedKey: read('alpha-enc.key'),
      p12: {
        alphaLegacy: p12('alpha-legacy.p12', 'alpha', 'alpha', true),
        alphaModern: p12('alpha-modern.p12', 'alpha', 'alpha', false),
        bravoLegacy: p12('bravo-legacy.p12', 'bravo', 'bravo', true),
        alphaExpiredLegacy: p12('alpha-expired.p12', 'alpha-expired', 'alpha', true),
        alphaFutureLegacy: p12('alpha-future.p12', 'alpha-future', 'alpha', true),
        strangerLegacy: p12('stranger.p12', 'stranger', 'stranger', true, 'other-ca'),
        serverLegacy: p12('server.p12', 'server', 'server', true),
        ecClient: p12('ec.p12', 'ec', 'ec', false),
        truststoreLegacy: p12('truststore-root.p12', 'ca', undefined, true),
        truststoreModern: p12('truststore-modern.p12', 'ca', undefined, false),
      },
      file(name, contents) {
        const full = path.join(dir, name);
        fs.writeFileSync(full, contents);
        return full;
      },
      cleanup() {
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
    return pki;
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** What openssl says about a .p12 (its encryption, e.g. "pbeWithSHA1And40BitRC2-CBC"), to prove a fixture is legacy. */
export function p12Encryption(pki: TestPki, data: Buffer): string {
  const file = pki.file(`probe-${process.hrtime.bigint()}.p12`, data);
  const result = spawnSync(
    'openssl',
    ['pkcs12', '-info', '-noout', '-legacy', '-in', file, '-passin', `pass:${P12_PASSWORD}`],
    { encoding: 'utf8' },
  );
  return `${result.stdout}${result.stderr}`;
}

export interface DataPackageOptions {
  connectString: string;
  client?: Buffer;
  trust?: Buffer;
  clientPassword?: string | null;
  caPassword?: string | null;
  /** Folder the files sit in inside the zip; TAK Server uses "certs". */
  folder?: string;
  /** Write a MANIFEST/manifest.xml as TAK Server does. Default true. */
  manifest?: boolean;
  /** Leave the certificate locations out of the .pref. */
  noLocations?: boolean;
  extraPrefs?: Record<string, string>;
  description?: string;
}

function entry(key: string, value: string, type = 'String'): string {
  return `    <entry key="${key}" class="class java.lang.${type}">${value}</entry>\n`;
}

/** A connection data package as TAK Server generates one for a user. */
export function makeDataPackage(options: DataPackageOptions): Buffer {
  const folder = options.folder ?? 'certs';
  const prefix = folder === '' ? '' : `${folder}/`;
  const files: Record<string, Uint8Array> = {};
  let app = entry('displayServerConnectionWidget', 'true', 'Boolean');
  if (options.trust) {
    files[`${prefix}truststore-root.p12`] = options.trust;
    if (!options.noLocations) app += entry('caLocation', '/storage/emulated/0/atak/cert/truststore-root.p12');
  }
  if (options.client) {
    files[`${prefix}alpha.p12`] = options.client;
    if (!options.noLocations) app += entry('certificateLocation', '/storage/emulated/0/atak/cert/alpha.p12');
  }
  if (options.caPassword !== null) app += entry('caPassword', options.caPassword ?? P12_PASSWORD);
  if (options.clientPassword !== null) app += entry('clientPassword', options.clientPassword ?? P12_PASSWORD);
  for (const [key, value] of Object.entries(options.extraPrefs ?? {})) app += entry(key, value);
  const pref =
    `<?xml version='1.0' encoding='ASCII' standalone='yes'?>\n<preferences>\n` +
    `  <preference version="1" name="cot_streams">\n` +
    entry('count', '1', 'Integer') +
    entry('description0', options.description ?? 'TAK Server &amp; friends') +
    entry('enabled0', 'true', 'Boolean') +
    entry('connectString0', options.connectString) +
    `  </preference>\n  <preference version="1" name="com.atakmap.app_preferences">\n${app}  </preference>\n</preferences>\n`;
  files[`${prefix}config.pref`] = strToU8(pref);
  if (options.manifest !== false) {
    const contents = Object.keys(files)
      .map((name) => `    <Content ignore="false" zipEntry="${name.replace(/\//g, '\\')}"/>`)
      .join('\n');
    files['MANIFEST/manifest.xml'] = strToU8(
      `<MissionPackageManifest version="2">\n  <Configuration>\n    <Parameter name="uid" value="b7c1b8a4-0000-4000-8000-000000000001"/>\n    <Parameter name="name" value="alpha-takpak.zip"/>\n    <Parameter name="onReceiveDelete" value="true"/>\n  </Configuration>\n  <Contents>\n${contents}\n  </Contents>\n</MissionPackageManifest>\n`,
    );
  }
  return Buffer.from(zipSync(files));
}
