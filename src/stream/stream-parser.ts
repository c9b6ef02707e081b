import { CotError, CotErrorCode } from '../cot/errors';
import type { CotEvent } from '../cot/model';
import { readMaxDepth } from '../cot/limits';
import { EventReader, readingError } from '../cot/parse';
import { checkReceivedBytes } from '../cot/received-text';
import { StreamError, type StreamErrorCode } from './errors';
import { CotFramer, type FrameKind, type FrameSink } from './framer';

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
}

/** One thing that came out of the stream, in stream order. */
export type StreamItem =
  | { kind: 'event'; event: CotEvent; /** The event's exact XML, for pass-through. */ xml: string }
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
  private readonly reader: EventReader;
  private out: StreamItem[] = [];

  constructor(options: StreamParserOptions = {}) {
    const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    if (!Number.isInteger(maxEventBytes) || maxEventBytes < 64) {
      throw new RangeError(`maxEventBytes is ${maxEventBytes}; give a whole number of bytes, at least 64`);
    }
    this.reader = new EventReader('stream', readMaxDepth(options.maxDepth));
    const sink: FrameSink = {
      frame: (bytes, kind) => this.onFrame(bytes, kind),
      tentative: (frames) => this.onTentative(frames),
      problem: (code, message, bytes, preview) => this.onProblem(code, message, bytes, preview),
      skipped: (reason, bytes, preview) => {
        this.out.push({ kind: 'skip', reason, bytes, preview: previewText(preview) });
      },
    };
    this.framer = new CotFramer(sink, maxEventBytes, { tentativeFrames: options.tentativeFrames ?? true });
  }

  /** Bytes held for an event that has not ended yet (never more than maxEventBytes). */
  get bufferedBytes(): number {
    return this.framer.bufferedBytes;
  }

  /** Feeds bytes; returns what completed, in order. */
  push(chunk: Buffer): StreamItem[] {
    this.framer.push(chunk);
    return this.take();
  }

  /** The stream has ended: reports an unfinished event. The parser can be reused afterwards. */
  end(): StreamItem[] {
    this.framer.end();
    return this.take();
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
