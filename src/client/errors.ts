import { diagnosisOf } from '../tls/diagnosis';

/**
 * Stable error codes of the TAK client. Flows match on `code`; the message is for people and may change.
 */
export const TakClientErrorCode = {
  /** Nothing listens at host:port (ECONNREFUSED). */
  CONNECT_REFUSED: 'ERR_CONNECT_REFUSED',
  /** No connection within connectTimeoutMs (or ETIMEDOUT while connecting). */
  CONNECT_TIMEOUT: 'ERR_CONNECT_TIMEOUT',
  /** The host name does not resolve (ENOTFOUND, EAI_AGAIN...). */
  HOST_NOT_FOUND: 'ERR_HOST_NOT_FOUND',
  /** No route to the host or network (EHOSTUNREACH, ENETUNREACH...). */
  HOST_UNREACHABLE: 'ERR_HOST_UNREACHABLE',
  /** The connection broke (ECONNRESET, EPIPE, ETIMEDOUT once connected...). */
  CONNECTION_RESET: 'ERR_CONNECTION_RESET',
  /** The server closed the connection in an orderly way. */
  CONNECTION_CLOSED: 'ERR_CONNECTION_CLOSED',
  /** Nothing was received for deadAfterIdleMs, pings included: the connection is presumed dead. */
  KEEPALIVE_TIMEOUT: 'ERR_KEEPALIVE_TIMEOUT',
  /** The server closed the connection right after the `<auth>` login without a word: most likely bad credentials. */
  AUTH_REJECTED: 'ERR_AUTH_REJECTED',
  /**
   * A TLS certificate was refused for a reason none of the codes below names: the server's (revoked, a bad
   * signature...), or ours.
   */
  TLS_CERTIFICATE: 'ERR_TLS_CERTIFICATE',
  /** The server's certificate is not signed by a CA we trust: give its truststore (or CA certificate). */
  TLS_UNKNOWN_CA: 'ERR_TLS_UNKNOWN_CA',
  /** The server's certificate is for another name than the one we connect to: set the expected server name. */
  TLS_NAME_MISMATCH: 'ERR_TLS_NAME_MISMATCH',
  /** The server's certificate has expired, or is not valid yet (check the clock). */
  TLS_SERVER_CERT_EXPIRED: 'ERR_TLS_SERVER_CERT_EXPIRED',
  /** The server requires a client certificate and we gave none. */
  TLS_CLIENT_CERT_REQUIRED: 'ERR_TLS_CLIENT_CERT_REQUIRED',
  /** The server refused our client certificate: expired, not yet valid, from a CA it does not trust, revoked. */
  TLS_CLIENT_CERT_REJECTED: 'ERR_TLS_CLIENT_CERT_REJECTED',
  /** We speak TLS and the port does not: it is a plain TCP port (TAK Server's 8087/8088), or not a TAK server. */
  TLS_TO_PLAIN_PORT: 'ERR_TLS_TO_PLAIN_PORT',
  /** We speak plain TCP and the port expects TLS (TAK Server's 8089): set the protocol to tls (ATAK: ssl). */
  PLAIN_TO_TLS_PORT: 'ERR_PLAIN_TO_TLS_PORT',
  /** Any other TLS failure. */
  TLS: 'ERR_TLS',
  /** Any other socket failure; the system code is kept in `systemCode`. */
  SOCKET: 'ERR_SOCKET',
  /** A connect string that cannot be read. */
  CONNECT_STRING: 'ERR_CONNECT_STRING',
  /** An option out of range or of the wrong type. */
  OPTIONS: 'ERR_CLIENT_OPTIONS',
  /** send() or start() on a client that is stopping or stopped. */
  STOPPED: 'ERR_CLIENT_STOPPED',
  /** send() was given something that is not one event (a string with two, none, or only other elements). */
  NOT_ONE_EVENT: 'ERR_CLIENT_NOT_ONE_EVENT',
  /** send() was given an event bigger than maxSendEventBytes: servers drop those without a word. */
  EVENT_TOO_LARGE: 'ERR_CLIENT_EVENT_TOO_LARGE',
  /** The port answered in HTTP: it is a web port (TAK Server's 8443, 8446), not a CoT stream. */
  HTTP_PORT: 'ERR_HTTP_PORT',
} as const;

export type TakClientErrorCode = (typeof TakClientErrorCode)[keyof typeof TakClientErrorCode];

/** What the client reports about a failed or lost connection: plain data, safe to put in a msg or a log. */
export interface TakClientErrorInfo {
  code: TakClientErrorCode;
  message: string;
  /** The operating system's or OpenSSL's code behind it, e.g. ECONNREFUSED, when there was one. */
  systemCode?: string;
}

export class TakClientError extends Error {
  readonly code: TakClientErrorCode;
  /** The option or part of the input at fault, when there is one. */
  readonly field: string | undefined;
  readonly value: unknown;

  constructor(code: TakClientErrorCode, message: string, field?: string, value?: unknown) {
    super(message);
    this.name = 'TakClientError';
    this.code = code;
    this.field = field;
    this.value = value;
  }
}

export type ConnectionPhase = 'connecting' | 'connected';

interface Target {
  host: string;
  port: number;
}

/** Our check of the server's certificate failed because its issuer is not one we trust. */
const UNKNOWN_CA_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
  'INVALID_CA',
]);

/** Our check of the server's certificate failed on its dates. */
const SERVER_DATE_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** Our check of the server's certificate failed for another reason. */
const SERVER_CERTIFICATE_CODES = new Set([
  'CERT_REVOKED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'ERR_TLS_CERT_ALTNAME_FORMAT',
]);

/** What the server's alert says about the client certificate it refused (RFC 8446 section 6.2). */
const REFUSED_CERTIFICATE_ALERTS: Record<string, string> = {
  BAD_CERTIFICATE: 'bad certificate',
  CERTIFICATE_UNKNOWN: 'certificate unknown',
  UNKNOWN_CA: 'unknown CA: it is not signed by a CA the server trusts',
  CERTIFICATE_EXPIRED: 'certificate expired (or not valid yet)',
  CERTIFICATE_REVOKED: 'certificate revoked',
  UNSUPPORTED_CERTIFICATE: 'unsupported certificate',
  ACCESS_DENIED: 'access denied',
};

/** OpenSSL's way of saying the other side did not answer with TLS records. */
const NOT_TLS_CODES = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_UNKNOWN_PROTOCOL',
  'ERR_SSL_RECORD_LENGTH_MISMATCH',
  'ERR_SSL_HTTP_REQUEST',
]);

/** The names the server's certificate is for, from the error Node's host name check throws. */
function certificateNames(error: unknown): string[] {
  const cert = (error as { cert?: { subject?: { CN?: unknown }; subjectaltname?: unknown } } | null)?.cert;
  const names: string[] = [];
  if (typeof cert?.subjectaltname === 'string') {
    for (const part of cert.subjectaltname.split(/,\s*/)) {
      const match = /^(?:DNS|IP Address):(.*)$/.exec(part.trim());
      if (match) names.push(match[1] as string);
    }
  }
  const cn = cert?.subject?.CN;
  if (names.length === 0 && typeof cn === 'string') names.push(cn);
  return names;
}

function tlsInfo(
  systemCode: string,
  error: unknown,
  target: Target,
  where: string,
  detail: string,
): { code: TakClientErrorCode; message: string } | undefined {
  if (UNKNOWN_CA_CODES.has(systemCode)) {
    return {
      code: TakClientErrorCode.TLS_UNKNOWN_CA,
      message: `the certificate of ${where} is not signed by a CA we trust (${systemCode}): give the server's truststore (truststore-root.p12 in its data package, or its CA certificate)`,
    };
  }
  if (SERVER_DATE_CODES.has(systemCode)) {
    return {
      code: TakClientErrorCode.TLS_SERVER_CERT_EXPIRED,
      message:
        systemCode === 'CERT_HAS_EXPIRED'
          ? `the certificate of ${where} has expired: the server's admin must renew it (check this machine's clock too)`
          : `the certificate of ${where} is not valid yet: check this machine's clock`,
    };
  }
  if (systemCode === 'ERR_TLS_CERT_ALTNAME_INVALID' || systemCode === 'HOSTNAME_MISMATCH') {
    const names = certificateNames(error);
    const host = (error as { host?: unknown }).host;
    const asked = typeof host === 'string' && host !== '' ? host : target.host;
    return {
      code: TakClientErrorCode.TLS_NAME_MISMATCH,
      message:
        names.length > 0
          ? `the certificate of ${where} is for ${names.join(', ')}, not ${asked}: set the server name to ${names[0]} (usual when a TAK Server is reached by IP address)`
          : `the certificate of ${where} is not for ${asked}: set the server name to the name in its certificate`,
    };
  }
  if (SERVER_CERTIFICATE_CODES.has(systemCode)) {
    return {
      code: TakClientErrorCode.TLS_CERTIFICATE,
      message: `the certificate of ${where} was refused: ${detail}`,
    };
  }
  const alert = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(.+)$/.exec(systemCode)?.[1];
  if (alert === 'CERTIFICATE_REQUIRED') {
    return {
      code: TakClientErrorCode.TLS_CLIENT_CERT_REQUIRED,
      message: `${where} requires a client certificate: give the .p12 made for this client (TAK Server: makeCert.sh client NAME), or import the server's data package`,
    };
  }
  if (alert !== undefined && REFUSED_CERTIFICATE_ALERTS[alert] !== undefined) {
    return {
      code: TakClientErrorCode.TLS_CLIENT_CERT_REJECTED,
      message: `${where} refused our client certificate (${REFUSED_CERTIFICATE_ALERTS[alert]}): use one the server's CA issued and that is in date`,
    };
  }
  if (alert === 'HANDSHAKE_FAILURE') {
    return {
      code: TakClientErrorCode.TLS,
      message: `${where} ended the TLS handshake (handshake failure): it may require a client certificate, or share no TLS version or cipher with us`,
    };
  }
  if (NOT_TLS_CODES.has(systemCode)) {
    return {
      code: TakClientErrorCode.TLS_TO_PLAIN_PORT,
      message: `${where} did not answer in TLS (${systemCode}): it is a plain TCP port; set the protocol to tcp, or use the server's TLS port (TAK Server: 8089)`,
    };
  }
  if (/^(ERR_SSL_|ERR_TLS_)/.test(systemCode)) {
    return { code: TakClientErrorCode.TLS, message: `TLS with ${where} failed: ${detail}` };
  }
  return undefined;
}

function systemCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Sorts a socket failure into a stable code with a message that says what to check.
 * The TLS cases are the spot where certificate and handshake failures get their own wording.
 */
export function classifySocketError(
  error: unknown,
  target: Target,
  phase: ConnectionPhase,
): TakClientErrorInfo {
  const where = `${target.host}:${target.port}`;
  const systemCode = systemCodeOf(error);
  const detail = messageOf(error);
  const info = (code: TakClientErrorCode, message: string): TakClientErrorInfo =>
    systemCode === undefined || systemCode === code ? { code, message } : { code, message, systemCode };
  // A socket factory that saw more than the error shows (src/tls) said what happened.
  const diagnosis = diagnosisOf(error);
  if (diagnosis) return info(diagnosis.code, diagnosis.message);
  switch (systemCode) {
    case 'ECONNREFUSED':
      return info(
        TakClientErrorCode.CONNECT_REFUSED,
        `${where} refused the connection: check the host, the port and that the server is running`,
      );
    case 'ENOTFOUND':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
    case 'EAI_FAIL':
      return info(
        TakClientErrorCode.HOST_NOT_FOUND,
        `the host name ${target.host} does not resolve: check it`,
      );
    case 'EAI_AGAIN':
      return info(
        TakClientErrorCode.HOST_NOT_FOUND,
        `the host name ${target.host} could not be looked up (DNS did not answer): check the network`,
      );
    case 'EHOSTUNREACH':
    case 'EHOSTDOWN':
    case 'ENETUNREACH':
    case 'ENETDOWN':
    case 'EADDRNOTAVAIL':
      return info(
        TakClientErrorCode.HOST_UNREACHABLE,
        `${where} cannot be reached (${systemCode}): check the network`,
      );
    case 'ETIMEDOUT':
      return phase === 'connecting'
        ? info(TakClientErrorCode.CONNECT_TIMEOUT, `${where} did not answer the connection (${systemCode})`)
        : info(TakClientErrorCode.CONNECTION_RESET, `the connection to ${where} timed out (${systemCode})`);
    case 'ECONNRESET':
    case 'ECONNABORTED':
    case 'EPIPE':
      return info(
        TakClientErrorCode.CONNECTION_RESET,
        phase === 'connecting'
          ? `${where} reset the connection while it was being set up (${systemCode})`
          : `the connection to ${where} was reset (${systemCode})`,
      );
  }
  if (systemCode !== undefined) {
    const tls = tlsInfo(systemCode, error, target, where, detail);
    if (tls) return info(tls.code, tls.message);
  }
  return info(TakClientErrorCode.SOCKET, `the connection to ${where} failed: ${detail}`);
}
