import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CotErrorCode,
  encodeTakStreamFrame,
  frameStream,
  parseCot,
  StreamParser,
  type CotElement,
  type CotEvent,
  type StreamItem,
} from '../src/index';
import { TAKPROTO_SKIP_LIMIT_BYTES } from '../src/stream/takproto-framer';
import { codes, describeItem, ev, feed, uids } from './helpers/stream';

const T = {
  time: '2026-01-31T12:00:00.000Z',
  start: '2026-01-31T12:00:00.000Z',
  stale: '2026-01-31T12:05:00.000Z',
};

function model(uid: string, remarks = 'hi'): CotEvent {
  return {
    version: '2.0',
    uid,
    type: 'a-f-G-U-C',
    how: 'm-g',
    ...T,
    point: { lat: 1, lon: 2, hae: 9999999, ce: 9999999, le: 9999999 },
    detail: { contact: { callsign: uid }, remarks: { _text: remarks } },
  };
}

function frame(uid: string, remarks?: string): Buffer {
  return encodeTakStreamFrame(model(uid, remarks));
}

const PROTOBUF = { mode: 'protobuf' as const };

/** Every way of cutting the bytes in two gives the same items as one push. */
function assertEverySplit(bytes: Buffer, options: Parameters<typeof feed>[2], expected: string[]): void {
  for (let cut = 0; cut <= bytes.length; cut++) {
    assert.deepEqual(feed(bytes, [cut], options).map(describeItem), expected, `cut at ${cut}`);
  }
}

describe('stream parser, protobuf mode', () => {
  const frames = [frame('a'), frame('b', 'x'.repeat(300)), frame('c')];
  const stream = Buffer.concat(frames);
  const expected = ['a', 'b', 'c'].map((uid, k) =>
    `event ${uid} ${0}`.replace(' 0', ` ${xmlLength(frames[k] as Buffer)}`),
  );

  function xmlLength(bytes: Buffer): number {
    return (feed(bytes, [], PROTOBUF)[0] as Extract<StreamItem, { kind: 'event' }>).xml.length;
  }

  it('frames back to back come out as events with their frame bytes and XML built from the model', () => {
    const items = feed(stream, [], PROTOBUF);
    assert.deepEqual(uids(items), ['a', 'b', 'c']);
    for (let k = 0; k < items.length; k++) {
      const item = items[k] as Extract<StreamItem, { kind: 'event' }>;
      assert.deepEqual(item.takproto, frames[k]);
      assert.deepEqual(item.event, model(item.event.uid, k === 1 ? 'x'.repeat(300) : 'hi'));
      assert.deepEqual(parseCot(item.xml), item.event);
      const json = JSON.parse(JSON.stringify(item)) as Record<string, unknown>;
      assert.equal(json.kind, 'event');
      assert.equal(json.xml, item.xml, 'JSON of the item keeps its XML, as an XML item does');
    }
  });

  it('split at every byte, in two pushes, the same events come out', () => {
    assertEverySplit(stream, PROTOBUF, expected);
  });

  it('one byte at a time, the same events come out', () => {
    const cuts = Array.from({ length: stream.length }, (_, k) => k);
    assert.deepEqual(feed(stream, cuts, PROTOBUF).map(describeItem), expected);
  });

  it('garbage before, between and after frames is skipped and reported; every frame is found', () => {
    const bytes = Buffer.concat([
      Buffer.from('noise'),
      frames[0] as Buffer,
      Buffer.from([1, 2, 3]),
      frames[1] as Buffer,
      Buffer.from('tail'),
    ]);
    const items = feed(bytes, [], PROTOBUF);
    assert.deepEqual(uids(items), ['a', 'b']);
    assert.deepEqual(
      items.filter((item) => item.kind === 'skip').map((item) => item.kind === 'skip' && item.bytes),
      [5, 3, 4],
    );
    assertEverySplit(bytes, PROTOBUF, feed(bytes, [], PROTOBUF).map(describeItem));
  });

  it('a 0xbf with an 11-byte varint: ERR_TAKPROTO_VARINT, then the next frame is found', () => {
    const bad = Buffer.from([0xbf, ...new Array<number>(10).fill(0x80), 0x01]);
    const bytes = Buffer.concat([bad, frames[0] as Buffer]);
    const items = feed(bytes, [], PROTOBUF);
    assert.deepEqual(codes(items), [CotErrorCode.TAKPROTO_VARINT]);
    assert.deepEqual(uids(items), ['a']);
    assertEverySplit(bytes, PROTOBUF, items.map(describeItem));
  });

  it('a length over the cap is skipped without being kept; a length past the skip limit is garbage', () => {
    const max = 1024;
    const big = frame('big', 'y'.repeat(5000));
    const bytes = Buffer.concat([big, frames[0] as Buffer]);
    const options = { ...PROTOBUF, maxEventBytes: max };
    const items = feed(bytes, [], options);
    assert.deepEqual(codes(items), [CotErrorCode.TAKPROTO_TOO_LARGE]);
    assert.deepEqual(uids(items), ['a']);
    // feed() checks at every cut that no more than the cap is ever held.
    const cuts = Array.from({ length: bytes.length }, (_, k) => k);
    assert.deepEqual(feed(bytes, cuts, options).map(describeItem), items.map(describeItem));

    // A declared length beyond any real message: the 0xbf is taken for garbage, the next frame is found.
    const lengthBeyond = frameStream(new Uint8Array(0)).subarray(0, 1);
    const huge = Buffer.concat([lengthBeyond, varint(TAKPROTO_SKIP_LIMIT_BYTES + 1), frames[1] as Buffer]);
    const hugeItems = feed(huge, [], options);
    assert.deepEqual(codes(hugeItems), [CotErrorCode.TAKPROTO_TOO_LARGE]);
    assert.deepEqual(uids(hugeItems), ['b']);
    assertEverySplit(huge, options, hugeItems.map(describeItem));
  });

  it('the cap counts the whole frame: never more than maxEventBytes held, at any cut', () => {
    const max = 1024;
    const options = { ...PROTOBUF, maxEventBytes: max };
    const frameOf = (bodyBytes: number): Buffer =>
      Buffer.concat([Buffer.from([0xbf]), varint(bodyBytes), Buffer.alloc(bodyBytes, 0x08)]);
    // 1 + 2 + 1021 = the cap: kept whole (its body is no TakMessage: refused as such, not as too large).
    const fits = Buffer.concat([frameOf(max - 3), frames[0] as Buffer]);
    const cuts = Array.from({ length: fits.length }, (_, k) => k);
    const fitsItems = feed(fits, cuts, options); // feed() throws if more than the cap is ever held
    assert.ok(!codes(fitsItems).includes(CotErrorCode.TAKPROTO_TOO_LARGE), codes(fitsItems).join());
    assert.deepEqual(uids(fitsItems), ['a']);
    // A body of the cap itself: over it with its header.
    const over = Buffer.concat([frameOf(max), frames[0] as Buffer]);
    const overItems = feed(
      over,
      Array.from({ length: over.length }, (_, k) => k),
      options,
    );
    assert.deepEqual(codes(overItems), [CotErrorCode.TAKPROTO_TOO_LARGE]);
    assert.deepEqual(uids(overItems), ['a']);
  });

  it('a frame whose message is broken is refused with its code; the stream goes on', () => {
    const broken = Buffer.from([0xbf, 0x02, 0x12, 0x05]); // CotEvent declaring 5 bytes, holding none
    const bytes = Buffer.concat([broken, frames[0] as Buffer]);
    const items = feed(bytes, [], PROTOBUF);
    assert.deepEqual(codes(items), [CotErrorCode.TAKPROTO_TRUNCATED]);
    assert.deepEqual(uids(items), ['a']);
    const message = Buffer.from([0x12, 0x03, 0x0a, 0x01, 0x61]); // a CotEvent with a type and no uid
    const again = feed(Buffer.concat([frameStream(message), frames[2] as Buffer]), [], PROTOBUF);
    assert.deepEqual(codes(again), [CotErrorCode.TAKPROTO_MISSING_UID]);
    assert.deepEqual(uids(again), ['c']);
  });

  it('the stream ending inside a frame: ERR_TAKPROTO_TRUNCATED', () => {
    const cut = stream.subarray(0, (frames[0] as Buffer).length + 5);
    const items = feed(cut, [], PROTOBUF);
    assert.deepEqual(uids(items), ['a']);
    assert.deepEqual(codes(items), [CotErrorCode.TAKPROTO_TRUNCATED]);
  });
});

function varint(value: number): Buffer {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return Buffer.from(bytes);
}

// ------------------------------------------------------------------ switching mode

const NOW = 'time="2026-01-31T12:00:00Z" start="2026-01-31T12:00:00Z" stale="2026-01-31T12:05:00Z"';
function response(status: boolean): string {
  return `<event version="2.0" uid="protouid" type="t-x-takp-r" how="m-g" ${NOW}><point lat="0" lon="0" hae="0" ce="999999" le="999999"/><detail><TakControl><TakResponse status="${status}"/></TakControl></detail></event>`;
}

function accepted(event: CotEvent): boolean {
  const control = event.detail?.TakControl as CotElement | undefined;
  const answer = control?.TakResponse as CotElement | undefined;
  return event.type === 't-x-takp-r' && answer?.status === 'true';
}

/** Feeds with the switch armed from the start, cut at the given positions. */
function feedNegotiating(bytes: Buffer, cuts: number[]): string[] {
  const parser = new StreamParser();
  parser.switchToProtobufAfter(accepted);
  const items: StreamItem[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    items.push(...parser.push(bytes.subarray(from, cut)));
    from = cut;
  }
  items.push(...parser.end());
  return [...items.map(describeItem), parser.mode];
}

describe('stream parser, switching from XML to protobuf at the exact byte', () => {
  const xmlBefore = ev('x1');
  const bytes = Buffer.concat([Buffer.from(xmlBefore + response(true)), frame('p1'), frame('p2')]);
  const expected = feedNegotiating(bytes, []);

  it('the events before and including the accepting TakResponse are XML, every byte after it protobuf', () => {
    assert.deepEqual(
      expected.map((line) => line.split(' ').slice(0, 2).join(' ')),
      ['event x1', 'event protouid', 'event p1', 'event p2', 'protobuf'],
    );
  });

  it('whatever the cut, in two pushes or one byte at a time', () => {
    for (let cut = 0; cut <= bytes.length; cut++)
      assert.deepEqual(feedNegotiating(bytes, [cut]), expected, `cut at ${cut}`);
    const cuts = Array.from({ length: bytes.length }, (_, k) => k);
    assert.deepEqual(feedNegotiating(bytes, cuts), expected);
  });

  it('a refusing TakResponse does not switch: the stream stays XML', () => {
    const refused = Buffer.from(xmlBefore + response(false) + ev('x2'));
    const result = feedNegotiating(refused, []);
    assert.deepEqual(
      result.map((line) => line.split(' ').slice(0, 2).join(' ')),
      ['event x1', 'event protouid', 'event x2', 'xml'],
    );
  });

  it('setMode between pushes; prototls starts in protobuf', () => {
    const parser = new StreamParser();
    assert.deepEqual(uids(parser.push(Buffer.from(ev('x')))), ['x']);
    parser.setMode('protobuf');
    assert.deepEqual(uids(parser.push(frame('p'))), ['p']);
    parser.setMode('xml');
    assert.deepEqual(uids(parser.push(Buffer.from(ev('y')))), ['y']);
    const prototls = new StreamParser({ mode: 'protobuf' });
    assert.equal(prototls.mode, 'protobuf');
    assert.deepEqual(uids(prototls.push(frame('q'))), ['q']);
  });

  it('leaving a mode with a frame half read reports it truncated', () => {
    const parser = new StreamParser({ mode: 'protobuf' });
    parser.push(frame('p').subarray(0, 10));
    assert.deepEqual(codes(parser.setMode('xml')), [CotErrorCode.TAKPROTO_TRUNCATED]);
    const xml = new StreamParser();
    xml.push(Buffer.from(ev('x').slice(0, 30)));
    assert.deepEqual(codes(xml.setMode('protobuf')), ['ERR_STREAM_TRUNCATED']);
  });
});
