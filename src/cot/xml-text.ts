import { CotError, CotErrorCode } from './errors';

/** Characters XML 1.0 can carry (the Char production); lone surrogates fall outside it under the `u` flag. */
export const ILLEGAL_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ATTR_NEEDS_ESCAPE = /[&<>"\n\r\t]/;
const TEXT_NEEDS_ESCAPE = /[&<>\n\r\t]/;
const ATTR_ESCAPES = /[&<>"\n\r\t]/g;
const TEXT_ESCAPES = /[&<>\n\r\t]/g;

/**
 * Newlines, carriage returns and tabs become character references so that every event stays on one line
 * and a parser's attribute-value normalisation cannot turn them into spaces.
 */
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\n': '&#10;',
  '\r': '&#13;',
  '\t': '&#9;',
};

function escapeChar(c: string): string {
  return ESCAPES[c] as string;
}

export function escapeAttribute(value: string): string {
  return ATTR_NEEDS_ESCAPE.test(value) ? value.replace(ATTR_ESCAPES, escapeChar) : value;
}

export function escapeText(value: string): string {
  return TEXT_NEEDS_ESCAPE.test(value) ? value.replace(TEXT_ESCAPES, escapeChar) : value;
}

/**
 * Printable ASCII, tab, newline and carriage return only: what nearly every value is, and all of it legal
 * in XML 1.0. A loop over a short string is several times quicker than a regex call on it.
 */
function isPlainXmlAscii(value: string): boolean {
  for (let k = 0; k < value.length; k++) {
    const c = value.charCodeAt(k);
    if (c >= 0x20 ? c > 0x7e : c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}

/** Refuses a value XML 1.0 cannot carry, naming the field, instead of emitting a document no parser accepts. */
export function assertXmlChars(value: string, field: string): void {
  if (isPlainXmlAscii(value)) return;
  const bad = ILLEGAL_XML_CHAR.exec(value);
  if (bad) {
    const codePoint = (bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    throw new CotError(
      CotErrorCode.XML_CHAR,
      `${field} contains U+${codePoint} at index ${bad.index}, a character XML 1.0 cannot carry; remove or replace it`,
      field,
      value,
    );
  }
}

const NAME_START =
  ':A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D' +
  '\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
// The class deliberately lists combining marks (U+0300-U+036F): XML allows them after the first character.
// eslint-disable-next-line no-misleading-character-class
const XML_NAME = new RegExp(`^[${NAME_START}][${NAME_CHAR}]*$`, 'u');

/** Names seen in real detail repeat endlessly; remembering the legal ones keeps the check off the hot path. */
const KNOWN_GOOD_NAMES = new Set<string>();
const MAX_REMEMBERED_NAMES = 4096; // far more distinct names than real traffic uses; bounds memory on hostile input

export function isXmlName(name: string): boolean {
  if (KNOWN_GOOD_NAMES.has(name)) return true;
  if (!XML_NAME.test(name)) return false;
  if (KNOWN_GOOD_NAMES.size < MAX_REMEMBERED_NAMES) KNOWN_GOOD_NAMES.add(name);
  return true;
}

export function assertXmlName(name: string, field: string): void {
  if (!isXmlName(name)) {
    throw new CotError(
      CotErrorCode.XML_NAME,
      `${field}: ${JSON.stringify(name)} is not a legal XML name (start with a letter or "_", then letters, digits, "-", "_" or ".")`,
      field,
      name,
    );
  }
}
