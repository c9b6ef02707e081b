/**
 * tak-package: files and data packages through TAK Server's web API, with the tak-config's host and
 * certificates. A Buffer in msg.payload is uploaded (a plain file wrapped in a data package first) and
 * announced with a file-share event; a file-share event (or a hash or URL) in msg.payload is downloaded,
 * checked and unpacked in memory.
 */
import type { CotEvent } from '../cot/model';
import { WebError, WebErrorCode } from '../web/errors';
import { readFileShare, fileShareEvent, type FileShare } from '../web/fileshare';
import { DEFAULT_MARTI_TLS_PORT, downloadPackage, uploadPackage, type MartiEndpoint } from '../web/marti';
import {
  buildDataPackage,
  DEFAULT_MAX_PACKAGE_BYTES,
  looksLikeZip,
  readDataPackageZip,
  safeFileName,
  type DataPackageContents,
} from '../web/package-zip';
import type { TakConfigNode } from './config-options';
import type { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction } from './red';
import { checkRuntime } from './runtime-check';
import { booleanSetting, numberSetting, secondsSetting, stringSetting } from './settings';
import { useConnection } from './use-connection';

/** taky's and FreeTAKServer's plain data-package port. */
const DEFAULT_MARTI_HTTP_PORT = 8080;

interface TakPackageDef extends NodeDef {
  server?: string;
  /** 'auto' (a Buffer uploads, anything else downloads), 'upload' or 'download'. */
  mode?: string;
  /** 'https' (mutual TLS with the tak-config's certificate) or 'http'. */
  apiProtocol?: string;
  apiPort?: string | number;
  /** Largest package up or down, MiB. */
  maxMb?: string | number;
  /** Announce an upload with a file-share event through the tak-config. */
  announce?: boolean | string;
  timeout?: string | number;
}

interface DownloadTarget {
  hash?: string;
  url?: string;
  size?: number;
  share?: FileShare;
}

function target(payload: unknown): DownloadTarget {
  if (typeof payload === 'string') {
    const text = payload.trim();
    if (/^[0-9a-fA-F]{64}$/.test(text)) return { hash: text };
    if (/^https?:\/\//.test(text)) return { url: text };
  } else if (typeof payload === 'object' && payload !== null) {
    const event = payload as Partial<CotEvent>;
    if (event.type !== undefined && event.detail !== undefined) {
      const share = readFileShare(event as CotEvent);
      if (share) {
        return {
          hash: share.sha256,
          url: share.senderUrl,
          ...(share.sizeInBytes >= 0 ? { size: share.sizeInBytes } : {}),
          share,
        };
      }
    }
    const fields = payload as { hash?: unknown; url?: unknown; size?: unknown };
    const result: DownloadTarget = {};
    if (typeof fields.hash === 'string') result.hash = fields.hash;
    if (typeof fields.url === 'string') result.url = fields.url;
    if (typeof fields.size === 'number') result.size = fields.size;
    if (result.hash !== undefined || result.url !== undefined) return result;
  }
  throw new WebError(
    WebErrorCode.BAD_REQUEST,
    'tak-package downloads a file-share event (from tak-receive), a SHA-256 hash, a URL or { hash, url, size }; to upload, give a Buffer',
  );
}

function recipients(to: unknown): string[] {
  if (Array.isArray(to)) return to.filter((item): item is string => typeof item === 'string');
  if (typeof to === 'string') return to.split(',');
  return [];
}

export = function register(RED: NodeAPI): void {
  checkRuntime(RED);
  function TakPackage(this: Node, def: TakPackageDef): void {
    RED.nodes.createNode(this, def);
    const config = def.server ? (RED.nodes.getNode(def.server) as TakConfigNode | null) : null;
    const connection = useConnection(RED, this, def.server, {});
    let settings: {
      mode: string;
      http: boolean;
      port: number;
      maxBytes: number;
      announce: boolean;
      timeoutMs: number;
    };
    try {
      const http = stringSetting(def.apiProtocol, 'https') === 'http';
      settings = {
        mode: stringSetting(def.mode, 'auto'),
        http,
        port: numberSetting(
          def.apiPort,
          http ? DEFAULT_MARTI_HTTP_PORT : DEFAULT_MARTI_TLS_PORT,
          'API port',
          1,
          65535,
        ),
        maxBytes: Math.round(
          numberSetting(def.maxMb, DEFAULT_MAX_PACKAGE_BYTES / 1024 / 1024, 'size limit (MiB)', 0.001, 4096) *
            1024 *
            1024,
        ),
        announce: booleanSetting(def.announce, true),
        timeoutMs: secondsSetting(def.timeout, 60_000, 'timeout', 1),
      };
    } catch (error) {
      this.error(error instanceof Error ? error.message : String(error));
      return;
    }

    const endpoint = (): MartiEndpoint => {
      const web = config?.webSide?.();
      if (!web) throw new WebError(WebErrorCode.BAD_REQUEST, RED._('tak-package.errors.noConfig'));
      const result: MartiEndpoint = { host: web.host, port: settings.port, timeoutMs: settings.timeoutMs };
      // A tak-config without TLS has no truststore to lend: check the API's certificate against the public roots.
      if (!settings.http) result.tls = web.tls ?? { publicRoots: true };
      return result;
    };

    const upload = async (msg: NodeMessage, bytes: Buffer): Promise<void> => {
      const web = config?.webSide?.();
      const fileName = safeFileName(typeof msg.filename === 'string' ? msg.filename : 'file');
      let zip = bytes;
      let name = typeof msg.name === 'string' && msg.name.trim() !== '' ? msg.name.trim() : fileName;
      let contents: DataPackageContents | undefined;
      if (looksLikeZip(bytes)) contents = readDataPackageZip(bytes, settings.maxBytes);
      if (contents?.hasManifest) {
        name = contents.name ?? name;
      } else {
        zip = buildDataPackage(bytes, fileName, { name }).zip;
      }
      if (zip.length > settings.maxBytes) {
        throw new WebError(
          WebErrorCode.PACKAGE_TOO_BIG,
          `the package is ${zip.length} bytes, over the limit of ${settings.maxBytes}: raise the node's size limit if it is expected`,
        );
      }
      const zipName = /\.zip$/i.test(name) ? name : `${name}.zip`;
      const uid = web?.uid ?? '';
      const result = await uploadPackage(endpoint(), { bytes: zip, fileName: zipName, creatorUid: uid });
      for (const warning of result.warnings) this.warn(warning);
      const event = fileShareEvent({
        filename: zipName,
        name,
        senderUrl: result.url,
        sizeInBytes: zip.length,
        sha256: result.hash,
        senderUid: uid,
        senderCallsign: web?.callsign ?? '',
        to: recipients(msg.to),
      });
      if (settings.announce) {
        if (!connection) throw new Error(RED._('tak-config.errors.noConnection'));
        connection.send(event);
      }
      msg.payload = { hash: result.hash, url: result.url, size: zip.length, name, event };
    };

    const download = async (msg: NodeMessage): Promise<void> => {
      const wanted = target(msg.payload);
      const request: { hash?: string; url?: string; size?: number; maxBytes: number } = {
        maxBytes: settings.maxBytes,
      };
      if (wanted.hash !== undefined) request.hash = wanted.hash;
      if (wanted.url !== undefined) request.url = wanted.url;
      if (wanted.size !== undefined) request.size = wanted.size;
      const bytes = await downloadPackage(endpoint(), request);
      const contents = looksLikeZip(bytes) ? readDataPackageZip(bytes, settings.maxBytes) : undefined;
      msg.payload = bytes;
      if (wanted.share) msg.filename = wanted.share.filename;
      msg.package = {
        hash: wanted.hash?.toLowerCase(),
        name: contents?.name ?? wanted.share?.name,
        uid: contents?.uid,
        from: wanted.share
          ? { uid: wanted.share.senderUid, callsign: wanted.share.senderCallsign }
          : undefined,
        entries: (contents?.entries ?? []).map((entry) => ({
          path: entry.path,
          size: entry.bytes.length,
          ignore: entry.ignore,
          bytes: entry.bytes,
        })),
      };
    };

    this.on('input', (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      const uploading =
        settings.mode === 'upload' || (settings.mode !== 'download' && Buffer.isBuffer(msg.payload));
      this.status({
        fill: 'blue',
        shape: 'dot',
        text: uploading ? 'tak-package.status.uploading' : 'tak-package.status.downloading',
      });
      const work = uploading
        ? Buffer.isBuffer(msg.payload)
          ? upload(msg, msg.payload)
          : Promise.reject(new WebError(WebErrorCode.BAD_REQUEST, RED._('tak-package.errors.notBuffer')))
        : download(msg);
      work.then(
        () => {
          this.status({
            fill: 'green',
            shape: 'dot',
            text: uploading ? 'tak-package.status.uploaded' : 'tak-package.status.downloaded',
          });
          send(msg);
          done();
        },
        (error: unknown) => {
          const code = (error as { code?: unknown }).code;
          this.status({
            fill: 'red',
            shape: 'ring',
            text: typeof code === 'string' ? code : 'tak-package.status.failed',
          });
          done(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  RED.nodes.registerType('tak-package', TakPackage);
};
