import { CotError, CotErrorCode } from '../cot/errors';
import { formatNumber } from '../cot/format';
import { EventReader } from '../cot/parse';
import type { CotElement } from '../cot/model';
import { serializeDetailContent } from '../cot/serialize';
import { assertXmlChars } from '../cot/xml-text';
import type { WireContact, WireDetail, WireGroup, WirePrecisionLocation, WireTakv, WireTrack } from './wire';

/*
 * <detail> <-> TAK Protocol's Detail. The six typed fields hold their element only when it fits them
 * exactly, so that reading the message back gives the same model: one element (not repeated), no text,
 * no children, only the attributes the field has, each non-empty text (proto3 cannot tell "" from absent),
 * numbers only as the text the decoder writes back. Anything else, and every other child, travels whole
 * in xmlDetail, in order.
 */

/** An object that can be an element: not an array, not a scalar. */
function elementOf(value: unknown): CotElement | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as CotElement)
    : undefined;
}

/** How many attributes, text or children an element carries. */
function definedCount(element: CotElement): number {
  let count = 0;
  for (const key in element) if (element[key] !== undefined) count++;
  return count;
}

/**
 * An attribute's value for a string field of a typed message: '' when absent, undefined when it cannot
 * travel typed (proto3 cannot tell an empty string from an absent one, and only strings are text).
 */
function fieldText(value: unknown, field: string): string | undefined {
  if (value === undefined) return '';
  if (typeof value !== 'string' || value === '') return undefined;
  assertXmlChars(value, field);
  return value;
}

const present = (text: string): number => (text === '' ? 0 : 1);

/*
 * One function per typed element, each reading its attributes by name: a generic one reading names from
 * a list was a third of the encode (keyed loads and stores on objects of every shape).
 */

function contactOf(value: unknown): WireContact | undefined {
  const element = elementOf(value);
  if (element === undefined) return undefined;
  const endpoint = fieldText(element.endpoint, 'detail.contact.endpoint');
  const callsign = fieldText(element.callsign, 'detail.contact.callsign');
  if (endpoint === undefined || callsign === undefined) return undefined;
  // Any other attribute (or text, or a child) and the element cannot travel typed.
  return definedCount(element) === present(endpoint) + present(callsign) ? { endpoint, callsign } : undefined;
}

function groupOf(value: unknown): WireGroup | undefined {
  const element = elementOf(value);
  if (element === undefined) return undefined;
  const name = fieldText(element.name, 'detail.__group.name');
  const role = fieldText(element.role, 'detail.__group.role');
  if (name === undefined || role === undefined) return undefined;
  return definedCount(element) === present(name) + present(role) ? { name, role } : undefined;
}

function precisionOf(value: unknown): WirePrecisionLocation | undefined {
  const element = elementOf(value);
  if (element === undefined) return undefined;
  const geopointsrc = fieldText(element.geopointsrc, 'detail.precisionlocation.geopointsrc');
  const altsrc = fieldText(element.altsrc, 'detail.precisionlocation.altsrc');
  if (geopointsrc === undefined || altsrc === undefined) return undefined;
  return definedCount(element) === present(geopointsrc) + present(altsrc)
    ? { geopointsrc, altsrc }
    : undefined;
}

function takvOf(value: unknown): WireTakv | undefined {
  const element = elementOf(value);
  if (element === undefined) return undefined;
  const device = fieldText(element.device, 'detail.takv.device');
  const platform = fieldText(element.platform, 'detail.takv.platform');
  const os = fieldText(element.os, 'detail.takv.os');
  const version = fieldText(element.version, 'detail.takv.version');
  if (device === undefined || platform === undefined || os === undefined || version === undefined) {
    return undefined;
  }
  const count = present(device) + present(platform) + present(os) + present(version);
  return definedCount(element) === count ? { device, platform, os, version } : undefined;
}

/** A number written the way the decoder writes it back: the model's text must be exactly that. */
function exactDouble(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && formatNumber(n) === value ? n : undefined;
}

const UINT32_TEXT = /^(?:0|[1-9]\d{0,9})$/;
const UINT32_MAX = 0xffffffff;

function exactUint32(value: unknown): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && UINT32_TEXT.test(value)
        ? Number(value)
        : NaN;
  return Number.isInteger(n) && n >= 0 && n <= UINT32_MAX ? n : undefined;
}

/** Only the listed attributes, all present. */
function onlyKeys(value: unknown, names: readonly string[]): CotElement | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const element = value as CotElement;
  let count = 0;
  for (const key in element) {
    if (element[key] === undefined) continue;
    if (!names.includes(key)) return undefined;
    count++;
  }
  return count === names.length ? element : undefined;
}

function trackOf(value: unknown): WireTrack | undefined {
  const element = onlyKeys(value, ['course', 'speed']);
  if (element === undefined) return undefined;
  const speed = exactDouble(element.speed);
  const course = exactDouble(element.course);
  return speed === undefined || course === undefined ? undefined : { speed, course };
}

function batteryOf(value: unknown): number | undefined {
  const element = onlyKeys(value, ['battery']);
  return element === undefined ? undefined : exactUint32(element.battery);
}

const CONTACT = ['endpoint', 'callsign'] as const;
const GROUP = ['name', 'role'] as const;
const PRECISION = ['geopointsrc', 'altsrc'] as const;
const TAKV = ['device', 'platform', 'os', 'version'] as const;

/** The element names of the typed fields. */
export const TYPED_DETAIL_ELEMENTS = [
  'contact',
  '__group',
  'precisionlocation',
  'status',
  'takv',
  'track',
] as const;

/** Whether the detail child `name` went into its typed field. */
function travelsTyped(name: string, wire: WireDetail): boolean {
  switch (name) {
    case 'contact':
      return wire.contact !== undefined;
    case '__group':
      return wire.group !== undefined;
    case 'precisionlocation':
      return wire.precisionLocation !== undefined;
    case 'status':
      return wire.status !== undefined;
    case 'takv':
      return wire.takv !== undefined;
    case 'track':
      return wire.track !== undefined;
    default:
      return false;
  }
}

/** The Detail message for a model's detail. Throws when the detail has attributes of its own. */
export function detailToWire(detail: CotElement): WireDetail {
  // Every field present from the start: an object that gains and loses fields goes slow (dictionary mode).
  const wire: WireDetail = {
    xmlDetail: '',
    contact: undefined,
    group: undefined,
    precisionLocation: undefined,
    status: undefined,
    takv: undefined,
    track: undefined,
  };
  for (const key in detail) {
    const value = detail[key];
    if (value === undefined || key === '_text') continue;
    if (typeof value !== 'object' || value === null) {
      throw new CotError(
        CotErrorCode.TAKPROTO_UNREPRESENTABLE,
        `detail.${key} is an attribute of <detail> itself, which TAK Protocol cannot carry: ` +
          'move it into a child element of the detail',
        `detail.${key}`,
        value,
      );
    }
    switch (key) {
      case 'contact':
        wire.contact = contactOf(value);
        break;
      case '__group':
        wire.group = groupOf(value);
        break;
      case 'precisionlocation':
        wire.precisionLocation = precisionOf(value);
        break;
      case 'status': {
        const battery = batteryOf(value);
        if (battery !== undefined) {
          wire.status = { battery };
        }
        break;
      }
      case 'takv':
        wire.takv = takvOf(value);
        break;
      case 'track':
        wire.track = trackOf(value);
        break;
      default:
    }
  }
  wire.xmlDetail = serializeDetailContent(detail, (name) => !travelsTyped(name, wire));
  return wire;
}

/** The non-empty fields of a typed message as attributes. */
function attributes<K extends string>(fields: Record<K, string>, names: readonly K[]): CotElement {
  const element: CotElement = {};
  for (const name of names) if (fields[name] !== '') element[name] = fields[name];
  return element;
}

let reader: EventReader | undefined;

/**
 * Devices repeat the same xmlDetail message after message (an SA event's `<uid Droid>` and remarks), and
 * reading it with sax is most of a decode: the last few contents read are kept, with the depth limit
 * they were read under, and handed out as copies (a model is the caller's to change).
 */
const CACHE_ENTRIES = 256; // a few hundred devices' SA details at most: bounded, and cleared when full
const CACHE_MAX_CHARS = 1024; // longer contents are rare (drawings, routes) and read each time
const cache = new Map<string, CotElement>();
let cacheDepth = 0;

/** A copy of read content: plain objects, arrays and strings only. */
function copyContent(element: CotElement): CotElement {
  const copy: CotElement = {};
  for (const key in element) {
    const value = element[key];
    if (typeof value !== 'object') copy[key] = value;
    else if (Array.isArray(value)) copy[key] = value.map(copyContent);
    else copy[key] = copyContent(value);
  }
  return copy;
}

/** xmlDetail read with the event reader (same XML rules and depth limit as an event's detail). */
function readXmlDetail(xml: string, maxDepth: number): CotElement {
  if (maxDepth !== cacheDepth) {
    cache.clear();
    cacheDepth = maxDepth;
  }
  const cached = cache.get(xml);
  if (cached !== undefined) return copyContent(cached);
  const r = reader ?? new EventReader('stream');
  reader = undefined; // a throw may leave it mid-document: the next call gets a fresh one
  r.maxDepth = maxDepth;
  let content: CotElement;
  try {
    content = r.readDetailContent(xml);
  } catch (error) {
    if (error instanceof CotError && error.code === CotErrorCode.XML) {
      throw new CotError(
        CotErrorCode.TAKPROTO_XML_DETAIL,
        `detail.xmlDetail is ${error.message}; the sender wrote broken XML into the TakMessage`,
        'detail.xmlDetail',
      );
    }
    throw error;
  }
  reader = r;
  // What comes out must be writable as XML again (msg.cot, XML clients): refused here, not later.
  serializeDetailContent(content, () => true);
  if (xml.length <= CACHE_MAX_CHARS) {
    if (cache.size >= CACHE_ENTRIES) cache.clear();
    cache.set(xml, copyContent(content));
  }
  return content;
}

/** The model's detail for a Detail message: typed fields first, then xmlDetail's children in order. */
export function detailFromWire(wire: WireDetail, maxDepth: number): CotElement {
  const detail: CotElement = {};
  if (wire.contact) detail.contact = attributes(wire.contact, CONTACT);
  if (wire.group) detail.__group = attributes(wire.group, GROUP);
  if (wire.precisionLocation) detail.precisionlocation = attributes(wire.precisionLocation, PRECISION);
  if (wire.status) detail.status = { battery: String(wire.status.battery) };
  if (wire.takv) detail.takv = attributes(wire.takv, TAKV);
  if (wire.track)
    detail.track = { course: formatNumber(wire.track.course), speed: formatNumber(wire.track.speed) };
  if (wire.xmlDetail === '') return detail;
  const content = readXmlDetail(wire.xmlDetail, maxDepth);
  for (const key in content) {
    const value = content[key];
    const existing = detail[key];
    if (existing === undefined || key === '_text') detail[key] = value;
    else {
      // Another writer sent the element both typed and in xmlDetail: keep both, typed first.
      const typedOne = existing as CotElement;
      detail[key] = Array.isArray(value) ? [typedOne, ...value] : [typedOne, value as CotElement];
    }
  }
  return detail;
}
