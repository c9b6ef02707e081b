import type { WireCotEvent, WireDetail, WireTakControl, WireTakMessage } from './wire';

/*
 * TakMessage bytes written front to back into one reused scratch buffer, then copied once into a buffer
 * of exactly the right size behind the caller's framing header. An embedded message gets one byte for
 * its length up front; the rare body of 128 bytes or more (the CotEvent itself) is moved along by the
 * extra length bytes once its size is known. protobufjs's Writer (a list of pending operations, a fork
 * per embedded message) measured about twice as slow on an SA event; the encoding is the same (proto3:
 * fields at their default value are not written).
 */

/** First size of the scratch buffer: an SA event is a few hundred bytes. */
const SCRATCH_MIN_BYTES = 4096;
/** A scratch buffer grown past this for one huge message is let go afterwards. */
const SCRATCH_KEEP_BYTES = 256 * 1024;
/** Strings up to this many characters are written in JS, optimistically as ASCII. */
const SHORT_STRING = 127;

let scratch = Buffer.allocUnsafe(SCRATCH_MIN_BYTES);
let pos = 0;

function ensure(bytes: number): void {
  if (pos + bytes <= scratch.length) return;
  const grown = Buffer.allocUnsafe(Math.max(scratch.length * 2, pos + bytes));
  scratch.copy(grown, 0, 0, pos);
  scratch = grown;
}

function varintSize(value: number): number {
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

/** A string field (tag below field 16), nothing when empty. */
function string(tag: number, text: string): void {
  const n = text.length;
  if (n === 0) return;
  ensure(2 + 3 * n + 5);
  const buf = scratch;
  buf[pos++] = tag;
  if (n <= SHORT_STRING) {
    const start = pos;
    buf[start] = n;
    let k = 0;
    for (; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c > 0x7f) break;
      buf[start + 1 + k] = c;
    }
    if (k === n) {
      pos = start + 1 + n;
      return;
    }
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  varint(bytes);
  pos += buf.write(text, pos, bytes, 'utf8');
}

function double(tag: number, value: number): void {
  if (value === 0 && !Object.is(value, -0)) return;
  ensure(9);
  scratch[pos++] = tag;
  scratch.writeDoubleLE(value, pos);
  pos += 8;
}

function varintField(tag: number, value: number): void {
  if (value === 0) return;
  ensure(11);
  scratch[pos++] = tag;
  varint(value);
}

/** Opens an embedded message: returns where its length goes. */
function open(tag: number): number {
  ensure(2);
  scratch[pos++] = tag;
  return pos++;
}

/** Closes the embedded message opened at `lengthAt`, writing its length. */
function close(lengthAt: number): void {
  const body = pos - lengthAt - 1;
  if (body < 0x80) {
    scratch[lengthAt] = body;
    return;
  }
  const extra = varintSize(body) - 1;
  ensure(extra);
  scratch.copyWithin(lengthAt + 1 + extra, lengthAt + 1, pos);
  const end = pos + extra;
  pos = lengthAt;
  varint(body);
  pos = end;
}

function writeDetail(d: WireDetail): void {
  const at = open(0x7a);
  string(0x0a, d.xmlDetail);
  if (d.contact) {
    const c = open(0x12);
    string(0x0a, d.contact.endpoint);
    string(0x12, d.contact.callsign);
    close(c);
  }
  if (d.group) {
    const g = open(0x1a);
    string(0x0a, d.group.name);
    string(0x12, d.group.role);
    close(g);
  }
  if (d.precisionLocation) {
    const p = open(0x22);
    string(0x0a, d.precisionLocation.geopointsrc);
    string(0x12, d.precisionLocation.altsrc);
    close(p);
  }
  if (d.status) {
    const s = open(0x2a);
    varintField(0x08, d.status.battery);
    close(s);
  }
  if (d.takv) {
    const t = open(0x32);
    string(0x0a, d.takv.device);
    string(0x12, d.takv.platform);
    string(0x1a, d.takv.os);
    string(0x22, d.takv.version);
    close(t);
  }
  if (d.track) {
    const t = open(0x3a);
    double(0x09, d.track.speed);
    double(0x11, d.track.course);
    close(t);
  }
  close(at);
}

function writeEvent(e: WireCotEvent): void {
  const at = open(0x12);
  string(0x0a, e.type);
  string(0x12, e.access);
  string(0x1a, e.qos);
  string(0x22, e.opex);
  string(0x2a, e.uid);
  varintField(0x30, e.sendTime);
  varintField(0x38, e.startTime);
  varintField(0x40, e.staleTime);
  string(0x4a, e.how);
  double(0x51, e.lat);
  double(0x59, e.lon);
  double(0x61, e.hae);
  double(0x69, e.ce);
  double(0x71, e.le);
  if (e.detail) writeDetail(e.detail);
  close(at);
}

function writeControl(c: WireTakControl): void {
  const at = open(0x0a);
  varintField(0x08, c.minProtoVersion);
  varintField(0x10, c.maxProtoVersion);
  string(0x1a, c.contactUid);
  close(at);
}

/**
 * The bytes of one TakMessage in a buffer from `header(size)`, which returns a buffer of a framing header
 * and `size` more bytes (the header written); the message fills those. Times must be whole numbers from 0
 * to 2^53 - 1 (checked by the caller).
 */
export function writeTakMessageInto(message: WireTakMessage, header: (size: number) => Buffer): Buffer {
  pos = 0;
  if (message.takControl) writeControl(message.takControl);
  if (message.cotEvent) writeEvent(message.cotEvent);
  varintField(0x18, message.submissionTime);
  varintField(0x20, message.creationTime);
  const size = pos;
  const framed = header(size);
  scratch.copy(framed, framed.length - size, 0, size);
  if (scratch.length > SCRATCH_KEEP_BYTES) scratch = Buffer.allocUnsafe(SCRATCH_MIN_BYTES);
  return framed;
}
