/**
 * What the node dialogs ask of the runtime, as plain functions of a JSON body (the admin endpoints in
 * src/nodes only wire them to HTTP): check a certificate file with its password, and read a data package.
 * The parsing stays on the runtime side, where node-forge and Node's crypto are, and is tested there.
 */
import type { CertificateSummary } from './certificate';
import { readDataPackage, MAX_DATA_PACKAGE_BYTES } from './data-package';
import { TlsError, TlsErrorCode } from './errors';
import { loadIdentity } from './identity';
import { decodeStoredFile } from './settings';
import { loadTrustStore } from './truststore';

export interface CertificateCheck {
  format: 'pkcs12' | 'pem' | 'der';
  /** The identity's certificate (role client or server). */
  certificate?: CertificateSummary;
  /** The rest of the identity's chain, or a truststore's certificates. */
  certificates: CertificateSummary[];
}

export interface DataPackageImport {
  host: string;
  port: number;
  protocol: string;
  connectString: string;
  description?: string;
  /** The client .p12, base64, for the node's credentials. */
  clientCert?: string;
  clientPassword?: string;
  client?: CertificateSummary;
  /** The truststore .p12, base64, for the node's credentials. */
  trustStore?: string;
  trustPassword?: string;
  trust?: CertificateSummary[];
  enrollment: boolean;
  warnings: string[];
}

function field(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Body `{ role: 'client' | 'server' | 'trust', data: base64, key?: base64, password? }`. Throws TlsError with
 * the reason the file cannot be used (wrong password, no key...).
 */
export function checkCertificateFile(body: unknown): CertificateCheck {
  const role = field(body, 'role') ?? 'client';
  const what =
    role === 'trust' ? 'truststore' : role === 'server' ? 'server certificate' : 'client certificate';
  const data = decodeStoredFile(field(body, 'data'), what);
  if (!data) throw new TlsError(TlsErrorCode.BAD_FILE, `no ${what} file was given`, what);
  const password = field(body, 'password');
  if (role === 'trust') {
    const store = loadTrustStore(password !== undefined ? { data, password } : { data }, what);
    return { format: store.format, certificates: store.certificates };
  }
  const key = decodeStoredFile(field(body, 'key'), `${what} key`);
  const identity = loadIdentity(
    { cert: data, ...(key ? { key } : {}), ...(password !== undefined ? { password } : {}) },
    what,
  );
  return { format: identity.format, certificate: identity.certificate, certificates: identity.chain };
}

/** Body `{ zip: base64 }`. Throws TlsError (ERR_TLS_DATA_PACKAGE, ERR_TLS_BAD_PASSWORD...). */
export function importDataPackage(body: unknown): DataPackageImport {
  const zip = field(body, 'zip');
  if (zip === undefined || zip === '') {
    throw new TlsError(TlsErrorCode.DATA_PACKAGE, 'no data package was given', 'data package');
  }
  if (zip.length > Math.ceil((MAX_DATA_PACKAGE_BYTES * 4) / 3) + 4) {
    throw new TlsError(
      TlsErrorCode.DATA_PACKAGE,
      `the data package is larger than ${MAX_DATA_PACKAGE_BYTES} bytes: a connection package is a few KiB`,
      'data package',
    );
  }
  const found = readDataPackage(Buffer.from(zip, 'base64'));
  const result: DataPackageImport = {
    host: found.host,
    port: found.port,
    protocol: found.protocol,
    connectString: found.connectString,
    enrollment: found.enrollment,
    warnings: found.warnings,
  };
  if (found.description !== undefined) result.description = found.description;
  if (found.client) {
    result.clientCert = found.client.data.toString('base64');
    result.clientPassword = found.client.password;
    result.client = found.client.identity.certificate;
  }
  if (found.trust) {
    result.trustStore = found.trust.data.toString('base64');
    result.trustPassword = found.trust.password;
    result.trust = found.trust.store.certificates;
  }
  return result;
}

/** What an endpoint answers for a failure: a TlsError's code and message; anything else is a plain message. */
export function errorBody(error: unknown): { code: string; message: string } {
  if (error instanceof TlsError) return { code: error.code, message: error.message };
  return { code: 'ERR_TLS', message: error instanceof Error ? error.message : String(error) };
}
