import { CotError } from '../cot/errors';
import type { CotEvent } from '../cot/model';
import { parseCot } from '../cot/parse';
import { serializeEvent } from '../cot/serialize';
import { decodeTakMessageParts, type TakControl } from '../takproto/codec';
import { isMeshFramed, MESH_HEADER_BYTES, TAKPROTO_MAGIC } from '../takproto/frame';
import { MeshError, MeshErrorCode } from './mesh-errors';

/** What one datagram (or one direct connection) carried. */
export interface MeshReceived {
  /** Absent for a version announcement alone. */
  event?: CotEvent;
  /** The event's XML: as received for XML, built from the model (when first read) for TAK Protocol. */
  readonly xml: string;
  control?: TakControl;
  format: 'xml' | 'protobuf';
}

export interface DatagramOptions {
  maxDepth?: number;
  /** Largest event read; a bigger datagram is refused. */
  maxBytes: number;
}

/** Bytes shown of a bad datagram: enough to tell what sent it. */
const PREVIEW_BYTES = 80;

function previewOf(bytes: Buffer): string {
  const head = bytes.subarray(0, PREVIEW_BYTES);
  // Anything binary as hex; text as text, control characters and undecodable bytes as dots.
  if (head[0] === 0xbf || head.includes(0)) return head.toString('hex').replace(/(..)(?!$)/g, '$1 ');
  let text = '';
  for (const c of head.toString('utf8')) {
    const code = c.codePointAt(0) as number;
    text += (code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r') || code === 0xfffd ? '.' : c;
  }
  return text;
}

function bad(message: string, bytes: Buffer, cause?: unknown): MeshError {
  return new MeshError(MeshErrorCode.BAD_DATAGRAM, message, cause, previewOf(bytes));
}

/**
 * One event out of one datagram: XML, or TAK Protocol mesh framing (0xbf 0x01 0xbf). Throws a MeshError
 * ERR_MESH_BAD_DATAGRAM (its cause the CotError) for anything else: the caller counts it and goes on.
 */
export function readDatagram(bytes: Buffer, options: DatagramOptions): MeshReceived {
  if (bytes.length > options.maxBytes) {
    throw bad(
      `a datagram of ${bytes.length} bytes is larger than the largest event read (${options.maxBytes})`,
      bytes,
    );
  }
  if (bytes.length === 0) throw bad('an empty datagram', bytes);
  try {
    if (bytes[0] === TAKPROTO_MAGIC) {
      if (!isMeshFramed(bytes))
        throw bad('a datagram starts with 0xbf but not with the mesh header 0xbf 0x01 0xbf', bytes);
      const parts = decodeTakMessageParts(bytes.subarray(MESH_HEADER_BYTES), { maxDepth: options.maxDepth });
      if (parts.event === undefined && parts.control === undefined)
        throw bad('a TakMessage with no event and no TakControl', bytes);
      const event = parts.event;
      let xml: string | undefined;
      const received: MeshReceived = {
        format: 'protobuf',
        get xml(): string {
          xml ??= event ? serializeEvent(event) : '';
          return xml;
        },
      };
      if (event) received.event = event;
      if (parts.control) received.control = parts.control;
      return received;
    }
    const xml = bytes.toString('utf8');
    return { event: parseCot(bytes, { maxDepth: options.maxDepth }), xml, format: 'xml' };
  } catch (error) {
    if (error instanceof MeshError) throw error;
    if (error instanceof CotError)
      throw bad(
        `a datagram that is not a CoT event was skipped: ${error.message} (${error.code})`,
        bytes,
        error,
      );
    throw error;
  }
}
