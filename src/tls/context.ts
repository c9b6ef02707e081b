/**
 * Secure-context options for a TAK client or server from loaded identities and truststores. Built once per
 * configuration, so a key that does not fit its certificate fails when the settings are read, not on a connect.
 */
import tls from 'node:tls';
import { TlsError, TlsErrorCode } from './errors';
import type { TlsIdentity } from './identity';
import type { TrustStore } from './truststore';

export interface ClientTlsOptions {
  /** Our certificate and key; absent: no client certificate (the server may refuse us). */
  identity?: TlsIdentity;
  /** The CAs the server's certificate must come from; absent: Node's public roots. */
  trust?: TrustStore;
  /**
   * Check the server's certificate and its name. Default true. False accepts any certificate from anyone:
   * the traffic is encrypted but the server is not authenticated.
   */
  verifyServer?: boolean;
  /**
   * The name the server's certificate must carry when it is not the host we connect to (a TAK Server reached by
   * IP address whose certificate names its host name). Also sent as SNI when it is a host name.
   */
  serverName?: string;
  /** Give up on a TLS handshake this long after the TCP connection was made. Default 10 s. */
  handshakeTimeoutMs?: number;
  /**
   * The largest TLS record we write, in bytes of payload (512 to 16384). Default 4096, so each record fits one
   * `recv(4096)` of a Python server (taky, FreeTAKServer); 16384 is what Node writes unless told otherwise.
   */
  maxRecordBytes?: number;
}

export interface ServerTlsOptions {
  /** The server's certificate and key. */
  identity: TlsIdentity;
  /** The CAs whose client certificates are accepted. Needed when requireClientCert is true. */
  clientCa?: TrustStore;
  /** Refuse clients without a valid certificate from clientCa. Default true, as TAK Server's 8089. */
  requireClientCert?: boolean;
  /** Drop a client whose handshake has not finished this long after it connected. Default 20 s. */
  handshakeTimeoutMs?: number;
}

/**
 * taky and FreeTAKServer read TLS with recv(4096) after select(): the rest of a bigger record waits in their TLS
 * layer, unseen by select(), until our next write arrives (a burst's tail held back 15 s until the next ping).
 * Records of at most 4 KiB are read whole; the cost is about 1 % more bytes on the wire.
 */
export const DEFAULT_TLS_MAX_RECORD_BYTES = 4096;
/** The range OpenSSL accepts for the largest record (Node's setMaxSendFragment). */
export const MIN_TLS_RECORD_BYTES = 512;
export const MAX_TLS_RECORD_BYTES = 16384;

/** A TLS handshake with a live TAK server takes a round trip or two; 10 s of silence means nobody will answer. */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** ATAK gives a connection 20 s; a client still in its handshake after that is gone or not speaking TLS. */
export const DEFAULT_SERVER_HANDSHAKE_TIMEOUT_MS = 20_000;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function context(options: tls.SecureContextOptions, what: string): tls.SecureContext {
  try {
    return tls.createSecureContext(options);
  } catch (error) {
    throw new TlsError(
      TlsErrorCode.SETTINGS,
      `the ${what} cannot be used for TLS (${messageOf(error)})`,
      what,
      { cause: error },
    );
  }
}

/** The secure context every connection of a client shares. Throws TlsError ERR_TLS_SETTINGS. */
export function clientSecureContext(options: ClientTlsOptions): tls.SecureContext {
  const secure: tls.SecureContextOptions = {};
  if (options.identity) {
    secure.key = options.identity.key;
    secure.cert = options.identity.cert;
  }
  if (options.trust) secure.ca = options.trust.ca;
  return context(secure, 'client certificate and truststore');
}

/** Options for tls.createServer (requestCert on, the client check done by the caller). Throws TlsError. */
export function serverTlsOptions(options: ServerTlsOptions): tls.TlsOptions {
  const requireClientCert = options.requireClientCert ?? true;
  if (requireClientCert && (options.clientCa === undefined || options.clientCa.ca.length === 0)) {
    throw new TlsError(
      TlsErrorCode.SETTINGS,
      'client certificates are required but no CA is given to check them: give the CA that signs the client certificates (TAK Server: truststore-root.p12 or ca.pem)',
      'client CA',
    );
  }
  const secure: tls.SecureContextOptions = { key: options.identity.key, cert: options.identity.cert };
  if (options.clientCa) secure.ca = options.clientCa.ca;
  context(secure, 'server certificate'); // fails here, with the reason, rather than in tls.createServer
  // tls.Server builds its own context from these (it does not take a ready secureContext).
  return {
    ...secure,
    requestCert: requireClientCert,
    // Checked by the server factory after the handshake, so a refused client is logged with the reason.
    rejectUnauthorized: false,
    handshakeTimeout: options.handshakeTimeoutMs ?? DEFAULT_SERVER_HANDSHAKE_TIMEOUT_MS,
  };
}
