/**
 * Stable codes for what goes wrong on TAK Server's web side: certificate enrollment on 8446 (ERR_ENROLL_*),
 * the connection to any web port (ERR_WEB_*), data packages (ERR_PACKAGE_*). Flows and the editor match on
 * `code`; the message says what was wrong and what to do.
 */
export const WebErrorCode = {
  /** The enrollment link, host or credentials given cannot be used (before anything is sent). */
  BAD_REQUEST: 'ERR_ENROLL_BAD_REQUEST',
  /** 401: the server does not know this username and password (or token). */
  UNAUTHORIZED: 'ERR_ENROLL_UNAUTHORIZED',
  /** 403: the user exists but may not enroll for a certificate. */
  FORBIDDEN: 'ERR_ENROLL_FORBIDDEN',
  /** 404: the server has no enrollment (not TAK Server, wrong port, or enrollment turned off). */
  DISABLED: 'ERR_ENROLL_DISABLED',
  /** The server's certificate is not signed by the truststore given, or does not carry the expected fingerprint. */
  UNTRUSTED: 'ERR_WEB_UNTRUSTED',
  /** The server answered the signing request with an error: it refused the CSR. */
  CSR_REFUSED: 'ERR_ENROLL_CSR_REFUSED',
  /** The answer is not one we can read (not the config, not a certificate, an HTML page, too big...). */
  BAD_ANSWER: 'ERR_ENROLL_BAD_ANSWER',
  /** No connection: refused, unknown host, TLS failure other than trust. */
  UNREACHABLE: 'ERR_WEB_UNREACHABLE',
  /** The server accepted the connection but did not answer in time. */
  TIMEOUT: 'ERR_WEB_TIMEOUT',
  /** A web page (a login page, a proxy's error page, a redirect to one) where the API's answer was expected. */
  HTML_PAGE: 'ERR_WEB_HTML_PAGE',
  /** An answer larger than the limit. */
  TOO_BIG: 'ERR_WEB_TOO_BIG',
  /** A data package or file larger than the size limit. */
  PACKAGE_TOO_BIG: 'ERR_PACKAGE_TOO_BIG',
  /** A zip with paths that leave its folder (../, absolute), or that would inflate far beyond its size. */
  PACKAGE_UNSAFE: 'ERR_PACKAGE_UNSAFE',
  /** Bytes that are not a readable zip or data package. */
  PACKAGE_BAD: 'ERR_PACKAGE_BAD',
  /** The bytes fetched do not have the announced SHA-256 or size. */
  PACKAGE_MISMATCH: 'ERR_PACKAGE_MISMATCH',
  /** The server refused the upload or the request (401, 403, another error status). */
  PACKAGE_REFUSED: 'ERR_PACKAGE_REFUSED',
  /** The server has no package with that hash (404). */
  PACKAGE_NOT_FOUND: 'ERR_PACKAGE_NOT_FOUND',
} as const;

export type WebErrorCode = (typeof WebErrorCode)[keyof typeof WebErrorCode];

export class WebError extends Error {
  readonly code: WebErrorCode;
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;

  constructor(code: WebErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WebError';
    this.code = code;
    this.status = options?.status;
  }
}
