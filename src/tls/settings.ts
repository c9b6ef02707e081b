/**
 * From stored settings to TLS options: what the node dialogs keep (base64 files and passwords in credentials)
 * and what a Node-RED tls-config node's addTLSOptions() hands over (file contents, passphrase, servername,
 * rejectUnauthorized). Plain data in, options and warnings out: nothing here knows Node-RED.
 */
import { describeValidity, validityProblem, day } from './certificate';
import type { ClientTlsOptions, ServerTlsOptions } from './context';
import { TlsError, TlsErrorCode } from './errors';
import { loadIdentity } from './identity';
import { loadTrustStore, type TrustStore } from './truststore';

/** The files and secrets of a client: any may be missing. */
export interface ClientTlsSources {
  /** A .p12, or a PEM certificate (with its chain, perhaps with its key). */
  clientCert?: Buffer | undefined;
  /** The PEM key, when not inside clientCert. */
  clientKey?: Buffer | undefined;
  /** The .p12 password or the key's passphrase. */
  clientPassword?: string | undefined;
  /** A truststore .p12, or PEM/DER CA certificates. */
  trustStore?: Buffer | undefined;
  trustPassword?: string | undefined;
  /** Default true. */
  verifyServer?: boolean | undefined;
  serverName?: string | undefined;
}

export interface ServerTlsSources {
  /** The server's .p12, or its PEM certificate (with the key inside or in serverKey). */
  serverCert?: Buffer | undefined;
  serverKey?: Buffer | undefined;
  serverPassword?: string | undefined;
  /** The CA that signs accepted client certificates: a truststore .p12 or PEM. */
  clientCa?: Buffer | undefined;
  clientCaPassword?: string | undefined;
  /** Default true. */
  requireClientCert?: boolean | undefined;
}

/** What a tls-config node's addTLSOptions(opts) fills in: file contents as Buffers or text. */
export interface TlsConfigNodeOptions {
  cert?: unknown;
  key?: unknown;
  ca?: unknown;
  passphrase?: unknown;
  servername?: unknown;
  rejectUnauthorized?: unknown;
}

export interface LoadedTls<O> {
  options: O;
  /** For the log: an expired certificate, a CA about to expire... */
  warnings: string[];
}

/**
 * A file as the nodes store it in credentials: base64 of the bytes as uploaded, or PEM text pasted as is.
 * Empty or missing is undefined.
 */
export function decodeStoredFile(value: string | undefined, what: string): Buffer | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (text.includes('-----BEGIN ')) return Buffer.from(text, 'utf8');
  if (!/^[A-Za-z0-9+/\s]+={0,2}\s*$/.test(text)) {
    throw new TlsError(
      TlsErrorCode.BAD_FILE,
      `the stored ${what} is neither base64 nor PEM text: load the file again`,
      what,
    );
  }
  return Buffer.from(text, 'base64');
}

function bytes(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value.length > 0 ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') return Buffer.from(value, 'utf8');
  return undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The client sources a tls-config node describes. Its passphrase opens the key, or the .p12 given as cert. */
export function clientSourcesFromTlsConfig(options: TlsConfigNodeOptions): ClientTlsSources {
  return {
    clientCert: bytes(options.cert),
    clientKey: bytes(options.key),
    clientPassword: text(options.passphrase),
    trustStore: bytes(options.ca),
    verifyServer: options.rejectUnauthorized !== false,
    serverName: text(options.servername),
  };
}

/** The server sources a tls-config node describes: its CA is the one client certificates must come from. */
export function serverSourcesFromTlsConfig(options: TlsConfigNodeOptions): ServerTlsSources {
  return {
    serverCert: bytes(options.cert),
    serverKey: bytes(options.key),
    serverPassword: text(options.passphrase),
    clientCa: bytes(options.ca),
  };
}

function caWarnings(store: TrustStore | undefined, what: string, now: Date): string[] {
  const warnings: string[] = [];
  for (const certificate of store?.certificates ?? []) {
    if (validityProblem(certificate, now) === 'expired') {
      warnings.push(`the ${what} certificate ${certificate.subject} expired on ${day(certificate.validTo)}`);
    }
  }
  return warnings;
}

/**
 * Loads a client's identity and truststore. Throws TlsError for a file that cannot be used (wrong password,
 * not a certificate, key without certificate...).
 */
export function loadClientTls(
  sources: ClientTlsSources,
  now: Date = new Date(),
): LoadedTls<ClientTlsOptions> {
  const options: ClientTlsOptions = { verifyServer: sources.verifyServer !== false };
  const warnings: string[] = [];
  if (sources.clientCert) {
    const identity = loadIdentity({
      cert: sources.clientCert,
      ...(sources.clientKey ? { key: sources.clientKey } : {}),
      ...(sources.clientPassword !== undefined ? { password: sources.clientPassword } : {}),
    });
    options.identity = identity;
    const dates = describeValidity(identity.certificate, 'the client certificate', now);
    if (dates) warnings.push(dates);
  } else if (sources.clientKey) {
    throw new TlsError(
      TlsErrorCode.NO_CERTIFICATE,
      'a client key is given without its certificate: give the certificate too, or a .p12',
      'client certificate',
    );
  }
  if (sources.trustStore) {
    options.trust = loadTrustStore({
      data: sources.trustStore,
      ...(sources.trustPassword !== undefined ? { password: sources.trustPassword } : {}),
    });
    warnings.push(...caWarnings(options.trust, 'truststore', now));
  }
  const serverName = sources.serverName?.trim();
  if (serverName) options.serverName = serverName;
  return { options, warnings };
}

/** Loads a TLS listener's identity and client CA. Throws TlsError. */
export function loadServerTls(
  sources: ServerTlsSources,
  now: Date = new Date(),
): LoadedTls<ServerTlsOptions> {
  if (!sources.serverCert) {
    throw new TlsError(
      TlsErrorCode.NO_CERTIFICATE,
      'TLS needs a server certificate: give its .p12 (TAK Server: makeCert.sh server NAME) or PEM certificate and key',
      'server certificate',
    );
  }
  const identity = loadIdentity(
    {
      cert: sources.serverCert,
      ...(sources.serverKey ? { key: sources.serverKey } : {}),
      ...(sources.serverPassword !== undefined ? { password: sources.serverPassword } : {}),
    },
    'server certificate',
  );
  const warnings: string[] = [];
  const dates = describeValidity(identity.certificate, 'the server certificate', now);
  if (dates) warnings.push(dates);
  const options: ServerTlsOptions = { identity, requireClientCert: sources.requireClientCert !== false };
  if (sources.clientCa) {
    options.clientCa = loadTrustStore(
      {
        data: sources.clientCa,
        ...(sources.clientCaPassword !== undefined ? { password: sources.clientCaPassword } : {}),
      },
      'client CA',
    );
    warnings.push(...caWarnings(options.clientCa, 'client CA', now));
  }
  return { options, warnings };
}
