import { Reader, Writer } from 'protobufjs/minimal';
import { CotError, CotErrorCode } from '../cot/errors';
import { checkReceivedBytes } from '../cot/received-text';

/*
 * TakMessage on the wire, field for field as in takmessage.proto: written by hand against protobufjs's
 * Reader and Writer (no reflection, no schema loaded at run time, no generated code to keep in step).
 * protobufjs reads and writes the wire primitives; this file adds what the protocol needs beyond them:
 * uint64 times as plain numbers (no Long, no BigInt), field wire types checked, strings checked as text.
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

/** A string field as text XML can carry: valid UTF-8 without the controls XML 1.0 excludes. */
function readString(r: Reader): string {
  const length = r.uint32();
  const start = r.pos;
  const end = start + length;
  if (length > r.len - start) throw truncated();
  r.pos = end;
  if (length === 0) return '';
  const buf = r.buf as Buffer;
  const text = buf.toString('utf8', start, end);
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
 * Skips a field this schema does not know (a newer writer's), or refuses a known field of the wrong wire
 * type: reading it as its declared type would make up a value from bytes that mean something else.
 */
function skipField(r: Reader, tag: number, known: boolean, where: string): void {
  const field = tag >>> 3;
  const wireType = tag & 7;
  if (field === 0) throw notTakMessage(`${where} holds field number 0`);
  if (known) throw notTakMessage(`${where} field ${field} has wire type ${wireType}`);
  if (wireType === VARINT) skipVarint(r);
  else if (wireType === LENGTH_DELIMITED) r.pos = messageEnd(r);
  else if (wireType === FIXED64 || wireType === FIXED32 || wireType === START_GROUP)
    r.skipType(wireType, 0, field);
  else throw notTakMessage(`${where} field ${field} has wire type ${wireType}`);
}

/** Reads fields up to `end`: `read` takes a tag and returns false when it does not know the field number. */
function readFields(
  r: Reader,
  end: number,
  where: string,
  read: (field: number, wireType: number) => boolean | 'known',
): void {
  const len = r.len;
  r.len = end;
  while (r.pos < end) {
    const tag = r.uint32();
    const result = read(tag >>> 3, tag & 7);
    if (result !== true) skipField(r, tag, result === 'known', where);
  }
  if (r.pos !== end) throw truncated();
  r.len = len;
}

/** `known` when the field number is this one's but the wire type is not `wanted`. */
function is(wireType: number, wanted: number): boolean | 'known' {
  return wireType === wanted ? true : 'known';
}

function readStrings<T extends object>(r: Reader, into: T, names: ReadonlyArray<keyof T>, where: string): T {
  readFields(r, messageEnd(r), where, (field, wireType) => {
    const name = names[field - 1];
    if (name === undefined) return false;
    const ok = is(wireType, LENGTH_DELIMITED);
    if (ok === true) (into as Record<keyof T, string>)[name] = readString(r);
    return ok;
  });
  return into;
}

const CONTACT_FIELDS = ['endpoint', 'callsign'] as const;
const GROUP_FIELDS = ['name', 'role'] as const;
const PRECISION_FIELDS = ['geopointsrc', 'altsrc'] as const;
const TAKV_FIELDS = ['device', 'platform', 'os', 'version'] as const;

function readStatus(r: Reader): WireStatus {
  const status: WireStatus = { battery: 0 };
  readFields(r, messageEnd(r), 'Status', (field, wireType) => {
    if (field !== 1) return false;
    const ok = is(wireType, VARINT);
    if (ok === true) status.battery = readUint32(r);
    return ok;
  });
  return status;
}

function readTrack(r: Reader): WireTrack {
  const track: WireTrack = { speed: 0, course: 0 };
  readFields(r, messageEnd(r), 'Track', (field, wireType) => {
    if (field !== 1 && field !== 2) return false;
    const ok = is(wireType, FIXED64);
    if (ok === true) {
      if (field === 1) track.speed = r.double();
      else track.course = r.double();
    }
    return ok;
  });
  return track;
}

function readDetail(r: Reader): WireDetail {
  const detail: WireDetail = { xmlDetail: '' };
  readFields(r, messageEnd(r), 'Detail', (field, wireType) => {
    if (field < 1 || field > 7) return false;
    const ok = is(wireType, LENGTH_DELIMITED);
    if (ok !== true) return ok;
    switch (field) {
      case 1:
        detail.xmlDetail = readString(r);
        break;
      case 2:
        detail.contact = readStrings(r, { endpoint: '', callsign: '' }, CONTACT_FIELDS, 'Contact');
        break;
      case 3:
        detail.group = readStrings(r, { name: '', role: '' }, GROUP_FIELDS, 'Group');
        break;
      case 4:
        detail.precisionLocation = readStrings(
          r,
          { geopointsrc: '', altsrc: '' },
          PRECISION_FIELDS,
          'PrecisionLocation',
        );
        break;
      case 5:
        detail.status = readStatus(r);
        break;
      case 6:
        detail.takv = readStrings(r, { device: '', platform: '', os: '', version: '' }, TAKV_FIELDS, 'Takv');
        break;
      default:
        detail.track = readTrack(r);
    }
    return true;
  });
  return detail;
}

/** CotEvent string fields by number (1-5, 9). */
const EVENT_STRINGS: Record<number, 'type' | 'access' | 'qos' | 'opex' | 'uid' | 'how'> = {
  1: 'type',
  2: 'access',
  3: 'qos',
  4: 'opex',
  5: 'uid',
  9: 'how',
};
const EVENT_TIMES: Record<number, 'sendTime' | 'startTime' | 'staleTime'> = {
  6: 'sendTime',
  7: 'startTime',
  8: 'staleTime',
};
const EVENT_DOUBLES: Record<number, 'lat' | 'lon' | 'hae' | 'ce' | 'le'> = {
  10: 'lat',
  11: 'lon',
  12: 'hae',
  13: 'ce',
  14: 'le',
};

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
  readFields(r, messageEnd(r), 'CotEvent', (field, wireType) => {
    if (field === 0) return false;
    if (field <= 5 || field === 9) {
      const ok = is(wireType, LENGTH_DELIMITED);
      if (ok === true) event[EVENT_STRINGS[field] as 'type'] = readString(r);
      return ok;
    }
    if (field <= 8) {
      const ok = is(wireType, VARINT);
      if (ok === true) event[EVENT_TIMES[field] as 'sendTime'] = readUint64(r);
      return ok;
    }
    if (field <= 14) {
      const ok = is(wireType, FIXED64);
      if (ok === true) event[EVENT_DOUBLES[field] as 'lat'] = r.double();
      return ok;
    }
    if (field === 15) {
      const ok = is(wireType, LENGTH_DELIMITED);
      if (ok === true) event.detail = readDetail(r);
      return ok;
    }
    return false;
  });
  return event;
}

function readTakControl(r: Reader): WireTakControl {
  const control: WireTakControl = { minProtoVersion: 0, maxProtoVersion: 0, contactUid: '' };
  readFields(r, messageEnd(r), 'TakControl', (field, wireType) => {
    if (field === 1 || field === 2) {
      const ok = is(wireType, VARINT);
      if (ok === true) {
        if (field === 1) control.minProtoVersion = readUint32(r);
        else control.maxProtoVersion = readUint32(r);
      }
      return ok;
    }
    if (field === 3) {
      const ok = is(wireType, LENGTH_DELIMITED);
      if (ok === true) control.contactUid = readString(r);
      return ok;
    }
    return false;
  });
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
    readFields(r, r.len, 'TakMessage', (field, wireType) => {
      if (field === 1 || field === 2) {
        const ok = is(wireType, LENGTH_DELIMITED);
        if (ok === true) {
          if (field === 1) message.takControl = readTakControl(r);
          else message.cotEvent = readCotEvent(r);
        }
        return ok;
      }
      if (field === 3 || field === 4) {
        const ok = is(wireType, VARINT);
        if (ok === true) {
          if (field === 3) message.submissionTime = readUint64(r);
          else message.creationTime = readUint64(r);
        }
        return ok;
      }
      return false;
    });
  } catch (error) {
    throw fromLibraryError(error);
  }
  return message;
}

// ---------------------------------------------------------------- writing

function key(field: number, wireType: number): number {
  return ((field << 3) | wireType) >>> 0;
}

/** proto3: a field at its default value is not written. */
function writeString(w: Writer, field: number, value: string): void {
  if (value !== '') w.uint32(key(field, LENGTH_DELIMITED)).string(value);
}

function writeDouble(w: Writer, field: number, value: number): void {
  // -0 is written: it is not the default to a reader that keeps its sign.
  if (value !== 0 || Object.is(value, -0)) w.uint32(key(field, FIXED64)).double(value);
}

function writeVarint(w: Writer, field: number, value: number): void {
  if (value !== 0) w.uint32(key(field, VARINT)).uint64(value);
}

/** An embedded message, written even when empty: its presence is meaningful (an element with no attributes). */
function writeMessage(w: Writer, field: number, body: () => void): void {
  w.uint32(key(field, LENGTH_DELIMITED)).fork();
  body();
  w.ldelim();
}

function writeDetail(w: Writer, d: WireDetail): void {
  writeString(w, 1, d.xmlDetail);
  const { contact, group, precisionLocation: precision, status, takv, track } = d;
  if (contact)
    writeMessage(w, 2, () => {
      writeString(w, 1, contact.endpoint);
      writeString(w, 2, contact.callsign);
    });
  if (group)
    writeMessage(w, 3, () => {
      writeString(w, 1, group.name);
      writeString(w, 2, group.role);
    });
  if (precision)
    writeMessage(w, 4, () => {
      writeString(w, 1, precision.geopointsrc);
      writeString(w, 2, precision.altsrc);
    });
  if (status) writeMessage(w, 5, () => writeVarint(w, 1, status.battery));
  if (takv)
    writeMessage(w, 6, () => {
      writeString(w, 1, takv.device);
      writeString(w, 2, takv.platform);
      writeString(w, 3, takv.os);
      writeString(w, 4, takv.version);
    });
  if (track)
    writeMessage(w, 7, () => {
      writeDouble(w, 1, track.speed);
      writeDouble(w, 2, track.course);
    });
}

function writeCotEvent(w: Writer, e: WireCotEvent): void {
  writeString(w, 1, e.type);
  writeString(w, 2, e.access);
  writeString(w, 3, e.qos);
  writeString(w, 4, e.opex);
  writeString(w, 5, e.uid);
  writeVarint(w, 6, e.sendTime);
  writeVarint(w, 7, e.startTime);
  writeVarint(w, 8, e.staleTime);
  writeString(w, 9, e.how);
  writeDouble(w, 10, e.lat);
  writeDouble(w, 11, e.lon);
  writeDouble(w, 12, e.hae);
  writeDouble(w, 13, e.ce);
  writeDouble(w, 14, e.le);
  const detail = e.detail;
  if (detail) writeMessage(w, 15, () => writeDetail(w, detail));
}

/** The bytes of one TakMessage. Times must be whole numbers from 0 to 2^53 - 1 (checked by the caller). */
export function writeTakMessage(message: WireTakMessage): Uint8Array {
  const w = Writer.create();
  const { takControl: control, cotEvent: event } = message;
  if (control)
    writeMessage(w, 1, () => {
      writeVarint(w, 1, control.minProtoVersion);
      writeVarint(w, 2, control.maxProtoVersion);
      writeString(w, 3, control.contactUid);
    });
  if (event) writeMessage(w, 2, () => writeCotEvent(w, event));
  writeVarint(w, 3, message.submissionTime);
  writeVarint(w, 4, message.creationTime);
  return w.finish();
}
