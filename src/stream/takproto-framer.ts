import { CotError, CotErrorCode } from '../cot/errors';
import { MAX_VARINT_BYTES } from '../takproto/wire';
import { TAKPROTO_MAGIC } from '../takproto/frame';

/*
 * TAK Protocol stream frames (0xbf, varint length, TakMessage) out of a byte stream, split anywhere.
 * A state machine over bytes: the length prefix may span chunks, a message is held across chunks only
 * up to the cap, and anything that is not a frame is skipped up to the next 0xbf.
 */

/**
 * 8 MiB, TAK Server's own message cap: a frame declaring more than our cap but no more than this may be
 * a real (too large) message, so its bytes are skipped without being kept; a length beyond it is taken
 * for garbage and the framer looks for the next 0xbf instead of skipping that far.
 */
export const TAKPROTO_SKIP_LIMIT_BYTES = 8 * 1024 * 1024;

export interface TakProtoSink {
  /** One whole frame (0xbf, length, message) and where its message starts in it. Valid during the call. */
  frame(frame: Buffer, messageStart: number): void;
  problem(error: CotError, bytes: number, preview: Buffer): void;
  /** Bytes that were not a frame, skipped. */
  skipped(bytes: number, preview: Buffer): void;
}

const SEARCH = 0; // looking for 0xbf
const LENGTH = 1; // reading the varint after 0xbf
const BODY = 2; // keeping the message's bytes
const SKIP = 3; // passing over an oversize message's bytes without keeping them

const PREVIEW_BYTES = 40;

export class TakProtoFramer {
  private readonly sink: TakProtoSink;
  private readonly maxMessageBytes: number;
  private state = SEARCH;
  private length = 0;
  private scale = 1;
  private lengthBytes = 0;
  /** Bytes of the frame under way from earlier chunks (header included), in one reused buffer. */
  private held: Buffer = Buffer.alloc(0);
  private heldCount = 0;
  /** In SKIP: bytes still to pass over. */
  private toSkip = 0;
  private skippedCount = 0;
  private skippedPreview: number[] = [];

  constructor(sink: TakProtoSink, maxMessageBytes: number) {
    this.sink = sink;
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Bytes held for a frame not yet complete: never more than the cap. */
  get bufferedBytes(): number {
    return this.heldCount;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    let frameStart = 0; // where the frame under way starts in this chunk (0 when it began earlier)
    while (i < n) {
      switch (this.state) {
        case SEARCH: {
          const at = chunk.indexOf(TAKPROTO_MAGIC, i);
          const stop = at < 0 ? n : at;
          this.noteSkipped(chunk, i, stop);
          if (at < 0) return;
          this.flushSkipped();
          frameStart = at;
          this.heldCount = 0;
          this.length = 0;
          this.scale = 1;
          this.lengthBytes = 0;
          this.state = LENGTH;
          i = at + 1;
          break;
        }
        case LENGTH: {
          const b = chunk[i++] as number;
          this.length += (b & 0x7f) * this.scale;
          this.scale *= 128;
          this.lengthBytes++;
          if (b >= 0x80) {
            if (this.lengthBytes === MAX_VARINT_BYTES) {
              i = this.resync(chunk, frameStart, i, this.longVarint());
              frameStart = i;
            }
            break;
          }
          // The cap counts the whole frame, header too, so no more than the cap is ever held.
          if (1 + this.lengthBytes + this.length > this.maxMessageBytes) {
            const error = this.tooLarge();
            if (this.length <= TAKPROTO_SKIP_LIMIT_BYTES) {
              this.sink.problem(
                error,
                1 + this.lengthBytes + this.length,
                this.preview(chunk, frameStart, i),
              );
              this.heldCount = 0;
              this.toSkip = this.length;
              this.state = SKIP;
            } else {
              i = this.resync(chunk, frameStart, i, error);
              frameStart = i;
            }
            break;
          }
          this.state = BODY;
          if (this.length === 0) i = this.complete(chunk, frameStart, i);
          break;
        }
        case BODY: {
          const headerAndBody = 1 + this.lengthBytes + this.length;
          const have = this.heldCount + (i - frameStart);
          const need = headerAndBody - have;
          if (n - i >= need) {
            i = this.complete(chunk, frameStart, i + need);
            frameStart = i;
          } else {
            i = n;
          }
          break;
        }
        default: {
          // SKIP
          const take = Math.min(this.toSkip, n - i);
          this.toSkip -= take;
          i += take;
          if (this.toSkip === 0) {
            this.state = SEARCH;
            frameStart = i;
          }
        }
      }
    }
    // The chunk ended inside a frame: keep its bytes from this chunk.
    if (this.state === LENGTH || this.state === BODY) this.hold(chunk, frameStart, n);
  }

  /** The stream ended: a frame under way is reported as cut short. */
  end(): void {
    if (this.state === LENGTH || this.state === BODY) {
      const frame = this.held.subarray(0, this.heldCount);
      this.sink.problem(
        new CotError(
          CotErrorCode.TAKPROTO_TRUNCATED,
          `the stream ended inside a TAK Protocol frame (${frame.length} bytes of ${
            this.state === BODY ? 1 + this.lengthBytes + this.length : 'a length not yet read'
          }); the frame is lost`,
        ),
        frame.length,
        Buffer.from(frame.subarray(0, PREVIEW_BYTES)),
      );
    }
    this.state = SEARCH;
    this.heldCount = 0;
    this.toSkip = 0;
    this.flushSkipped();
  }

  /** A frame ends before chunk position `end`: hands it over and returns where to go on. */
  private complete(chunk: Buffer, frameStart: number, end: number): number {
    const messageStart = 1 + this.lengthBytes;
    let frame: Buffer;
    if (this.heldCount === 0) frame = chunk.subarray(frameStart, end);
    else {
      this.hold(chunk, frameStart, end);
      frame = this.held.subarray(0, this.heldCount);
    }
    this.state = SEARCH;
    this.heldCount = 0;
    if (this.held.length > HELD_KEEP_BYTES) this.held = Buffer.alloc(0);
    this.sink.frame(frame, messageStart);
    return end;
  }

  /**
   * The header at frameStart is not a frame's: reports it, and returns where in this chunk the search
   * goes on, from the byte after that 0xbf. When the 0xbf came in an earlier chunk, the held bytes after
   * it are searched first (they may hold a real frame's start), then this chunk from its start.
   */
  private resync(chunk: Buffer, frameStart: number, i: number, error: CotError): number {
    this.sink.problem(error, 1, this.preview(chunk, frameStart, i));
    this.state = SEARCH;
    if (this.heldCount === 0) return frameStart + 1;
    const held = Buffer.from(this.held.subarray(1, this.heldCount));
    this.heldCount = 0;
    this.push(held);
    return 0;
  }

  private preview(chunk: Buffer, frameStart: number, i: number): Buffer {
    const fromHeld = this.held.subarray(0, Math.min(this.heldCount, PREVIEW_BYTES));
    const fromChunk = chunk.subarray(frameStart, Math.min(i, frameStart + PREVIEW_BYTES - fromHeld.length));
    return Buffer.concat([fromHeld, fromChunk]);
  }

  private hold(bytes: Buffer, from: number, to: number): void {
    const needed = this.heldCount + (to - from);
    if (needed > this.held.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, Math.min(this.held.length * 2 || 4096, needed * 2)));
      this.held.copy(grown, 0, 0, this.heldCount);
      this.held = grown;
    }
    bytes.copy(this.held, this.heldCount, from, to);
    this.heldCount = needed;
  }

  private noteSkipped(chunk: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.skippedCount += to - from;
    for (let k = from; k < to && this.skippedPreview.length < PREVIEW_BYTES; k++)
      this.skippedPreview.push(chunk[k] as number);
  }

  private flushSkipped(): void {
    if (this.skippedCount === 0) return;
    this.sink.skipped(this.skippedCount, Buffer.from(this.skippedPreview));
    this.skippedCount = 0;
    this.skippedPreview = [];
  }

  private longVarint(): CotError {
    return new CotError(
      CotErrorCode.TAKPROTO_VARINT,
      `a TAK Protocol frame length runs past ${MAX_VARINT_BYTES} varint bytes: not a frame, looking for the next one`,
    );
  }

  private tooLarge(): CotError {
    return new CotError(
      CotErrorCode.TAKPROTO_TOO_LARGE,
      `a TAK Protocol frame declares ${this.length} bytes, over the ${this.maxMessageBytes}-byte limit (header included); ` +
        (this.length <= TAKPROTO_SKIP_LIMIT_BYTES
          ? 'its bytes are skipped: raise maxEventBytes if such messages are expected'
          : 'taken for garbage, looking for the next frame'),
      undefined,
      this.length,
    );
  }
}

/** Above this, the held buffer is let go once its frame is done, so one huge frame is not held forever. */
const HELD_KEEP_BYTES = 64 * 1024;
