/**
 * Data packages on TAK Server's web API (Marti): upload as ATAK does (`POST /Marti/sync/missionupload` with
 * hash, filename and creator uid, multipart field `assetfile`; `/Marti/sync/upload` where a server only has
 * that), mark it listed (`PUT /Marti/api/sync/metadata/<hash>/tool`), download by hash or URL with the size
 * limit and the SHA-256 and size checked, and search. Over mutual TLS (8443) or plain HTTP (taky,
 * FreeTAKServer's 8080).
 */
import { createHash, randomBytes } from 'node:crypto';
import { WebError, WebErrorCode } from './errors';
import { looksLikeHtml } from './enroll-answer';
import { DEFAULT_MAX_PACKAGE_BYTES } from './package-zip';
import { DEFAULT_WEB_TIMEOUT_MS, webRequest, type WebAnswer, type WebTls } from './request';

/** TAK Server's web API with client certificates. */
export const DEFAULT_MARTI_TLS_PORT = 8443;
/** Search answers list packages, a few hundred bytes each. */
const MAX_SEARCH_ANSWER_BYTES = 4 * 1024 * 1024;

export interface MartiEndpoint {
  host: string;
  port: number;
  /** Mutual TLS (our identity, the server's CA); absent: plain HTTP. */
  tls?: WebTls;
  timeoutMs?: number;
}

export interface UploadRequest {
  bytes: Buffer;
  /** The file name the server lists it under, e.g. `photo.zip`. */
  fileName: string;
  creatorUid: string;
  /** `public` lists it for everyone (ATAK's default when sharing); `private` does not. Default public. */
  tool?: 'public' | 'private';
}

export interface UploadResult {
  /** SHA-256 of the bytes, lower-case hex: the package's name on the server. */
  hash: string;
  /** Where receivers fetch it (the server's answer, or `/Marti/sync/content?hash=`). */
  url: string;
  /** Which endpoint took it. */
  endpoint: 'missionupload' | 'upload';
  /** The metadata request failed: the package is stored but may not be listed. */
  warnings: string[];
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function base(endpoint: MartiEndpoint): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${endpoint.tls ? 'https' : 'http'}://${host}:${endpoint.port}`;
}

function request(
  endpoint: MartiEndpoint,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  options: { headers?: Record<string, string>; body?: Buffer | string; maxAnswerBytes?: number } = {},
): Promise<WebAnswer> {
  return webRequest({
    host: endpoint.host,
    port: endpoint.port,
    method,
    path,
    timeoutMs: endpoint.timeoutMs ?? DEFAULT_WEB_TIMEOUT_MS,
    ...(endpoint.tls ? { tls: endpoint.tls } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.body !== undefined ? { body: options.body } : {}),
    ...(options.maxAnswerBytes !== undefined ? { maxAnswerBytes: options.maxAnswerBytes } : {}),
  });
}

/** Redirects and web pages are a login page or a proxy's error page, never the API: say so. */
function notAPage(answer: WebAnswer, what: string): void {
  if (answer.status >= 300 && answer.status < 400) {
    const location =
      typeof answer.headers.location === 'string' ? ` to ${answer.headers.location.slice(0, 200)}` : '';
    throw new WebError(
      WebErrorCode.HTML_PAGE,
      `the server redirected ${what}${location} (${answer.status}), probably to a login page: use the API port (TAK Server 8443 with a client certificate) or the server's plain data-package port`,
      { status: answer.status },
    );
  }
  if (looksLikeHtml(answer.body)) {
    throw new WebError(
      WebErrorCode.HTML_PAGE,
      `the server answered ${what} with a web page (HTTP ${answer.status}), not the API: check the port and that the API is not behind a login`,
      { status: answer.status },
    );
  }
}

function refused(answer: WebAnswer, what: string): WebError {
  const said = answer.body
    .toString('utf8')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .trim()
    .slice(0, 200);
  const hint =
    answer.status === 401 || answer.status === 403
      ? 'the server does not accept our certificate or user for this: check the client certificate and its groups'
      : "check the server's log";
  return new WebError(
    WebErrorCode.PACKAGE_REFUSED,
    `the server refused ${what} (HTTP ${answer.status}${said ? `: ${said}` : ''}): ${hint}`,
    { status: answer.status },
  );
}

function multipart(field: string, fileName: string, bytes: Buffer): { body: Buffer; contentType: string } {
  const boundary = `----takpak${randomBytes(12).toString('hex')}`;
  const quoted = fileName.replace(/["\r\n\\]/g, '_');
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${quoted}"\r\n` +
      `Content-Type: application/x-zip-compressed\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    body: Buffer.concat([head, bytes, tail]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/**
 * Uploads a package and marks it listed. Throws WebError: ERR_PACKAGE_REFUSED, ERR_WEB_HTML_PAGE and the
 * connection's ERR_WEB_* codes.
 */
export async function uploadPackage(endpoint: MartiEndpoint, upload: UploadRequest): Promise<UploadResult> {
  const hash = sha256Hex(upload.bytes);
  const query = `hash=${hash}&filename=${encodeURIComponent(upload.fileName)}&creatorUid=${encodeURIComponent(upload.creatorUid)}`;
  const form = multipart('assetfile', upload.fileName, upload.bytes);
  let used: UploadResult['endpoint'] = 'missionupload';
  let answer = await request(endpoint, 'POST', `/Marti/sync/missionupload?${query}`, {
    headers: { 'Content-Type': form.contentType },
    body: form.body,
  });
  if (answer.status === 404) {
    // iTAK's endpoint, and the one some servers have instead: the bytes as the body.
    used = 'upload';
    answer = await request(
      endpoint,
      'POST',
      `/Marti/sync/upload?name=${encodeURIComponent(upload.fileName)}&keywords=missionpackage&creatorUid=${encodeURIComponent(upload.creatorUid)}`,
      { headers: { 'Content-Type': 'application/x-zip-compressed' }, body: upload.bytes },
    );
  }
  notAPage(answer, 'the upload');
  if (answer.status < 200 || answer.status >= 300) throw refused(answer, 'the upload');
  const said = answer.body.toString('utf8').trim();
  const url =
    /^https?:\/\/\S+$/.test(said) && said.length < 2048
      ? said
      : `${base(endpoint)}/Marti/sync/content?hash=${hash}`;
  const warnings: string[] = [];
  const tool = await request(endpoint, 'PUT', `/Marti/api/sync/metadata/${hash}/tool`, {
    headers: { 'Content-Type': 'text/plain' },
    body: upload.tool ?? 'public',
  }).catch((error: unknown) => error as Error);
  if (tool instanceof Error) {
    warnings.push(`the package is stored but marking it ${upload.tool ?? 'public'} failed (${tool.message})`);
  } else if (tool.status < 200 || tool.status >= 300) {
    warnings.push(
      `the package is stored but the server refused to mark it ${upload.tool ?? 'public'} (HTTP ${tool.status}): it may not be listed`,
    );
  }
  return { hash, url, endpoint: used, warnings };
}

export interface DownloadRequest {
  /** The package's SHA-256 (hex): fetched from /Marti/sync/content?hash= and checked. */
  hash?: string;
  /** Or a URL from a file-share event (senderUrl). Only its path and query are used: the host is ours. */
  url?: string;
  /** The announced size in bytes, checked when given. */
  size?: number;
  maxBytes?: number;
}

/** The path and query of a senderUrl; the host and port are the endpoint's, never one an event names. */
function pathOf(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebError(WebErrorCode.BAD_REQUEST, `"${url.slice(0, 200)}" is not a URL`);
  }
  return `${parsed.pathname}${parsed.search}`;
}

/**
 * Fetches a package by hash or URL and checks it. Throws WebError: ERR_PACKAGE_NOT_FOUND, ERR_PACKAGE_TOO_BIG,
 * ERR_PACKAGE_MISMATCH, ERR_PACKAGE_REFUSED, ERR_WEB_HTML_PAGE and the connection's ERR_WEB_* codes.
 */
export async function downloadPackage(endpoint: MartiEndpoint, download: DownloadRequest): Promise<Buffer> {
  const maxBytes = download.maxBytes ?? DEFAULT_MAX_PACKAGE_BYTES;
  const hash = download.hash?.trim().toLowerCase();
  if (hash !== undefined && !/^[0-9a-f]{64}$/.test(hash)) {
    throw new WebError(
      WebErrorCode.BAD_REQUEST,
      `"${hash.slice(0, 80)}" is not a SHA-256 hash (64 hex digits)`,
    );
  }
  if (download.size !== undefined && download.size > maxBytes) {
    throw new WebError(
      WebErrorCode.PACKAGE_TOO_BIG,
      `the package is announced as ${download.size} bytes, over the limit of ${maxBytes}: not fetched (raise the limit if it is expected)`,
    );
  }
  let path: string;
  if (download.url) path = pathOf(download.url);
  else if (hash) path = `/Marti/sync/content?hash=${hash}`;
  else throw new WebError(WebErrorCode.BAD_REQUEST, 'give the package hash or its URL');
  let answer: WebAnswer;
  try {
    answer = await request(endpoint, 'GET', path, { maxAnswerBytes: maxBytes });
  } catch (error) {
    if (error instanceof WebError && error.code === WebErrorCode.TOO_BIG) {
      throw new WebError(
        WebErrorCode.PACKAGE_TOO_BIG,
        `the package is larger than the limit of ${maxBytes} bytes: refused (raise the limit if it is expected)`,
        { cause: error },
      );
    }
    throw error;
  }
  if (answer.status === 404) {
    throw new WebError(
      WebErrorCode.PACKAGE_NOT_FOUND,
      `the server has no package ${hash ?? path}: it was deleted or never uploaded`,
      {
        status: 404,
      },
    );
  }
  notAPage(answer, 'the download');
  if (answer.status !== 200) throw refused(answer, 'the download');
  const body = answer.body;
  if (download.size !== undefined && body.length !== download.size) {
    throw new WebError(
      WebErrorCode.PACKAGE_MISMATCH,
      `the package fetched is ${body.length} bytes, not the ${download.size} announced: refused (damaged or replaced)`,
    );
  }
  const actual = sha256Hex(body);
  if (hash !== undefined && actual !== hash) {
    throw new WebError(
      WebErrorCode.PACKAGE_MISMATCH,
      `the package fetched has SHA-256 ${actual}, not the ${hash} announced: refused (damaged or replaced)`,
    );
  }
  return body;
}

export interface PackageListing {
  hash: string;
  name: string;
  size: number | undefined;
  creatorUid: string | undefined;
  tool: string | undefined;
}

/** The packages the server lists (`GET /Marti/sync/search`), optionally by keywords. */
export async function searchPackages(endpoint: MartiEndpoint, keywords?: string): Promise<PackageListing[]> {
  const query = keywords ? `?keywords=${encodeURIComponent(keywords)}` : '';
  const answer = await request(endpoint, 'GET', `/Marti/sync/search${query}`, {
    maxAnswerBytes: MAX_SEARCH_ANSWER_BYTES,
  });
  notAPage(answer, 'the search');
  if (answer.status !== 200) throw refused(answer, 'the search');
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body.toString('utf8'));
  } catch (error) {
    throw new WebError(WebErrorCode.BAD_ANSWER, "the server's search answer is not JSON", { cause: error });
  }
  const results = (parsed as { results?: unknown }).results;
  if (!Array.isArray(results))
    throw new WebError(WebErrorCode.BAD_ANSWER, "the server's search answer has no results list");
  return results.flatMap((item: unknown) => {
    const row = item as Record<string, unknown>;
    const hash =
      typeof row.Hash === 'string' ? row.Hash : typeof row.hash === 'string' ? row.hash : undefined;
    if (hash === undefined) return [];
    const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
    const size = Number(row.Size ?? row.size);
    return [
      {
        hash,
        name: text(row.Name ?? row.name) ?? hash,
        size: Number.isFinite(size) ? size : undefined,
        creatorUid: text(row.CreatorUid ?? row.creatorUid),
        tool: text(row.Tool ?? row.tool),
      },
    ];
  });
}
