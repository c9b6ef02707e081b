/**
 * What the tak-config dialog asks of the runtime for enrollment, as a plain async function of a JSON body (the
 * admin endpoint in src/nodes only wires it to HTTP): enroll with a link or host + username + password, and
 * hand back the new certificate, key and CA chain as PEM for the node's credentials, with what the dialog
 * shows: who the certificate is for, until when, and how the enrollment port's certificate was trusted.
 */
import type { CertificateSummary } from '../tls/certificate';
import { TlsError } from '../tls/errors';
import { decodeStoredFile } from '../tls/settings';
import { loadTrustStore } from '../tls/truststore';
import { DEFAULT_ENROLL_PORT, DEFAULT_RENEW_FRACTION, enroll, type EnrollOptions } from './enroll';
import { parseEnrollLink } from './enroll-link';
import { WebError, WebErrorCode } from './errors';
import type { ServerCertificate } from './request';

export interface EnrollmentAnswer {
  host: string;
  port: number;
  username: string;
  /** PEM: our certificate then its chain, for the clientCert credential. */
  clientCert: string;
  /** PEM PKCS#8 key, for the clientKey credential. */
  clientKey: string;
  /** PEM CA chain, for the trustStore credential; absent when the server sent none. */
  trustStore?: string;
  certificate: CertificateSummary;
  trust?: CertificateSummary[];
  /** How the enrollment port's certificate was trusted, and its fingerprint to show. */
  server: { trust: ServerCertificate['trust']; fingerprint256: string; subject: string };
  renewAt: string;
  format: string;
}

/** The stored secrets the dialog may point at instead of sending (it does not have them). */
export interface StoredEnrollmentSecrets {
  enrollPassword?: string;
  trustStore?: string;
  trustPassword?: string;
}

/** Node-RED shows a stored password to the dialog as this placeholder, never the password itself. */
export const STORED_SECRET_PLACEHOLDER = '__PWRD__';

function field(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' ? value : undefined;
}

function secret(given: string | undefined, stored: string | undefined): string | undefined {
  if (given === STORED_SECRET_PLACEHOLDER) return stored;
  return given === '' ? undefined : given;
}

function portOf(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new WebError(
      WebErrorCode.BAD_REQUEST,
      `the enrollment port "${text}" is not a port number (TAK Server: 8446)`,
    );
  }
  return port;
}

/**
 * Body `{ link? | host, port?, username, password, trustStore?, trustPassword?, serverName?, fingerprint?,
 * uid? }`; a link fills host, port, username and password. Throws WebError (ERR_ENROLL_...) or TlsError for a
 * truststore that cannot be read.
 */
export async function enrollFromDialog(
  body: unknown,
  stored: StoredEnrollmentSecrets = {},
  renewFraction = DEFAULT_RENEW_FRACTION,
): Promise<EnrollmentAnswer> {
  const link = field(body, 'link')?.trim();
  const fromLink = link ? parseEnrollLink(link) : undefined;
  const host = fromLink?.host ?? field(body, 'host')?.trim() ?? '';
  const port = portOf(field(body, 'port')) ?? fromLink?.port ?? DEFAULT_ENROLL_PORT;
  const username = fromLink?.username ?? field(body, 'username')?.trim() ?? '';
  const password = fromLink?.token ?? secret(field(body, 'password'), stored.enrollPassword) ?? '';
  const options: EnrollOptions = { host, port, username, password };
  const trustData = decodeStoredFile(secret(field(body, 'trustStore'), stored.trustStore), 'truststore');
  if (trustData) {
    const trustPassword = secret(field(body, 'trustPassword'), stored.trustPassword);
    const store = loadTrustStore(
      trustPassword === undefined ? { data: trustData } : { data: trustData, password: trustPassword },
    );
    options.trust = store.ca;
  }
  const serverName = field(body, 'serverName')?.trim();
  if (serverName) options.serverName = serverName;
  const fingerprint = field(body, 'fingerprint')?.trim();
  if (fingerprint) options.expectedFingerprint = fingerprint;
  const uid = field(body, 'uid')?.trim();
  if (uid) options.clientUid = uid;
  const result = await enroll(options, renewFraction);
  const answer: EnrollmentAnswer = {
    host,
    port,
    username,
    clientCert: result.identity.cert,
    clientKey: result.identity.key,
    certificate: result.identity.certificate,
    server: {
      trust: result.server.trust,
      fingerprint256: result.server.certificate.fingerprint256,
      subject: result.server.certificate.subject,
    },
    renewAt: result.renewAt,
    format: result.format,
  };
  if (result.trust) {
    answer.trustStore = result.trust.ca.join('');
    answer.trust = result.trust.certificates;
  }
  return answer;
}

/** What the endpoint answers for a failure: the code and the sentence. */
export function enrollErrorBody(error: unknown): { code: string; message: string } {
  if (error instanceof WebError || error instanceof TlsError)
    return { code: error.code, message: error.message };
  return { code: 'ERR_ENROLL', message: error instanceof Error ? error.message : String(error) };
}
