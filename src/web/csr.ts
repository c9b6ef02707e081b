/**
 * A new key pair and a certificate signing request with the subject TAK Server's enrollment config asks for.
 * Node makes the key (fast, native); node-forge writes the PKCS#10 request, which Node cannot. The key stays
 * in memory as PEM.
 */
import { generateKeyPairSync } from 'node:crypto';
import * as forge from 'node-forge';
import { WebError, WebErrorCode } from './errors';

/** TAK Server's CA signs RSA 2048 client certificates, as ATAK asks for. */
export const ENROLL_RSA_BITS = 2048;

export interface NameEntry {
  /** Short name as TAK Server's config gives it: O, OU, C, ST, L, DC, emailAddress... */
  name: string;
  value: string;
}

export interface KeyAndCsr {
  /** PKCS#8 PEM, unencrypted, memory only. */
  key: string;
  /** PEM PKCS#10 request. */
  csr: string;
}

/** The subject attributes node-forge knows by short name, and the OIDs of the others TAK CAs use. */
const SHORT_NAMES = new Set(['CN', 'C', 'ST', 'L', 'O', 'OU', 'E']);
const OIDS: Record<string, string> = {
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1',
  EMAILADDRESS: '1.2.840.113549.1.9.1',
  STREET: '2.5.4.9',
  SN: '2.5.4.4',
  GIVENNAME: '2.5.4.42',
  SERIALNUMBER: '2.5.4.5',
};

function attribute(entry: NameEntry): forge.pki.CertificateField {
  const name = entry.name.trim();
  if (SHORT_NAMES.has(name.toUpperCase())) return { shortName: name.toUpperCase(), value: entry.value };
  const oid = OIDS[name.toUpperCase()] ?? (/^\d+(?:\.\d+)+$/.test(name) ? name : undefined);
  if (oid === undefined) {
    throw new WebError(
      WebErrorCode.BAD_ANSWER,
      `the server's enrollment config asks for a subject entry "${name}" this package does not know: tell us which server this is`,
    );
  }
  return { type: oid, value: entry.value };
}

/**
 * Makes an RSA key pair and a CSR for CN=`commonName` plus the config's entries (a CN among them is replaced
 * by ours: TAK Server's CN is the username). Throws WebError ERR_ENROLL_BAD_ANSWER for an unknown entry.
 */
export function makeKeyAndCsr(commonName: string, entries: NameEntry[]): KeyAndCsr {
  const subject = entries.filter((entry) => entry.name.trim().toUpperCase() !== 'CN').map(attribute);
  subject.push({ shortName: 'CN', value: commonName });
  const pair = generateKeyPairSync('rsa', { modulusLength: ENROLL_RSA_BITS });
  const pkcs1 = pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pkcs1);
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  csr.setSubject(subject);
  csr.sign(forgeKey, forge.md.sha256.create());
  return {
    key: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    csr: forge.pki.certificationRequestToPem(csr),
  };
}
