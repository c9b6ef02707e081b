/**
 * Data packages: built and read in memory (hostile zips refused), uploaded to and fetched from a TAK Server-like
 * web API on 127.0.0.1 over mutual TLS and over plain HTTP, hostile answers refused, and the file-share event.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { zipSync, strToU8 } from 'fflate';
import { parseCot } from '../src/cot/parse';
import { serializeEvent } from '../src/cot/serialize';
import {
  buildDataPackage,
  downloadPackage,
  fileShareEvent,
  readDataPackageZip,
  readFileShare,
  searchPackages,
  uploadPackage,
  WebError,
  WebErrorCode,
  type MartiEndpoint,
} from '../src/web';
import { startMartiServer, type MartiServer } from './helpers/marti-server';
import { makePki, SERVER_NAME, type TestPki } from './helpers/tls-pki';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function throwsCode(work: () => unknown, code: string, message?: RegExp): void {
  assert.throws(work, (error: unknown) => {
    assert.ok(error instanceof WebError, `a WebError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

async function rejectsCode(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const error = await promise.then(
    () => assert.fail(`expected ${code}`),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof WebError, `a WebError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  if (message) assert.match(error.message, message);
}

/** A JPEG's first bytes and noise: what a camera still looks like to a zip. */
const jpeg = (): Buffer => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(40_000)]);

describe('data package zips, in memory', () => {
  it('a plain file becomes a package with a manifest naming it, and reads back byte for byte', () => {
    const file = jpeg();
    const built = buildDataPackage(file, 'C:\\photos\\still "1" <a>.jpg', { name: 'Still & report' });
    assert.equal(built.entry, `${built.uid}/still "1" <a>.jpg`);
    const read = readDataPackageZip(built.zip);
    assert.equal(read.hasManifest, true);
    assert.equal(read.uid, built.uid);
    assert.equal(read.name, 'Still & report');
    assert.equal(read.entries.length, 1);
    assert.equal(read.entries[0]?.path, built.entry);
    assert.ok(read.entries[0]?.bytes.equals(file));
  });

  it('refuses paths that leave the package, before unpacking anything', () => {
    for (const name of ['../evil.sh', 'a/../../evil.sh', '/etc/cron.d/x', 'C:/Windows/x', '..\\evil.bat']) {
      const zip = Buffer.from(zipSync({ [name]: strToU8('x'), 'MANIFEST/manifest.xml': strToU8('<x/>') }));
      throwsCode(() => readDataPackageZip(zip), WebErrorCode.PACKAGE_UNSAFE, /leaves the package/);
    }
  });

  it('refuses a zip bomb, a package over the limit, too many files, and what is not a zip', () => {
    const bomb = Buffer.from(zipSync({ 'zeros.bin': new Uint8Array(30 * 1024 * 1024) }, { level: 9 }));
    assert.ok(bomb.length < 100_000, 'the bomb is small');
    throwsCode(() => readDataPackageZip(bomb), WebErrorCode.PACKAGE_UNSAFE, /zip bomb/);
    throwsCode(
      () => readDataPackageZip(bomb, 1024 * 1024),
      WebErrorCode.PACKAGE_TOO_BIG,
      /inflates to more than/,
    );
    const big = buildDataPackage(jpeg(), 'a.jpg').zip;
    throwsCode(() => readDataPackageZip(big, 1000), WebErrorCode.PACKAGE_TOO_BIG, /over the limit/);
    const many: Record<string, Uint8Array> = {};
    for (let i = 0; i < 1001; i++) many[`f${i}`] = strToU8('x');
    throwsCode(
      () => readDataPackageZip(Buffer.from(zipSync(many))),
      WebErrorCode.PACKAGE_UNSAFE,
      /more than 1000 files/,
    );
    throwsCode(() => readDataPackageZip(Buffer.from('<html>not a zip</html>')), WebErrorCode.PACKAGE_BAD);
  });

  it('a zip whose entry lies about its size does not inflate past the limit', () => {
    const zip = Buffer.from(zipSync({ 'zeros.bin': new Uint8Array(8 * 1024 * 1024) }, { level: 9 }));
    // Make the central directory and the local header claim 1000 bytes (uncompressed size fields).
    const central = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(1000, central + 24);
    zip.writeUInt32LE(1000, 22);
    try {
      const read = readDataPackageZip(zip, 1024 * 1024);
      const total = read.entries.reduce((sum, entry) => sum + entry.bytes.length, 0);
      assert.ok(total <= 1000, `inflated ${total} bytes, no more than the entry declared`);
    } catch (error) {
      assert.ok(error instanceof WebError, `refused with a WebError, got ${String(error)}`);
    }
  });
});

describe('the file-share event', () => {
  it('announces a package to everyone or to callsigns, and reads back from its XML', () => {
    const share = {
      filename: 'still.zip',
      name: 'Still',
      senderUrl: 'https://tak.example:8443/Marti/sync/content?hash=ab',
      sizeInBytes: 1234,
      sha256: 'AB'.repeat(32),
      senderUid: 'uid-gw',
      senderCallsign: 'GATEWAY',
    };
    const event = fileShareEvent({ ...share, to: ['ALPHA', ' BRAVO '] }, Date.parse('2026-01-01T00:00:00Z'));
    assert.equal(event.type, 'b-f-t-r');
    const back = parseCot(serializeEvent(event));
    assert.deepEqual(readFileShare(back), { ...share, sha256: 'ab'.repeat(32) });
    assert.deepEqual(back.detail?.marti, { dest: [{ callsign: 'ALPHA' }, { callsign: 'BRAVO' }] });
    assert.equal(fileShareEvent(share).detail?.marti, undefined, 'no marti: to everyone');
    assert.equal(readFileShare({ ...back, type: 'a-f-G' }), undefined);
  });
});

describe('the Marti web API on 127.0.0.1', () => {
  let pki: TestPki;
  let server: MartiServer;

  before(() => {
    pki = makePki();
  });
  after(() => pki.cleanup());
  afterEach(async () => {
    await server?.close();
  });

  function mutualTls(identity = pki.alpha): MartiEndpoint {
    return {
      host: '127.0.0.1',
      port: server.port,
      tls: { ca: [pki.ca.cert], cert: identity.cert, key: identity.key, serverName: SERVER_NAME },
    };
  }

  it('uploads as ATAK does over mutual TLS, lists it, and fetches it byte-identical by hash and by URL', async () => {
    server = await startMartiServer(pki);
    const built = buildDataPackage(jpeg(), 'still.jpg');
    const uploaded = await uploadPackage(mutualTls(), {
      bytes: built.zip,
      fileName: 'still.zip',
      creatorUid: 'uid-gw',
    });
    assert.equal(uploaded.hash, sha256(built.zip));
    assert.equal(uploaded.endpoint, 'missionupload');
    assert.deepEqual(uploaded.warnings, []);
    assert.equal(uploaded.url, `https://127.0.0.1:${server.port}/Marti/sync/content?hash=${uploaded.hash}`);
    const stored = server.packages.get(uploaded.hash);
    assert.equal(stored?.name, 'still.zip');
    assert.equal(stored?.creatorUid, 'uid-gw');
    assert.equal(stored?.tool, 'public');
    assert.equal(stored?.uploader, 'alpha', 'the server knew us by our certificate');
    const listed = await searchPackages(mutualTls());
    assert.deepEqual(
      listed.map((row) => [row.hash, row.name, row.size]),
      [[uploaded.hash, 'still.zip', built.zip.length]],
    );
    const byHash = await downloadPackage(mutualTls(pki.bravo), {
      hash: uploaded.hash,
      size: built.zip.length,
    });
    assert.ok(byHash.equals(built.zip));
    const byUrl = await downloadPackage(mutualTls(pki.bravo), { url: uploaded.url, hash: uploaded.hash });
    assert.ok(byUrl.equals(built.zip));
  });

  it('falls back to /Marti/sync/upload where missionupload is absent', async () => {
    server = await startMartiServer(pki);
    const bytes = buildDataPackage(Buffer.from('report'), 'r.txt').zip;
    server.handlers.set('/Marti/sync/missionupload', (_request, res) => res.writeHead(404).end());
    server.handlers.set('/Marti/sync/upload', (request, res) => {
      const hash = sha256(request.body);
      server.packages.set(hash, {
        bytes: request.body,
        name: request.url.searchParams.get('name') ?? '',
        creatorUid: '',
        tool: undefined,
        uploader: undefined,
      });
      res.writeHead(200).end(`https://127.0.0.1:${server.port}/Marti/sync/content?hash=${hash}`);
    });
    const uploaded = await uploadPackage(mutualTls(), { bytes, fileName: 'r.zip', creatorUid: 'uid-gw' });
    assert.equal(uploaded.endpoint, 'upload');
    assert.ok(server.packages.get(uploaded.hash)?.bytes.equals(bytes));
  });

  it('works over plain HTTP, as taky and FreeTAKServer offer it', async () => {
    server = await startMartiServer(undefined);
    const bytes = buildDataPackage(jpeg(), 'a.jpg').zip;
    const endpoint = { host: '127.0.0.1', port: server.port };
    const uploaded = await uploadPackage(endpoint, { bytes, fileName: 'a.zip', creatorUid: 'u' });
    assert.match(uploaded.url, /^http:\/\//);
    assert.ok((await downloadPackage(endpoint, { hash: uploaded.hash })).equals(bytes));
  });

  it('refuses hostile answers: wrong hash, wrong size, over the limit, gone, a login page, a redirect', async () => {
    server = await startMartiServer(pki);
    const bytes = buildDataPackage(jpeg(), 'a.jpg').zip;
    const hash = sha256(bytes);
    server.packages.set(hash, { bytes, name: 'a.zip', creatorUid: '', tool: 'public', uploader: undefined });
    await rejectsCode(
      downloadPackage(mutualTls(), { hash, size: bytes.length + 1 }),
      WebErrorCode.PACKAGE_MISMATCH,
      /not the/,
    );
    await rejectsCode(downloadPackage(mutualTls(), { hash, maxBytes: 1000 }), WebErrorCode.PACKAGE_TOO_BIG);
    await rejectsCode(
      downloadPackage(mutualTls(), { hash, size: bytes.length, maxBytes: 1000 }),
      WebErrorCode.PACKAGE_TOO_BIG,
      /announced/,
    );
    await rejectsCode(downloadPackage(mutualTls(), { hash: 'f'.repeat(64) }), WebErrorCode.PACKAGE_NOT_FOUND);
    await rejectsCode(downloadPackage(mutualTls(), { hash: 'not-a-hash' }), WebErrorCode.BAD_REQUEST);
    server.handlers.set('/Marti/sync/content', (_request, res) =>
      res.writeHead(200).end(Buffer.from('replaced bytes')),
    );
    await rejectsCode(downloadPackage(mutualTls(), { hash }), WebErrorCode.PACKAGE_MISMATCH, /SHA-256/);
    server.handlers.set('/Marti/sync/content', (_request, res) =>
      res
        .writeHead(200, { 'Content-Type': 'text/html' })
        .end('<!DOCTYPE html><html><body>Sign in</body></html>'),
    );
    await rejectsCode(downloadPackage(mutualTls(), { hash }), WebErrorCode.HTML_PAGE, /web page/);
    server.handlers.set('/Marti/sync/content', (_request, res) =>
      res.writeHead(302, { Location: '/login' }).end(),
    );
    await rejectsCode(downloadPackage(mutualTls(), { hash }), WebErrorCode.HTML_PAGE, /login/);
    server.handlers.set('/Marti/sync/missionupload', (_request, res) =>
      res.writeHead(403).end('not in group'),
    );
    await rejectsCode(
      uploadPackage(mutualTls(), { bytes, fileName: 'a.zip', creatorUid: 'u' }),
      WebErrorCode.PACKAGE_REFUSED,
      /HTTP 403: not in group/,
    );
  });

  it('a download from a senderUrl goes to our server, never to the host the event names', async () => {
    server = await startMartiServer(pki);
    const bytes = buildDataPackage(Buffer.from('x'), 'x.txt').zip;
    const hash = sha256(bytes);
    server.packages.set(hash, { bytes, name: 'x.zip', creatorUid: '', tool: 'public', uploader: undefined });
    const fetched = await downloadPackage(mutualTls(), {
      url: `https://attacker.example:1/Marti/sync/content?hash=${hash}`,
      hash,
    });
    assert.ok(fetched.equals(bytes));
  });

  it('without a client certificate, mutual TLS refuses us with a code', async () => {
    server = await startMartiServer(pki);
    const endpoint: MartiEndpoint = {
      host: '127.0.0.1',
      port: server.port,
      tls: { ca: [pki.ca.cert], serverName: SERVER_NAME },
    };
    const error = await downloadPackage(endpoint, { hash: 'a'.repeat(64) }).then(
      () => assert.fail('expected a refusal'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof WebError);
    assert.ok([WebErrorCode.UNREACHABLE as string].includes(error.code), error.code);
    assert.equal(server.seen.length, 0);
  });
});
