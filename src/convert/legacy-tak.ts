/**
 * The JSON the older node-red-contrib-tak package emits and accepts: xml-js "compact" form,
 * `{ event: { _attributes: {...}, point: { _attributes: {...} }, detail: { contact: { _attributes } } } }`,
 * where attributes sit in `_attributes`, text in `_text` (or `_cdata`) and repeated elements in arrays.
 * Reading it lets flows built for that package feed cot-build unchanged; writing it lets their
 * downstream nodes keep working behind cot-parse.
 */
import { UNKNOWN_THRESHOLD, UNKNOWN_VALUE } from '../cot/defaults';
import { CotError, CotErrorCode, describeValue } from '../cot/errors';
import { formatMetres, formatNumber } from '../cot/format';
import { DEFAULT_MAX_DEPTH, tooDeepToBuild } from '../cot/limits';
import { EVENT_ATTRIBUTES, type CotElement, type CotEvent, type CotEventInput } from '../cot/model';
import { isRecord } from './read';

/** One element in xml-js compact form. */
export interface LegacyElement {
  _attributes?: Record<string, string | number | boolean>;
  _text?: string;
  [child: string]:
    LegacyElement | LegacyElement[] | Record<string, string | number | boolean> | string | undefined;
}

export interface LegacyTakEvent {
  event: LegacyElement & { _attributes: Record<string, string>; point: LegacyElement };
}

/** xml-js keys that are not elements: declarations, comments and processing instructions are not kept. */
const SKIPPED_KEYS = new Set(['_declaration', '_comment', '_instruction', '_doctype']);

function attributeValue(value: unknown, field: string): string | number | boolean {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new CotError(
    CotErrorCode.INPUT,
    `${field} is ${describeValue(value)}; an attribute is a string, number or boolean`,
    field,
    value,
  );
}

function textOf(value: unknown): string {
  return Array.isArray(value) ? value.map(String).join('') : String(value);
}

/**
 * One element at `depth` (`<event>` is 1, so detail is 2). The input is a flow's object: its depth is
 * checked before this recursion goes further, which also ends a walk around an object that refers back.
 */
function readElement(node: unknown, path: string, depth: number): CotElement {
  if (depth > DEFAULT_MAX_DEPTH) throw tooDeepToBuild(path, DEFAULT_MAX_DEPTH);
  if (!isRecord(node)) {
    // xml-js writes an element holding only text as a bare value in some options: keep it as text.
    if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean')
      return { _text: String(node) };
    throw new CotError(CotErrorCode.INPUT, `${path} is ${describeValue(node)}; give an object`, path, node);
  }
  const element: CotElement = {};
  const attributes = node._attributes;
  if (attributes !== undefined) {
    if (!isRecord(attributes)) {
      throw new CotError(
        CotErrorCode.INPUT,
        `${path}._attributes is ${describeValue(attributes)}; give an object`,
        `${path}._attributes`,
        attributes,
      );
    }
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined || value === null) continue;
      element[name] = attributeValue(value, `${path}._attributes.${name}`);
    }
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === '_attributes' || SKIPPED_KEYS.has(key) || value === undefined || value === null) continue;
    if (key === '_text' || key === '_cdata') {
      element._text = (element._text ?? '') + textOf(value);
      continue;
    }
    if (element[key] !== undefined) {
      throw new CotError(
        CotErrorCode.MODEL_CONFLICT,
        `${path}.${key} is both an attribute and a child element; the CoT model cannot keep both`,
        `${path}.${key}`,
        value,
      );
    }
    element[key] = Array.isArray(value)
      ? value.map((item, i) => readElement(item, `${path}.${key}[${i}]`, depth + 1))
      : readElement(value, `${path}.${key}`, depth + 1);
  }
  return element;
}

/** hae/ce/le as parseCot reads them: missing, not a number or >= 999999 is unknown. */
function metres(value: unknown): number {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : NaN;
  return Number.isFinite(n) && n < UNKNOWN_THRESHOLD ? n : UNKNOWN_VALUE;
}

/** Tells the legacy form from the others: an `event` object with `_attributes`. */
export function isLegacyTak(value: unknown): boolean {
  return isRecord(value) && isRecord(value.event) && isRecord(value.event._attributes);
}

/**
 * The legacy JSON as the canonical model input. Attribute values may be strings (as xml-js reads them)
 * or numbers (as flows write them); a bad one is named by its path (`event.point._attributes.lat`).
 */
export function legacyTakToCot(value: unknown): CotEventInput {
  if (!isLegacyTak(value)) {
    const attributes = isRecord(value) && isRecord(value.event) ? value.event._attributes : undefined;
    throw new CotError(
      CotErrorCode.INPUT,
      `event._attributes is ${describeValue(attributes)}; legacy TAK JSON is { event: { _attributes, point, detail } }`,
      'event._attributes',
      value,
    );
  }
  const event = (value as { event: Record<string, unknown> }).event;
  const attributes = event._attributes as Record<string, unknown>;
  const input: CotEventInput = { point: { lat: NaN, lon: NaN } };
  for (const name of EVENT_ATTRIBUTES) {
    const raw = attributes[name];
    if (raw === undefined || raw === null) continue;
    const text = typeof raw === 'number' ? String(raw) : raw;
    (input as unknown as Record<string, unknown>)[name] = text;
  }
  const point = event.point;
  const pointAttributes = isRecord(point) ? point._attributes : undefined;
  if (!isRecord(pointAttributes)) {
    throw new CotError(
      CotErrorCode.MISSING_POINT,
      `event.point._attributes is ${describeValue(pointAttributes)}; the event needs a point with lat and lon`,
      'event.point._attributes',
      pointAttributes,
    );
  }
  for (const name of ['lat', 'lon'] as const) {
    if (
      pointAttributes[name] === undefined ||
      pointAttributes[name] === null ||
      pointAttributes[name] === ''
    ) {
      throw new CotError(
        CotErrorCode.MISSING_POINT,
        `event.point._attributes.${name} is ${describeValue(pointAttributes[name])}; the event needs a position`,
        `event.point._attributes.${name}`,
        pointAttributes[name],
      );
    }
  }
  // lat and lon go through as given: buildCot reads numeric strings and refuses anything else by name.
  input.point = {
    lat: pointAttributes.lat as number,
    lon: pointAttributes.lon as number,
    hae: metres(pointAttributes.hae),
    ce: metres(pointAttributes.ce),
    le: metres(pointAttributes.le),
  };
  if (event.detail !== undefined && event.detail !== null)
    input.detail = readElement(event.detail, 'event.detail', 2);
  return input;
}

function writeElement(element: CotElement): LegacyElement {
  const out: LegacyElement = {};
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(element)) {
    if (value === undefined) continue;
    if (key === '_text') out._text = String(value);
    else if (Array.isArray(value)) out[key] = value.map(writeElement);
    else if (typeof value === 'object') out[key] = writeElement(value);
    else attributes[key] = typeof value === 'number' ? formatNumber(value) : String(value);
  }
  if (Object.keys(attributes).length > 0) out._attributes = attributes;
  return out;
}

/** The model in the legacy JSON form, every value a string as xml-js reads XML. */
export function cotToLegacyTak(event: CotEvent): LegacyTakEvent {
  const attributes: Record<string, string> = {};
  for (const name of EVENT_ATTRIBUTES) {
    const value = event[name];
    if (value !== undefined) attributes[name] = value;
  }
  const point: LegacyElement = {
    _attributes: {
      lat: formatNumber(event.point.lat),
      lon: formatNumber(event.point.lon),
      hae: formatMetres(event.point.hae),
      ce: formatMetres(event.point.ce),
      le: formatMetres(event.point.le),
    },
  };
  const out: LegacyTakEvent = { event: { _attributes: attributes, point } };
  if (event.detail) out.event.detail = writeElement(event.detail);
  return out;
}
