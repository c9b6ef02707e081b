/**
 * TAK Server connection data packages: the .zip an admin generates for a user (or makes with the
 * certificate scripts) so ATAK/iTAK/WinTAK connect in one step. Inside, in any folder: a `.pref` (ATAK
 * preferences XML) whose `cot_streams` names the server (`connectString0` = `host:8089:ssl`) and whose
 * app preferences name the client certificate and the truststore with their passwords (`certificateLocation`,
 * `clientPassword`, `caLocation`, `caPassword`), the two .p12 files, and often a MANIFEST/manifest.xml.
 *
 * Read in memory with fflate (no files written), within fixed limits, and both .p12 files are opened with their
 * passwords before anything is handed back, so a package that cannot connect says why at import.
 */
import { unzipSync, type UnzipFileInfo } from 'fflate';
import sax from 'sax';
import { parseConnectString, type TakProtocol } from '../client/connect-string';
import { TlsError, TlsErrorCode } from './errors';
import { loadIdentity, type TlsIdentity } from './identity';
import { readPkcs12 } from './pkcs12';
import { loadTrustStore, type TrustStore } from './truststore';
import { describeValidity } from './certificate';

/** A connection package is a few KiB; 4 MiB leaves room for one that also carries maps or icons. */
export const MAX_DATA_PACKAGE_BYTES = 4 * 1024 * 1024;
/** A .pref or .p12 is a few KiB; anything near 1 MiB is not one and is not unpacked. */
export const MAX_DATA_PACKAGE_ENTRY_BYTES = 1024 * 1024;
/** Files looked at, at most: a connection package has three to five. */
export const MAX_DATA_PACKAGE_FILES = 200;
/** makeCert.sh's password when it is not given another, and what ATAK assumes when a package names none. */
export const TAK_DEFAULT_CERT_PASSWORD = 'atakatak';

export interface DataPackageCertificate {
  /** The file's path inside the zip. */
  file: string;
  /** The .p12 as it is in the zip. */
  data: Buffer;
  /** The password that opened it. */
  password: string;
}

export interface DataPackage {
  host: string;
  port: number;
  protocol: TakProtocol;
  /** As the package wrote it, e.g. `tak.example.com:8089:ssl`. */
  connectString: string;
  /** The stream's description, or the package's name. */
  description: string | undefined;
  /** The client certificate .p12, opened. Absent for a package that enrolls for a certificate instead. */
  client: (DataPackageCertificate & { identity: TlsIdentity }) | undefined;
  /** The truststore .p12 (the server's CA), opened. */
  trust: (DataPackageCertificate & { store: TrustStore }) | undefined;
  /** The package tells the device to get its certificate by enrollment (TAK Server's port 8446). */
  enrollment: boolean;
  /** Things to tell the user: other servers in the package, a default password used, an expired certificate. */
  warnings: string[];
}

function fail(message: string, cause?: unknown): never {
  throw new TlsError(TlsErrorCode.DATA_PACKAGE, message, 'data package', cause ? { cause } : undefined);
}

function wanted(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    lower.endsWith('.pref') ||
    lower.endsWith('.p12') ||
    lower.endsWith('.pfx') ||
    lower.endsWith('manifest.xml')
  );
}

function unzip(zip: Uint8Array): Map<string, Buffer> {
  if (zip.byteLength > MAX_DATA_PACKAGE_BYTES) {
    fail(
      `the data package is ${zip.byteLength} bytes; a connection package is a few KiB (limit ${MAX_DATA_PACKAGE_BYTES})`,
    );
  }
  let seen = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, {
      filter: (file: UnzipFileInfo) => {
        if (!wanted(file.name)) return false;
        seen += 1;
        return seen <= MAX_DATA_PACKAGE_FILES && file.originalSize <= MAX_DATA_PACKAGE_ENTRY_BYTES;
      },
    });
  } catch (error) {
    fail(
      `the data package is not a zip file this can read (${error instanceof Error ? error.message : String(error)}): give the .zip TAK Server made`,
      error,
    );
  }
  const out = new Map<string, Buffer>();
  for (const [name, data] of Object.entries(files)) {
    if (name.endsWith('/')) continue;
    out.set(name, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  return out;
}

/** Every `<entry key="...">value</entry>` of an ATAK preferences file; the first of a key wins. */
export function readPreferences(xml: string): Map<string, string> {
  const entries = new Map<string, string>();
  const parser = sax.parser(true, { trim: false });
  let key: string | undefined;
  let text = '';
  parser.onopentag = (tag) => {
    if (tag.name !== 'entry') return;
    const attribute = tag.attributes.key;
    key = typeof attribute === 'string' ? attribute : attribute?.value;
    text = '';
  };
  parser.ontext = (value) => {
    if (key !== undefined) text += value;
  };
  parser.oncdata = parser.ontext;
  parser.onclosetag = (name) => {
    if (name !== 'entry' || key === undefined) return;
    if (!entries.has(key)) entries.set(key, text.trim());
    key = undefined;
  };
  parser.ondoctype = () => {
    throw new Error('a DOCTYPE is not allowed in a preferences file');
  };
  parser.write(xml).close();
  return entries;
}

/** `<Parameter name="name" value="..."/>` of a MANIFEST/manifest.xml, when there is one. */
function manifestName(xml: string): string | undefined {
  const match = /<Parameter\s+name="name"\s+value="([^"]*)"/.exec(xml);
  return match?.[1];
}

function baseName(path: string): string {
  const parts = path.replace(/\\/g, '/').split('/');
  return (parts[parts.length - 1] ?? '').toLowerCase();
}

/** The zip entry a preference's path names: the device path (`/sdcard/atak/cert/user.p12`) ends like it. */
function findEntry(files: Map<string, Buffer>, location: string): [string, Buffer] | undefined {
  const wantedPath = location.replace(/\\/g, '/').toLowerCase();
  const wantedBase = baseName(location);
  let byBase: [string, Buffer] | undefined;
  for (const [name, data] of files) {
    const path = name.toLowerCase();
    if (path === wantedPath || wantedPath.endsWith(`/${path}`) || path.endsWith(`/${wantedPath}`))
      return [name, data];
    if (byBase === undefined && baseName(name) === wantedBase) byBase = [name, data];
  }
  return byBase;
}

function preference(prefs: Map<string, string>, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = prefs.get(key);
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

function opened<T>(file: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof TlsError) {
      throw new TlsError(error.code, `${file} in the data package: ${error.message}`, file, { cause: error });
    }
    throw error;
  }
}

/**
 * Reads a TAK Server connection data package (.zip bytes). Throws TlsError: ERR_TLS_DATA_PACKAGE when it is
 * not a zip or names no server, ERR_TLS_BAD_PASSWORD / ERR_TLS_BAD_FILE when a .p12 in it cannot be opened.
 */
export function readDataPackage(zip: Uint8Array, now: Date = new Date()): DataPackage {
  const files = unzip(zip);
  const prefs = new Map<string, string>();
  let manifest: string | undefined;
  for (const [name, data] of files) {
    const lower = name.toLowerCase();
    if (lower.endsWith('manifest.xml')) manifest ??= manifestName(data.toString('utf8'));
    if (!lower.endsWith('.pref')) continue;
    let entries: Map<string, string>;
    try {
      entries = readPreferences(data.toString('utf8'));
    } catch (error) {
      fail(`${name} in the data package is not a readable preferences file`, error);
    }
    for (const [key, value] of entries) if (!prefs.has(key)) prefs.set(key, value);
  }
  if (prefs.size === 0) {
    fail(
      'the zip holds no .pref file: it is not a TAK Server connection data package (those carry a .pref and the .p12 certificates)',
    );
  }
  const connectString = preference(prefs, 'connectString0');
  if (connectString === undefined) {
    fail('the data package names no server (no connectString0 in its .pref)');
  }
  let target;
  try {
    target = parseConnectString(connectString);
  } catch (error) {
    fail(`the data package's server "${connectString}" cannot be read: ${(error as Error).message}`, error);
  }
  const warnings: string[] = [];
  const count = Number(prefs.get('count') ?? '1');
  if (Number.isInteger(count) && count > 1) {
    warnings.push(`the package lists ${count} servers; the first one (${connectString}) was taken`);
  }
  const enrollment = /^true$/i.test(preference(prefs, 'enrollForCertificateWithTrust0') ?? '');

  const p12Files = [...files.keys()].filter((name) => /\.(p12|pfx)$/i.test(name));
  const password = (kind: 'client' | 'ca'): string => {
    const given =
      kind === 'client'
        ? preference(prefs, 'clientPassword0', 'clientPassword')
        : preference(prefs, 'caPassword0', 'caPassword');
    if (given !== undefined) return given;
    warnings.push(
      `the package gives no ${kind === 'client' ? 'client certificate' : 'truststore'} password; TAK Server's default (${TAK_DEFAULT_CERT_PASSWORD}) was used`,
    );
    return TAK_DEFAULT_CERT_PASSWORD;
  };

  const caLocation = preference(prefs, 'caLocation0', 'caLocation');
  let caEntry = caLocation !== undefined ? findEntry(files, caLocation) : undefined;
  if (caLocation !== undefined && caEntry === undefined) {
    warnings.push(`the truststore ${caLocation} named in the .pref is not in the package`);
  }
  const certLocation = preference(prefs, 'certificateLocation0', 'certificateLocation');
  let certEntry = certLocation !== undefined ? findEntry(files, certLocation) : undefined;
  if (certLocation !== undefined && certEntry === undefined) {
    warnings.push(`the client certificate ${certLocation} named in the .pref is not in the package`);
  }
  // .p12 files the .pref does not name are sorted by what they hold: a key makes it the client's.
  const candidates = [
    preference(prefs, 'clientPassword0', 'clientPassword'),
    preference(prefs, 'caPassword0', 'caPassword'),
    TAK_DEFAULT_CERT_PASSWORD,
  ];
  const kindOf = (data: Buffer): 'client' | 'trust' | undefined => {
    for (const candidate of candidates) {
      if (candidate === undefined) continue;
      try {
        return readPkcs12(data, candidate, 'certificate').keys.length > 0 ? 'client' : 'trust';
      } catch {
        // not this password
      }
    }
    return undefined;
  };
  for (const name of p12Files) {
    if (name === caEntry?.[0] || name === certEntry?.[0]) continue;
    const data = files.get(name) as Buffer;
    const kind = caLocation === undefined || certLocation === undefined ? kindOf(data) : undefined;
    if (kind === 'trust' && caEntry === undefined && caLocation === undefined) caEntry = [name, data];
    if (kind === 'client' && certEntry === undefined && certLocation === undefined && !enrollment) {
      certEntry = [name, data];
    }
  }

  let trust: DataPackage['trust'];
  if (caEntry) {
    const entry = caEntry;
    const caPassword = password('ca');
    const store = opened(entry[0], () => loadTrustStore({ data: entry[1], password: caPassword }));
    trust = { file: entry[0], data: entry[1], password: caPassword, store };
  }

  let client: DataPackage['client'];
  if (certEntry) {
    const entry = certEntry;
    const clientPassword = password('client');
    const identity = opened(entry[0], () => loadIdentity({ cert: entry[1], password: clientPassword }));
    client = { file: entry[0], data: entry[1], password: clientPassword, identity };
    const dates = describeValidity(identity.certificate, 'the client certificate', now);
    if (dates) warnings.push(dates);
  } else if (enrollment) {
    warnings.push(
      'the package asks for certificate enrollment (TAK Server port 8446) and carries no client certificate: ask the server admin for a client .p12 (makeCert.sh client NAME) and add it',
    );
  } else if (target.protocol === 'tls') {
    warnings.push(
      'the package carries no client certificate; most TAK Servers require one on their TLS port',
    );
  }
  if (trust === undefined && target.protocol === 'tls') {
    warnings.push(
      "the package carries no truststore: the server's certificate is checked against the public CAs, which a TAK Server's own CA is not among",
    );
  }

  return {
    host: target.host,
    port: target.port,
    protocol: target.protocol,
    connectString,
    description: preference(prefs, 'description0') ?? manifest,
    client,
    trust,
    enrollment,
    warnings,
  };
}
