/**
 * Truststores: the CA certificates a connection trusts, from a TAK Server truststore .p12 (truststore-root.p12,
 * caCert.p12: certificates only, legacy encryption and all), PEM text or one DER certificate.
 */
import { X509Certificate } from 'node:crypto';
import { looksLikePem, pemCertificates, summarize, type CertificateSummary } from './certificate';
import { TlsError, TlsErrorCode } from './errors';
import { toBuffer, type TlsBytes } from './identity';
import { looksLikePkcs12, readPkcs12 } from './pkcs12';

export interface TrustInput {
  data: TlsBytes;
  /** The .p12 password (TAK Server's default is atakatak). */
  password?: string;
}

export interface TrustStore {
  /** PEM, one certificate each: the `ca` of a secure context. */
  ca: string[];
  certificates: CertificateSummary[];
  format: 'pkcs12' | 'pem' | 'der';
}

function fromCertificates(
  certificates: X509Certificate[],
  format: TrustStore['format'],
  what: string,
): TrustStore {
  // A .p12 made for a client also carries the client's own certificate: trust its CAs, not the client itself.
  const authorities = certificates.filter((certificate) => certificate.ca);
  const trusted = authorities.length > 0 ? authorities : certificates;
  if (trusted.length === 0) {
    throw new TlsError(TlsErrorCode.NO_CERTIFICATE, `the ${what} holds no certificate`, what);
  }
  return {
    ca: trusted.map((certificate) => certificate.toString()),
    certificates: trusted.map(summarize),
    format,
  };
}

/**
 * Reads the CA certificates to trust. Throws TlsError: ERR_TLS_BAD_PASSWORD, ERR_TLS_BAD_FILE,
 * ERR_TLS_NO_CERTIFICATE.
 */
export function loadTrustStore(input: TrustInput, what = 'truststore'): TrustStore {
  const data = toBuffer(input.data);
  if (looksLikePem(data)) {
    const certificates = pemCertificates(data.toString('utf8')).map((pem) => {
      try {
        return new X509Certificate(pem);
      } catch (error) {
        throw new TlsError(TlsErrorCode.BAD_FILE, `a certificate in the ${what} cannot be read`, what, {
          cause: error,
        });
      }
    });
    return fromCertificates(certificates, 'pem', what);
  }
  if (!looksLikePkcs12(data)) {
    throw new TlsError(
      TlsErrorCode.BAD_FILE,
      `the ${what} is neither a .p12 file nor PEM text (-----BEGIN CERTIFICATE-----)`,
      what,
    );
  }
  try {
    return fromCertificates(readPkcs12(data, input.password, what).certificates, 'pkcs12', what);
  } catch (error) {
    if (!(error instanceof TlsError) || error.code !== TlsErrorCode.BAD_FILE) throw error;
    // Not a PKCS#12: perhaps one DER certificate (.cer, .der).
    try {
      return fromCertificates([new X509Certificate(data)], 'der', what);
    } catch {
      throw error;
    }
  }
}
