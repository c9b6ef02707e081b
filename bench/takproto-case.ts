/**
 * TAK Protocol v1 against XML for the same ATAK SA event: decoding a stream frame to the model against
 * parseCot of the event's XML, and encoding the model to a stream frame against buildCot.
 *
 * decode: both read a Buffer and end with the same model. The SA event's xmlDetail (`<uid Droid>` and
 * remarks) is the same every time, as a device's own SA is: the codec keeps recent xmlDetail contents, so
 * a second decode row cycles through 1,024 frames whose remarks differ, each read with sax.
 * encode: both start from the same canonical model; buildCot ends with a string (the socket encodes it to
 * UTF-8 as it writes), so a third row adds that encoding for comparison.
 */
import assert from 'node:assert/strict';
import { buildCot, decodeTakFrame, encodeTakStreamFrame, parseCot, type CotEvent } from '../src/index';
import { measureRows, type BenchContext, type Row } from './harness';
import { SA_BYTES, SA_MODEL } from './sa-event';

const DECODE = 'takproto-decode';
const ENCODE = 'takproto-encode';

const DECODE_OURS = 'ours decodeTakFrame(stream frame)';
const DECODE_FRESH = 'ours decodeTakFrame, every xmlDetail new';
const PARSE_XML = 'ours parseCot(buffer) of the same event';
const ENCODE_OURS = 'ours encodeTakStreamFrame(model)';
const BUILD_XML = 'ours buildCot(model)';
const BUILD_XML_BYTES = 'ours buildCot(model) as UTF-8 bytes';

/** More frames than the codec keeps xmlDetail contents for, so every read misses. */
const FRESH_FRAMES = 1024;

function freshFrames(): Buffer[] {
  const frames: Buffer[] = [];
  for (let k = 0; k < FRESH_FRAMES; k++) {
    const model: CotEvent = structuredClone(SA_MODEL);
    (model.detail as NonNullable<CotEvent['detail']>).remarks = { _text: `Heading west on foot ${k}` };
    frames.push(encodeTakStreamFrame(model));
  }
  return frames;
}

export async function runTakprotoDecodeCase(context: BenchContext): Promise<Row[]> {
  const frame = encodeTakStreamFrame(SA_MODEL);
  context.log(`takproto-decode: SA stream frame of ${frame.length} bytes, XML of ${SA_BYTES.length}`);
  assert.deepEqual(decodeTakFrame(frame), parseCot(SA_BYTES), 'the frame decodes to the XML model');
  const fresh = freshFrames();
  let next = 0;
  return measureRows(
    DECODE,
    [
      {
        name: DECODE_OURS,
        fn: () => decodeTakFrame(frame),
        bytesPerOp: frame.length,
        reference: PARSE_XML,
        targets: [{ against: PARSE_XML, min: 5 }],
      },
      {
        name: DECODE_FRESH,
        fn: () => decodeTakFrame(fresh[(next = (next + 1) % FRESH_FRAMES)] as Buffer),
        bytesPerOp: frame.length,
        reference: PARSE_XML,
      },
      { name: PARSE_XML, fn: () => parseCot(SA_BYTES), bytesPerOp: SA_BYTES.length, reference: PARSE_XML },
    ],
    context.measure,
  );
}

export async function runTakprotoEncodeCase(context: BenchContext): Promise<Row[]> {
  const frame = encodeTakStreamFrame(SA_MODEL);
  const xml = buildCot(SA_MODEL);
  assert.deepEqual(decodeTakFrame(frame), parseCot(xml), 'the frame and the XML say the same');
  return measureRows(
    ENCODE,
    [
      {
        name: ENCODE_OURS,
        fn: () => encodeTakStreamFrame(SA_MODEL),
        bytesPerOp: frame.length,
        reference: BUILD_XML,
        targets: [{ against: BUILD_XML, min: 1.5 }],
      },
      {
        name: BUILD_XML,
        fn: () => buildCot(SA_MODEL),
        bytesPerOp: Buffer.byteLength(xml),
        reference: BUILD_XML,
      },
      {
        // What a socket write of the string has to do anyway: the frame is bytes already.
        name: BUILD_XML_BYTES,
        fn: () => Buffer.from(buildCot(SA_MODEL), 'utf8'),
        bytesPerOp: Buffer.byteLength(xml),
        reference: BUILD_XML,
      },
    ],
    context.measure,
  );
}
