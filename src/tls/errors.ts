/**
 * Stable codes for certificates and data packages that cannot be used as given. These are found when the
 * settings are read (a deploy, a dialog check), before any connection; what goes wrong on the wire has the
 * TakClientErrorCode ERR_TLS_* codes instead. Flows and programs match on `code`; the message is for people.
 */
export const TlsErrorCode = {
  /** The password of a .p12, or the passphrase of a PEM key, is wrong (or missing). */
  BAD_PASSWORD: 'ERR_TLS_BAD_PASSWORD',
  /** The bytes are not a certificate, key or .p12 this package can read (or the file is damaged). */
  BAD_FILE: 'ERR_TLS_BAD_FILE',
  /** A client or server identity without its private key (a .p12 with certificates only, a PEM without key). */
  NO_KEY: 'ERR_TLS_NO_KEY',
  /** An identity without a certificate, or a truststore without a CA certificate. */
  NO_CERTIFICATE: 'ERR_TLS_NO_CERTIFICATE',
  /** The private key does not belong to the certificate. */
  KEY_MISMATCH: 'ERR_TLS_KEY_MISMATCH',
  /** TLS settings that do not fit together (a listener that requires client certificates but trusts no CA...). */
  SETTINGS: 'ERR_TLS_SETTINGS',
  /** A TAK Server data package (.zip) that cannot be read or holds no connection. */
  DATA_PACKAGE: 'ERR_TLS_DATA_PACKAGE',
} as const;

export type TlsErrorCode = (typeof TlsErrorCode)[keyof typeof TlsErrorCode];

export class TlsError extends Error {
  readonly code: TlsErrorCode;
  /** What was being read: "client certificate", "truststore", a file name in a data package... */
  readonly subject: string | undefined;

  constructor(code: TlsErrorCode, message: string, subject?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TlsError';
    this.code = code;
    this.subject = subject;
  }
}
