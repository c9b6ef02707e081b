import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as protobuf from 'protobufjs';
import {
  buildCot,
  CotError,
  CotErrorCode,
  decodeTakFrame,
  decodeTakMessage,
  decodeTakMessageParts,
  encodeTakControl,
  encodeTakMeshFrame,
  encodeTakMessage,
  encodeTakStreamFrame,
  frameMesh,
  frameStream,
  MAX_TAKPROTO_TIME_MS,
  parseCot,
  readFrameLength,
  readStreamFrame,
  unframeTakMessage,
  type CotElement,
  type CotEvent,
} from '../src/index';
import { serializeDetailContent } from '../src/cot/serialize';
import { parseTime } from '../src/cot/time';
import { readTakMessage, type WireTakMessage } from '../src/takproto/wire';
import { REPO_ROOT, SHARED_FIXTURES, sharedFixtures } from './helpers/paths';
import { asTakProtoCarries, asTypedNumbers, hexBytes } from './helpers/takproto';

const T = {
  time: '2026-01-31T12:00:00.000Z',
  start: '2026-01-31T12:00:00.000Z',
  stale: '2026-01-31T12:05:00.000Z',
};
const POINT = { lat: 12.5, lon: -45.25, hae: 100, ce: 5, le: 9999999 };

function event(detail?: CotElement): CotEvent {
  const model: CotEvent = { version: '2.0', uid: 'u-1', type: 'a-f-G-U-C', how: 'm-g', ...T, point: POINT };
  if (detail !== undefined) model.detail = detail;
  return model;
}

function roundTrip(model: CotEvent): CotEvent {
  return decodeTakMessage(encodeTakMessage(model));
}

function wireOf(model: CotEvent): WireTakMessage {
  return readTakMessage(encodeTakMessage(model));
}

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CotError, `a CotError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

// ------------------------------------------------------------------ golden vectors

const VECTORS = path.join(SHARED_FIXTURES, 'takproto');
/** Each vector's XML input, as its README names it. */
const VECTOR_INPUTS: Record<string, string> = {
  'lab-u1': path.join(VECTORS, 'lab-u1.input.xml'),
  'takproto-tests-wintak': path.join(SHARED_FIXTURES, 'cot', 'takproto-wintak-pli.xml'),
};

function withoutXmlDetail(wire: WireTakMessage): WireTakMessage {
  const copy = structuredClone(wire);
  if (copy.cotEvent?.detail) copy.cotEvent.detail.xmlDetail = '';
  return copy;
}

const vectors = sharedFixtures('takproto', '.hex');

describe('TAK Protocol golden vectors (../shared/fixtures/takproto)', { skip: vectors.skip }, () => {
  it('the vectors are there', () => assert.ok(vectors.files.length >= 4, `${vectors.files.length} files`));

  for (const file of vectors.files) {
    const name = path.basename(file);
    const stem = name.replace(/\.(stream|mesh)\.hex$/, '');
    const input = VECTOR_INPUTS[stem];
    it(`${name} decodes to the model of its XML input, and our encoding of it decodes the same`, () => {
      assert.ok(input !== undefined && existsSync(input), `the XML input of ${name}`);
      const bytes = hexBytes(readFileSync(file, 'utf8'));
      const decoded = decodeTakFrame(bytes);
      assert.deepEqual(decoded, asTypedNumbers(parseCot(readFileSync(input))));

      const ours = encodeTakMessage(decoded);
      assert.deepEqual(decodeTakMessage(ours), decoded);
      // Bytes may differ only inside xmlDetail (another writer's spacing): every other field is the same.
      const theirs = unframeTakMessage(bytes);
      assert.deepEqual(withoutXmlDetail(readTakMessage(ours)), withoutXmlDetail(readTakMessage(theirs)));
      // The framing around their message is exactly ours.
      const framed = name.includes('.mesh.') ? frameMesh(theirs) : frameStream(theirs);
      assert.equal(framed.toString('hex'), bytes.toString('hex'));
    });
  }

  it('varint-examples.txt: our length prefixes are the listed bytes, and read back', () => {
    const lines = readFileSync(path.join(VECTORS, 'varint-examples.txt'), 'utf8').trim().split('\n');
    assert.ok(lines.length >= 5);
    for (const line of lines) {
      const [value, hex] = line.trim().split(/\s+/) as [string, string];
      const length = Number(value);
      const frame = frameStream(new Uint8Array(length));
      assert.equal(frame.subarray(1, 1 + hex.length / 2).toString('hex'), hex, line);
      assert.deepEqual(readFrameLength(frame, 1, 1 << 20), { length, size: hex.length / 2 });
    }
  });

  it('a time at every varint width is written as protobuf writes it, and read back (and fast-check)', () => {
    const reference = (value: number): string => {
      const bytes: number[] = [];
      let v = BigInt(value);
      while (v > 0x7fn) {
        bytes.push(Number(v & 0x7fn) | 0x80);
        v >>= 7n;
      }
      bytes.push(Number(v));
      return Buffer.from([0x18, ...bytes]).toString('hex'); // submissionTime is field 3, a varint
    };
    const check = (value: number): void => {
      const bytes = encodeTakMessage(event(), { submissionTime: value });
      const expected = reference(value);
      assert.equal(
        bytes.subarray(bytes.length - expected.length / 2).toString('hex'),
        expected,
        String(value),
      );
      assert.equal(decodeTakMessageParts(bytes).submissionTime, value);
    };
    for (let bits = 1; bits <= 47; bits++) {
      for (const value of [2 ** bits - 1, 2 ** bits, 2 ** bits + 1]) {
        if (value <= MAX_TAKPROTO_TIME_MS) check(value);
      }
    }
    check(MAX_TAKPROTO_TIME_MS);
    fc.assert(fc.property(fc.integer({ min: 1, max: MAX_TAKPROTO_TIME_MS }), check), { numRuns: 2000 });
  });
});

// ------------------------------------------------------------------ the shared CoT corpus

const corpus = sharedFixtures('cot', '.xml');

describe('every CoT capture survives XML -> protobuf -> XML', { skip: corpus.skip }, () => {
  let count = 0;
  for (const file of corpus.files) {
    let model: CotEvent;
    try {
      model = parseCot(readFileSync(file));
    } catch {
      continue; // the captures parseCot refuses are covered by cot-fixtures.test.ts
    }
    count++;
    it(path.basename(file), () => {
      const decoded = roundTrip(model);
      assert.deepEqual(decoded, asTakProtoCarries(model));
      assert.deepEqual(parseCot(buildCot(decoded)), decoded);
    });
  }
  it('most of the corpus took part', () => assert.ok(count >= 60, `${count} captures`));
});

// ------------------------------------------------------------------ typed fields or xmlDetail

describe('each detail element goes whole into a typed field or whole into xmlDetail', () => {
  const SA: CotElement = {
    contact: { callsign: 'ALPHA', endpoint: '*:-1:stcp' },
    __group: { name: 'Cyan', role: 'Team Member' },
    precisionlocation: { geopointsrc: 'GPS', altsrc: 'DTED0' },
    status: { battery: '88' },
    takv: { device: 'Pixel', platform: 'ATAK-CIV', os: '34', version: '5.2' },
    track: { course: '271.5', speed: '1.25' },
    uid: { Droid: 'ALPHA' },
    remarks: { _text: 'a & b < c' },
  };

  it('the six known elements travel typed (__group as group, precisionlocation as precisionLocation)', () => {
    const detail = wireOf(event(SA)).cotEvent?.detail;
    assert.deepEqual(detail?.contact, { endpoint: '*:-1:stcp', callsign: 'ALPHA' });
    assert.deepEqual(detail?.group, { name: 'Cyan', role: 'Team Member' });
    assert.deepEqual(detail?.precisionLocation, { geopointsrc: 'GPS', altsrc: 'DTED0' });
    assert.deepEqual(detail?.status, { battery: 88 });
    assert.deepEqual(detail?.takv, { device: 'Pixel', platform: 'ATAK-CIV', os: '34', version: '5.2' });
    assert.deepEqual(detail?.track, { speed: 1.25, course: 271.5 });
    assert.equal(detail?.xmlDetail, '<uid Droid="ALPHA"/><remarks>a &amp; b &lt; c</remarks>');
    assert.deepEqual(roundTrip(event(SA)), event(SA));
  });

  const NOT_TYPED: Array<[string, CotElement]> = [
    ['contact with a phone', { contact: { callsign: 'A', endpoint: 'x', phone: '1' } }],
    ['contact with text', { contact: { callsign: 'A', _text: 'hi' } }],
    ['contact with a child', { contact: { callsign: 'A', extra: { a: '1' } } }],
    ['contact with an empty attribute', { contact: { callsign: 'A', endpoint: '' } }],
    ['two contacts', { contact: [{ callsign: 'A' }, { callsign: 'B' }] }],
    ['__group with an extra attribute', { __group: { name: 'Cyan', role: 'HQ', exrole: 'x' } }],
    ['track spelt 0.0', { track: { course: '0.0', speed: '0' } }],
    ['track without speed', { track: { course: '90' } }],
    ['track with a word', { track: { course: 'north', speed: '1' } }],
    ['track with an exponent', { track: { course: '1e3', speed: '1' } }],
    ['status with readiness', { status: { battery: '50', readiness: 'true' } }],
    ['status without battery', { status: {} }],
    ['status battery 50.5', { status: { battery: '50.5' } }],
    ['status battery 050', { status: { battery: '050' } }],
    ['status battery over uint32', { status: { battery: '4294967296' } }],
    ['precisionlocation with a third attribute', { precisionlocation: { altsrc: 'GPS', spread: '1' } }],
    ['takv with text', { takv: { platform: 'ATAK', _text: 't' } }],
  ];
  for (const [label, detail] of NOT_TYPED) {
    it(`${label}: in xmlDetail, back unchanged`, () => {
      const wire = wireOf(event(detail))?.cotEvent?.detail;
      assert.ok(wire, 'a detail');
      const { xmlDetail, ...typed } = wire;
      assert.deepEqual(typed, {}, 'no typed field');
      assert.notEqual(xmlDetail, '');
      assert.deepEqual(roundTrip(event(detail)), event(detail));
    });
  }

  it('elements with no attributes go typed where the field can hold that, and come back empty', () => {
    const detail: CotElement = { contact: {}, __group: {}, takv: {}, precisionlocation: {} };
    const wire = wireOf(event(detail)).cotEvent?.detail;
    assert.equal(wire?.xmlDetail, '');
    assert.deepEqual(roundTrip(event(detail)), event(detail));
  });

  it('unknown children keep their order, names, attributes, text and nesting; detail text too', () => {
    const detail: CotElement = {
      _text: 'loose text',
      zeta: { a: '1', _text: 'z' },
      link: [
        { uid: 'a', relation: 'p-p' },
        { uid: 'b', relation: 'p-p' },
      ],
      alpha: { inner: { deeper: { x: 'y' } } },
      'ns.with-dash': { 'x.y': '"q"' },
    };
    const keys = (d: CotElement | undefined): string[] => Object.keys(d ?? {}).filter((k) => k !== '_text');
    assert.deepEqual(keys(roundTrip(event(detail)).detail), keys(detail));
    assert.deepEqual(roundTrip(event(detail)), event(detail));
  });

  it("a decoded model is the caller's: changing it changes nothing decoded later from the same bytes", () => {
    const bytes = encodeTakMessage(event({ uid: { Droid: 'A' }, link: [{ uid: 'x' }, { uid: 'y' }] }));
    const first = decodeTakMessage(bytes);
    ((first.detail?.uid as CotElement).Droid as string) = 'changed';
    (first.detail?.link as CotElement[]).pop();
    assert.deepEqual(decodeTakMessage(bytes).detail, {
      uid: { Droid: 'A' },
      link: [{ uid: 'x' }, { uid: 'y' }],
    });
  });

  it('typed strings follow the XML character rules on the way out: ERR_COT_XML_CHAR', () => {
    throwsCode(() => encodeTakMessage(event({ contact: { callsign: 'a\u0001' } })), CotErrorCode.XML_CHAR);
  });

  it('an event without detail has no Detail; an empty detail comes back empty', () => {
    assert.equal(wireOf(event()).cotEvent?.detail, undefined);
    assert.deepEqual(roundTrip(event()), event());
    assert.deepEqual(roundTrip(event({})), event({}));
  });

  it('a typed element also sent in xmlDetail by another writer is kept twice, typed first', () => {
    const bytes = writeMessage({
      cotEvent: {
        ...baseWireEvent(),
        detail: { xmlDetail: '<contact callsign="B"/>', contact: { endpoint: '', callsign: 'A' } },
      },
    });
    assert.deepEqual(decodeTakMessage(bytes).detail, { contact: [{ callsign: 'A' }, { callsign: 'B' }] });
  });

  it('attributes of <detail> itself cannot travel: ERR_TAKPROTO_UNREPRESENTABLE', () => {
    throwsCode(() => encodeTakMessage(event({ flag: 'x' })), CotErrorCode.TAKPROTO_UNREPRESENTABLE);
  });
});

// ------------------------------------------------------------------ times, numbers, the event

describe('times and numbers', () => {
  it('times are whole ms as plain numbers; sub-ms digits are cut, not rounded', () => {
    const model = { ...event(), time: '2026-01-31T12:00:00.123999Z' };
    const wire = wireOf(model).cotEvent;
    assert.equal(wire?.sendTime, Date.UTC(2026, 0, 31, 12, 0, 0, 123));
    assert.equal(typeof wire?.sendTime, 'number');
    assert.equal(roundTrip(model).time, '2026-01-31T12:00:00.123Z');
  });

  it('the extremes of time: 1970 and 9999 survive; past 9999 or 2^53 is ERR_TAKPROTO_TIME', () => {
    const early = { ...event(), time: '1970-01-01T00:00:00.000Z', start: '1970-01-01T00:00:00.000Z' };
    assert.deepEqual(roundTrip(early), early);
    const late = { ...event(), stale: '9999-12-31T23:59:59.999Z' };
    assert.deepEqual(roundTrip(late), late);
    for (const ms of [253402300800000, 2 ** 53, 2 ** 64 - 1]) {
      const bytes = writeMessage({
        cotEvent: { ...baseWireEvent(), staleTime: ms },
      });
      throwsCode(() => decodeTakMessage(bytes), CotErrorCode.TAKPROTO_TIME);
    }
  });

  it('tiny, huge and negative numbers keep every bit', () => {
    const model = event({ track: { course: formatted(5e-324), speed: '-1.7976931348623157' } });
    model.point = { lat: -89.99999999999999, lon: 5e-324, hae: -1e-300, ce: 999998.9999999999, le: 0 };
    assert.deepEqual(wireOf(model).cotEvent?.detail?.track, { course: 5e-324, speed: -1.7976931348623157 });
    assert.deepEqual(roundTrip(model), model);
    // Another spelling of the same double cannot come back from the typed field: it travels in xmlDetail.
    const spelt = event({ track: { course: '5e-324', speed: '-1' } });
    assert.equal(wireOf(spelt).cotEvent?.detail?.track, undefined);
    assert.deepEqual(roundTrip(spelt), spelt);
  });

  it('unknown hae/ce/le (anything >= 999999) travel as 9999999', () => {
    const model = event();
    model.point = { ...POINT, hae: 9999999, ce: 9999999, le: 9999999 };
    assert.equal(wireOf(model).cotEvent?.hae, 9999999);
    assert.deepEqual(roundTrip(model).point, model.point);
  });

  it('access, qos and opex travel; an empty how reads as m-g', () => {
    const model = { ...event(), access: 'Unclassified', qos: '1-r-c', opex: 'e-exercise' };
    assert.deepEqual(roundTrip(model), model);
    const bytes = writeMessage({ cotEvent: { ...baseWireEvent(), how: '' } });
    assert.equal(decodeTakMessage(bytes).how, 'm-g');
  });

  it('the short form is accepted, as buildCot accepts it', () => {
    const now = Date.UTC(2026, 0, 1);
    const back = decodeTakMessage(
      encodeTakMessage({ lat: 1, lon: 2, uid: 's', type: 'a-f-G', callsign: 'S' }, { now }),
    );
    assert.equal(back.uid, 's');
    assert.deepEqual(back.detail?.contact, { callsign: 'S' });
  });

  it('TakControl and the message times travel beside the event; a TakControl alone is no event', () => {
    const control = { minProtoVersion: 1, maxProtoVersion: 1, contactUid: 'ANDROID-1' };
    const bytes = encodeTakMessage(event(), { control, submissionTime: 1000, creationTime: 2000 });
    assert.deepEqual(decodeTakMessageParts(bytes), {
      event: event(),
      control,
      submissionTime: 1000,
      creationTime: 2000,
    });
    const alone = encodeTakControl(control);
    assert.deepEqual(decodeTakMessageParts(alone), { control });
    throwsCode(() => decodeTakMessage(alone), CotErrorCode.TAKPROTO_NO_EVENT);
  });
});

function formatted(n: number): string {
  return buildCot({ ...event(), point: { ...POINT, lat: n } }).match(/lat="([^"]+)"/)?.[1] ?? '';
}

// ------------------------------------------------------------------ framing

describe('framing', () => {
  it('stream and mesh frames of one event, and a bare message, decode to the same event', () => {
    const stream = encodeTakStreamFrame(event());
    const mesh = encodeTakMeshFrame(event());
    assert.equal(stream[0], 0xbf);
    assert.deepEqual([...mesh.subarray(0, 3)], [0xbf, 0x01, 0xbf]);
    for (const bytes of [stream, mesh, encodeTakMessage(event())])
      assert.deepEqual(decodeTakFrame(bytes), event());
  });

  it('readStreamFrame finds frames back to back and waits for a split one', () => {
    const a = encodeTakStreamFrame(event());
    const b = encodeTakStreamFrame({ ...event(), uid: 'u-2' });
    const both = Buffer.concat([a, b]);
    const first = readStreamFrame(both, 0);
    assert.deepEqual(first?.end, a.length);
    const second = readStreamFrame(both, a.length);
    assert.equal(second?.end, both.length);
    assert.equal(decodeTakMessage(both.subarray(second?.start, second?.end)).uid, 'u-2');
    for (let cut = 0; cut < both.length; cut++) {
      const part = both.subarray(0, cut);
      const found = readStreamFrame(part, 0);
      assert.equal(found === undefined, cut < a.length, `cut at ${cut}`);
    }
  });
});

// ------------------------------------------------------------------ bad input

interface LooseWireEvent {
  [field: string]: unknown;
}

function baseWireEvent(): LooseWireEvent {
  return {
    type: 'a-f-G-U-C',
    uid: 'w-1',
    sendTime: Date.UTC(2026, 0, 1),
    startTime: Date.UTC(2026, 0, 1),
    staleTime: Date.UTC(2026, 0, 1, 0, 5),
    how: 'm-g',
    lat: 1,
    lon: 2,
    hae: 9999999,
    ce: 9999999,
    le: 9999999,
  };
}

/** A TakMessage written through protobufjs's reflection from our .proto: another writer, for these tests. */
const root = protobuf.loadSync(path.join(REPO_ROOT, 'src', 'takproto', 'takmessage.proto'));
const TakMessageType = root.lookupType('takpak.takproto.TakMessage');

function writeMessage(message: Record<string, unknown>): Uint8Array {
  return TakMessageType.encode(TakMessageType.fromObject(message)).finish();
}

describe('bad input is a coded error', () => {
  const good = encodeTakMessage(event({ remarks: { _text: 'hello' } }));

  it('a message cut at every byte: ERR_TAKPROTO_TRUNCATED (never a crash, never an event)', () => {
    for (let cut = 1; cut < good.length; cut++) {
      assert.throws(
        () => decodeTakMessage(good.subarray(0, cut)),
        (error: unknown) => error instanceof CotError && /^ERR_TAKPROTO_/.test(error.code),
        `cut at ${cut}`,
      );
    }
    throwsCode(() => decodeTakMessage(good.subarray(0, good.length - 1)), CotErrorCode.TAKPROTO_TRUNCATED);
    const frame = frameStream(good);
    throwsCode(() => decodeTakFrame(frame.subarray(0, frame.length - 1)), CotErrorCode.TAKPROTO_TRUNCATED);
    throwsCode(() => decodeTakFrame(Buffer.from([0xbf, 0x80])), CotErrorCode.TAKPROTO_TRUNCATED);
  });

  it('a length over the cap: ERR_TAKPROTO_TOO_LARGE, decided from the prefix alone', () => {
    throwsCode(
      () => readStreamFrame(Buffer.from([0xbf, 0x80, 0x80, 0x80, 0x01]), 0, 1000),
      CotErrorCode.TAKPROTO_TOO_LARGE,
    );
    throwsCode(() => decodeTakFrame(frameStream(good), { maxBytes: 10 }), CotErrorCode.TAKPROTO_TOO_LARGE);
    throwsCode(() => decodeTakFrame(frameMesh(good), { maxBytes: 10 }), CotErrorCode.TAKPROTO_TOO_LARGE);
  });

  it('a varint longer than 10 bytes: ERR_TAKPROTO_VARINT, in the frame length and in the message', () => {
    const long = [0xbf, ...new Array<number>(10).fill(0x80), 0x01];
    throwsCode(() => readStreamFrame(Buffer.from(long), 0), CotErrorCode.TAKPROTO_VARINT);
    // CotEvent (field 2) holding sendTime (field 6) as an 11-byte varint.
    const inner = [0x30, ...new Array<number>(10).fill(0x81), 0x01];
    throwsCode(
      () => decodeTakMessage(Buffer.from([0x12, inner.length, ...inner])),
      CotErrorCode.TAKPROTO_VARINT,
    );
    // The same in an unknown field, which is otherwise skipped.
    const unknown = [0xf8, 0x01, ...new Array<number>(10).fill(0xff), 0x01];
    throwsCode(() => decodeTakMessage(Buffer.from(unknown)), CotErrorCode.TAKPROTO_VARINT);
  });

  it('bytes that are not a TakMessage: ERR_TAKPROTO_NOT_TAKMESSAGE', () => {
    throwsCode(() => decodeTakMessage(Buffer.from('<event/>')), CotErrorCode.TAKPROTO_NOT_TAKMESSAGE);
    throwsCode(() => decodeTakMessage(Buffer.from([0x10, 0x01])), CotErrorCode.TAKPROTO_NOT_TAKMESSAGE); // cotEvent as a varint
    throwsCode(() => decodeTakMessage(Buffer.from([0x00, 0x01])), CotErrorCode.TAKPROTO_NOT_TAKMESSAGE); // field 0
    throwsCode(() => decodeTakMessage(Buffer.from([0x0f])), CotErrorCode.TAKPROTO_NOT_TAKMESSAGE); // wire type 7
    throwsCode(() => readStreamFrame(Buffer.from([0x0a, 0x00]), 0), CotErrorCode.TAKPROTO_NOT_TAKMESSAGE);
    throwsCode(
      () => decodeTakFrame(Buffer.concat([frameStream(good), Buffer.from([1])])),
      CotErrorCode.TAKPROTO_NOT_TAKMESSAGE,
    );
  });

  it('a CotEvent without uid or without type: ERR_TAKPROTO_MISSING_UID / _TYPE', () => {
    const noUid = writeMessage({ cotEvent: { ...baseWireEvent(), uid: '' } });
    throwsCode(() => decodeTakMessage(noUid), CotErrorCode.TAKPROTO_MISSING_UID);
    const noType = writeMessage({ cotEvent: { ...baseWireEvent(), type: '' } });
    throwsCode(() => decodeTakMessage(noType), CotErrorCode.TAKPROTO_MISSING_TYPE);
  });

  it('the CoT rules hold as for XML: coordinates, type pattern', () => {
    const lat = writeMessage({ cotEvent: { ...baseWireEvent(), lat: 91 } });
    throwsCode(() => decodeTakMessage(lat), CotErrorCode.LAT);
    const type = writeMessage({ cotEvent: { ...baseWireEvent(), type: 'a f' } });
    throwsCode(() => decodeTakMessage(type), CotErrorCode.TYPE);
  });

  function withXmlDetail(xmlDetail: string): Uint8Array {
    return writeMessage({ cotEvent: { ...baseWireEvent(), detail: { xmlDetail } } });
  }

  it('xmlDetail follows the XML rules: well-formed, inside its detail, within the depth limit', () => {
    throwsCode(() => decodeTakMessage(withXmlDetail('<a>')), CotErrorCode.TAKPROTO_XML_DETAIL);
    throwsCode(
      () => decodeTakMessage(withXmlDetail('<a/></detail><detail>')),
      CotErrorCode.TAKPROTO_XML_DETAIL,
    );
    throwsCode(
      () => decodeTakMessage(withXmlDetail('</detail><point lat="1"/><detail>')),
      CotErrorCode.TAKPROTO_XML_DETAIL,
    );
    throwsCode(() => decodeTakMessage(withXmlDetail('<a>&nbsp;</a>')), CotErrorCode.TAKPROTO_XML_DETAIL);
    throwsCode(() => decodeTakMessage(withXmlDetail('<!DOCTYPE x><a/>')), CotErrorCode.TAKPROTO_XML_DETAIL);
    const deep = '<a>'.repeat(40) + '</a>'.repeat(40);
    throwsCode(() => decodeTakMessage(withXmlDetail(deep)), CotErrorCode.TOO_DEEP);
    const fits = '<a>'.repeat(30) + '</a>'.repeat(30); // levels 3..32
    assert.ok(decodeTakMessage(withXmlDetail(fits)).detail?.a);
    throwsCode(() => decodeTakMessage(withXmlDetail(fits), { maxDepth: 31 }), CotErrorCode.TOO_DEEP);
    // A good message after a bad one decodes: no state is left behind.
    assert.deepEqual(decodeTakMessage(withXmlDetail('<b x="1"/>')).detail, { b: { x: '1' } });
  });

  it('xmlDetail names XML allows but cannot be written back (":a") are refused when read', () => {
    // Found by the fuzz: the event came out, and building its XML threw a DOM exception.
    throwsCode(() => decodeTakMessage(withXmlDetail('<a :b="1"/>')), CotErrorCode.XML_NAME);
    throwsCode(() => decodeTakMessage(withXmlDetail('<x:y:z/>')), CotErrorCode.XML_NAME);
    const xml = buildCot(event()).replace('</event>', '<detail><a :b="1"/></detail></event>');
    throwsCode(() => buildCot(parseCot(xml)), CotErrorCode.XML_NAME);
  });

  it('strings that are not text: ERR_COT_BAD_CHAR, ERR_COT_BAD_UTF8', () => {
    throwsCode(() => decodeTakMessage(withXmlDetail('<a>\u0001</a>')), CotErrorCode.BAD_CHAR);
    const badUid = writeMessage({ cotEvent: { ...baseWireEvent(), uid: 'uXu' } });
    const at = Buffer.from(badUid).indexOf('uXu');
    const bytes = Buffer.from(badUid);
    bytes[at + 1] = 0xff;
    throwsCode(() => decodeTakMessage(bytes), CotErrorCode.BAD_UTF8);
  });

  it('unknown fields are skipped at every level, whatever their wire type', () => {
    const unknowns = Buffer.from([
      0xa8,
      0x01,
      0x96,
      0x01, // field 21 varint
      0xb1,
      0x01,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8, // field 22 fixed64
      0xba,
      0x01,
      0x03,
      0x61,
      0x62,
      0x63, // field 23 bytes
      0xc5,
      0x01,
      1,
      2,
      3,
      4, // field 24 fixed32
    ]);
    const model = event({ contact: { callsign: 'A' }, track: { course: '1', speed: '2' }, x: { y: 'z' } });
    const wire = readTakMessage(encodeTakMessage(model));
    // Rebuilt with the unknown fields appended to each embedded message and to the top.
    const bytes = Buffer.concat([injectUnknowns(wire, unknowns), unknowns]);
    assert.deepEqual(decodeTakMessage(bytes), model);
  });
});

/** A TakMessage with `unknowns` appended inside CotEvent, Detail, Contact and Track. */
function injectUnknowns(wire: WireTakMessage, unknowns: Buffer): Buffer {
  const e = wire.cotEvent as NonNullable<WireTakMessage['cotEvent']>;
  const d = e.detail as NonNullable<typeof e.detail>;
  const sub = (type: string, value: Record<string, unknown>): Buffer =>
    Buffer.concat([Buffer.from(root.lookupType(`takpak.takproto.${type}`).encode(value).finish()), unknowns]);
  const field = (n: number, body: Buffer): Buffer => {
    const w = protobuf.Writer.create();
    w.uint32((n << 3) | 2).bytes(body);
    return Buffer.from(w.finish());
  };
  const detail = Buffer.concat([
    sub('Detail', { xmlDetail: d.xmlDetail }),
    field(2, sub('Contact', { ...d.contact })),
    field(7, sub('Track', { ...d.track })),
  ]);
  const { detail: _dropped, ...rest } = e;
  void _dropped;
  const cotEvent = Buffer.concat([sub('CotEvent', rest), field(15, detail)]);
  return field(2, cotEvent);
}

// ------------------------------------------------------------------ agreement with protobufjs reflection

function reflectionRead(bytes: Uint8Array): Record<string, unknown> {
  return TakMessageType.toObject(TakMessageType.decode(bytes), { longs: Number });
}

/** What reflection's toObject leaves out: proto3 defaults. */
function withoutDefaults(wire: WireTakMessage): unknown {
  return JSON.parse(JSON.stringify(wire, (_key, v: unknown) => (v === 0 || v === '' ? undefined : v)));
}

describe('our codec and protobufjs reflection over takmessage.proto agree', () => {
  it('on a full event, both ways', () => {
    const model = event({
      contact: { callsign: 'A', endpoint: 'e' },
      __group: { name: 'Red', role: 'HQ' },
      precisionlocation: { geopointsrc: 'GPS', altsrc: 'DTED0' },
      status: { battery: '4294967295' },
      takv: { device: 'd', platform: 'p', os: 'o', version: 'v' },
      track: { course: '359.9', speed: '-1' },
      remarks: { _text: 'r' },
    });
    const ours = encodeTakMessage({ ...model, access: 'a', qos: 'q', opex: 'o' });
    const viaReflection = reflectionRead(ours);
    assert.deepEqual(viaReflection, withoutDefaults(readTakMessage(ours)));
    const reencoded = TakMessageType.encode(TakMessageType.fromObject(viaReflection)).finish();
    assert.deepEqual(decodeTakMessage(reencoded), decodeTakMessage(ours));
  });
});

// ------------------------------------------------------------------ properties

const nameStart = fc.constantFrom(...'abcxyzABCXYZ_éЖ東'.split(''));
const nameRest = fc.constantFrom(...'abcxyz09-._éЖ'.split(''));
const xmlName = fc
  .oneof(
    fc.constantFrom('contact', '__group', 'precisionlocation', 'status', 'takv', 'track', 'uid', 'link'),
    fc.tuple(nameStart, fc.array(nameRest, { maxLength: 8 })).map(([first, rest]) => first + rest.join('')),
  )
  .filter((name) => name !== '_text');
const attributeName = fc.oneof(
  fc.constantFrom(
    'callsign',
    'endpoint',
    'name',
    'role',
    'battery',
    'course',
    'speed',
    'geopointsrc',
    'altsrc',
    'device',
    'platform',
    'os',
    'version',
  ),
  xmlName,
);
/** Characters XML 1.0 can carry, weighted towards the hostile ones. */
const xmlChar = fc.oneof(
  fc.constantFrom(
    '&',
    '<',
    '>',
    '"',
    "'",
    '\n',
    '\r',
    '\t',
    ' ',
    ']]>',
    '</detail>',
    'é',
    '🚁',
    '東',
    '\uFFFD',
    '\u0085',
  ),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }).filter((c) => c >= ' '),
);
const xmlString = fc.array(xmlChar, { maxLength: 12 }).map((parts) => parts.join(''));
const numberText = fc
  .oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(0, 5e-324, 1.7976931348623157e308, -1, 4294967295, 4294967296),
    fc.integer({ min: 0, max: 100 }),
  )
  .map((n) => buildCot({ ...event(), point: { ...POINT, hae: n } }).match(/hae="([^"]+)"/)?.[1] ?? '0');
const attributeValue = fc.oneof(xmlString, numberText, fc.constantFrom('0.0', '050', '1e3', ''));
const textWithContent = fc.tuple(xmlString, fc.constantFrom('x', '&', 'é', '1')).map(([a, b]) => a + b);

function elementArb(depth: number): fc.Arbitrary<CotElement> {
  const attributes = fc.dictionary(attributeName, attributeValue, { maxKeys: 4 });
  const children =
    depth <= 0
      ? fc.constant({} as Record<string, CotElement | CotElement[]>)
      : fc.dictionary(
          xmlName,
          fc.oneof(elementArb(depth - 1), fc.array(elementArb(depth - 1), { minLength: 2, maxLength: 3 })),
          { maxKeys: 3 },
        );
  return fc
    .record({ attributes, children, text: fc.option(textWithContent, { nil: undefined }) })
    .map(({ attributes: attrs, children: kids, text }) => {
      const element: CotElement = {};
      for (const [k, v] of Object.entries(attrs)) element[k] = v;
      for (const [k, v] of Object.entries(kids)) if (!(k in element)) element[k] = v;
      if (text !== undefined) element._text = text;
      return element;
    });
}

/** A detail: children only (attributes of <detail> itself cannot travel). */
const detailArb = elementArb(3).map((element) => {
  const detail: CotElement = {};
  for (const [key, v] of Object.entries(element))
    if (typeof v === 'object' || key === '_text') detail[key] = v;
  return detail;
});

const coordinate = (limit: number) =>
  fc.oneof(
    fc.double({ min: -limit, max: limit, noNaN: true }),
    fc.constantFrom(5e-324, -5e-324, limit, -limit),
  );
const metres = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(9999999, 999999, 1e-300, -1e300),
);
const time = fc.integer({ min: 0, max: 253402300799999 }).map((ms) => new Date(ms).toISOString());

const eventArb: fc.Arbitrary<CotEvent> = fc
  .record({
    uid: xmlString.filter((s) => s.length > 0),
    type: fc.constantFrom('a-f-G-U-C', 'b-t-f', 't-x-c-t', 'a-h-A;qualified'),
    how: fc.constantFrom('m-g', 'h-e', 'h-g-i-g-o'),
    time,
    start: time,
    stale: time,
    lat: coordinate(90),
    lon: coordinate(180),
    hae: metres,
    ce: metres,
    le: metres,
    detail: fc.option(detailArb, { nil: undefined }),
    access: fc.option(xmlString, { nil: undefined }),
    qos: fc.option(xmlString, { nil: undefined }),
  })
  .map((r) => {
    const model: CotEvent = {
      version: '2.0',
      uid: r.uid,
      type: r.type,
      how: r.how,
      time: r.time,
      start: r.start,
      stale: r.stale,
      point: { lat: r.lat, lon: r.lon, hae: r.hae, ce: r.ce, le: r.le },
    };
    if (r.access !== undefined) model.access = r.access;
    if (r.qos !== undefined) model.qos = r.qos;
    if (r.detail !== undefined) model.detail = r.detail;
    return model;
  });

describe('property: random models', () => {
  it('decode(encode(m)) is the model XML gives for m, as far as TAK Protocol can carry it', () => {
    fc.assert(
      fc.property(eventArb, (model) => {
        const viaXml = parseCot(buildCot(model));
        const bytes = encodeTakMessage(viaXml);
        // Our writer's bytes read the same through protobufjs reflection over takmessage.proto.
        assert.deepEqual(reflectionRead(bytes), withoutDefaults(readTakMessage(bytes)));
        const viaProto = decodeTakMessage(bytes);
        assert.deepEqual(viaProto, asTakProtoCarries(viaXml));
        // And once more: the decoded model encodes to the same bytes.
        assert.deepEqual(
          Buffer.from(encodeTakMessage(viaProto)),
          Buffer.from(encodeTakMessage(asTakProtoCarries(viaXml))),
        );
      }),
      { numRuns: 400 },
    );
  });

  it('random bytes never crash the decoder: an event or a coded CotError', () => {
    const good = Buffer.from(
      encodeTakMessage(event({ remarks: { _text: 'x' }, contact: { callsign: 'c' } })),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.tuple(fc.nat(good.length - 1), fc.nat(255)).map(([at, b]) => {
            const copy = Buffer.from(good);
            copy[at] = b;
            return copy;
          }),
        ),
        (bytes) => {
          try {
            decodeTakFrame(bytes);
          } catch (error) {
            assert.ok(error instanceof CotError, String(error));
            assert.match(error.code, /^ERR_(TAKPROTO|COT)_/);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

// ------------------------------------------------------------------ the writer's own paths

/** The detail children that went typed, by their element name, as the message says. */
function typedNames(wire: WireTakMessage): Set<string> {
  const d = wire.cotEvent?.detail;
  const names = new Set<string>();
  if (d?.contact) names.add('contact');
  if (d?.group) names.add('__group');
  if (d?.precisionLocation) names.add('precisionlocation');
  if (d?.status) names.add('status');
  if (d?.takv) names.add('takv');
  if (d?.track) names.add('track');
  return names;
}

/** A model's own values, not only text: numbers and booleans are written by the encoder too. */
const modelValue = fc.oneof(
  xmlString,
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -5, max: 5 }),
  fc.boolean(),
);
/** Names the lean serializer writes itself, and others it hands to xmlbuilder2. */
const leanName = fc.constantFrom('uid', 'remarks', 'link', 'usericon', 'color', 'archive', '_flow-tags_');
const flatElement = fc
  .record({
    attributes: fc.dictionary(attributeName, modelValue, { maxKeys: 4 }),
    text: fc.option(xmlString, { nil: undefined }),
  })
  .map(({ attributes, text }) => {
    const element: CotElement = { ...attributes };
    if (text !== undefined) element._text = text;
    return element;
  });
const mixedDetail = fc
  .array(
    fc.tuple(
      fc.oneof(leanName, xmlName),
      fc.oneof(flatElement, fc.array(flatElement, { minLength: 2, maxLength: 3 }), elementArb(2)),
    ),
    { maxLength: 6 },
  )
  .chain((children) =>
    fc.option(xmlString, { nil: undefined }).map((text) => {
      const detail: CotElement = {};
      for (const [name, child] of children) detail[name] = child;
      if (text !== undefined) detail._text = text;
      return detail;
    }),
  );

describe('the writer', () => {
  it('writes xmlDetail as the very text serializeDetailContent makes', () => {
    fc.assert(
      fc.property(mixedDetail, (detail) => {
        const wire = readTakMessage(encodeTakMessage(event(detail)));
        const typed = typedNames(wire);
        assert.equal(
          wire.cotEvent?.detail?.xmlDetail ?? '',
          serializeDetailContent(detail, (name) => !typed.has(name)),
        );
      }),
      { numRuns: 600 },
    );
  });

  it('refuses what serializeDetailContent refuses, with the same code and field', () => {
    const hostileValue = fc.oneof(
      modelValue,
      fc.constantFrom('a\u0000b', 'x\uFFFE', '\uD800', 'ok\u001Bno', NaN, Infinity, -Infinity),
    );
    const hostileName = fc.oneof(leanName, fc.constantFrom('1abc', 'a b', '-x', ':a', 'é'));
    const hostileElement = fc
      .record({
        attributes: fc.dictionary(fc.oneof(attributeName, hostileName), hostileValue, { maxKeys: 3 }),
        text: fc.option(fc.oneof(xmlString, fc.constantFrom('\u0001', '\uDFFF')), { nil: undefined }),
      })
      .map(({ attributes, text }) => {
        const element: CotElement = { ...attributes };
        if (text !== undefined) element._text = text;
        return element;
      });
    const untyped = fc.oneof(leanName, hostileName);
    fc.assert(
      fc.property(fc.dictionary(untyped, hostileElement, { minKeys: 1, maxKeys: 3 }), (detail) => {
        let expected: unknown;
        try {
          serializeDetailContent(detail, () => true);
        } catch (error) {
          expected = error;
        }
        try {
          encodeTakMessage(event(detail));
          assert.equal(expected, undefined, 'serializeDetailContent refused it; so must the encoder');
        } catch (error) {
          assert.ok(expected instanceof CotError, `only serializeDetailContent's refusals: ${String(error)}`);
          assert.ok(error instanceof CotError, String(error));
          assert.equal(error.code, expected.code);
          assert.equal(error.field, expected.field);
        }
      }),
      { numRuns: 600 },
    );
  });

  it('writes every embedded length at its shortest, whatever the body (as protobufjs does)', () => {
    const sizes = [0, 1, 20, 100, 127, 128, 200, 16_383, 16_384, 70_000, 2_100_000];
    for (const size of sizes) {
      for (const model of [
        event(size === 0 ? undefined : { remarks: { _text: 'r'.repeat(size) } }),
        event({ contact: { callsign: 'c'.repeat(size + 1) } }),
      ]) {
        const ours = Buffer.from(encodeTakMessage(model));
        const reference = Buffer.from(
          TakMessageType.encode(TakMessageType.fromObject(reflectionRead(ours))).finish(),
        );
        assert.ok(ours.equals(reference), `body of about ${size} bytes`);
        assert.deepEqual(decodeTakMessage(ours), asTakProtoCarries(model));
      }
    }
  });

  it('hands out frames that stay whole as more are written, across slabs and after a refusal', () => {
    const models: CotEvent[] = [];
    for (let i = 0; i < 400; i++) {
      // Mostly SA-sized, now and then one larger than a slab, once one far larger.
      const size = i === 200 ? 300_000 : i % 37 === 0 ? 9_000 + i : 10 + (i % 50);
      models.push({ ...event({ remarks: { _text: `${i}:`.padEnd(size, 'x') } }), uid: `u-${i}` });
    }
    const frames: Buffer[] = [];
    for (const [i, model] of models.entries()) {
      frames.push(encodeTakStreamFrame(model));
      // A refusal half way through writing a detail leaves nothing behind.
      if (i % 10 === 0) {
        throwsCode(
          () => encodeTakStreamFrame(event({ remarks: { _text: 'x'.repeat(i) }, link: { a: '\u0000' } })),
          CotErrorCode.XML_CHAR,
        );
      }
    }
    for (const [i, frame] of frames.entries()) {
      assert.equal(decodeTakFrame(frame).uid, `u-${i}`);
      assert.deepEqual(decodeTakFrame(frame), asTakProtoCarries(models[i] as CotEvent));
    }
  });
});

describe('times read while the model is made', () => {
  it('are the times the XML of the same input says, in every form a flow gives them', () => {
    const ms = fc.integer({ min: 0, max: 253402300799999 });
    const timeInput = fc.oneof(
      ms.map((n) => new Date(n).toISOString()),
      ms.map((n) => new Date(n)),
      ms,
      // An offset and more fraction digits than a millisecond.
      fc
        .tuple(
          ms.filter((n) => n > 86_400_000 && n < 253402214400000),
          fc.constantFrom('+02:00', '-0530'),
        )
        .map(([n, zone]) => new Date(n).toISOString().replace('Z', `123${zone}`)),
    );
    const staleInput = fc.oneof(timeInput, fc.integer({ min: 1, max: 86_400 }));
    const now = 1_780_000_000_000;
    fc.assert(
      fc.property(
        fc.option(timeInput, { nil: undefined }),
        fc.option(timeInput, { nil: undefined }),
        fc.option(staleInput, { nil: undefined }),
        fc.boolean(),
        (time, start, stale, sameStart) => {
          const input = { lat: 1, lon: 2, uid: 'x', time, start: sameStart ? time : start, stale };
          let viaXml: CotEvent;
          try {
            viaXml = parseCot(buildCot(input, now));
          } catch {
            return; // stale before start: refused either way (checked below)
          }
          const viaProto = decodeTakMessage(encodeTakMessage(input, { now }));
          // The same instants (an XML time keeps the offset it was given in; TAK Protocol carries ms).
          for (const field of ['time', 'start', 'stale'] as const) {
            assert.equal(parseTime(viaProto[field]), parseTime(viaXml[field]), field);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('still refuse stale before start in the short form', () => {
    throwsCode(
      () =>
        encodeTakMessage({
          lat: 1,
          lon: 2,
          time: '2026-01-01T00:00:10Z',
          stale: '2026-01-01T00:00:09Z',
        }),
      CotErrorCode.STALE_BEFORE_START,
    );
  });
});
