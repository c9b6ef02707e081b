/**
 * Certificate enrollment as ATAK does it on TAK Server's port 8446: ask for the certificate config with HTTP
 * Basic auth, make a key pair and a CSR with the subject asked for (CN = the username), post it to
 * `signClient/v2` (falling back to the older `signClient`, which answers a keystore), and turn the answer into
 * a client identity and a truststore the TLS client uses as they are. The key never leaves memory.
 */
import { randomUUID } from 'node:crypto';
import { loadIdentity, type TlsIdentity } from '../tls/identity';
import { loadTrustStore, type TrustStore } from '../tls/truststore';
import { makeKeyAndCsr } from './csr';
import { readCertificateConfig, readSignedAnswer, type AnswerFormat } from './enroll-answer';
import { parseEnrollLink } from './enroll-link';
import { WebError, WebErrorCode } from './errors';
import { webRequest, type ServerCertificate, type WebAnswer, type WebTls } from './request';

/** TAK Server's enrollment port. */
export const DEFAULT_ENROLL_PORT = 8446;
/** What we tell the server we are, in place of ATAK's version (TAK Server logs it, nothing more). */
export const ENROLL_CLIENT_VERSION = 'takpak';
/** Renew when this fraction of the certificate's lifetime has passed: early enough to retry for days. */
export const DEFAULT_RENEW_FRACTION = 2 / 3;

export interface EnrollOptions {
  host: string;
  /** Default 8446. */
  port?: number;
  username: string;
  /** The password or the enrollment link's token. */
  password: string;
  /** The uid the certificate is for (TAK Server records it); default a new UUID. */
  clientUid?: string;
  /** CAs the enrollment port's certificate must come from (PEM). Absent: see expectedFingerprint. */
  trust?: string[];
  /** The name in the server's certificate when it is not `host`. */
  serverName?: string;
  /** Without `trust`: the SHA-256 fingerprint the server's certificate must have (accepted on first use). */
  expectedFingerprint?: string;
  /** Per request. Default DEFAULT_WEB_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Passwords to open a keystore answer with; default TAK Server's atakatak, then none. */
  keystorePasswords?: string[];
}

export interface EnrollResult {
  /** Our new certificate and key (PEM, memory only) with the chain: the tak-config's client identity. */
  identity: TlsIdentity;
  /** The CA chain of the answer; undefined when the server sent none (use the truststore given). */
  trust: TrustStore | undefined;
  /** The enrollment port's certificate and how it was trusted ('first-use': show its fingerprint). */
  server: ServerCertificate;
  format: AnswerFormat;
  /** Which signing endpoint answered. */
  endpoint: 'signClient/v2' | 'signClient';
  clientUid: string;
  /** When to enroll again (ISO 8601): DEFAULT_RENEW_FRACTION of the lifetime unless told otherwise. */
  renewAt: string;
}

/** When a certificate valid from..to should be renewed: `fraction` of its lifetime in. */
export function renewalTime(validFrom: string, validTo: string, fraction = DEFAULT_RENEW_FRACTION): string {
  const from = Date.parse(validFrom);
  const to = Date.parse(validTo);
  const share = Math.min(Math.max(fraction, 0), 1);
  return new Date(from + (to - from) * share).toISOString();
}

function statusError(answer: WebAnswer, step: string, username: string): WebError {
  const status = answer.status;
  if (status === 401) {
    return new WebError(
      WebErrorCode.UNAUTHORIZED,
      `the server refused the username "${username}" and its password or token (401): check them, or ask the admin for a new enrollment link`,
      { status },
    );
  }
  if (status === 403) {
    return new WebError(
      WebErrorCode.FORBIDDEN,
      `the user "${username}" may not enroll for a certificate (403): ask the server's admin to allow it`,
      { status },
    );
  }
  if (status === 404) {
    return new WebError(
      WebErrorCode.DISABLED,
      `the server has no certificate enrollment at this address (404 on ${step}): check the port (TAK Server enrolls on 8446) or ask the admin to enable enrollment`,
      { status },
    );
  }
  if (status >= 300 && status < 400) {
    const location =
      typeof answer.headers.location === 'string' ? ` to ${answer.headers.location.slice(0, 200)}` : '';
    return new WebError(
      WebErrorCode.HTML_PAGE,
      `the server redirected ${step}${location} (${status}), probably to a login page: this is not TAK Server's enrollment port; check the port (8446)`,
      { status },
    );
  }
  return new WebError(
    WebErrorCode.BAD_ANSWER,
    `the server answered ${step} with HTTP ${status}: check the server's log`,
    { status },
  );
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

function checkOptions(options: EnrollOptions): void {
  const fail = (message: string): never => {
    throw new WebError(WebErrorCode.BAD_REQUEST, message);
  };
  if (!options.host?.trim()) fail('no server host given: give the TAK Server host name or address');
  if (!options.username) fail('no username given: give the username the admin gave you');
  if (options.username.includes(':')) fail('the username contains ":", which HTTP Basic auth cannot carry');
  if (!options.password) fail('no password or token given');
  const port = options.port ?? DEFAULT_ENROLL_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    fail(`the enrollment port ${port} is not a port number`);
}

/**
 * Enrolls for a client certificate. Throws WebError: ERR_ENROLL_BAD_REQUEST, ERR_ENROLL_UNAUTHORIZED (401),
 * ERR_ENROLL_FORBIDDEN (403), ERR_ENROLL_DISABLED (404), ERR_ENROLL_UNTRUSTED, ERR_ENROLL_CSR_REFUSED,
 * ERR_ENROLL_BAD_ANSWER, ERR_ENROLL_UNREACHABLE, ERR_ENROLL_TIMEOUT.
 */
export async function enroll(
  options: EnrollOptions,
  renewFraction = DEFAULT_RENEW_FRACTION,
): Promise<EnrollResult> {
  checkOptions(options);
  const host = options.host.trim();
  const port = options.port ?? DEFAULT_ENROLL_PORT;
  const clientUid = options.clientUid?.trim() || randomUUID();
  const tls: WebTls = {};
  if (options.trust && options.trust.length > 0) tls.ca = options.trust;
  if (options.serverName) tls.serverName = options.serverName;
  if (options.expectedFingerprint) tls.expectedFingerprint = options.expectedFingerprint;
  const authorization = basic(options.username, options.password);
  const base = {
    host,
    port,
    tls,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  };

  const config = await webRequest({
    ...base,
    method: 'GET',
    path: '/Marti/api/tls/config',
    headers: { Authorization: authorization, Accept: 'application/xml, application/json' },
  });
  if (config.status !== 200) throw statusError(config, 'the enrollment config request', options.username);
  const server = config.server as ServerCertificate;
  const entries = readCertificateConfig(config.body);
  const { key, csr } = makeKeyAndCsr(options.username, entries);

  const query = `clientUid=${encodeURIComponent(clientUid)}&version=${encodeURIComponent(ENROLL_CLIENT_VERSION)}`;
  const sign = (path: string, accept: string): Promise<WebAnswer> =>
    webRequest({
      ...base,
      method: 'POST',
      path,
      headers: { Authorization: authorization, 'Content-Type': 'application/pkcs10', Accept: accept },
      body: csr,
    });
  let endpoint: EnrollResult['endpoint'] = 'signClient/v2';
  let signed = await sign(`/Marti/api/tls/signClient/v2?${query}`, 'application/json');
  if (signed.status === 404) {
    // Servers before v2 (and PyTAK's fallback): the older endpoint answers a PKCS#12 keystore.
    endpoint = 'signClient';
    signed = await sign(`/Marti/api/tls/signClient?clientUid=${encodeURIComponent(clientUid)}`, '*/*');
  }
  if (
    signed.status === 401 ||
    signed.status === 403 ||
    signed.status === 404 ||
    (signed.status >= 300 && signed.status < 400)
  ) {
    throw statusError(signed, 'the signing request', options.username);
  }
  if (signed.status !== 200) {
    const said = signed.body
      .toString('utf8')
      .replace(/[^\x20-\x7e]+/g, ' ')
      .trim()
      .slice(0, 200);
    throw new WebError(
      WebErrorCode.CSR_REFUSED,
      `the server refused to sign our certificate request (HTTP ${signed.status}${said ? `: ${said}` : ''}): check the server's log; the user may already have a certificate it will not renew`,
      { status: signed.status },
    );
  }
  const answer = readSignedAnswer(signed.body, key, options.keystorePasswords);
  const chainPem = answer.chain.map((certificate) => certificate.toString()).join('');
  const identity = loadIdentity(
    { cert: `${answer.certificate.toString()}${chainPem}`, key },
    'enrolled certificate',
  );
  const trust = chainPem === '' ? undefined : loadTrustStore({ data: chainPem }, 'enrollment CA chain');
  return {
    identity,
    trust,
    server,
    format: answer.format,
    endpoint,
    clientUid,
    renewAt: renewalTime(identity.certificate.validFrom, identity.certificate.validTo, renewFraction),
  };
}

/** Enrolls with what an enrollment link carries (`tak://com.atakmap.app/enroll?...`), plus the other options. */
export function enrollWithLink(
  link: string,
  options: Omit<EnrollOptions, 'host' | 'username' | 'password'> = {},
  renewFraction = DEFAULT_RENEW_FRACTION,
): Promise<EnrollResult> {
  const parsed = parseEnrollLink(link);
  return enroll(
    {
      ...options,
      host: parsed.host,
      port: options.port ?? parsed.port,
      username: parsed.username,
      password: parsed.token,
    },
    renewFraction,
  );
}
