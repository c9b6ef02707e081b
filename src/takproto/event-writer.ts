import { UNKNOWN_THRESHOLD, UNKNOWN_VALUE } from '../cot/defaults';
import { CotError, CotErrorCode } from '../cot/errors';
import { formatNumber } from '../cot/format';
import type { CotElement, CotEvent } from '../cot/model';
import {
  closeField,
  closeWideField,
  doubleField,
  openField,
  openWideField,
  stringField,
  varintField,
  xmlTextField,
} from './writer';
import { writeXmlDetailField } from './xml-detail-writer';

/*
 * A CotEvent written from the model straight into TakMessage bytes, with no intermediate message
 * objects. The six typed detail fields hold their element only when it fits them exactly, so that reading
 * the message back gives the same model: one element (not repeated), no text, no children, only the
 * attributes the field has, each non-empty text (proto3 cannot tell "" from absent), numbers only as the
 * text the decoder writes back. Anything else, and every other child, travels whole in xmlDetail, in order.
 */

function metresToWire(value: number): number {
  return value >= UNKNOWN_THRESHOLD ? UNKNOWN_VALUE : value;
}

/** An attribute a typed string field can hold: absent, or non-empty text. */
function fitsText(value: unknown): boolean {
  return value === undefined || (typeof value === 'string' && value !== '');
}

const given = (value: unknown): number => (value === undefined ? 0 : 1);

/** How many attributes, text or children an element carries. */
function definedCount(element: CotElement): number {
  let count = 0;
  for (const key in element) if (element[key] !== undefined) count++;
  return count;
}

/*
 * One check per typed element, each reading its attributes by name: a generic one reading names from a
 * list was a third of the encode (keyed loads and stores on objects of every shape). Any attribute beyond
 * the field's own (or text, or a child) and the element cannot travel typed.
 */

function contactFits(e: CotElement): boolean {
  const { endpoint, callsign } = e;
  return fitsText(endpoint) && fitsText(callsign) && definedCount(e) === given(endpoint) + given(callsign);
}

function groupFits(e: CotElement): boolean {
  const { name, role } = e;
  return fitsText(name) && fitsText(role) && definedCount(e) === given(name) + given(role);
}

function precisionFits(e: CotElement): boolean {
  const { geopointsrc, altsrc } = e;
  return fitsText(geopointsrc) && fitsText(altsrc) && definedCount(e) === given(geopointsrc) + given(altsrc);
}

function takvFits(e: CotElement): boolean {
  const { device, platform, os, version } = e;
  return (
    fitsText(device) &&
    fitsText(platform) &&
    fitsText(os) &&
    fitsText(version) &&
    definedCount(e) === given(device) + given(platform) + given(os) + given(version)
  );
}

/** A number written the way the decoder writes it back: the model's text must be exactly that. */
function exactDouble(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : NaN;
  if (typeof value !== 'string') return NaN;
  const n = Number(value);
  return Number.isFinite(n) && formatNumber(n) === value ? n : NaN;
}

const UINT32_TEXT = /^(?:0|[1-9]\d{0,9})$/;
const UINT32_MAX = 0xffffffff;

/** The battery the status element says, or -1 when it cannot travel typed. */
function batteryOf(e: CotElement): number {
  const battery = e.battery;
  if (battery === undefined || definedCount(e) !== 1) return -1;
  const n =
    typeof battery === 'number'
      ? battery
      : typeof battery === 'string' && UINT32_TEXT.test(battery)
        ? Number(battery)
        : NaN;
  return Number.isInteger(n) && n >= 0 && n <= UINT32_MAX ? n : -1;
}

function trackFits(e: CotElement): boolean {
  const { speed, course } = e;
  return (
    speed !== undefined &&
    course !== undefined &&
    definedCount(e) === 2 &&
    !Number.isNaN(exactDouble(speed)) &&
    !Number.isNaN(exactDouble(course))
  );
}

/** An element a typed field could hold: an object, not a repeated element. */
function single(value: object): CotElement | undefined {
  return Array.isArray(value) ? undefined : (value as CotElement);
}

function attributeOfDetail(key: string, value: unknown): CotError {
  return new CotError(
    CotErrorCode.TAKPROTO_UNREPRESENTABLE,
    `detail.${key} is an attribute of <detail> itself, which TAK Protocol cannot carry: ` +
      'move it into a child element of the detail',
    `detail.${key}`,
    value,
  );
}

/** Which detail children go typed: found in one pass, so xmlDetail (field 1) can be written first. */
interface TypedChildren {
  contact: CotElement | undefined;
  group: CotElement | undefined;
  precision: CotElement | undefined;
  status: CotElement | undefined;
  takv: CotElement | undefined;
  track: CotElement | undefined;
  /** Whether anything is left for xmlDetail. */
  rest: boolean;
}

function typedChildren(detail: CotElement): TypedChildren {
  const typed: TypedChildren = {
    contact: undefined,
    group: undefined,
    precision: undefined,
    status: undefined,
    takv: undefined,
    track: undefined,
    rest: false,
  };
  for (const key in detail) {
    const value = detail[key];
    if (value === undefined) continue;
    if (key === '_text') {
      typed.rest = true;
      continue;
    }
    if (typeof value !== 'object' || value === null) throw attributeOfDetail(key, value);
    const e = single(value);
    let fits = false;
    if (e !== undefined) {
      switch (key) {
        case 'contact':
          if ((fits = contactFits(e))) typed.contact = e;
          break;
        case '__group':
          if ((fits = groupFits(e))) typed.group = e;
          break;
        case 'precisionlocation':
          if ((fits = precisionFits(e))) typed.precision = e;
          break;
        case 'status':
          if ((fits = batteryOf(e) >= 0)) typed.status = e;
          break;
        case 'takv':
          if ((fits = takvFits(e))) typed.takv = e;
          break;
        case 'track':
          if ((fits = trackFits(e))) typed.track = e;
          break;
        default:
      }
    }
    if (!fits) typed.rest = true;
  }
  return typed;
}

/** Whether the detail child `name` travels in its typed field. */
function goesTyped(name: string, typed: TypedChildren): boolean {
  switch (name) {
    case 'contact':
      return typed.contact !== undefined;
    case '__group':
      return typed.group !== undefined;
    case 'precisionlocation':
      return typed.precision !== undefined;
    case 'status':
      return typed.status !== undefined;
    case 'takv':
      return typed.takv !== undefined;
    case 'track':
      return typed.track !== undefined;
    default:
      return false;
  }
}

/** A typed field's attribute: fitsText has made it a string or absent. */
function text(value: unknown): string {
  return value === undefined ? '' : (value as string);
}

function writeDetail(detail: CotElement): void {
  const typed = typedChildren(detail);
  const at = openWideField(0x7a);
  if (typed.rest) writeXmlDetailField(detail, (name) => !goesTyped(name, typed));
  const { contact, group, precision, status, takv, track } = typed;
  if (contact !== undefined) {
    const c = openField(0x12);
    xmlTextField(0x0a, text(contact.endpoint), 'detail.contact.endpoint');
    xmlTextField(0x12, text(contact.callsign), 'detail.contact.callsign');
    closeField(c);
  }
  if (group !== undefined) {
    const g = openField(0x1a);
    xmlTextField(0x0a, text(group.name), 'detail.__group.name');
    xmlTextField(0x12, text(group.role), 'detail.__group.role');
    closeField(g);
  }
  if (precision !== undefined) {
    const p = openField(0x22);
    xmlTextField(0x0a, text(precision.geopointsrc), 'detail.precisionlocation.geopointsrc');
    xmlTextField(0x12, text(precision.altsrc), 'detail.precisionlocation.altsrc');
    closeField(p);
  }
  if (status !== undefined) {
    const s = openField(0x2a);
    varintField(0x08, batteryOf(status));
    closeField(s);
  }
  if (takv !== undefined) {
    const t = openField(0x32);
    xmlTextField(0x0a, text(takv.device), 'detail.takv.device');
    xmlTextField(0x12, text(takv.platform), 'detail.takv.platform');
    xmlTextField(0x1a, text(takv.os), 'detail.takv.os');
    xmlTextField(0x22, text(takv.version), 'detail.takv.version');
    closeField(t);
  }
  if (track !== undefined) {
    const t = openField(0x3a);
    doubleField(0x09, exactDouble(track.speed));
    doubleField(0x11, exactDouble(track.course));
    closeField(t);
  }
  closeWideField(at);
}

/**
 * The CotEvent field of a TakMessage, from a validated model and its times in ms since the epoch (read
 * and range-checked by the caller).
 */
export function writeCotEvent(event: CotEvent, time: number, start: number, stale: number): void {
  const at = openWideField(0x12);
  stringField(0x0a, event.type);
  stringField(0x12, event.access ?? '');
  stringField(0x1a, event.qos ?? '');
  stringField(0x22, event.opex ?? '');
  stringField(0x2a, event.uid);
  varintField(0x30, time);
  varintField(0x38, start);
  varintField(0x40, stale);
  stringField(0x4a, event.how);
  const p = event.point;
  doubleField(0x51, p.lat);
  doubleField(0x59, p.lon);
  doubleField(0x61, metresToWire(p.hae));
  doubleField(0x69, metresToWire(p.ce));
  doubleField(0x71, metresToWire(p.le));
  if (event.detail !== undefined) writeDetail(event.detail);
  closeWideField(at);
}
