/**
 * One HTTP request to a TAK Server web port (8446 enrollment, 8443 API), over TLS or plain TCP, within a time
 * limit and an answer size limit. The TLS connection is made and its certificate judged before a byte of the
 * request (with its Basic auth credentials) is written: against the truststore when one is given, else against
 * the expected fingerprint when one is given, else accepted and reported (trust on first use, as ATAK does).
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { summarize, type CertificateSummary } from '../tls/certificate';
import { WebError, WebErrorCode } from './errors';

/** TAK Server signs a CSR in well under a second; 30 s without an answer means it will not come. */
export const DEFAULT_WEB_TIMEOUT_MS = 30_000;
/** Enrollment answers (config, certificate chain, keystore) are a few KiB; 1 MiB is far beyond any. */
export const DEFAULT_MAX_ANSWER_BYTES = 1024 * 1024;

export interface WebTls {
  /** CAs the server's certificate must come from (PEM). Absent: no chain check (see expectedFingerprint). */
  ca?: string[];
  /** Without `ca`: check the server against Node's public roots (a server with a public certificate). */
  publicRoots?: boolean;
  /** Our client certificate (PEM) and key, for mutual TLS on 8443. */
  cert?: string;
  key?: string;
  /** The name the server's certificate must carry when it is not `host` (a server reached by IP address). */
  serverName?: string;
  /**
   * SHA-256 fingerprint (hex, colons optional) the server's certificate must have when no `ca` is given: the one
   * the user saw and accepted on the first connection.
   */
  expectedFingerprint?: string;
}

export interface WebRequest {
  host: string;
  port: number;
  method: 'GET' | 'POST' | 'PUT';
  /** Path and query, e.g. `/Marti/api/tls/config`. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Absent: plain HTTP. */
  tls?: WebTls;
  timeoutMs?: number;
  maxAnswerBytes?: number;
}

export interface ServerCertificate {
  certificate: CertificateSummary;
  /**
   * 'truststore': signed by a CA of the truststore given; 'fingerprint': matches the expected fingerprint;
   * 'first-use': nothing to check it against, accepted as it is: show the fingerprint to the user.
   */
  trust: 'truststore' | 'fingerprint' | 'first-use';
}

export interface WebAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The server's certificate and how it was trusted (TLS only). */
  server: ServerCertificate | undefined;
}

/** Node's words for a certificate that does not chain to the CAs given, or does not name the host. */
const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** "AB:CD:..." upper case, whatever the user pasted (spaces, no colons, lower case). */
export function normalizeFingerprint(text: string): string {
  const hex = text.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  return hex.match(/.{1,2}/g)?.join(':') ?? '';
}

function where(request: WebRequest): string {
  return `${request.host}:${request.port}`;
}

function connectTls(request: WebRequest, options: WebTls, deadline: Promise<never>): Promise<tls.TLSSocket> {
  const serverName = options.serverName?.trim() || undefined;
  const sniName = serverName ?? request.host;
  const connect: tls.ConnectionOptions = {
    host: request.host,
    port: request.port,
    rejectUnauthorized: options.ca !== undefined || options.publicRoots === true,
  };
  if (net.isIP(sniName) === 0) connect.servername = sniName;
  if (options.ca) connect.ca = options.ca;
  if (options.cert && options.key) {
    connect.cert = options.cert;
    connect.key = options.key;
  }
  if (serverName !== undefined) {
    connect.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(serverName, cert);
  }
  const socket = tls.connect(connect);
  const ready = new Promise<tls.TLSSocket>((resolve, reject) => {
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== undefined && UNTRUSTED_CODES.has(error.code)) {
        reject(
          new WebError(
            WebErrorCode.UNTRUSTED,
            `the certificate of ${where(request)} is not trusted (${error.code}: ${error.message}): give the truststore of this server (its CA), or the name its certificate carries when you connect by address`,
            { cause: error },
          ),
        );
        return;
      }
      reject(
        new WebError(
          WebErrorCode.UNREACHABLE,
          `cannot connect to ${where(request)} over TLS (${messageOf(error)}): check the host, the port (TAK Server: 8446 to enroll, 8443 for the web API) and that the server is up`,
          { cause: error },
        ),
      );
    });
  });
  return Promise.race([ready, deadline]).catch((error: unknown) => {
    socket.destroy();
    throw error;
  });
}

function judge(socket: tls.TLSSocket, request: WebRequest, options: WebTls): ServerCertificate {
  const raw = socket.getPeerCertificate(false);
  if (!raw || !raw.raw) {
    throw new WebError(WebErrorCode.UNTRUSTED, `${where(request)} showed no certificate`);
  }
  const certificate = summarize(new X509Certificate(raw.raw));
  if (options.ca || options.publicRoots) return { certificate, trust: 'truststore' };
  if (options.expectedFingerprint) {
    const expected = normalizeFingerprint(options.expectedFingerprint);
    if (expected !== certificate.fingerprint256) {
      throw new WebError(
        WebErrorCode.UNTRUSTED,
        `the certificate of ${where(request)} has fingerprint ${certificate.fingerprint256}, not the expected ${expected}: the server's certificate changed, or this is not the server you trusted; ask its admin`,
      );
    }
    return { certificate, trust: 'fingerprint' };
  }
  return { certificate, trust: 'first-use' };
}

/**
 * Sends one request and reads the whole answer. Throws WebError: ERR_ENROLL_UNTRUSTED, ERR_ENROLL_UNREACHABLE,
 * ERR_ENROLL_TIMEOUT, ERR_ENROLL_BAD_ANSWER (answer too big). HTTP error statuses are returned, not thrown.
 */
export async function webRequest(request: WebRequest): Promise<WebAnswer> {
  const timeoutMs = request.timeoutMs ?? DEFAULT_WEB_TIMEOUT_MS;
  const maxAnswerBytes = request.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new WebError(
            WebErrorCode.TIMEOUT,
            `${where(request)} did not answer ${request.method} ${request.path.split('?')[0]} within ${timeoutMs} ms: the server is overloaded or this is not its web port; try again later`,
          ),
        ),
      timeoutMs,
    );
  });
  let socket: net.Socket | undefined;
  let pending: http.ClientRequest | undefined;
  try {
    let server: ServerCertificate | undefined;
    if (request.tls) {
      const secure = await connectTls(request, request.tls, deadline);
      socket = secure;
      server = judge(secure, request, request.tls);
    }
    const body = request.body === undefined ? undefined : Buffer.from(request.body);
    const headers: Record<string, string> = { ...request.headers };
    if (body) headers['Content-Length'] = String(body.length);
    const answer = new Promise<WebAnswer>((resolve, reject) => {
      const options: http.RequestOptions = {
        host: request.host,
        port: request.port,
        method: request.method,
        path: request.path,
        headers,
      };
      const connected = socket;
      // Our own connection, already judged; without one, a fresh agent (no pooled sockets between requests).
      if (connected) options.createConnection = () => connected;
      else options.agent = false;
      const req = http.request(options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxAnswerBytes) {
            req.destroy();
            reject(
              new WebError(
                WebErrorCode.TOO_BIG,
                `${where(request)} answered more than ${maxAnswerBytes} bytes to ${request.path.split('?')[0]}: more than the limit allows; raise the limit if this is expected`,
                { status: res.statusCode ?? 0 },
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), server }),
        );
        res.on('error', reject);
      });
      req.on('error', (error) =>
        reject(
          new WebError(
            WebErrorCode.UNREACHABLE,
            `${where(request)} broke off the request (${messageOf(error)}): check the host and port`,
            { cause: error },
          ),
        ),
      );
      pending = req;
      req.end(body);
    });
    return await Promise.race([answer, deadline]);
  } finally {
    clearTimeout(timer);
    pending?.destroy();
    socket?.destroy();
  }
}
