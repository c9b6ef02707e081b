import { CotError, CotErrorCode } from '../cot/errors';
import { formatNumber } from '../cot/format';
import { EventReader } from '../cot/parse';
import type { CotElement } from '../cot/model';
import { serializeDetailContent } from '../cot/serialize';
import type { WireDetail } from './wire';

/*
 * TAK Protocol's Detail -> the model's <detail>: typed fields become their elements, xmlDetail's children
 * follow in order. Which elements travel typed is decided where they are written (event-writer.ts).
 */

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
