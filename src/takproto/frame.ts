import { CotError, CotErrorCode } from '../cot/errors';
import type { CotEvent } from '../cot/model';
import { decodeTakMessage, type TakDecodeOptions } from './codec';
import { MAX_VARINT_BYTES } from './wire';
import {
  MESH_FRAMING,
  MESH_HEADER_BYTES,
  STREAM_FRAMING,
  TAKPROTO_MAGIC,
  TAKPROTO_MESH_VERSION,
} from './framing';
import type { Framing } from './writer';

/*
 * TAK Protocol version 1 framings. Stream (TCP/TLS): 0xbf, the message length as a varint, the message;
 * frames back to back. Mesh (UDP): 0xbf 0x01 0xbf, then the message; one per datagram.
 */

export { TAKPROTO_MAGIC, TAKPROTO_MESH_VERSION, MESH_HEADER_BYTES, STREAM_FRAMING, MESH_FRAMING };

/**
 * 1 MiB, the same cap as an XML event (DEFAULT_MAX_EVENT_BYTES): a TakMessage is smaller than the XML of
 * the same event, so this lets through everything XML would, and a hostile length prefix costs nothing.
 */
export const DEFAULT_MAX_TAKPROTO_BYTES = 1024 * 1024;

function framed(framing: Framing, message: Uint8Array): Buffer {
  const header = framing.headerBytes(message.length);
  const frame = Buffer.allocUnsafe(header + message.length);
  framing.writeHeader(frame, 0, message.length);
  frame.set(message, header);
  return frame;
}

/** A stream frame around one TakMessage. */
export function frameStream(message: Uint8Array): Buffer {
  return framed(STREAM_FRAMING, message);
}

/** A mesh datagram around one TakMessage. */
export function frameMesh(message: Uint8Array): Buffer {
  return framed(MESH_FRAMING, message);
}

/** Where a stream frame's message lies, and where the frame ends. */
export interface StreamFrameBounds {
  /** First byte of the TakMessage. */
  start: number;
  /** One past its last byte: where the next frame starts. */
  end: number;
}

export function tooLarge(length: number, maxBytes: number): CotError {
  return new CotError(
    CotErrorCode.TAKPROTO_TOO_LARGE,
    `a TAK Protocol frame declares ${length} bytes, over the ${maxBytes}-byte limit: ` +
      'raise the event size limit if such messages are expected',
    undefined,
    length,
  );
}

export function longLengthVarint(): CotError {
  return new CotError(
    CotErrorCode.TAKPROTO_VARINT,
    `a TAK Protocol frame's length runs past ${MAX_VARINT_BYTES} varint bytes: the bytes are not TAK Protocol`,
  );
}

/**
 * The length prefix at `at`: its value and byte count, `undefined` when the bytes end inside it. Throws
 * ERR_TAKPROTO_VARINT past 10 bytes and ERR_TAKPROTO_TOO_LARGE for a length over `maxBytes`.
 */
export function readFrameLength(
  bytes: Uint8Array,
  at: number,
  maxBytes: number,
): { length: number; size: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let k = 0; k < MAX_VARINT_BYTES; k++) {
    if (at + k >= bytes.length) return undefined;
    const b = bytes[at + k] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      if (value > maxBytes) throw tooLarge(value, maxBytes);
      return { length: value, size: k + 1 };
    }
    scale *= 128;
  }
  throw longLengthVarint();
}

/**
 * The stream frame starting at `at`: undefined when the bytes end before it does. Throws when there is no
 * frame start there (ERR_TAKPROTO_NOT_TAKMESSAGE) or its length is refused.
 */
export function readStreamFrame(
  bytes: Uint8Array,
  at: number = 0,
  maxBytes: number = DEFAULT_MAX_TAKPROTO_BYTES,
): StreamFrameBounds | undefined {
  if (at >= bytes.length) return undefined;
  if (bytes[at] !== TAKPROTO_MAGIC) {
    throw new CotError(
      CotErrorCode.TAKPROTO_NOT_TAKMESSAGE,
      `a TAK Protocol stream frame starts with 0xbf, not 0x${(bytes[at] as number).toString(16).padStart(2, '0')}`,
    );
  }
  const prefix = readFrameLength(bytes, at + 1, maxBytes);
  if (prefix === undefined) return undefined;
  const start = at + 1 + prefix.size;
  const end = start + prefix.length;
  return end <= bytes.length ? { start, end } : undefined;
}

/** Whether the bytes start with the mesh header. */
export function isMeshFramed(bytes: Uint8Array): boolean {
  return (
    bytes.length >= MESH_HEADER_BYTES &&
    bytes[0] === TAKPROTO_MAGIC &&
    bytes[1] === TAKPROTO_MESH_VERSION &&
    bytes[2] === TAKPROTO_MAGIC
  );
}

export interface TakFrameOptions extends TakDecodeOptions {
  /** Largest TakMessage accepted, in bytes (default DEFAULT_MAX_TAKPROTO_BYTES). */
  maxBytes?: number;
}

function truncatedFrame(declared: number | undefined, present: number): CotError {
  return new CotError(
    CotErrorCode.TAKPROTO_TRUNCATED,
    declared === undefined
      ? 'the TAK Protocol frame ends inside its length: the frame was cut short'
      : `the TAK Protocol frame declares ${declared} bytes but only ${present} follow: the frame was cut short`,
    undefined,
    declared,
  );
}

/**
 * The TakMessage inside one whole frame: mesh-framed, stream-framed (exactly one frame) or bare (a
 * message whose first byte is not 0xbf, which no TakMessage's first tag is).
 */
export function unframeTakMessage(bytes: Uint8Array, options: TakFrameOptions = {}): Uint8Array {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_TAKPROTO_BYTES;
  let message: Uint8Array;
  if (isMeshFramed(bytes)) message = bytes.subarray(MESH_HEADER_BYTES);
  else if (bytes[0] === TAKPROTO_MAGIC) {
    const prefix = readFrameLength(bytes, 1, maxBytes);
    if (prefix === undefined) throw truncatedFrame(undefined, bytes.length - 1);
    const start = 1 + prefix.size;
    const present = bytes.length - start;
    if (present < prefix.length) throw truncatedFrame(prefix.length, present);
    if (present > prefix.length) {
      throw new CotError(
        CotErrorCode.TAKPROTO_NOT_TAKMESSAGE,
        `${present - prefix.length} bytes follow the TAK Protocol frame: give one frame (a stream parser reads several)`,
      );
    }
    message = bytes.subarray(start);
  } else message = bytes;
  if (message.length > maxBytes) throw tooLarge(message.length, maxBytes);
  return message;
}

/** The CoT event in one whole frame (mesh, stream or bare TakMessage). */
export function decodeTakFrame(bytes: Uint8Array, options: TakFrameOptions = {}): CotEvent {
  return decodeTakMessage(unframeTakMessage(bytes, options), options);
}
