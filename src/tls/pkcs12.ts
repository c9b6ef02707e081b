/**
 * PKCS#12 (.p12, .pfx) files as TAK Server hands them out, read in memory with node-forge.
 *
 * Why not Node: makeCert.sh writes client and truststore .p12 files with the legacy RC2-40 encryption
 * whenever OpenSSL 3 is installed, and Node 20 (OpenSSL 3 without the legacy provider) refuses them with
 * ERR_CRYPTO_UNSUPPORTED_OPERATION "Unsupported PKCS12 PFX data". node-forge decrypts every scheme TAK tools
 * use (RC2-40, 3DES, PBES2 with AES and SHA-256) in JavaScript. What it finds is handed to Node as KeyObjects
 * and X509Certificates: nothing is written to disk, and Node does all the cryptography of the connection.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import * as forge from 'node-forge';
import { TlsError, TlsErrorCode } from './errors';

export interface Pkcs12Contents {
  /** The private keys, as Node KeyObjects. */
  keys: KeyObject[];
  /** Every certificate in the file, in file order. */
  certificates: X509Certificate[];
}

/** A DER PKCS#12 PFX starts with a SEQUENCE; anything else is not one (PEM, a zip, text...). */
export function looksLikePkcs12(data: Buffer): boolean {
  return data.length > 4 && data[0] === 0x30;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isPasswordFailure(message: string): boolean {
  return /MAC could not be verified|wrong password|Invalid password|decrypt/i.test(message);
}

function toBuffer(bytes: forge.util.ByteStringBuffer): Buffer {
  return Buffer.from(bytes.getBytes(), 'binary');
}

function parse(data: Buffer, password: string | undefined, what: string): forge.pkcs12.Pkcs12Pfx {
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.asn1.fromDer(data.toString('binary'), false);
  } catch (error) {
    throw new TlsError(
      TlsErrorCode.BAD_FILE,
      `the ${what} is not a PKCS#12 (.p12) file or is damaged (${messageOf(error)})`,
      what,
      { cause: error },
    );
  }
  try {
    // Not strict: Java keytool and some Windows tools write BER (indefinite lengths) inside the PFX.
    return forge.pkcs12.pkcs12FromAsn1(asn1, false, password);
  } catch (error) {
    const message = messageOf(error);
    if (isPasswordFailure(message)) {
      throw new TlsError(
        TlsErrorCode.BAD_PASSWORD,
        `the password of the ${what} is wrong${password ? '' : ' or missing'} (TAK Server's makeCert.sh uses atakatak unless told otherwise)`,
        what,
        { cause: error },
      );
    }
    throw new TlsError(TlsErrorCode.BAD_FILE, `the ${what} cannot be read as PKCS#12 (${message})`, what, {
      cause: error,
    });
  }
}

function keyOf(bag: forge.pkcs12.Bag, what: string): KeyObject {
  try {
    if (bag.key) {
      // node-forge decodes RSA keys itself (every TAK Server certificate is RSA).
      const der = toBuffer(forge.asn1.toDer(forge.pki.privateKeyToAsn1(bag.key)));
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
    }
    // EC and other keys: node-forge hands over the decrypted PrivateKeyInfo; Node reads it.
    return createPrivateKey({ key: toBuffer(forge.asn1.toDer(bag.asn1)), format: 'der', type: 'pkcs8' });
  } catch (error) {
    throw new TlsError(
      TlsErrorCode.BAD_FILE,
      `the private key in the ${what} cannot be read (${messageOf(error)})`,
      what,
      { cause: error },
    );
  }
}

function certificateOf(bag: forge.pkcs12.Bag, what: string): X509Certificate {
  try {
    // The parsed TBSCertificate is kept by node-forge, so the DER written back is byte for byte the original.
    const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1;
    return new X509Certificate(toBuffer(forge.asn1.toDer(asn1)));
  } catch (error) {
    throw new TlsError(
      TlsErrorCode.BAD_FILE,
      `a certificate in the ${what} cannot be read (${messageOf(error)})`,
      what,
      { cause: error },
    );
  }
}

/**
 * Opens a .p12 with its password: keys and certificates, ready for Node. `what` names the file in messages
 * ("client certificate", "truststore"). Throws TlsError: ERR_TLS_BAD_PASSWORD, ERR_TLS_BAD_FILE.
 */
export function readPkcs12(data: Buffer, password: string | undefined, what: string): Pkcs12Contents {
  let pfx: forge.pkcs12.Pkcs12Pfx;
  try {
    pfx = parse(data, password ?? '', what);
  } catch (error) {
    // PKCS#12 has two spellings of "no password" (an empty string, or none at all); try the other one.
    if (!(error instanceof TlsError) || error.code !== TlsErrorCode.BAD_PASSWORD || password) throw error;
    pfx = parse(data, undefined, what);
  }
  const keys: KeyObject[] = [];
  const certificates: X509Certificate[] = [];
  for (const safe of pfx.safeContents) {
    for (const bag of safe.safeBags) {
      if (bag.type === forge.pki.oids.pkcs8ShroudedKeyBag || bag.type === forge.pki.oids.keyBag) {
        keys.push(keyOf(bag, what));
      } else if (bag.type === forge.pki.oids.certBag) {
        certificates.push(certificateOf(bag, what));
      }
      // CRL and secret bags carry nothing a TLS connection uses.
    }
  }
  return { keys, certificates };
}
