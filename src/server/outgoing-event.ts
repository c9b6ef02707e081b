/**
 * One event on its way to clients of either wire format. Each format's bytes are made the first time a
 * recipient of that format needs them and kept, so an event goes out encoded at most once per format
 * however many clients get it (and however often it is replayed); the form it arrived in is never re-made.
 */
import type { CotEvent } from '../cot/model';
import { serializeEvent } from '../cot/serialize';
import { encodeTakStreamFrame } from '../takproto';
import type { StreamMode } from '../stream/stream-parser';

/** What a client reads: CoT XML, or TAK Protocol version 1 stream frames. */
export type WireFormat = StreamMode;

/** Counts the encodings made, per format: what encode-once is measured by. */
export interface EncodeCounts {
  xml: number;
  protobuf: number;
}

export class OutgoingEvent {
  private xmlText: string | undefined;
  private xmlBytes: Buffer | undefined;
  private protoBytes: Buffer | undefined;
  /** Set when the event cannot be written as protobuf (a time or value the format cannot hold). */
  private protoError: Error | undefined;
  /**
   * The id of the client it came from: a replay held for the offer's answer starts after the client may
   * have sent events of its own, and those are never sent back to it.
   */
  from: string | undefined;

  /**
   * @param xml the event's XML when it came as XML (kept as received)
   * @param takproto the stream frame it came in, when it came as protobuf
   */
  constructor(
    readonly event: CotEvent,
    private readonly counts: EncodeCounts,
    xml?: string,
    takproto?: Buffer,
  ) {
    this.xmlText = xml;
    this.protoBytes = takproto;
  }

  /** The event as XML text: as received, or built from the model once. */
  get xml(): string {
    if (this.xmlText === undefined) {
      this.xmlText = serializeEvent(this.event);
      this.counts.xml++;
    }
    return this.xmlText;
  }

  /** The bytes for a client reading `format`; undefined when the event cannot be written in it (see `encodeError`). */
  bytes(format: WireFormat): Buffer | undefined {
    if (format === 'xml') {
      this.xmlBytes ??= Buffer.from(this.xml, 'utf8');
      return this.xmlBytes;
    }
    if (this.protoBytes === undefined && this.protoError === undefined) {
      try {
        this.protoBytes = encodeTakStreamFrame(this.event);
        this.counts.protobuf++;
      } catch (error) {
        // Not fatal to anyone: XML clients still get it; the caller reports it once.
        this.protoError = error instanceof Error ? error : new Error(String(error));
      }
    }
    return this.protoBytes;
  }

  /** Why the event could not be encoded as protobuf, once bytes('protobuf') has been asked for. */
  encodeError(): Error | undefined {
    return this.protoError;
  }

  /** Bytes held now, in every format made so far: what the replay store counts when it keeps it. */
  get length(): number {
    return (this.xmlBytes?.length ?? 0) + (this.protoBytes?.length ?? 0);
  }
}
