import { readCotEvent } from '../cot/build';
import { COT_VERSION, DEFAULT_HOW, UNKNOWN_THRESHOLD, UNKNOWN_VALUE } from '../cot/defaults';
import { CotError, CotErrorCode } from '../cot/errors';
import { readMaxDepth } from '../cot/limits';
import type { CotEvent, CotInput } from '../cot/model';
import { isoFromMs, type EventTimes } from '../cot/time';
import { validateEvent } from '../cot/validate';
import { detailFromWire } from './detail';
import { writeCotEvent } from './event-writer';
import { STREAM_FRAMING } from './framing';
import { readTakMessage, type WireCotEvent } from './wire';
import {
  beginMessage,
  closeField,
  finishMessage,
  openField,
  stringField,
  varintField,
  type Framing,
} from './writer';

/**
 * 9999-12-31T23:59:59.999Z: the last time an ISO 8601 CoT time with a four-digit year can say, so every
 * time decoded can be written as one and read back the same.
 */
export const MAX_TAKPROTO_TIME_MS = 253402300799999;

/** TakControl: which TAK Protocol versions a device speaks (mesh announcements). */
export interface TakControl {
  minProtoVersion: number;
  maxProtoVersion: number;
  /** The uid of the announcing device's contact; empty when not given. */
  contactUid: string;
}

/** Everything a TakMessage can carry, as read. */
export interface TakMessageParts {
  event?: CotEvent;
  control?: TakControl;
  /** ms since the epoch, when the sender set it. */
  submissionTime?: number;
  creationTime?: number;
}

export interface TakDecodeOptions {
  /** Deepest element nesting accepted in the detail, as for XML (default DEFAULT_MAX_DEPTH). */
  maxDepth?: number;
}

export interface TakEncodeOptions {
  /** Now, in ms since the epoch, for defaults of a short-form input (as buildCot's `now`). */
  now?: number;
  /** A TakControl sent with the event (mesh senders announce their versions this way). */
  control?: TakControl;
  submissionTime?: number;
  creationTime?: number;
}

function timeOut(field: string, value: number): CotError {
  return new CotError(
    CotErrorCode.TAKPROTO_TIME,
    `${field} is ${value} ms since the epoch, outside what a CoT time can say (1970 to 9999): ` +
      'the sender has a broken clock or is not writing milliseconds',
    field,
    value,
  );
}

/** A time of the model, read while it was made, that a TakMessage can carry (uint64 ms). */
function timeInRange(ms: number, field: string): number {
  if (!(ms >= 0 && ms <= MAX_TAKPROTO_TIME_MS)) throw timeOut(field, ms);
  return ms;
}

/** Filled by readCotEvent for each encode: one object, not one per event. */
const ENCODE_TIMES: EventTimes = { time: 0, start: 0, stale: 0 };

function timeFromWire(ms: number, field: string): string {
  if (ms > MAX_TAKPROTO_TIME_MS) throw timeOut(field, ms);
  return isoFromMs(ms);
}

function optionalTime(ms: number | undefined, field: string): number {
  if (ms === undefined) return 0;
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_TAKPROTO_TIME_MS) throw timeOut(field, ms);
  return ms;
}

function metresFromWire(value: number): number {
  return Number.isFinite(value) && value < UNKNOWN_THRESHOLD ? value : UNKNOWN_VALUE;
}

/** The TakControl field, its numbers checked. */
function writeControl(control: TakControl): void {
  for (const field of ['minProtoVersion', 'maxProtoVersion'] as const) {
    const value = control[field];
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new CotError(
        CotErrorCode.INPUT,
        `control.${field} is ${value}; give a whole protocol version number`,
        `control.${field}`,
        value,
      );
    }
  }
  const at = openField(0x0a);
  varintField(0x08, control.minProtoVersion);
  varintField(0x10, control.maxProtoVersion);
  stringField(0x1a, control.contactUid);
  closeField(at);
}

/** The message alone. */
const BARE: Framing = { headerBytes: () => 0, writeHeader: () => undefined };

/**
 * One TakMessage (no framing) carrying the event buildCot would write for this input. The typed detail
 * fields get their elements when those fit them exactly; every other detail child goes in xmlDetail.
 * Throws a CotError, as buildCot does, or ERR_TAKPROTO_TIME / ERR_TAKPROTO_UNREPRESENTABLE.
 */
export function encodeTakMessage(input: CotInput, options: TakEncodeOptions = {}): Buffer {
  return encodeFramed(input, options, BARE);
}

/**
 * encodeTakMessage behind the header `framing` writes. The result is a view of a shared slab, as
 * Buffer.allocUnsafe's results are of its pool.
 */
export function encodeFramed(input: CotInput, options: TakEncodeOptions, framing: Framing): Buffer {
  const times = ENCODE_TIMES;
  const event = readCotEvent(input, options.now ?? Date.now(), times);
  return encodeValidated(event, times, options, framing);
}

/**
 * A model toCotEvent made, with the times it read, as a stream frame: for a caller that needs the model
 * too (the client's queue), so the input is not made into a model twice.
 */
export function encodeValidatedStreamFrame(event: CotEvent, times: EventTimes): Buffer {
  return encodeValidated(event, times, {}, STREAM_FRAMING);
}

function encodeValidated(
  event: CotEvent,
  times: EventTimes,
  options: TakEncodeOptions,
  framing: Framing,
): Buffer {
  const time = timeInRange(times.time, 'time');
  const start = timeInRange(times.start, 'start');
  const stale = timeInRange(times.stale, 'stale');
  const submissionTime = optionalTime(options.submissionTime, 'submissionTime');
  const creationTime = optionalTime(options.creationTime, 'creationTime');
  // Everything that can refuse the input has been asked, but the detail: its faults surface mid-write,
  // and the next message starts afresh.
  beginMessage();
  if (options.control) writeControl(options.control);
  writeCotEvent(event, time, start, stale);
  varintField(0x18, submissionTime);
  varintField(0x20, creationTime);
  return finishMessage(framing);
}

/** A TakMessage with only a TakControl: a mesh device announcing the versions it speaks. */
export function encodeTakControl(control: TakControl): Buffer {
  beginMessage();
  writeControl(control);
  return finishMessage(BARE);
}

function eventFromWire(wire: WireCotEvent, maxDepth: number): CotEvent {
  if (wire.uid === '')
    throw new CotError(CotErrorCode.TAKPROTO_MISSING_UID, 'the CotEvent has no uid', 'uid', wire.uid);
  if (wire.type === '')
    throw new CotError(CotErrorCode.TAKPROTO_MISSING_TYPE, 'the CotEvent has no type', 'type', wire.type);
  const time = timeFromWire(wire.sendTime, 'time');
  const event: CotEvent = {
    version: COT_VERSION,
    uid: wire.uid,
    type: wire.type,
    how: wire.how === '' ? DEFAULT_HOW : wire.how,
    time,
    start: wire.startTime === wire.sendTime ? time : timeFromWire(wire.startTime, 'start'),
    stale: timeFromWire(wire.staleTime, 'stale'),
    point: {
      lat: wire.lat,
      lon: wire.lon,
      hae: metresFromWire(wire.hae),
      ce: metresFromWire(wire.ce),
      le: metresFromWire(wire.le),
    },
  };
  if (wire.access !== '') event.access = wire.access;
  if (wire.qos !== '') event.qos = wire.qos;
  if (wire.opex !== '') event.opex = wire.opex;
  if (wire.detail) event.detail = detailFromWire(wire.detail, maxDepth);
  // Received events are not refused for being stale on arrival, as for XML.
  validateEvent(event, { staleOrder: false });
  return event;
}

/**
 * Everything in one TakMessage (no framing): the event when there is one, the TakControl when there is
 * one. Throws a CotError (ERR_TAKPROTO_*, or the ERR_COT_* code parseCot gives for the same fault).
 */
export function decodeTakMessageParts(bytes: Uint8Array, options: TakDecodeOptions = {}): TakMessageParts {
  const maxDepth = readMaxDepth(options.maxDepth);
  const wire = readTakMessage(bytes);
  const parts: TakMessageParts = {};
  if (wire.cotEvent) parts.event = eventFromWire(wire.cotEvent, maxDepth);
  if (wire.takControl) parts.control = { ...wire.takControl };
  if (wire.submissionTime !== 0) parts.submissionTime = optionalTime(wire.submissionTime, 'submissionTime');
  if (wire.creationTime !== 0) parts.creationTime = optionalTime(wire.creationTime, 'creationTime');
  return parts;
}

/** The CoT event in one TakMessage (no framing); ERR_TAKPROTO_NO_EVENT when it carries none. */
export function decodeTakMessage(bytes: Uint8Array, options: TakDecodeOptions = {}): CotEvent {
  const parts = decodeTakMessageParts(bytes, options);
  if (parts.event === undefined) {
    throw new CotError(
      CotErrorCode.TAKPROTO_NO_EVENT,
      parts.control
        ? 'the TakMessage carries a TakControl and no CotEvent: a version announcement, not an event'
        : 'the TakMessage carries no CotEvent',
    );
  }
  return parts.event;
}
