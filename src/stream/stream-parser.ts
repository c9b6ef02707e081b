import { CotError, CotErrorCode } from '../cot/errors';
import type { CotEvent } from '../cot/model';
import { readMaxDepth } from '../cot/limits';
import { EventReader, readingError } from '../cot/parse';
import { checkReceivedBytes } from '../cot/received-text';
import { serializeEvent } from '../cot/serialize';
import { decodeTakMessage } from '../takproto/codec';
import { StreamError, type StreamErrorCode } from './errors';
import { CotFramer, type FrameKind, type FrameSink } from './framer';
import { TakProtoFramer } from './takproto-framer';

/** What the bytes of a connection are: CoT XML, or TAK Protocol version 1 stream frames. */
export type StreamMode = 'xml' | 'protobuf';

/**
 * 1 MiB: thirty times the largest real event in the test corpus (a 34 KB mission change), an eighth
 * of the 8 MB TAK Server allows, and small enough that a hostile peer cannot make us hold much.
 */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

export interface StreamParserOptions {
  /** The largest event kept; a bigger one is skipped with ERR_STREAM_OVERSIZE. */
  maxEventBytes?: number;
  /**
   * Deepest element nesting accepted, `<event>` being level 1 (default DEFAULT_MAX_DEPTH, at most
   * MAX_DEPTH_LIMIT); a deeper event is skipped with ERR_COT_TOO_DEEP and the stream goes on.
   */
  maxDepth?: number;
  /**
   * @internal Off: cut every event out byte by byte instead of trying the first `</event>` first. The
   * same items come out in the same order, each event from the same push; only an error about a broken
   * event may come one push later with tentative frames. The tests compare the two.
   */
  tentativeFrames?: boolean;
  /** What the stream starts as (default 'xml'); 'protobuf' for TAK Server's prototls inputs. */
  mode?: StreamMode;
}

/** One thing that came out of the stream, in stream order. */
export type StreamItem =
  | {
      kind: 'event';
      event: CotEvent;
      /** The event's exact XML, for pass-through; for a protobuf frame, XML built from the model when first read. */
      readonly xml: string;
      /** The whole TAK Protocol frame (0xbf, length, message) when the event came as one. */
      takproto?: Buffer;
    }
  | { kind: 'error'; error: StreamError }
  /** Bytes outside events that were not whitespace or a declaration: `<auth>`, other elements, noise. Debug level. */
  | { kind: 'skip'; reason: 'element' | 'garbage'; bytes: number; preview: string };

/** Readable in a log line: control characters and undecodable bytes show as dots. */
function previewText(bytes: Buffer): string {
  let text = '';
  for (const c of bytes.toString('utf8')) {
    const code = c.codePointAt(0) as number;
    text += (code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r') || code === 0xfffd ? '.' : c;
  }
  return text;
}

function hexPreview(bytes: Buffer): string {
  return bytes.toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

/**
 * An event read from a protobuf frame: its XML is built only if someone reads it. A class: a getter in an
 * object literal costs a runtime call for every event (0.4 us, against 0.01 us for this).
 */
class ProtobufEventItem {
  readonly kind = 'event';
  #xml: string | undefined;

  constructor(
    readonly event: CotEvent,
    readonly takproto: Buffer,
  ) {}

  get xml(): string {
    return (this.#xml ??= serializeEvent(this.event));
  }

  /** The getter is on the prototype: JSON of an item still carries its XML, as an XML item's does. */
  toJSON(): { kind: 'event'; event: CotEvent; xml: string; takproto: Buffer } {
    return { kind: this.kind, event: this.event, xml: this.xml, takproto: this.takproto };
  }
}

/** A byte after which a `>` may end an event: where a stream watched for a mode switch is cut. */
const GT = 0x3e;

function refused(error: CotError, bytes: Buffer, xml: string): StreamItem {
  // Text decoded from invalid UTF-8 is not what was received: it is not handed on as if it were.
  const received = error.code === CotErrorCode.BAD_UTF8 ? undefined : xml;
  return {
    kind: 'error',
    error: new StreamError(
      error.code,
      `an event was refused: ${error.message}`,
      bytes.length,
      previewText(bytes.subarray(0, 80)),
      error,
      received,
    ),
  };
}

/**
 * Every CoT event out of a TCP byte stream, whatever the framing: back to back, separated by newlines,
 * each behind an XML declaration, pretty-printed, split anywhere. Problems come out as error items and
 * the parser carries on; only a broken event is ever lost.
 */
export class StreamParser {
  private readonly framer: CotFramer;
  private readonly takFramer: TakProtoFramer;
  private readonly reader: EventReader;
  private readonly maxDepth: number;
  private out: StreamItem[] = [];
  private currentMode: StreamMode;
  /** Armed by switchToProtobufAfter: the XML event after whose last byte the stream is protobuf. */
  private switchAfter: ((event: CotEvent) => boolean) | undefined;

  constructor(options: StreamParserOptions = {}) {
    const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    if (!Number.isInteger(maxEventBytes) || maxEventBytes < 64) {
      throw new RangeError(`maxEventBytes is ${maxEventBytes}; give a whole number of bytes, at least 64`);
    }
    this.maxDepth = readMaxDepth(options.maxDepth);
    this.reader = new EventReader('stream', this.maxDepth);
    const sink: FrameSink = {
      frame: (bytes, kind) => this.onFrame(bytes, kind),
      tentative: (frames) => this.onTentative(frames),
      problem: (code, message, bytes, preview) => this.onProblem(code, message, bytes, preview),
      skipped: (reason, bytes, preview) => {
        this.out.push({ kind: 'skip', reason, bytes, preview: previewText(preview) });
      },
    };
    this.framer = new CotFramer(sink, maxEventBytes, { tentativeFrames: options.tentativeFrames ?? true });
    this.takFramer = new TakProtoFramer(
      {
        frame: (frame, messageStart) => this.onTakFrame(frame, messageStart),
        problem: (error, bytes, preview) => {
          this.out.push({
            kind: 'error',
            error: new StreamError(error.code, error.message, bytes, hexPreview(preview), error),
          });
        },
        skipped: (bytes, preview) => {
          this.out.push({ kind: 'skip', reason: 'garbage', bytes, preview: hexPreview(preview) });
        },
      },
      maxEventBytes,
    );
    this.currentMode = options.mode ?? 'xml';
  }

  /** Bytes held for an event or frame that has not ended yet (never more than maxEventBytes). */
  get bufferedBytes(): number {
    return this.framer.bufferedBytes + this.takFramer.bufferedBytes;
  }

  /** What the parser reads the next byte as. */
  get mode(): StreamMode {
    return this.currentMode;
  }

  /**
   * Reads the next byte pushed as `mode`. Called between pushes; an event or frame left unfinished in
   * the mode left is reported as truncated. Cancels a pending switchToProtobufAfter.
   */
  setMode(mode: StreamMode): StreamItem[] {
    this.switchAfter = undefined;
    if (mode !== this.currentMode) {
      if (this.currentMode === 'xml') this.framer.end();
      else this.takFramer.end();
      this.currentMode = mode;
    }
    return this.take();
  }

  /**
   * In XML mode: the byte after the first XML event for which `when` is true (a TakResponse accepting
   * protobuf) is read as protobuf, even in the same push. Until then the stream is cut after each `>`
   * so the switch falls exactly there; meant for the few events of a negotiation.
   */
  switchToProtobufAfter(when: (event: CotEvent) => boolean): void {
    if (this.currentMode === 'xml') this.switchAfter = when;
  }

  /** Feeds bytes; returns what completed, in order. */
  push(chunk: Buffer): StreamItem[] {
    if (this.currentMode === 'protobuf') this.takFramer.push(chunk);
    else if (this.switchAfter !== undefined) this.pushWatched(chunk);
    else this.framer.push(chunk);
    return this.take();
  }

  /** The stream has ended: reports an unfinished event. The parser can be reused afterwards. */
  end(): StreamItem[] {
    if (this.currentMode === 'xml') this.framer.end();
    else this.takFramer.end();
    return this.take();
  }

  private pushWatched(chunk: Buffer): void {
    const when = this.switchAfter as (event: CotEvent) => boolean;
    let from = 0;
    while (from < chunk.length) {
      const gt = chunk.indexOf(GT, from);
      const to = gt < 0 ? chunk.length : gt + 1;
      const before = this.out.length;
      this.framer.push(chunk.subarray(from, to));
      from = to;
      for (let k = before; k < this.out.length; k++) {
        const item = this.out[k] as StreamItem;
        if (item.kind === 'event' && when(item.event)) {
          // This event's last byte was the piece's last: everything after it is protobuf.
          this.switchAfter = undefined;
          this.framer.end();
          this.currentMode = 'protobuf';
          if (from < chunk.length) this.takFramer.push(chunk.subarray(from));
          return;
        }
      }
    }
  }

  private onTakFrame(frame: Buffer, messageStart: number): void {
    let event: CotEvent;
    try {
      event = decodeTakMessage(frame.subarray(messageStart), { maxDepth: this.maxDepth });
    } catch (error) {
      if (!(error instanceof CotError)) throw error;
      this.out.push({
        kind: 'error',
        error: new StreamError(
          error.code,
          `a TAK Protocol message was refused: ${error.message}`,
          frame.length,
          hexPreview(frame.subarray(0, 40)),
          error,
        ),
      });
      return;
    }
    // The frame may be a view of a socket chunk or of a reused buffer: the item gets its own copy.
    this.out.push(new ProtobufEventItem(event, Buffer.from(frame)));
  }

  private take(): StreamItem[] {
    const items = this.out;
    this.out = [];
    return items;
  }

  private onFrame(bytes: Buffer, _kind: FrameKind): boolean {
    const xml = bytes.toString('utf8');
    let event: CotEvent;
    try {
      event = this.reader.readFrame(xml);
    } catch (error) {
      if (!(error instanceof CotError)) throw error;
      this.out.push(
        refused(
          readingError(error, () => checkReceivedBytes(bytes, xml)),
          bytes,
          xml,
        ),
      );
      // Only a frame that is not XML at all may hide a good event behind the break.
      return error.code !== CotErrorCode.XML;
    }
    const bad = checkReceivedBytes(bytes, xml);
    this.out.push(bad === undefined ? { kind: 'event', event, xml } : refused(bad, bytes, xml));
    return true;
  }

  private onTentative(frames: Buffer[]): boolean {
    const xmls = frames.map((bytes) => bytes.toString('utf8'));
    const results = this.reader.readTentativeFrames(xmls);
    if (results === undefined) return false;
    for (let k = 0; k < results.length; k++) {
      const result = results[k] as CotEvent | CotError;
      const bytes = frames[k] as Buffer;
      const xml = xmls[k] as string;
      if (result instanceof CotError) {
        this.out.push(
          refused(
            readingError(result, () => checkReceivedBytes(bytes, xml)),
            bytes,
            xml,
          ),
        );
        continue;
      }
      const bad = checkReceivedBytes(bytes, xml);
      this.out.push(bad === undefined ? { kind: 'event', event: result, xml } : refused(bad, bytes, xml));
    }
    return true;
  }

  private onProblem(code: StreamErrorCode, message: string, bytes: number, preview: Buffer): void {
    this.out.push({ kind: 'error', error: new StreamError(code, message, bytes, previewText(preview)) });
  }
}
