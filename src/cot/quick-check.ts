import { parseDecimal } from './decimal';
import { checkTime } from './time';

/**
 * A fast, conservative proof that a string is one plain CoT event that parseCot accepts, for the send path: a
 * flow that hands over ready-made XML (tak-send, TakClient.send) would otherwise pay a full parse per event,
 * about a third of what the socket can write. It answers `undefined` whenever it is not sure, and the caller
 * then parses in full (which also gives the exact error), so it only has to be right when it says yes; a
 * differential test holds it to that against parseCot.
 *
 * It says yes only to: one `<event>` on one line with every attribute of the event present (none escaped),
 * exactly one `<point>` with plain decimal lat and lon, at most one `<detail>`, elements and attributes with
 * ASCII names, no duplicate attribute on the event or the point, no comment, CDATA, processing instruction or DOCTYPE, only the five
 * named entities, no character below U+0020 but tab, none from U+D800 up, no `]]>`, nothing nested deeper
 * than QUICK_MAX_DEPTH, no `<marti>` (addressing) and no delete event (their facts need the model).
 */
export interface QuickEventFacts {
  uid: string;
  type: string;
}

/** Real events nest a handful of levels; anything deeper goes to the full parser and its own limit. */
export const QUICK_MAX_DEPTH = 16;

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const EQ = 0x3d;
const QUOT = 0x22;
const APOS = 0x27;
const SPACE = 0x20;
const TAB = 0x09;

const TYPE_PATTERN = /^\w+(-\w+)*$/;
const HOW_PATTERN = /^\w(-\w+)*$/;
const COORDINATE = /^-?\d{1,3}(\.\d{1,15})?$/;
const EVENT_ATTRIBUTES = new Set([
  'version',
  'uid',
  'type',
  'how',
  'time',
  'start',
  'stale',
  'access',
  'qos',
  'opex',
]);
const POINT_ATTRIBUTES = new Set(['lat', 'lon', 'hae', 'ce', 'le']);
const NAMED_ENTITIES = ['amp;', 'lt;', 'gt;', 'quot;', 'apos;'];

/** ASCII name characters, by code: 1 may start a name, 2 may only continue one. A table beats a chain of tests. */
const NAME_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a;
  const more = (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;
  NAME_CHARS[c] = letter ? 1 : more ? 2 : 0;
}

/** Where the name starting at `i` ends, or -1 when none starts there. */
function nameEnd(text: string, i: number): number {
  if (NAME_CHARS[text.charCodeAt(i)] !== 1) return -1; // undefined past 127 and past the end
  let j = i + 1;
  while ((NAME_CHARS[text.charCodeAt(j)] ?? 0) !== 0) j++;
  return j;
}

/** A named entity at `i` (just after `&`): the index after its `;`, or -1. */
function entityEnd(text: string, i: number): number {
  for (const entity of NAMED_ENTITIES) if (text.startsWith(entity, i)) return i + entity.length;
  return -1;
}

/**
 * Characters the quick path leaves to the full parser: controls but tab (line breaks too: a multi-line event is
 * rewritten on one line), and everything from U+D800 up (surrogates, U+FFFE, U+FFFF).
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSURE_CHARACTER = /[\u0000-\u0008\u000a-\u001f\ud800-\uffff]/;

/** Every `&` in text[from, to) starts one of the five named entities. */
function entitiesOk(text: string, from: number, to: number): boolean {
  for (let a = text.indexOf('&', from); a >= 0 && a < to; a = text.indexOf('&', a + 1)) {
    if (entityEnd(text, a + 1) < 0) return false;
  }
  return true;
}

/** What readStartTag found besides the end it returns: kept here so a tag costs no object. */
let tagNameEnd = 0;
let tagSelfClosing = false;

/** Whether the name at text[start, end) is `name`, without making a string of it. */
function nameIs(text: string, start: number, end: number, name: string): boolean {
  return end - start === name.length && text.startsWith(name, start);
}

/**
 * Reads a start tag at `i` (on its `<`), putting its attributes in `attributes` when given: returns the index after
 * the tag (its name ends at tagNameEnd, tagSelfClosing says `/>`), or -1 when it is not one the quick path takes.
 */
function readStartTag(text: string, i: number, attributes: Map<string, string> | undefined): number {
  const end = nameEnd(text, i + 1);
  if (end < 0) return -1;
  tagNameEnd = end;
  let j = end;
  for (;;) {
    const c = text.charCodeAt(j);
    if (c === GT) {
      tagSelfClosing = false;
      return j + 1;
    }
    if (c === SLASH) {
      tagSelfClosing = true;
      return text.charCodeAt(j + 1) === GT ? j + 2 : -1;
    }
    // Between attributes: white space, and at least one.
    if (c !== SPACE && c !== TAB) return -1;
    while (text.charCodeAt(j) === SPACE || text.charCodeAt(j) === TAB) j++;
    const next = text.charCodeAt(j);
    if (next === GT || next === SLASH) continue;
    const attrEnd = nameEnd(text, j);
    if (attrEnd < 0) return -1;
    const attrStart = j;
    j = attrEnd;
    if (text.charCodeAt(j) !== EQ) return -1;
    const quote = text.charCodeAt(j + 1);
    if (quote !== QUOT && quote !== APOS) return -1;
    const valueStart = j + 2;
    // Native searches, not a loop per character: the characters themselves were checked up front.
    const k = text.indexOf(quote === QUOT ? '"' : "'", valueStart);
    if (k < 0) return -1;
    const lt = text.indexOf('<', valueStart);
    if (lt >= 0 && lt < k) return -1;
    if (!entitiesOk(text, valueStart, k)) return -1;
    if (attributes !== undefined) {
      // parseCot keeps the first of two same-named attributes; rather than copy that rule, leave it to it.
      const name = text.slice(attrStart, attrEnd);
      if (attributes.has(name)) return -1;
      attributes.set(name, text.slice(valueStart, k));
    }
    j = k + 1;
    // After a value: white space, `>` or `/>`; checked at the top of the loop.
  }
}

/** Scans the whole event; returns its event and point attributes, or undefined. */
function scan(text: string): { event: Map<string, string>; point: Map<string, string> } | undefined {
  // Open elements as [nameStart, nameEnd] pairs, so no name becomes a string.
  const stack: number[] = [];
  let eventAttributes: Map<string, string> | undefined;
  let pointAttributes: Map<string, string> | undefined;
  let detailSeen = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === LT) {
      const depth = stack.length >> 1;
      if (eventAttributes !== undefined && depth === 0) return undefined; // after the root
      if (text.charCodeAt(i + 1) === SLASH) {
        const end = nameEnd(text, i + 2);
        if (end < 0 || depth === 0) return undefined;
        const openStart = stack[stack.length - 2] as number;
        const openEnd = stack[stack.length - 1] as number;
        if (
          end - (i + 2) !== openEnd - openStart ||
          !text.startsWith(text.slice(openStart, openEnd), i + 2)
        ) {
          return undefined;
        }
        let j = end;
        while (text.charCodeAt(j) === SPACE || text.charCodeAt(j) === TAB) j++;
        if (text.charCodeAt(j) !== GT) return undefined;
        stack.length -= 2;
        i = j + 1;
        continue;
      }
      if (depth + 1 > QUICK_MAX_DEPTH) return undefined;
      const attributes = depth <= 1 ? new Map<string, string>() : undefined;
      const after = readStartTag(text, i, attributes);
      if (after < 0) return undefined;
      const nameStart = i + 1;
      const end = tagNameEnd;
      const selfClosing = tagSelfClosing;
      if (depth === 0) {
        if (!nameIs(text, nameStart, end, 'event') || selfClosing) return undefined;
        eventAttributes = attributes;
      } else if (depth === 1) {
        if (nameIs(text, nameStart, end, 'point')) {
          if (pointAttributes !== undefined) return undefined;
          pointAttributes = attributes;
        } else if (nameIs(text, nameStart, end, 'detail') && !detailSeen) {
          detailSeen = true;
        } else {
          return undefined;
        }
      } else if (
        nameIs(text, nameStart, end, 'event') ||
        nameIs(text, nameStart, end, 'marti') ||
        nameIs(text, nameStart, end, 'point')
      ) {
        return undefined;
      }
      if (!selfClosing) stack.push(nameStart, end);
      i = after;
      continue;
    }
    if (stack.length === 0) return undefined; // text outside the root
    // Text up to the next tag: only its references need a look.
    let next = text.indexOf('<', i);
    if (next < 0) next = n;
    if (!entitiesOk(text, i, next)) return undefined;
    i = next;
  }
  if (stack.length !== 0 || eventAttributes === undefined || pointAttributes === undefined) return undefined;
  return { event: eventAttributes, point: pointAttributes };
}

function coordinateOk(text: string | undefined, limit: number): boolean {
  if (text === undefined || !COORDINATE.test(text)) return false;
  const value = parseDecimal(text);
  return value >= -limit && value <= limit;
}

function timeOk(text: string): boolean {
  try {
    checkTime(text, 'time');
    return true;
  } catch {
    return false;
  }
}

/** The event's uid and type when `text` (trimmed, nothing else around it) is proven good; else undefined. */
export function quickCheckEvent(text: string): QuickEventFacts | undefined {
  if (!text.startsWith('<event') || !text.endsWith('</event>')) return undefined;
  // `]]>` is refused in text; anywhere is simpler, and real events never carry it.
  if (UNSURE_CHARACTER.test(text) || text.includes(']]>')) return undefined;
  const found = scan(text);
  if (found === undefined) return undefined;
  const { event, point } = found;
  for (const name of event.keys()) if (!EVENT_ATTRIBUTES.has(name)) return undefined;
  for (const name of point.keys()) if (!POINT_ATTRIBUTES.has(name)) return undefined;
  const uid = event.get('uid');
  const type = event.get('type');
  const how = event.get('how');
  const time = event.get('time');
  const start = event.get('start');
  const stale = event.get('stale');
  if (
    uid === undefined ||
    type === undefined ||
    how === undefined ||
    time === undefined ||
    start === undefined ||
    stale === undefined ||
    event.get('version') !== '2.0'
  ) {
    return undefined;
  }
  // An escaped uid or type would need decoding; the full parser does that.
  if (uid === '' || uid.includes('&') || !TYPE_PATTERN.test(type) || !HOW_PATTERN.test(how)) return undefined;
  if (type === 't-x-d-d' || type.startsWith('t-x-d-d-')) return undefined;
  if (!coordinateOk(point.get('lat'), 90) || !coordinateOk(point.get('lon'), 180)) return undefined;
  if (!timeOk(time) || (start !== time && !timeOk(start)) || !timeOk(stale)) return undefined;
  return { uid, type };
}
