import { formatNumber } from '../cot/format';
import type { CotElement } from '../cot/model';
import {
  checkScalar,
  checkText,
  forEachChild,
  isChild,
  isLeanFlat,
  scalarText,
  writeWithBuilder,
} from '../cot/serialize';
import { assertXmlChars, assertXmlName, escapeAttribute, escapeText, isXmlName } from '../cot/xml-text';
import { closeStringField, openField, putChar, putEscapedAscii, putText } from './writer';

/*
 * xmlDetail written as bytes where it goes in the message, instead of an XML string first and then its
 * bytes: the same text serializeDetailContent makes (same checks, same errors), without building and
 * flattening a string per element. Elements the lean serializer leaves to xmlbuilder2 (nested ones,
 * unknown ones) are still written by serialize.ts as a string, and that string's bytes copied here.
 */

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const SPACE = 0x20;
const EQUALS = 0x3d;
const QUOT = 0x22;

/*
 * An error names the field as `path.key`: that text is made only when there is an error to report (made
 * for every attribute, it was a good part of writing the element).
 */

/** Text or an attribute value, escaped; anything beyond printable ASCII is checked as XML text first. */
function putXml(text: string, attribute: boolean, path: string, key: string): void {
  if (putEscapedAscii(text, attribute)) return;
  assertXmlChars(text, `${path}.${key}`);
  putText(attribute ? escapeAttribute(text) : escapeText(text));
}

function putName(name: string, path: string): void {
  if (!isXmlName(name)) assertXmlName(name, `${path}.${name}`);
  putText(name);
}

/** writeFlat of serialize.ts, into bytes: `<name a="v" .../>` or `<name ...>text</name>`. */
function putFlat(name: string, element: CotElement, path: string): void {
  putChar(LT);
  putText(name);
  for (const key in element) {
    if (key === '_text') continue;
    const value = element[key];
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') {
      // A string needs no conversion: name, then characters, in the order writeFlat checks them.
      putChar(SPACE);
      putName(key, path);
      putChar(EQUALS);
      putChar(QUOT);
      putXml(value, true, path, key);
    } else {
      const field = `${path}.${key}`;
      if (!checkScalar(value, field)) continue;
      if (!isXmlName(key)) assertXmlName(key, field);
      const text =
        typeof value === 'number' && Number.isFinite(value) ? formatNumber(value) : scalarText(value, field);
      putChar(SPACE);
      putText(key);
      putChar(EQUALS);
      putChar(QUOT);
      putXml(text, true, path, key);
    }
    putChar(QUOT);
  }
  const text = element._text;
  if (text === undefined || text === '') {
    putChar(SLASH);
    putChar(GT);
    return;
  }
  putChar(GT);
  if (typeof text === 'string') putXml(text, false, path, '_text');
  else checkText(text, path);
  putChar(LT);
  putChar(SLASH);
  putText(name);
  putChar(GT);
}

function putChild(name: string, element: CotElement, path: string): void {
  if (isLeanFlat(name, element)) putFlat(name, element, path);
  else putText(writeWithBuilder(name, element, path));
}

/**
 * Field 1 of Detail: the XML of the detail children `keep` accepts, in order, each whole, preceded by the
 * detail's own text (what serializeDetailContent returns); nothing when that is empty.
 */
export function writeXmlDetailField(detail: CotElement, keep: (name: string) => boolean): void {
  const at = openField(0x0a);
  const text = detail._text;
  if (text !== undefined) {
    if (typeof text === 'string') putXml(text, false, 'detail', '_text');
    else checkText(text, 'detail');
  }
  for (const key in detail) {
    const value = detail[key];
    if (key === '_text' || !isChild(value) || !keep(key)) continue;
    const field = `detail.${key}`;
    if (!isXmlName(key)) assertXmlName(key, field);
    if (Array.isArray(value))
      forEachChild(value, field, (child, childPath) => putChild(key, child, childPath));
    else putChild(key, value, field);
  }
  closeStringField(at);
}
