import { Reader } from 'protobufjs/minimal';
import { CotError, CotErrorCode } from '../cot/errors';
import { checkReceivedBytes } from '../cot/received-text';

/*
 * TakMessage on the wire, field for field as in takmessage.proto. Reading is written by hand against
 * protobufjs's Reader (no reflection, no schema loaded at run time, no generated code to keep in step):
 * protobufjs reads the wire primitives; this file adds what the protocol needs beyond them: uint64 times
 * as plain numbers (no Long, no BigInt), field wire types checked, strings checked as text. Writing is in
 * writer.ts.
 */

/** Protobuf wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const START_GROUP = 3;
const FIXED32 = 5;

/** No 64-bit value needs more than 10 varint bytes (7 bits each). */
export const MAX_VARINT_BYTES = 10;

export interface WireTakControl {
  minProtoVersion: number;
  maxProtoVersion: number;
  contactUid: string;
}

export interface WireContact {
  endpoint: string;
  callsign: string;
}
export interface WireGroup {
  name: string;
  role: string;
}
export interface WirePrecisionLocation {
  geopointsrc: string;
  altsrc: string;
}
export interface WireStatus {
  battery: number;
}
export interface WireTakv {
  device: string;
  platform: string;
  os: string;
  version: string;
}
export interface WireTrack {
  speed: number;
  course: number;
}

export interface WireDetail {
  xmlDetail: string;
  contact?: WireContact;
  group?: WireGroup;
  precisionLocation?: WirePrecisionLocation;
  status?: WireStatus;
  takv?: WireTakv;
  track?: WireTrack;
}

export interface WireCotEvent {
  type: string;
  access: string;
  qos: string;
  opex: string;
  uid: string;
  /** Milliseconds since the epoch; Infinity when the wire value is past 2^53 (no double holds it exactly). */
  sendTime: number;
  startTime: number;
  staleTime: number;
  how: string;
  lat: number;
  lon: number;
  hae: number;
  ce: number;
  le: number;
  detail?: WireDetail;
}

export interface WireTakMessage {
  takControl?: WireTakControl;
  cotEvent?: WireCotEvent;
  submissionTime: number;
  creationTime: number;
}

// ---------------------------------------------------------------- reading

/** protobufjs reads into a Buffer's own fast string decoder when it is given a Buffer. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function notTakMessage(why: string): CotError {
  return new CotError(
    CotErrorCode.TAKPROTO_NOT_TAKMESSAGE,
    `the bytes are not a TAK Protocol TakMessage: ${why}; check that the sender speaks TAK Protocol version 1`,
  );
}

function truncated(): CotError {
  return new CotError(
    CotErrorCode.TAKPROTO_TRUNCATED,
    'the TakMessage ends inside a field: the message was cut short (a frame length too small, or lost bytes)',
  );
}

function longVarint(): CotError {
  return new CotError(
    CotErrorCode.TAKPROTO_VARINT,
    `a varint in the TakMessage runs past ${MAX_VARINT_BYTES} bytes, which no protobuf value needs: the bytes are not TAK Protocol`,
  );
}

/** What protobufjs throws, as our coded errors. */
function fromLibraryError(error: unknown): unknown {
  if (error instanceof CotError || !(error instanceof Error)) return error;
  if (error instanceof RangeError) return truncated();
  if (/varint/.test(error.message)) return longVarint();
  return notTakMessage(error.message);
}

/** An unsigned varint of up to 10 bytes as a number: exact below 2^53, Infinity above. */
function readUint64(r: Reader): number {
  const buf = r.buf;
  let value = 0;
  let scale = 1;
  for (let k = 0; k < MAX_VARINT_BYTES; k++) {
    if (r.pos >= r.len) throw truncated();
    const b = buf[r.pos++] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value <= Number.MAX_SAFE_INTEGER ? value : Infinity;
    scale *= 128;
  }
  throw longVarint();
}

/** A varint of up to 10 bytes, skipped (protobufjs's own skip has no length bound). */
function skipVarint(r: Reader): void {
  for (let k = 0; k < MAX_VARINT_BYTES; k++) {
    if (r.pos >= r.len) throw truncated();
    if ((r.buf[r.pos++] as number) < 0x80) return;
  }
  throw longVarint();
}

/** A uint32 field: a varint whose value is kept modulo 2^32, as protobuf does. */
function readUint32(r: Reader): number {
  const value = readUint64(r);
  return value === Infinity ? 0 : value % 0x100000000;
}

/** Buffer's own slicing decoders: what toString() ends up calling, without its argument handling. */
interface FastSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/**
 * A string field as text XML can carry: valid UTF-8 without the controls XML 1.0 excludes. Nearly every
 * string on the wire is printable ASCII, which one pass over the bytes proves and latin1 decodes as is.
 */
function readString(r: Reader): string {
  const length = r.uint32();
  const start = r.pos;
  if (length > r.len - start) throw truncated();
  const end = start + length;
  r.pos = end;
  const buf = r.buf;
  let k = start;
  for (; k < end; k++) {
    const b = buf[k] as number;
    if (b > 0x7e || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) break;
  }
  const slices = buf as unknown as FastSlices;
  if (k === end) return slices.latin1Slice(start, end);
  const text = slices.utf8Slice(start, end);
  const bad = checkReceivedBytes(buf.subarray(start, end), text);
  if (bad !== undefined) throw bad;
  return text;
}

/** The end of an embedded message starting at the reader's position (after its length). */
function messageEnd(r: Reader): number {
  const length = r.uint32();
  if (length > r.len - r.pos) throw truncated();
  return r.pos + length;
}

/**
 * Skips a field this schema does not know (a newer writer's), or refuses a known field (number up to
 * `lastKnown`) of the wrong wire type: reading it as its declared type would make up a value from bytes
 * that mean something else.
 */
function skipField(r: Reader, tag: number, lastKnown: number, where: string): void {
  const field = tag >>> 3;
  const wireType = tag & 7;
  if (field === 0) throw notTakMessage(`${where} holds field number 0`);
  if (field <= lastKnown) throw notTakMessage(`${where} field ${field} has wire type ${wireType}`);
  if (wireType === VARINT) skipVarint(r);
  else if (wireType === LENGTH_DELIMITED) r.pos = messageEnd(r);
  else if (wireType === FIXED64 || wireType === FIXED32 || wireType === START_GROUP)
    r.skipType(wireType, 0, field);
  else throw notTakMessage(`${where} field ${field} has wire type ${wireType}`);
}

/** Enters an embedded message: the reader stops at its end. Returns the outer end, for leave(). */
function enter(r: Reader): number {
  const end = messageEnd(r);
  const outer = r.len;
  r.len = end;
  return outer;
}

/** Leaves an embedded message, which must end exactly where its length said. */
function leave(r: Reader, outer: number): void {
  if (r.pos !== r.len) throw truncated();
  r.len = outer;
}

/** Tags: field number << 3 | wire type. */
const TAG_1_LEN = 0x0a;
const TAG_2_LEN = 0x12;
const TAG_3_LEN = 0x1a;
const TAG_4_LEN = 0x22;

function readPair(r: Reader, where: string): [string, string] {
  const pair: [string, string] = ['', ''];
  const outer = enter(r);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === TAG_1_LEN) pair[0] = readString(r);
    else if (tag === TAG_2_LEN) pair[1] = readString(r);
    else skipField(r, tag, 2, where);
  }
  leave(r, outer);
  return pair;
}

function readTakv(r: Reader): WireTakv {
  const takv: WireTakv = { device: '', platform: '', os: '', version: '' };
  const outer = enter(r);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === TAG_1_LEN) takv.device = readString(r);
    else if (tag === TAG_2_LEN) takv.platform = readString(r);
    else if (tag === TAG_3_LEN) takv.os = readString(r);
    else if (tag === TAG_4_LEN) takv.version = readString(r);
    else skipField(r, tag, 4, 'Takv');
  }
  leave(r, outer);
  return takv;
}

function readStatus(r: Reader): WireStatus {
  const status: WireStatus = { battery: 0 };
  const outer = enter(r);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === 0x08) status.battery = readUint32(r);
    else skipField(r, tag, 1, 'Status');
  }
  leave(r, outer);
  return status;
}

function readTrack(r: Reader): WireTrack {
  const track: WireTrack = { speed: 0, course: 0 };
  const outer = enter(r);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === 0x09) track.speed = r.double();
    else if (tag === 0x11) track.course = r.double();
    else skipField(r, tag, 2, 'Track');
  }
  leave(r, outer);
  return track;
}

function readDetail(r: Reader): WireDetail {
  const detail: WireDetail = { xmlDetail: '' };
  const outer = enter(r);
  while (r.pos < r.len) {
    const tag = r.uint32();
    switch (tag) {
      case TAG_1_LEN:
        detail.xmlDetail = readString(r);
        break;
      case TAG_2_LEN: {
        const [endpoint, callsign] = readPair(r, 'Contact');
        detail.contact = { endpoint, callsign };
        break;
      }
      case TAG_3_LEN: {
        const [name, role] = readPair(r, 'Group');
        detail.group = { name, role };
        break;
      }
      case TAG_4_LEN: {
        const [geopointsrc, altsrc] = readPair(r, 'PrecisionLocation');
        detail.precisionLocation = { geopointsrc, altsrc };
        break;
      }
      case 0x2a:
        detail.status = readStatus(r);
        break;
      case 0x32:
        detail.takv = readTakv(r);
        break;
      case 0x3a:
        detail.track = readTrack(r);
        break;
      default:
        skipField(r, tag, 7, 'Detail');
    }
  }
  leave(r, outer);
  return detail;
}

function readCotEvent(r: Reader): WireCotEvent {
  const event: WireCotEvent = {
    type: '',
    access: '',
    qos: '',
    opex: '',
    uid: '',
    sendTime: 0,
    startTime: 0,
    staleTime: 0,
    how: '',
    lat: 0,
    lon: 0,
    hae: 0,
    ce: 0,
    le: 0,
  };
  const outer = enter(r);
  while (r.pos < r.len) {
    const tag = r.uint32();
    switch (tag) {
      case TAG_1_LEN:
        event.type = readString(r);
        break;
      case TAG_2_LEN:
        event.access = readString(r);
        break;
      case TAG_3_LEN:
        event.qos = readString(r);
        break;
      case TAG_4_LEN:
        event.opex = readString(r);
        break;
      case 0x2a:
        event.uid = readString(r);
        break;
      case 0x30:
        event.sendTime = readUint64(r);
        break;
      case 0x38:
        event.startTime = readUint64(r);
        break;
      case 0x40:
        event.staleTime = readUint64(r);
        break;
      case 0x4a:
        event.how = readString(r);
        break;
      case 0x51:
        event.lat = r.double();
        break;
      case 0x59:
        event.lon = r.double();
        break;
      case 0x61:
        event.hae = r.double();
        break;
      case 0x69:
        event.ce = r.double();
        break;
      case 0x71:
        event.le = r.double();
        break;
      case 0x7a:
        event.detail = readDetail(r);
        break;
      default:
        skipField(r, tag, 15, 'CotEvent');
    }
  }
  leave(r, outer);
  return event;
}

function readTakControl(r: Reader): WireTakControl {
  const control: WireTakControl = { minProtoVersion: 0, maxProtoVersion: 0, contactUid: '' };
  const outer = enter(r);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === 0x08) control.minProtoVersion = readUint32(r);
    else if (tag === 0x10) control.maxProtoVersion = readUint32(r);
    else if (tag === TAG_3_LEN) control.contactUid = readString(r);
    else skipField(r, tag, 3, 'TakControl');
  }
  leave(r, outer);
  return control;
}

/**
 * One TakMessage: every byte of `bytes`. Unknown fields are skipped; a known field of the wrong wire
 * type, a cut-short field or a varint over 10 bytes is a CotError (ERR_TAKPROTO_*), as are strings that
 * are not text (ERR_COT_BAD_UTF8, ERR_COT_BAD_CHAR).
 */
export function readTakMessage(bytes: Uint8Array): WireTakMessage {
  const message: WireTakMessage = { submissionTime: 0, creationTime: 0 };
  const r = Reader.create(asBuffer(bytes));
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag === TAG_1_LEN) message.takControl = readTakControl(r);
      else if (tag === TAG_2_LEN) message.cotEvent = readCotEvent(r);
      else if (tag === 0x18) message.submissionTime = readUint64(r);
      else if (tag === 0x20) message.creationTime = readUint64(r);
      else skipField(r, tag, 4, 'TakMessage');
    }
  } catch (error) {
    throw fromLibraryError(error);
  }
  return message;
}
