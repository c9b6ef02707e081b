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
  /** A TLS certificate was refused, by us (the server's) or by the server (ours, or none given). */
  TLS_CERTIFICATE: 'ERR_TLS_CERTIFICATE',
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

/** Certificate checks that failed on our side: the server's certificate is not one we trust. */
const SERVER_CERTIFICATE_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

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
    systemCode === undefined ? { code, message } : { code, message, systemCode };
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
  if (systemCode !== undefined && SERVER_CERTIFICATE_CODES.has(systemCode)) {
    return info(TakClientErrorCode.TLS_CERTIFICATE, `the certificate of ${where} was refused: ${detail}`);
  }
  if (systemCode !== undefined && /^ERR_SSL_.*(CERTIFICATE|UNKNOWN_CA)/.test(systemCode)) {
    return info(TakClientErrorCode.TLS_CERTIFICATE, `${where} refused the TLS certificate: ${detail}`);
  }
  if (systemCode !== undefined && /^(ERR_SSL_|ERR_TLS_)/.test(systemCode)) {
    return info(TakClientErrorCode.TLS, `TLS with ${where} failed: ${detail}`);
  }
  return info(TakClientErrorCode.SOCKET, `the connection to ${where} failed: ${detail}`);
}
