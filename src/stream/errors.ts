import type { CotError, CotErrorCode } from '../cot/errors';

export const StreamErrorCode = {
  /** An event started but the next `<event` (or the end of the stream) came before its `</event>`. */
  TRUNCATED: 'ERR_STREAM_TRUNCATED',
  /** Markup inside an event is broken (a `<` inside a tag, text right after a quoted value, `<!DOCTYPE`...). */
  MALFORMED: 'ERR_STREAM_MALFORMED',
  /** An event grew past the size cap; it is skipped. */
  OVERSIZE: 'ERR_STREAM_OVERSIZE',
} as const;

export type StreamErrorCode = (typeof StreamErrorCode)[keyof typeof StreamErrorCode];

/** A problem in the stream. The stream itself goes on: only the broken event is lost. */
export class StreamError extends Error {
  /** A stream code, or the CotError code of a framed event that parseCot refused. */
  readonly code: StreamErrorCode | CotErrorCode;
  /** How many bytes of the stream this problem cost. */
  readonly bytes: number;
  /** The start of the broken event, for logs. */
  readonly preview: string;
  override readonly cause: CotError | undefined;
  /** The whole event as received, when it was framed but parseCot refused it. */
  readonly xml: string | undefined;

  constructor(
    code: StreamErrorCode | CotErrorCode,
    message: string,
    bytes: number,
    preview: string,
    cause?: CotError,
    xml?: string,
  ) {
    super(message);
    this.xml = xml;
    this.name = 'StreamError';
    this.code = code;
    this.bytes = bytes;
    this.preview = preview;
    this.cause = cause;
  }
}
