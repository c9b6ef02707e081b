import { fragment } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces';
import { CotError, CotErrorCode, describeValue } from './errors';
import { formatMetres, formatNumber } from './format';
import {
  EVENT_ATTRIBUTES,
  PROTOCOL_DETAIL_ELEMENTS,
  type CotElement,
  type CotEvent,
  type CotScalar,
} from './model';
import { DEFAULT_MAX_DEPTH, tooDeepToBuild } from './limits';
import { assertXmlChars, assertXmlName, escapeAttribute, escapeText } from './xml-text';

/**
 * The detail children of the protocol table: written by the lean path below when they are flat (attributes
 * and text only). Anything else, unknown or nested, is arbitrary detail and goes through xmlbuilder2.
 */
const WELL_KNOWN_FLAT = new Set<string>(PROTOCOL_DETAIL_ELEMENTS);

export function scalarText(value: CotScalar, field: string): string {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new CotError(CotErrorCode.INPUT, `${field} is ${value}; give a finite number`, field, value);
  }
  const text = typeof value === 'number' ? formatNumber(value) : String(value);
  assertXmlChars(text, field);
  return text;
}

type Child = CotElement | CotElement[];

export function isChild(value: unknown): value is Child {
  return typeof value === 'object' && value !== null;
}

export function checkScalar(value: unknown, field: string): value is CotScalar {
  if (value === undefined || value === null) return false;
  const kind = typeof value;
  if (kind === 'string' || kind === 'number' || kind === 'boolean') return true;
  throw new CotError(
    CotErrorCode.INPUT,
    `${field} is ${describeValue(value)}; a detail value must be a string, number, boolean, object or array`,
    field,
    value,
  );
}

/** Element levels counted from `<event>` (1): detail is 2, its children 3. */
const DETAIL_DEPTH = 2;

/**
 * Walks an element at `depth`, checking names, characters and depth, and tells whether it has child
 * elements. The depth check also ends a walk around an object that refers back to itself.
 */
function checkElement(element: CotElement, path: string, depth: number): boolean {
  if (depth > DEFAULT_MAX_DEPTH) throw tooDeepToBuild(path, DEFAULT_MAX_DEPTH);
  let nested = false;
  for (const key in element) {
    const value = element[key];
    if (key === '_text') {
      if (value !== undefined) checkText(value, path);
      continue;
    }
    const field = `${path}.${key}`;
    assertXmlName(key, field);
    if (isChild(value)) {
      nested = true;
      forEachChild(value, field, (child, childPath) => checkElement(child, childPath, depth + 1));
    } else if (checkScalar(value, field)) {
      scalarText(value, field);
    }
  }
  return nested;
}

export function checkText(value: unknown, path: string): string {
  const field = `${path}._text`;
  if (typeof value !== 'string') {
    throw new CotError(
      CotErrorCode.INPUT,
      `${field} is ${describeValue(value)}; text must be a string`,
      field,
      value,
    );
  }
  assertXmlChars(value, field);
  return value;
}

export function forEachChild(
  value: Child,
  path: string,
  visit: (child: CotElement, childPath: string) => void,
): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (!isChild(item) || Array.isArray(item)) {
        throw new CotError(
          CotErrorCode.INPUT,
          `${path}[${i}] is ${describeValue(item)}; each repeated element must be an object`,
          `${path}[${i}]`,
          item,
        );
      }
      visit(item, `${path}[${i}]`);
    }
  } else {
    visit(value, path);
  }
}

/** The lean path: a flat element of the protocol table, checked and written in one pass. */
function writeFlat(name: string, element: CotElement, path: string): string {
  let out = `<${name}`;
  for (const key in element) {
    if (key === '_text') continue;
    const value = element[key];
    const field = `${path}.${key}`;
    if (!checkScalar(value, field)) continue;
    assertXmlName(key, field);
    out += ` ${key}="${escapeAttribute(scalarText(value, field))}"`;
  }
  const text = element._text;
  if (text === undefined || text === '') return `${out}/>`;
  return `${out}>${escapeText(checkText(text, path))}</${name}>`;
}

function isFlat(element: CotElement): boolean {
  for (const key in element) if (isChild(element[key])) return false;
  return true;
}

/**
 * xmlbuilder2 does not turn newlines, carriage returns and tabs into character references; doing it on
 * its output is safe because it writes no structural whitespace, so every such character is inside a value.
 */
function singleLine(xml: string): string {
  return xml.replace(/[\n\r\t]/g, (c) => (c === '\n' ? '&#10;' : c === '\r' ? '&#13;' : '&#9;'));
}

/**
 * xmlbuilder2 leaves an `&` alone when it already looks like an entity (`&amp;`, `&A;`), so the value
 * "&amp;" would read back as "&". Escaping every `&` first makes it write exactly what we mean.
 */
function ampersands(value: string): string {
  return value.includes('&') ? value.replace(/&/g, '&amp;') : value;
}

function addToBuilder(parent: XMLBuilder, name: string, element: CotElement): void {
  const attributes: Record<string, string> = {};
  const children: Array<[string, Child]> = [];
  for (const key in element) {
    if (key === '_text') continue;
    const value = element[key];
    if (isChild(value)) children.push([key, value]);
    else if (value !== undefined && value !== null) attributes[key] = ampersands(scalarText(value, key));
  }
  const node = parent.ele(name, attributes);
  if (element._text !== undefined && element._text !== '') node.txt(ampersands(element._text));
  for (const [key, child] of children) {
    if (Array.isArray(child)) for (const item of child) addToBuilder(node, key, item);
    else addToBuilder(node, key, child);
  }
}

/** Arbitrary detail: checked by us (for our error codes), written by xmlbuilder2. */
export function writeWithBuilder(name: string, element: CotElement, path: string): string {
  checkElement(element, path, DETAIL_DEPTH + 1);
  const root = fragment();
  try {
    addToBuilder(root, name, element);
    return singleLine(root.end({ headless: true }));
  } catch (error) {
    // xmlbuilder2 holds names to the namespace rules too (`:a` and `a:b:c` are XML names, not qualified
    // names): what it refuses is a coded error like any other, never a stray DOM exception.
    if (error instanceof CotError) throw error;
    throw new CotError(
      CotErrorCode.XML_NAME,
      `${path} cannot be written: ${error instanceof Error ? error.message : String(error)}; ` +
        'use names without a leading or second ":"',
      path,
    );
  }
}

/** Whether the lean path writes this element (a flat one of the protocol table); else xmlbuilder2 does. */
export function isLeanFlat(name: string, element: CotElement): boolean {
  return WELL_KNOWN_FLAT.has(name) && isFlat(element);
}

function writeChild(name: string, element: CotElement, path: string): string {
  return isLeanFlat(name, element) ? writeFlat(name, element, path) : writeWithBuilder(name, element, path);
}

function writeDetail(detail: CotElement): string {
  let open = '<detail';
  let children = '';
  for (const key in detail) {
    const value = detail[key];
    if (key === '_text') continue;
    const field = `detail.${key}`;
    assertXmlName(key, field);
    if (isChild(value)) {
      forEachChild(value, field, (child, childPath) => {
        children += writeChild(key, child, childPath);
      });
    } else if (checkScalar(value, field)) {
      open += ` ${key}="${escapeAttribute(scalarText(value, field))}"`;
    }
  }
  const text = detail._text === undefined ? '' : escapeText(checkText(detail._text, 'detail'));
  return children === '' && text === '' ? `${open}/>` : `${open}>${text}${children}</detail>`;
}

/**
 * The XML of the detail children `keep` accepts, in order, each whole (a repeated element as all its
 * items), preceded by the detail's own text: what TAK Protocol carries in xmlDetail. Attributes of the
 * detail itself are not written: the caller decides what to do with them.
 */
export function serializeDetailContent(detail: CotElement, keep: (name: string) => boolean): string {
  let out = detail._text === undefined ? '' : escapeText(checkText(detail._text, 'detail'));
  for (const key in detail) {
    const value = detail[key];
    if (key === '_text' || !isChild(value) || !keep(key)) continue;
    const field = `detail.${key}`;
    assertXmlName(key, field);
    forEachChild(value, field, (child, childPath) => {
      out += writeChild(key, child, childPath);
    });
  }
  return out;
}

/** Writes a validated event as one line of XML with no declaration. */
export function serializeEvent(event: CotEvent): string {
  let out = '<event';
  for (const name of EVENT_ATTRIBUTES) {
    const value = event[name];
    if (value !== undefined) out += ` ${name}="${escapeAttribute(value)}"`;
  }
  const p = event.point;
  out += `><point lat="${formatNumber(p.lat)}" lon="${formatNumber(p.lon)}" hae="${formatMetres(p.hae)}" ce="${formatMetres(p.ce)}" le="${formatMetres(p.le)}"/>`;
  if (event.detail !== undefined) {
    if (!isChild(event.detail) || Array.isArray(event.detail)) {
      throw new CotError(
        CotErrorCode.INPUT,
        `detail is ${describeValue(event.detail)}; give an object`,
        'detail',
      );
    }
    out += writeDetail(event.detail);
  }
  return `${out}</event>`;
}

/**
 * The whole event through xmlbuilder2: the reference the lean serializer is tested and benchmarked against.
 * Same input, same bytes.
 */
export function serializeEventWithBuilder(event: CotEvent): string {
  const attributes: Record<string, string> = {};
  for (const name of EVENT_ATTRIBUTES) {
    const value = event[name];
    if (value !== undefined) attributes[name] = ampersands(value);
  }
  const p = event.point;
  const root = fragment();
  const node = root.ele('event', attributes);
  node.ele('point', {
    lat: formatNumber(p.lat),
    lon: formatNumber(p.lon),
    hae: formatMetres(p.hae),
    ce: formatMetres(p.ce),
    le: formatMetres(p.le),
  });
  if (event.detail !== undefined) {
    checkElement(event.detail, 'detail', DETAIL_DEPTH);
    addToBuilder(node, 'detail', event.detail);
  }
  return singleLine(root.end({ headless: true }));
}
