/**
 * ATAK data packages (mission packages): a zip with `MANIFEST/manifest.xml` naming the package (uid, name) and
 * its files. Built here for a plain file; read here as hostile bytes: paths that leave the package (`../`,
 * absolute, drive letters) and entries that would inflate beyond the limits (a zip bomb) are refused before
 * anything is inflated, and nothing is ever written to disk.
 */
import { randomUUID } from 'node:crypto';
import { strToU8, unzipSync, zipSync, type UnzipFileInfo } from 'fflate';
import sax from 'sax';
import { WebError, WebErrorCode } from './errors';

/** A camera still, a PDF or a KML is a few MiB; 50 MiB is ATAK's own default limit for a shared file. */
export const DEFAULT_MAX_PACKAGE_BYTES = 50 * 1024 * 1024;
/** Files in one package, at most: ATAK packages hold a handful; thousands means a hostile zip. */
export const MAX_PACKAGE_ENTRIES = 1000;
/** Deflate rarely beats 20:1 on real files; a far higher ratio is a zip bomb, whatever the total. */
export const MAX_COMPRESSION_RATIO = 200;
/** The manifest is a few hundred bytes per file. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

export const MANIFEST_PATH = 'MANIFEST/manifest.xml';

export interface PackageEntry {
  /** Its path inside the zip, with / separators. */
  path: string;
  bytes: Buffer;
  /** The manifest marks it `ignore="true"` (not to be opened by the receiver). */
  ignore: boolean;
}

export interface DataPackageContents {
  /** From the manifest; undefined when the zip has none (a plain zip is still readable). */
  uid: string | undefined;
  name: string | undefined;
  /** Every file but the manifest, in zip order. */
  entries: PackageEntry[];
  hasManifest: boolean;
}

/** Characters below space (and DEL): never in a file name or an XML attribute we write. */
function withoutControls(text: string, keepWhitespace = false): string {
  return [...text]
    .filter((char) => {
      const code = char.charCodeAt(0);
      if (keepWhitespace && (code === 0x09 || code === 0x0a || code === 0x0d)) return true;
      return code >= 0x20 && code !== 0x7f;
    })
    .join('');
}

function hasControls(text: string): boolean {
  return withoutControls(text) !== text;
}

function xmlAttribute(text: string): string {
  return withoutControls(text, true)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** A file name safe inside a zip: the last path part, no control characters, never empty. */
export function safeFileName(name: string): string {
  const last = name.split(/[\\/]/).pop() ?? '';
  const cleaned = withoutControls(last).trim();
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'file' : cleaned.slice(0, 200);
}

/** True when the bytes are a zip (local file header "PK\x03\x04"). */
export function looksLikeZip(bytes: Buffer): boolean {
  return (
    bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04
  );
}

export interface BuiltPackage {
  zip: Buffer;
  uid: string;
  name: string;
  /** The file's path in the zip. */
  entry: string;
}

/**
 * A data package holding one file, as ATAK makes one to share a file: the file in a folder of its own and a
 * manifest with the package uid, its name and the file entry.
 */
export function buildDataPackage(
  file: Buffer,
  fileName: string,
  options: { uid?: string; name?: string } = {},
): BuiltPackage {
  const uid = options.uid ?? randomUUID();
  const safeName = safeFileName(fileName);
  const name = options.name ?? safeName;
  const entry = `${uid}/${safeName}`;
  const manifest =
    `<MissionPackageManifest version="2">\n  <Configuration>\n` +
    `    <Parameter name="uid" value="${xmlAttribute(uid)}"/>\n` +
    `    <Parameter name="name" value="${xmlAttribute(name)}"/>\n` +
    `  </Configuration>\n  <Contents>\n` +
    `    <Content ignore="false" zipEntry="${xmlAttribute(entry)}"/>\n` +
    `  </Contents>\n</MissionPackageManifest>\n`;
  const zip = zipSync({ [MANIFEST_PATH]: strToU8(manifest), [entry]: new Uint8Array(file) });
  return { zip: Buffer.from(zip), uid, name, entry };
}

function unsafe(message: string): never {
  throw new WebError(WebErrorCode.PACKAGE_UNSAFE, message);
}

/** A path inside the zip that stays inside it, with / separators; throws for one that does not. */
function checkedPath(raw: string): string {
  const path = raw.replace(/\\/g, '/');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.split('/').some((part) => part === '..')) {
    unsafe(
      `the data package holds a file "${raw.slice(0, 200)}" whose path leaves the package: refused, nothing was unpacked`,
    );
  }
  if (hasControls(path)) unsafe('the data package holds a file name with control characters: refused');
  return path;
}

interface Manifest {
  uid: string | undefined;
  name: string | undefined;
  ignored: Set<string>;
}

function readManifest(bytes: Uint8Array): Manifest {
  const manifest: Manifest = { uid: undefined, name: undefined, ignored: new Set() };
  const parser = sax.parser(true, { trim: true });
  let inConfiguration = false;
  parser.onopentag = (tag) => {
    const attributes = tag.attributes as Record<string, string>;
    if (tag.name === 'Configuration') inConfiguration = true;
    if (tag.name === 'Parameter' && inConfiguration) {
      if (attributes.name === 'uid') manifest.uid = attributes.value;
      if (attributes.name === 'name') manifest.name = attributes.value;
    }
    if (tag.name === 'Content' && attributes.ignore === 'true' && attributes.zipEntry) {
      manifest.ignored.add(attributes.zipEntry.replace(/\\/g, '/'));
    }
  };
  parser.onclosetag = (name) => {
    if (name === 'Configuration') inConfiguration = false;
  };
  try {
    parser.write(Buffer.from(bytes).toString('utf8')).close();
  } catch (error) {
    throw new WebError(
      WebErrorCode.PACKAGE_BAD,
      `the data package's manifest is not readable XML (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  return manifest;
}

/**
 * Opens a data package (or any zip) in memory. Throws WebError: ERR_PACKAGE_TOO_BIG (the zip or what it
 * inflates to is over `maxBytes`), ERR_PACKAGE_UNSAFE (paths leaving the package, a zip bomb),
 * ERR_PACKAGE_BAD (not a zip).
 */
export function readDataPackageZip(zip: Buffer, maxBytes = DEFAULT_MAX_PACKAGE_BYTES): DataPackageContents {
  if (zip.length > maxBytes) {
    throw new WebError(
      WebErrorCode.PACKAGE_TOO_BIG,
      `the data package is ${zip.length} bytes, over the limit of ${maxBytes}: raise the limit if it is expected`,
    );
  }
  if (!looksLikeZip(zip))
    throw new WebError(WebErrorCode.PACKAGE_BAD, 'this is not a zip file, so not a data package');
  let count = 0;
  let declared = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, {
      // Runs for every entry before it is inflated: the limits hold on what the zip declares.
      filter: (file: UnzipFileInfo) => {
        checkedPath(file.name);
        count += 1;
        if (count > MAX_PACKAGE_ENTRIES)
          unsafe(`the data package holds more than ${MAX_PACKAGE_ENTRIES} files: refused`);
        declared += file.originalSize;
        if (declared > maxBytes) {
          throw new WebError(
            WebErrorCode.PACKAGE_TOO_BIG,
            `the data package inflates to more than ${maxBytes} bytes: refused, nothing was unpacked (raise the limit if it is expected)`,
          );
        }
        if (file.originalSize > Math.max(file.size, 1024) * MAX_COMPRESSION_RATIO) {
          unsafe(
            `the data package's "${file.name.slice(0, 200)}" would inflate ${file.originalSize} bytes from ${file.size} (a zip bomb): refused, nothing was unpacked`,
          );
        }
        return !file.name.endsWith('/');
      },
    });
  } catch (error) {
    if (error instanceof WebError) throw error;
    throw new WebError(
      WebErrorCode.PACKAGE_BAD,
      `the data package is not a readable zip (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  let manifest: Manifest = { uid: undefined, name: undefined, ignored: new Set() };
  const entries: PackageEntry[] = [];
  let hasManifest = false;
  let inflated = 0;
  for (const [raw, bytes] of Object.entries(files)) {
    const path = checkedPath(raw);
    // What was inflated is counted too: a zip whose entries lie about their sizes is caught here.
    inflated += bytes.byteLength;
    if (inflated > maxBytes) {
      throw new WebError(
        WebErrorCode.PACKAGE_TOO_BIG,
        `the data package inflates to more than ${maxBytes} bytes: refused`,
      );
    }
    if (path.toLowerCase() === MANIFEST_PATH.toLowerCase()) {
      if (bytes.byteLength > MAX_MANIFEST_BYTES) unsafe('the data package manifest is too large to be one');
      manifest = readManifest(bytes);
      hasManifest = true;
      continue;
    }
    entries.push({ path, bytes: Buffer.from(bytes), ignore: manifest.ignored.has(path) });
  }
  // The manifest may come after the files it names.
  for (const entry of entries) entry.ignore = manifest.ignored.has(entry.path);
  return { uid: manifest.uid, name: manifest.name, entries, hasManifest };
}
