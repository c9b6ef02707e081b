/**
 * A TLS identity (private key + certificate) from what TAK users have: a .p12 and its password (makeCert.sh's
 * legacy ones included), or a PEM certificate and key, the key perhaps encrypted with a passphrase. The result
 * is PEM text held in memory, ready for tls.createSecureContext; nothing is written anywhere.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { looksLikePem, pemCertificates, summarize, type CertificateSummary } from './certificate';
import { TlsError, TlsErrorCode } from './errors';
import { looksLikePkcs12, readPkcs12 } from './pkcs12';

/** Raw file contents: a Buffer, or text for PEM. */
export type TlsBytes = Buffer | Uint8Array | string;

export interface IdentityInput {
  /** A .p12/.pfx file, or PEM text with the certificate (and its chain; the key may be in it too). */
  cert: TlsBytes;
  /** The PEM private key, when it is not in `cert`. */
  key?: TlsBytes;
  /** The .p12 password, or the passphrase of an encrypted PEM key. */
  password?: string;
}

export interface TlsIdentity {
  /** The private key as unencrypted PKCS#8 PEM: in memory only, for the secure context. */
  key: string;
  /** PEM: the certificate first, then the rest of the chain that came with it. */
  cert: string;
  /** The certificate itself. */
  certificate: CertificateSummary;
  /** The other certificates that came with it (a .p12 carries its CA chain), in file order. */
  chain: CertificateSummary[];
  /** Where it came from. */
  format: 'pkcs12' | 'pem';
}

export function toBuffer(bytes: TlsBytes): Buffer {
  if (typeof bytes === 'string') return Buffer.from(bytes, 'utf8');
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const PEM_PRIVATE_KEY = /-----BEGIN ((?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/;

function pemKey(text: string, password: string | undefined, what: string): KeyObject {
  const block = PEM_PRIVATE_KEY.exec(text);
  if (!block) {
    throw new TlsError(
      TlsErrorCode.NO_KEY,
      `no private key found for the ${what}: give the key file (PEM, "-----BEGIN PRIVATE KEY-----") or a .p12`,
      what,
    );
  }
  const encrypted = block[1] === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(block[0]);
  if (encrypted && !password) {
    throw new TlsError(
      TlsErrorCode.BAD_PASSWORD,
      `the private key of the ${what} is encrypted: give its passphrase`,
      what,
    );
  }
  try {
    return createPrivateKey(encrypted ? { key: block[0], passphrase: password ?? '' } : { key: block[0] });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (encrypted && (code === 'ERR_OSSL_BAD_DECRYPT' || /decrypt/i.test(messageOf(error)))) {
      throw new TlsError(
        TlsErrorCode.BAD_PASSWORD,
        `the passphrase of the ${what}'s private key is wrong`,
        what,
        { cause: error },
      );
    }
    if (encrypted) {
      // About one wrong passphrase in 250 decrypts to bytes with valid padding, which OpenSSL then fails
      // to decode ("unsupported"): still, by far most likely, the passphrase.
      throw new TlsError(
        TlsErrorCode.BAD_PASSWORD,
        `the private key of the ${what} cannot be decrypted with the passphrase given: the passphrase is ` +
          `wrong, or the key file is damaged (${messageOf(error)})`,
        what,
        { cause: error },
      );
    }
    throw new TlsError(
      TlsErrorCode.BAD_FILE,
      `the private key of the ${what} cannot be read (${messageOf(error)})`,
      what,
      { cause: error },
    );
  }
}

function pemCertificateObjects(text: string, what: string): X509Certificate[] {
  return pemCertificates(text).map((pem) => {
    try {
      return new X509Certificate(pem);
    } catch (error) {
      throw new TlsError(
        TlsErrorCode.BAD_FILE,
        `a certificate of the ${what} cannot be read (${messageOf(error)})`,
        what,
        { cause: error },
      );
    }
  });
}

/** Puts the certificate that belongs to the key first, the rest after it. */
function pair(
  keys: KeyObject[],
  certificates: X509Certificate[],
  what: string,
): { key: KeyObject; leaf: X509Certificate; rest: X509Certificate[] } {
  if (certificates.length === 0) {
    throw new TlsError(TlsErrorCode.NO_CERTIFICATE, `the ${what} holds no certificate`, what);
  }
  if (keys.length === 0) {
    throw new TlsError(
      TlsErrorCode.NO_KEY,
      `the ${what} holds certificates but no private key: is it a truststore? A client or server needs the .p12 made for it (makeCert.sh client NAME / server NAME)`,
      what,
    );
  }
  for (const key of keys) {
    const leaf = certificates.find((certificate) => certificate.checkPrivateKey(key));
    if (leaf) return { key, leaf, rest: certificates.filter((certificate) => certificate !== leaf) };
  }
  throw new TlsError(
    TlsErrorCode.KEY_MISMATCH,
    `the private key of the ${what} does not belong to its certificate (${summarize(certificates[0] as X509Certificate).subject}): give the matching key`,
    what,
  );
}

/**
 * Reads a client or server identity. A .p12 is recognised by its bytes, so `cert` may be either.
 * Throws TlsError: ERR_TLS_BAD_PASSWORD, ERR_TLS_BAD_FILE, ERR_TLS_NO_KEY, ERR_TLS_NO_CERTIFICATE,
 * ERR_TLS_KEY_MISMATCH.
 */
export function loadIdentity(input: IdentityInput, what = 'client certificate'): TlsIdentity {
  const data = toBuffer(input.cert);
  let keys: KeyObject[];
  let certificates: X509Certificate[];
  let format: TlsIdentity['format'];
  if (looksLikePem(data)) {
    const text = data.toString('utf8');
    certificates = pemCertificateObjects(text, what);
    const keyText = input.key === undefined ? text : toBuffer(input.key).toString('utf8');
    keys = certificates.length === 0 ? [] : [pemKey(keyText, input.password, what)];
    format = 'pem';
  } else if (looksLikePkcs12(data)) {
    ({ keys, certificates } = readPkcs12(data, input.password, what));
    format = 'pkcs12';
  } else {
    throw new TlsError(
      TlsErrorCode.BAD_FILE,
      `the ${what} is neither a .p12 file nor PEM text (-----BEGIN CERTIFICATE-----)`,
      what,
    );
  }
  const { key, leaf, rest } = pair(keys, certificates, what);
  return {
    key: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: [leaf, ...rest].map((certificate) => certificate.toString()).join(''),
    certificate: summarize(leaf),
    chain: rest.map(summarize),
    format,
  };
}
