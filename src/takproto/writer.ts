import { assertXmlChars } from '../cot/xml-text';

/*
 * TakMessage bytes written front to back into a shared slab, behind room for the framing header, and
 * handed out as a view of the slab: no copy, no allocation but the view (the way Buffer.allocUnsafe shares
 * its pool). An embedded message gets one byte for its length up front (two for the CotEvent and its
 * Detail, which are nearly always 128 bytes or more); a body whose length needs another width is moved
 * along once its size is known. protobufjs's Writer (a list of pending operations, a fork per embedded
 * message) measured about twice as slow on an SA event; the encoding is the same (proto3: fields at their
 * default value are not written).
 *
 * One message at a time: beginMessage, the fields, finishMessage. Nothing here yields, so two callers
 * cannot interleave.
 */

/** How a framing puts its header in front of a message of `size` bytes. */
export interface Framing {
  headerBytes(size: number): number;
  writeHeader(into: Buffer, at: number, size: number): void;
}

/** Size of a slab: an SA event is a few hundred bytes, so a few dozen share one, as in Buffer's own pool. */
const SLAB_BYTES = 8192;
/** A message starts with less than this left in the slab on a fresh one, so that few have to move. */
const SLAB_MIN_LEFT = 1024;
/** A slab grown past this for one huge message is not used for the next. */
const SLAB_KEEP_BYTES = 256 * 1024;
/** Room for the longest framing header: a stream frame's 0xbf and a length varint (five bytes to 2^35). */
const HEADER_ROOM = 8;
/**
 * Strings up to this many characters are copied in JS, optimistically as printable ASCII; longer ones
 * (and any other) go to Buffer#write, whose call costs about what a loop over this many characters does.
 */
const SHORT_STRING = 40;
/** The most bytes one UTF-16 code unit becomes in UTF-8. */
const MAX_UTF8_PER_UNIT = 3;
/** A tag, and a length varint of up to five bytes. */
const FIELD_HEAD_BYTES = 6;

let scratch = Buffer.allocUnsafeSlow(SLAB_BYTES);
/** Where the slab's free part starts: everything before it has been handed out. */
let used = 0;
/** Where the message being written starts. */
let base = HEADER_ROOM;
let pos = base;

function ensure(bytes: number): void {
  if (pos + bytes <= scratch.length) return;
  // The message moves to a bigger slab at the same offsets, so the positions of open fields stay true.
  const grown = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, 2 * (pos + bytes)));
  scratch.copy(grown, base, base, pos);
  scratch = grown;
}

/** How many bytes a varint of `value` takes. */
export function varintSize(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/** 2^28: the low four varint bytes of a large number, taken with 32-bit operations. */
const LOW_28_BITS = 0x10000000;

/** A whole number from 0 to 2^53 - 1 (times in ms are near 2^41). */
function varint(value: number): void {
  const buf = scratch;
  let p = pos;
  if (value > 0x7fffffff) {
    // Bit operations work on 32 bits: the low 28 first, four full bytes, then what is above them.
    const low = value % LOW_28_BITS;
    buf[p++] = (low & 0x7f) | 0x80;
    buf[p++] = ((low >>> 7) & 0x7f) | 0x80;
    buf[p++] = ((low >>> 14) & 0x7f) | 0x80;
    buf[p++] = ((low >>> 21) & 0x7f) | 0x80;
    value = (value - low) / LOW_28_BITS;
  }
  while (value > 0x7f) {
    buf[p++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[p++] = value;
  pos = p;
}

/**
 * `text` as printable ASCII straight into the scratch buffer with its one-byte length in front, when it
 * is that and short; false, having written nothing that counts, when it is not.
 */
function shortAscii(tag: number, text: string, n: number): boolean {
  if (n > SHORT_STRING) return false;
  const buf = scratch;
  const start = pos + 2;
  for (let k = 0; k < n; k++) {
    const c = text.charCodeAt(k);
    if (c < 0x20 || c > 0x7e) return false;
    buf[start + k] = c;
  }
  buf[pos] = tag;
  buf[pos + 1] = n;
  pos = start + n;
  return true;
}

/** Any string as UTF-8, its length in front (fixed up by closeField when it is 128 bytes or more). */
function anyString(tag: number, text: string): void {
  const at = openField(tag);
  pos += scratch.write(text, pos, 'utf8');
  closeField(at);
}

/** Starts a message: whatever an earlier message left (or a throw left half-written) is dropped. */
export function beginMessage(): void {
  if (scratch.length - used < SLAB_MIN_LEFT || scratch.length > SLAB_KEEP_BYTES) {
    scratch = Buffer.allocUnsafeSlow(SLAB_BYTES);
    used = 0;
  }
  base = used + HEADER_ROOM;
  pos = base;
}

/** The message written since beginMessage, behind its framing header, as a view of the slab. */
export function finishMessage(framing: Framing): Buffer {
  const size = pos - base;
  const start = base - framing.headerBytes(size);
  framing.writeHeader(scratch, start, size);
  used = pos;
  return scratch.subarray(start, pos);
}

/** A string field (tag below field 16), nothing when empty. */
export function stringField(tag: number, text: string): void {
  const n = text.length;
  if (n === 0) return;
  ensure(FIELD_HEAD_BYTES + MAX_UTF8_PER_UNIT * n);
  if (!shortAscii(tag, text, n)) anyString(tag, text);
}

/**
 * A string field whose text must be XML text (the receiver writes it into XML): the check rides on the
 * copy for printable ASCII; anything else is checked whole and names `field` when it fails.
 */
export function xmlTextField(tag: number, text: string, field: string): void {
  const n = text.length;
  if (n === 0) return;
  ensure(FIELD_HEAD_BYTES + MAX_UTF8_PER_UNIT * n);
  if (shortAscii(tag, text, n)) return;
  assertXmlChars(text, field);
  anyString(tag, text);
}

export function doubleField(tag: number, value: number): void {
  if (value === 0 && !Object.is(value, -0)) return;
  ensure(9);
  scratch[pos++] = tag;
  scratch.writeDoubleLE(value, pos);
  pos += 8;
}

/** A varint field: a whole number from 0 to 2^53 - 1, nothing when 0. */
export function varintField(tag: number, value: number): void {
  if (value === 0) return;
  ensure(11);
  scratch[pos++] = tag;
  varint(value);
}

/** Opens an embedded message (or a length-delimited field): returns where its length goes. */
export function openField(tag: number): number {
  ensure(2);
  scratch[pos++] = tag;
  return pos++;
}

/** Opens a field whose body is nearly always 128 to 16,383 bytes: two bytes are kept for its length. */
export function openWideField(tag: number): number {
  ensure(3);
  scratch[pos++] = tag;
  const at = pos;
  pos += 2;
  return at;
}

/** Closes the field opened at `lengthAt` with `kept` bytes for its length, writing the length. */
function closeKept(lengthAt: number, kept: number): void {
  const body = pos - lengthAt - kept;
  const width = body < 0x80 ? 1 : varintSize(body);
  if (width !== kept) {
    ensure(width - kept);
    scratch.copyWithin(lengthAt + width, lengthAt + kept, pos);
  }
  pos = lengthAt;
  varint(body);
  pos += body;
}

/** Closes the field opened at `lengthAt` by openField, writing its length. */
export function closeField(lengthAt: number): void {
  const body = pos - lengthAt - 1;
  if (body < 0x80) scratch[lengthAt] = body;
  else closeKept(lengthAt, 1);
}

/** Closes the field opened at `lengthAt` by openWideField, writing its length. */
export function closeWideField(lengthAt: number): void {
  closeKept(lengthAt, 2);
}

/** Closes a string field opened with openField; an empty one is taken out again, as proto3 writes none. */
export function closeStringField(lengthAt: number): void {
  if (pos === lengthAt + 1) pos = lengthAt - 1;
  else closeField(lengthAt);
}

// Raw bytes inside an open length-delimited field: the XML of xmlDetail, written where it goes.

/** Any text as UTF-8. */
export function putText(text: string): void {
  const n = text.length;
  ensure(MAX_UTF8_PER_UNIT * n);
  if (n <= SHORT_STRING) {
    const buf = scratch;
    let k = 0;
    for (; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c > 0x7f) break;
      buf[pos + k] = c;
    }
    if (k === n) {
      pos += n;
      return;
    }
  }
  pos += scratch.write(text, pos, 'utf8');
}

/** The most bytes one character becomes when escaped (`&quot;`). */
const MAX_ESCAPED_BYTES = 6;
const AMP = 0x26;
const LT = 0x3c;
const GT = 0x3e;
const QUOT = 0x22;

function putEntity(entity: string): void {
  for (let k = 0; k < entity.length; k++) scratch[pos++] = entity.charCodeAt(k);
}

/**
 * Printable ASCII (with tab, newline and carriage return) escaped for XML text, or for an attribute value
 * in double quotes when `attribute`: `&<>` (and `"`) as entities, the three controls as character
 * references, as escapeText / escapeAttribute write them. False, having written nothing that counts, at
 * the first other character: the caller checks and writes that text the slow way.
 */
export function putEscapedAscii(text: string, attribute: boolean): boolean {
  const n = text.length;
  ensure(MAX_ESCAPED_BYTES * n);
  const buf = scratch;
  const start = pos;
  let p = pos;
  for (let k = 0; k < n; k++) {
    const c = text.charCodeAt(k);
    if (c >= 0x20 && c <= 0x7e) {
      if (c === AMP || c === LT || c === GT || (c === QUOT && attribute)) {
        pos = p;
        putEntity(c === AMP ? '&amp;' : c === LT ? '&lt;' : c === GT ? '&gt;' : '&quot;');
        p = pos;
      } else buf[p++] = c;
    } else if (c === 0x0a || c === 0x0d || c === 0x09) {
      pos = p;
      putEntity(c === 0x0a ? '&#10;' : c === 0x0d ? '&#13;' : '&#9;');
      p = pos;
    } else {
      pos = start;
      return false;
    }
  }
  pos = p;
  return true;
}

/** One ASCII character (markup: `<`, `"`, `/`...). */
export function putChar(code: number): void {
  ensure(1);
  scratch[pos++] = code;
}
