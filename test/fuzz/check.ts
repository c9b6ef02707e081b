import { CotError, parseCot, StreamError, StreamParser } from '../../src/index';
import { int, type FuzzInput, type Random } from './generators';

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
  try {
    parseCot(input.bytes);
  } catch (error) {
    if (!(error instanceof CotError)) {
      throw new FuzzFailure(`parseCot threw ${String(error)} instead of a CotError`, input);
    }
  }
  const parser = new StreamParser({ maxEventBytes: FUZZ_MAX_EVENT_BYTES });
  const seen = new Set<string>();
  let from = 0;
  const take = (items: ReturnType<StreamParser['push']>): void => {
    for (const item of items) {
      if (item.kind === 'event') seen.add(item.event.uid);
      else if (item.kind === 'error' && !(item.error instanceof StreamError)) {
        throw new FuzzFailure(`an error item that is not a StreamError: ${String(item.error)}`, input);
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
