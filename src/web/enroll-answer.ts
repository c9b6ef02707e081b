/**
 * What TAK Server answers during enrollment, read as hostile bytes: the certificate config (XML, or JSON from
 * some servers) and the signed certificate with its CA chain, in each form TAK Server sends it: v2 JSON
 * (`signedCert`, `ca0`, `ca1`... as PEM bodies, with or without the BEGIN/END lines, whatever the content type),
 * v2 XML (when asked by Accept), and the older signClient's PKCS#12 keystore.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import sax from 'sax';
import { readPkcs12 } from '../tls/pkcs12';
import { TlsError } from '../tls/errors';
import { TAK_DEFAULT_CERT_PASSWORD } from '../tls/data-package';
import type { NameEntry } from './csr';
import { WebError, WebErrorCode } from './errors';

/** A config has a handful of name entries; more than this is not a config. */
export const MAX_NAME_ENTRIES = 32;
/** A CA chain is two or three certificates deep; more than this is not a chain. */
export const MAX_CHAIN_CERTIFICATES = 16;

export type AnswerFormat = 'json' | 'xml' | 'pkcs12' | 'pem';

export interface SignedAnswer {
  /** Our certificate, the one that fits our key. */
  certificate: X509Certificate;
  /** The CA chain that came with it, in answer order. */
  chain: X509Certificate[];
  format: AnswerFormat;
}

function badAnswer(message: string, cause?: unknown): never {
  throw new WebError(WebErrorCode.BAD_ANSWER, message, cause === undefined ? undefined : { cause });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An HTML page where data was expected: a login page, a proxy's error page. */
export function looksLikeHtml(body: Buffer): boolean {
  const head = body.subarray(0, 512).toString('utf8').trimStart().toLowerCase();
  return (
    head.startsWith('<!doctype html') || head.startsWith('<html') || /<(?:head|body|title)[\s>]/.test(head)
  );
}

function htmlCheck(body: Buffer, what: string): void {
  if (looksLikeHtml(body)) {
    throw new WebError(
      WebErrorCode.HTML_PAGE,
      `the server answered ${what} with a web page (a login page or an error page), not TAK Server's answer: check the port (enrollment is 8446) and that no proxy stands in between`,
    );
  }
}

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  text: string;
}

/** Every element of a small XML document, local names only, with its attributes and direct text. */
function xmlElements(text: string, what: string): XmlElement[] {
  const parser = sax.parser(true, { xmlns: false, trim: true });
  const elements: XmlElement[] = [];
  const open: XmlElement[] = [];
  parser.onopentag = (tag) => {
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(tag.attributes)) {
      attributes[key.replace(/^.*:/, '')] = typeof value === 'string' ? value : value.value;
    }
    const element = { name: tag.name.replace(/^.*:/, ''), attributes, text: '' };
    elements.push(element);
    open.push(element);
  };
  parser.onclosetag = () => {
    open.pop();
  };
  parser.ontext = (chunk) => {
    const current = open[open.length - 1];
    if (current) current.text += chunk;
  };
  parser.oncdata = parser.ontext;
  try {
    parser.write(text).close();
  } catch (error) {
    badAnswer(`the server's ${what} is not readable XML (${messageOf(error)})`, error);
  }
  return elements;
}

function nameEntry(name: unknown, value: unknown): NameEntry {
  if (typeof name !== 'string' || typeof value !== 'string' || name.trim() === '') {
    badAnswer("the server's enrollment config has a name entry without a name or value");
  }
  return { name, value };
}

/**
 * The subject entries the CA wants, from `GET /Marti/api/tls/config`. TAK Server answers XML
 * (`<certificateConfig><nameEntries><nameEntry name="O" value="TAK"/>...`); JSON with `nameEntries` is read too.
 * Throws WebError ERR_ENROLL_BAD_ANSWER.
 */
export function readCertificateConfig(body: Buffer): NameEntry[] {
  htmlCheck(body, 'the enrollment config request');
  const text = body.toString('utf8').trim();
  let entries: NameEntry[];
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      badAnswer(`the server's enrollment config is not readable JSON (${messageOf(error)})`, error);
    }
    const list = (parsed as { nameEntries?: unknown }).nameEntries;
    const items = Array.isArray(list)
      ? list
      : ((list as { nameEntry?: unknown } | undefined)?.nameEntry ?? []);
    if (!Array.isArray(items)) badAnswer("the server's enrollment config has no list of name entries");
    entries = items.map((item: unknown) => {
      const entry = item as { name?: unknown; value?: unknown };
      return nameEntry(entry.name, entry.value);
    });
  } else if (text.startsWith('<')) {
    const elements = xmlElements(text, 'enrollment config');
    if (!elements.some((element) => /certificateConfig/i.test(element.name))) {
      badAnswer("the server's answer to the enrollment config request is XML but not a certificate config");
    }
    entries = elements
      .filter((element) => element.name === 'nameEntry')
      .map((element) => nameEntry(element.attributes.name, element.attributes.value));
  } else {
    badAnswer("the server's answer to the enrollment config request is neither XML nor JSON");
  }
  if (entries.length > MAX_NAME_ENTRIES) {
    badAnswer(`the server's enrollment config has ${entries.length} name entries; a real one has a few`);
  }
  return entries;
}

/** A PEM body with or without its BEGIN/END lines, as TAK Server's v2 JSON carries it. */
function certificateFrom(text: string, field: string): X509Certificate {
  const trimmed = text.trim();
  const pem = trimmed.includes('-----BEGIN')
    ? trimmed
    : `-----BEGIN CERTIFICATE-----\n${trimmed.replace(/\s+/g, '').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
  try {
    return new X509Certificate(pem);
  } catch (error) {
    badAnswer(`the "${field}" in the server's answer is not a certificate (${messageOf(error)})`, error);
  }
}

/** `ca0`, `ca1`... in number order (and a plain `ca`, as some XML answers name it). */
function chainFields(fields: Array<[string, string]>): X509Certificate[] {
  const chain = fields
    .map(([name, value]) => ({ name, value, index: /^ca(\d*)$/i.exec(name)?.[1] }))
    .filter((field) => field.index !== undefined)
    .sort((a, b) => Number(a.index || 0) - Number(b.index || 0));
  if (chain.length > MAX_CHAIN_CERTIFICATES) {
    badAnswer(`the server's answer carries ${chain.length} CA certificates; a real chain has a few`);
  }
  return chain.map((field) => certificateFrom(field.value, field.name));
}

function fromFields(fields: Array<[string, string]>, format: AnswerFormat): SignedAnswer {
  const signed = fields.find(([name]) => name === 'signedCert');
  if (!signed)
    badAnswer(`the server's ${format.toUpperCase()} answer to the signing request has no "signedCert"`);
  return { certificate: certificateFrom(signed[1], 'signedCert'), chain: chainFields(fields), format };
}

function fromKeystore(body: Buffer, key: string, passwords: string[]): SignedAnswer {
  let certificates: X509Certificate[] | undefined;
  let lastError: unknown;
  for (const password of passwords) {
    try {
      certificates = readPkcs12(body, password, 'enrollment answer').certificates;
      break;
    } catch (error) {
      lastError = error;
    }
  }
  if (!certificates) {
    badAnswer(
      `the server's keystore answer cannot be opened (${lastError instanceof TlsError ? lastError.message : messageOf(lastError)})`,
      lastError,
    );
  }
  if (certificates.length > MAX_CHAIN_CERTIFICATES + 1)
    badAnswer("the server's keystore holds too many certificates");
  const privateKey = createPrivateKey(key);
  const certificate = certificates.find((candidate) => candidate.checkPrivateKey(privateKey));
  if (!certificate) badAnswer("the server's keystore holds no certificate for the key we sent a request for");
  return {
    certificate,
    chain: certificates.filter((candidate) => candidate !== certificate),
    format: 'pkcs12',
  };
}

/**
 * Our signed certificate and the CA chain, from the signing answer in whichever form it came. `key` is the
 * private key the CSR was made with: the certificate must fit it. Throws WebError ERR_ENROLL_BAD_ANSWER.
 */
export function readSignedAnswer(
  body: Buffer,
  key: string,
  keystorePasswords: string[] = [TAK_DEFAULT_CERT_PASSWORD, ''],
): SignedAnswer {
  htmlCheck(body, 'the signing request');
  let answer: SignedAnswer;
  if (body.length > 4 && body[0] === 0x30) {
    answer = fromKeystore(body, key, keystorePasswords);
  } else {
    const text = body.toString('utf8').trim();
    if (text.startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        badAnswer(
          `the server's answer to the signing request is not readable JSON (${messageOf(error)})`,
          error,
        );
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        badAnswer("the server's answer to the signing request is JSON but not an object");
      }
      const fields = Object.entries(parsed).filter(
        (field): field is [string, string] => typeof field[1] === 'string',
      );
      answer = fromFields(fields, 'json');
    } else if (text.startsWith('<')) {
      const fields = xmlElements(text, 'answer to the signing request')
        .filter((element) => element.text.trim() !== '')
        .map((element): [string, string] => [element.name, element.text]);
      answer = fromFields(fields, 'xml');
    } else if (text.includes('-----BEGIN CERTIFICATE-----')) {
      // A bare PEM chain, as some non-TAK servers answer: our certificate is the one that fits our key.
      const all = (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
        (pem) => certificateFrom(pem, 'certificate'),
      );
      const privateKey = createPrivateKey(key);
      const certificate = all.find((candidate) => candidate.checkPrivateKey(privateKey));
      if (!certificate)
        badAnswer("the server's PEM answer holds no certificate for the key we sent a request for");
      return { certificate, chain: all.filter((candidate) => candidate !== certificate), format: 'pem' };
    } else {
      badAnswer("the server's answer to the signing request is neither JSON, XML nor a keystore");
    }
  }
  if (!answer.certificate.checkPrivateKey(createPrivateKey(key))) {
    badAnswer(
      'the certificate the server signed is not for the key we sent a request for: the server answered for another request; try again',
    );
  }
  return answer;
}
