/**
 * Certificates as people and messages need them: who, issued by whom, valid when. Node's X509Certificate does
 * the reading; this turns it into plain data that can go into a log line, a msg or the editor.
 */
import { X509Certificate } from 'node:crypto';

export interface CertificateSummary {
  /** The subject on one line, e.g. "CN=alpha, O=TAK". */
  subject: string;
  commonName: string | undefined;
  issuer: string;
  issuerCommonName: string | undefined;
  /** ISO 8601. */
  validFrom: string;
  /** ISO 8601. */
  validTo: string;
  serialNumber: string;
  /** SHA-256 fingerprint, colon-separated hex, as browsers and openssl show it. */
  fingerprint256: string;
  /** A CA certificate (basicConstraints CA:TRUE). */
  isCa: boolean;
  /** DNS names and IP addresses of the subjectAltName extension. */
  altNames: string[];
}

export type ValidityProblem = 'expired' | 'not-yet-valid';

const PEM_CERTIFICATE =
  /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----[\s\S]+?-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g;

/** Every certificate block of a PEM text, in order. */
export function pemCertificates(text: string): string[] {
  return text.match(PEM_CERTIFICATE) ?? [];
}

/** True for PEM text (it has a -----BEGIN line); DER and PKCS#12 are binary. */
export function looksLikePem(data: Buffer): boolean {
  return data.includes('-----BEGIN ');
}

function oneLine(name: string): string {
  return name
    .split('\n')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .join(', ');
}

function commonNameOf(name: string): string | undefined {
  for (const line of name.split('\n')) {
    const match = /^\s*CN=(.*)$/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

function altNamesOf(certificate: X509Certificate): string[] {
  const text = certificate.subjectAltName;
  if (!text) return [];
  const names: string[] = [];
  for (const part of text.split(/,\s*/)) {
    const match = /^(DNS|IP Address):(.*)$/.exec(part.trim());
    if (match) names.push(match[2] as string);
  }
  return names;
}

function isoDate(text: string): string {
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}

export function summarize(certificate: X509Certificate): CertificateSummary {
  return {
    subject: oneLine(certificate.subject),
    commonName: commonNameOf(certificate.subject),
    issuer: oneLine(certificate.issuer),
    issuerCommonName: commonNameOf(certificate.issuer),
    validFrom: isoDate(certificate.validFrom),
    validTo: isoDate(certificate.validTo),
    serialNumber: certificate.serialNumber,
    fingerprint256: certificate.fingerprint256,
    isCa: certificate.ca,
    altNames: altNamesOf(certificate),
  };
}

/** Whether the certificate is outside its validity dates at `now`. */
export function validityProblem(
  summary: CertificateSummary,
  now: Date = new Date(),
): ValidityProblem | undefined {
  const time = now.getTime();
  if (time > Date.parse(summary.validTo)) return 'expired';
  if (time < Date.parse(summary.validFrom)) return 'not-yet-valid';
  return undefined;
}

/** The day part of an ISO date, for messages. */
export function day(iso: string): string {
  return iso.slice(0, 10);
}

/** "CN=alpha (issued by CN=TAK CA, valid 2025-01-01 to 2027-01-01)". */
export function describeCertificate(summary: CertificateSummary): string {
  return `${summary.subject || '(no subject)'} (issued by ${summary.issuer || '(no issuer)'}, valid ${day(summary.validFrom)} to ${day(summary.validTo)})`;
}

/** What is wrong with the dates, as a sentence with a fix, or undefined when they are fine. */
export function describeValidity(
  summary: CertificateSummary,
  whose: string,
  now: Date = new Date(),
): string | undefined {
  const problem = validityProblem(summary, now);
  if (problem === 'expired') {
    return `${whose} ${summary.subject} expired on ${day(summary.validTo)}: get a new one (TAK Server: makeCert.sh), or check this machine's clock`;
  }
  if (problem === 'not-yet-valid') {
    return `${whose} ${summary.subject} is not valid before ${day(summary.validFrom)}: check this machine's clock`;
  }
  return undefined;
}
