import { isDeepStrictEqual } from 'node:util';
import {
  CotError,
  CotErrorCode,
  decodeTakFrame,
  DEFAULT_MAX_DEPTH,
  parseCot,
  StreamError,
  StreamErrorCode,
  StreamParser,
  type CotEvent,
} from '../../src/index';
import { int, type FuzzInput, type Random } from './generators';

/** Every code an error may carry: a code outside these is a failure (a new code must be added here). */
const KNOWN_CODES = new Set<string>([...Object.values(CotErrorCode), ...Object.values(StreamErrorCode)]);

/** Element levels of a model, `<event>` being 1: no event that comes out may be deeper than the limit. */
function depthOf(value: unknown, level: number): number {
  if (typeof value !== 'object' || value === null) return level - 1;
  let deepest = level;
  for (const child of Object.values(value)) {
    deepest = Math.max(deepest, depthOf(child, Array.isArray(value) ? level : level + 1));
  }
  return deepest;
}

function checkEvent(event: CotEvent, input: FuzzInput): void {
  const depth = event.detail === undefined ? 2 : depthOf(event.detail, 2);
  if (depth > DEFAULT_MAX_DEPTH) {
    throw new FuzzFailure(`an event ${depth} levels deep came out, past the limit`, input);
  }
}

/** Small enough that huge inputs exercise the cap; big enough for every real event. */
export const FUZZ_MAX_EVENT_BYTES = 256 * 1024;

export class FuzzFailure extends Error {
  readonly input: FuzzInput;
  constructor(message: string, input: FuzzInput) {
    super(message);
    this.input = input;
  }
}

/**
 * Runs one input through parseCot and through a StreamParser cut at random places. Anything but a
 * result or a CotError/StreamError, a cap overrun, or a lost good event is a failure.
 */
export function checkInput(input: FuzzInput, random: Random): void {
  const protobuf = input.mode === 'protobuf';
  const whole = protobuf ? 'decodeTakFrame' : 'parseCot';
  try {
    checkEvent(protobuf ? decodeTakFrame(input.bytes) : parseCot(input.bytes), input);
  } catch (error) {
    if (error instanceof FuzzFailure) throw error;
    if (!(error instanceof CotError)) {
      throw new FuzzFailure(`${whole} threw ${String(error)} instead of a CotError`, input);
    }
    if (!KNOWN_CODES.has(error.code)) throw new FuzzFailure(`${whole}: unknown code ${error.code}`, input);
  }
  const parser = new StreamParser({ maxEventBytes: FUZZ_MAX_EVENT_BYTES, mode: input.mode });
  const seen = new Set<string>();
  let from = 0;
  const take = (items: ReturnType<StreamParser['push']>): void => {
    for (const item of items) {
      if (item.kind === 'event') {
        seen.add(item.event.uid);
        checkEvent(item.event, input);
        if (item.takproto !== undefined) {
          // A frame that comes out is bytes that came in, and its XML reads back as the same event.
          if (!input.bytes.includes(item.takproto))
            throw new FuzzFailure("an event's takproto is not bytes of the input", input);
          let again: CotEvent;
          try {
            again = parseCot(item.xml);
          } catch (error) {
            throw new FuzzFailure(`the XML of a protobuf event does not parse: ${String(error)}`, input);
          }
          if (!isDeepStrictEqual(again, item.event))
            throw new FuzzFailure(
              `the XML of a protobuf event reads back different: ${item.xml.slice(0, 120)}`,
              input,
            );
        } else if (!input.bytes.includes(Buffer.from(item.xml, 'utf8'))) {
          // What comes out is exactly bytes that came in: valid UTF-8, so nothing was replaced in decoding.
          throw new FuzzFailure(`an event's xml is not bytes of the input: ${item.xml.slice(0, 80)}`, input);
        }
      } else if (item.kind === 'error' && !(item.error instanceof StreamError)) {
        throw new FuzzFailure(`an error item that is not a StreamError: ${String(item.error)}`, input);
      } else if (item.kind === 'error' && !KNOWN_CODES.has(item.error.code)) {
        throw new FuzzFailure(`the stream parser gave an unknown code ${item.error.code}`, input);
      }
    }
  };
  try {
    while (from < input.bytes.length) {
      const size = 1 + int(random, random() < 0.5 ? 64 : 65_536);
      take(parser.push(input.bytes.subarray(from, from + size)));
      from += size;
      if (parser.bufferedBytes > FUZZ_MAX_EVENT_BYTES) {
        throw new FuzzFailure(`the stream parser held ${parser.bufferedBytes} bytes, over its cap`, input);
      }
    }
    take(parser.end());
  } catch (error) {
    if (error instanceof FuzzFailure) throw error;
    throw new FuzzFailure(
      `the stream parser threw ${error instanceof Error ? error.stack : String(error)}`,
      input,
    );
  }
  for (const uid of input.mustSee) {
    if (!seen.has(uid))
      throw new FuzzFailure(`the good event ${uid} after the damage did not come out`, input);
  }
}
