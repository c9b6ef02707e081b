/**
 * A TCP stream of SA events, cut into chunks of 1, 16, 64 and 256 KiB: our StreamParser beside raw sax
 * reading the same bytes, and beside the regex-and-rescan framing existing JavaScript clients use.
 *
 * One op reads the whole stream. Every variant decodes the bytes itself and ends with each event's model
 * (ours, regex) or every element seen (raw sax), so the framing is what differs.
 */
import assert from 'node:assert/strict';
import { StringDecoder } from 'node:string_decoder';
import sax from 'sax';
import { parseCot, StreamParser, type CotEvent, type StreamParserOptions } from '../src/index';
import type { BenchContext, Row, RowSpec, Target } from './harness';
import { measureRows } from './harness';
import { SA_ELEMENT_COUNT, SA_MODEL, SA_UID } from './sa-event';
import { buildCot } from '../src/index';

const CASE = 'stream';
/** About 1.3 MB: several 256 KiB chunks, and enough events that per-op overhead does not matter. */
const EVENT_COUNT = 2000;
const CHUNK_KIB = [1, 16, 64, 256];

/** Back to back, no declaration and no separator: how taky and most servers write a stream. */
function makeStream(): Buffer {
  const parts: string[] = [];
  for (let n = 0; n < EVENT_COUNT; n++) parts.push(buildCot({ ...SA_MODEL, uid: `${SA_UID}-${n}` }));
  return Buffer.from(parts.join(''), 'utf8');
}

function chunksOf(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

function ours(chunks: Buffer[], options: StreamParserOptions = {}): number {
  const parser = new StreamParser(options);
  let events = 0;
  for (const chunk of chunks) for (const item of parser.push(chunk)) if (item.kind === 'event') events++;
  parser.end();
  return events;
}

/**
 * Raw sax over the stream: one strict parser, the events wrapped in one root element so that a stream of
 * several roots is one document to it; its only handler counts opening tags.
 */
function rawSax(chunks: Buffer[]): number {
  const parser = sax.parser(true, {
    trim: false,
    normalize: false,
    position: false,
    strictEntities: true,
  } as sax.SAXOptions);
  const decoder = new StringDecoder('utf8');
  let tags = 0;
  parser.onopentag = () => {
    tags++;
  };
  parser.onerror = (error) => {
    throw error;
  };
  parser.write('<stream>');
  for (const chunk of chunks) parser.write(decoder.write(chunk));
  parser.write('</stream>').close();
  return (tags - 1) / SA_ELEMENT_COUNT;
}

/**
 * The framing found in existing JavaScript TAK clients, written again here for comparison: append each
 * chunk's text to a string, then repeatedly match `<event ...>...</event>` and the rest of the buffer,
 * keeping the rest as the new buffer. Each match copies the remainder, so a chunk holding many events
 * costs time quadratic in its size. Events are parsed with our parseCot, so only the framing differs.
 */
function regexRescan(chunks: Buffer[]): number {
  const FRAME = /(<event[^>]*>[\s\S]*?<\/event>)([\s\S]*)/;
  let buffer = '';
  let events = 0;
  for (const chunk of chunks) {
    buffer += chunk.toString();
    for (let m = FRAME.exec(buffer); m !== null; m = FRAME.exec(buffer)) {
      const event: CotEvent = parseCot(m[1] as string);
      if (event.uid) events++;
      buffer = m[2] as string;
    }
  }
  return events;
}

export async function runStreamCase(context: BenchContext): Promise<Row[]> {
  const stream = makeStream();
  context.log(`stream: ${EVENT_COUNT} SA events, ${(stream.length / 1e6).toFixed(2)} MB, back to back`);
  const specs: RowSpec[] = [];
  const oursName = (kib: number): string => `ours StreamParser, ${kib} KiB chunks`;
  for (const kib of CHUNK_KIB) {
    const chunks = chunksOf(stream, kib * 1024);
    assert.equal(ours(chunks), EVENT_COUNT, `ours lost events at ${kib} KiB`);
    assert.equal(rawSax(chunks), EVENT_COUNT, `raw sax miscounted at ${kib} KiB`);
    assert.equal(regexRescan(chunks), EVENT_COUNT, `regex framing lost events at ${kib} KiB`);
    const saxName = `raw sax, ${kib} KiB chunks`;
    const regexName = `regex+rescan, ${kib} KiB chunks`;
    const flat: Target[] = CHUNK_KIB.filter((other) => other !== kib).map((other) => ({
      against: oursName(other),
      min: 0.8,
    }));
    const common = { bytesPerOp: stream.length, reference: saxName };
    specs.push(
      {
        name: oursName(kib),
        fn: () => ours(chunks),
        ...common,
        targets: [{ against: saxName, min: 0.8 }, { against: regexName, min: 1.0 }, ...flat],
      },
      { name: saxName, fn: () => rawSax(chunks), ...common },
      { name: regexName, fn: () => regexRescan(chunks), ...common },
    );
  }
  const rows = await measureRows(CASE, specs, context.measure);
  // The table counts whole streams per second; events per second is that times the events in one.
  return rows.map((row) => ({
    ...row,
    note: `${row.note ? `${row.note}; ` : ''}${Number.isFinite(row.opsPerSec) ? `${Math.round((row.opsPerSec * EVENT_COUNT) / 1000)} k events/s` : ''}`,
  }));
}

const ODD_CASE = 'stream-odd';
const ODD_CHUNK_KIB = [1, 64];

/**
 * The same events, each ending `</event >`: every one defeats the search for `</event>` and goes to the
 * byte-by-byte scanner. Measured against that scanner alone on the same bytes: the shortcut must not make
 * such a stream much slower than having no shortcut at all.
 */
export async function runOddStreamCase(context: BenchContext): Promise<Row[]> {
  const parts: string[] = [];
  for (let n = 0; n < EVENT_COUNT; n++) {
    parts.push(buildCot({ ...SA_MODEL, uid: `${SA_UID}-${n}` }).replace('</event>', '</event >'));
  }
  const stream = Buffer.from(parts.join(''), 'utf8');
  context.log(
    `stream-odd: ${EVENT_COUNT} SA events ending "</event >", ${(stream.length / 1e6).toFixed(2)} MB`,
  );
  const specs: RowSpec[] = [];
  for (const kib of ODD_CHUNK_KIB) {
    const chunks = chunksOf(stream, kib * 1024);
    const scannerName = `byte scanner only, ${kib} KiB chunks`;
    assert.equal(ours(chunks), EVENT_COUNT, `ours lost events at ${kib} KiB`);
    assert.equal(
      ours(chunks, { tentativeFrames: false }),
      EVENT_COUNT,
      `the scanner lost events at ${kib} KiB`,
    );
    specs.push(
      {
        name: `ours StreamParser, ${kib} KiB chunks`,
        fn: () => ours(chunks),
        bytesPerOp: stream.length,
        reference: scannerName,
        targets: [{ against: scannerName, min: 0.8 }],
      },
      {
        name: scannerName,
        fn: () => ours(chunks, { tentativeFrames: false }),
        bytesPerOp: stream.length,
        reference: scannerName,
      },
    );
  }
  return measureRows(ODD_CASE, specs, context.measure);
}
