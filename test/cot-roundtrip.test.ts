import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import sax from 'sax';
import { buildCot, buildCotWithXmlbuilder2, parseCot, type CotElement, type CotEvent } from '../src/index';
import { formatNumber } from '../src/cot/format';

const T = {
  time: '2026-01-31T12:00:00.000Z',
  start: '2026-01-31T12:00:00.000Z',
  stale: '2026-01-31T12:05:00.000Z',
};
const POINT = { lat: 12.5, lon: -45.25, hae: 100, ce: 5, le: 9999999 };

function event(detail: CotElement, type = 'a-f-G-U-C'): CotEvent {
  return { version: '2.0', uid: 'round-trip', type, how: 'm-g', ...T, point: POINT, detail };
}

function assertRoundTrip(model: CotEvent): void {
  const xml = buildCot(model);
  assert.deepEqual(parseCot(xml), model, xml);
  assert.equal(buildCotWithXmlbuilder2(model), xml, 'the lean writer matches xmlbuilder2');
}

/** Every detail child of the table in tak-protocol.md, as clients send it. */
const TABLE: Record<string, CotElement | CotElement[]> = {
  contact: { callsign: 'ALPHA-1', endpoint: '*:-1:stcp', phone: '+1-555-0100', email: 'a@example.org' },
  __group: { name: 'Dark Blue', role: 'Forward Observer' },
  track: { course: '271.5', speed: '-1.0' },
  status: { battery: '87' },
  takv: { device: 'Pixel 8', platform: 'ATAK-CIV', os: '34', version: '5.2.0.4' },
  precisionlocation: { geopointsrc: 'GPS', altsrc: 'DTED0' },
  uid: { Droid: 'ALPHA-1' },
  remarks: {
    source: 'BAO.F.ATAK.abc',
    to: 'All Chat Rooms',
    time: '2026-01-31T12:00:00.000Z',
    _text: 'hello\nthere',
  },
  link: [
    {
      uid: 'parent-1',
      type: 'a-f-G-U-C',
      relation: 'p-p',
      parent_callsign: 'HQ',
      production_time: '2026-01-31T11:00:00Z',
    },
    { uid: 'route-pt', url: 'https://example.org/x?a=1&b=2', remarks: 'second link' },
  ],
  usericon: { iconsetpath: 'COT_MAPPING_2525B/a-f/a-f-G' },
  color: { argb: '-65536' },
  archive: {},
  marti: { dest: [{ callsign: 'BRAVO' }, { uid: 'ANDROID-123' }] },
  __chat: {
    parent: 'RootContactGroup',
    groupOwner: 'false',
    chatroom: 'All Chat Rooms',
    id: 'All Chat Rooms',
    senderCallsign: 'ALPHA-1',
    chatgrp: { uid0: 'ANDROID-1', uid1: 'All Chat Rooms', id: 'All Chat Rooms' },
  },
  '_flow-tags_': { 'TAK-Server-0123456789abcdef': '2026-01-31T12:00:00Z' },
};

describe('round trip of every element in the protocol table', () => {
  for (const [name, value] of Object.entries(TABLE)) {
    it(`<${name}>`, () => assertRoundTrip(event({ [name]: value })));
  }
  it('all of them together, in order', () => assertRoundTrip(event(TABLE)));
  it('unknown nested elements with text and repeated children in order', () =>
    assertRoundTrip(
      event({
        __video: {
          url: 'rtsp://10.0.0.1/live',
          ConnectionEntry: { address: '10.0.0.1', port: '554', _text: 'x' },
        },
        shape: { polyline: { closed: 'true', vertex: [{ lat: '1' }, { lat: '2' }, { lat: '3' }] } },
      }),
    ));
  it('an event without detail and one with an empty detail', () => {
    const { detail: _omitted, ...bare } = event({});
    assertRoundTrip(bare);
    assertRoundTrip(event({}));
  });
  it('optional event attributes', () =>
    assertRoundTrip({ ...event({}), access: 'Undefined', qos: '1-r-c', opex: 'o' }));
});

describe('numbers', () => {
  it('formatNumber writes plain decimals that read back exactly', () => {
    for (const n of [0, 1, -1, 0.1, 1e-7, -1.2345678901234e-10, 5e-324, 1e21, 1.5e300, 123.456]) {
      const text = formatNumber(n);
      assert.ok(!/e/i.test(text), text);
      assert.equal(Number(text), n, text);
    }
  });
});

// ---- property-based tests ----

const nameStart = fc.constantFrom(...'abcxyzABCXYZ_éüЖ東'.split(''));
const nameRest = fc.constantFrom(...'abcxyz09-._éЖ'.split(''));
const xmlName = fc
  .tuple(nameStart, fc.array(nameRest, { maxLength: 8 }))
  .map(([first, rest]) => first + rest.join(''))
  .filter((name) => name !== '_text');

/** Characters XML 1.0 can carry, weighted towards the ones that need escaping. */
const xmlChar = fc.oneof(
  fc.constantFrom('&', '<', '>', '"', "'", '\n', '\r', '\t', ' ', ']]>', 'é', '🚁', '東'),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }).filter((c) => c >= ' '),
);
const xmlString = fc.array(xmlChar, { maxLength: 20 }).map((parts) => parts.join(''));
const textWithContent = fc.tuple(xmlString, fc.constantFrom('x', '&', 'é', '1')).map(([a, b]) => a + b);

function elementArb(depth: number): fc.Arbitrary<CotElement> {
  const attributes = fc.dictionary(xmlName, xmlString, { maxKeys: 4 });
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

const coordinate = (limit: number) =>
  fc.double({ min: -limit, max: limit, noNaN: true }).map((n) => (Object.is(n, -0) ? 0 : n));
const metres = fc.oneof(
  fc.double({ min: -1e5, max: 999998, noNaN: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
  fc.constant(9999999),
);
const isoTime = fc
  .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) })
  .map((ms) => new Date(ms).toISOString());
const cotType = fc
  .array(fc.constantFrom('a', 'f', 'h', 'G', 'U', 'C', 'b', 't', 'x', 'd', '1'), {
    minLength: 1,
    maxLength: 6,
  })
  .map((parts) => parts.join('-'));

const eventArb: fc.Arbitrary<CotEvent> = fc
  .record({
    uid: xmlString.filter((s) => s.length > 0),
    type: cotType,
    how: fc.constantFrom('m-g', 'h-e', 'h-g-i-g-o', 'm-f'),
    time: isoTime,
    start: isoTime,
    stale: isoTime,
    lat: coordinate(90),
    lon: coordinate(180),
    hae: metres,
    ce: metres,
    le: metres,
    detail: fc.option(elementArb(3), { nil: undefined }),
    access: fc.option(xmlString, { nil: undefined }),
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
    if (r.detail !== undefined) model.detail = r.detail;
    return model;
  });

function wellFormed(xml: string): boolean {
  const parser = sax.parser(true);
  let ok = true;
  parser.onerror = () => {
    ok = false;
  };
  parser.write(xml).close();
  return ok;
}

describe('property: random models', () => {
  it('parseCot(buildCot(model)) deep-equals the model, and the XML is well-formed and single-line', () => {
    fc.assert(
      fc.property(eventArb, (model) => {
        const xml = buildCot(model);
        assert.ok(wellFormed(xml), xml);
        assert.ok(!/[\r\n]/.test(xml));
        assert.deepEqual(parseCot(xml), model);
      }),
      { numRuns: 500 },
    );
  });

  it('the lean writer and xmlbuilder2 write the same bytes', () => {
    fc.assert(
      fc.property(eventArb, (model) => {
        assert.equal(buildCot(model), buildCotWithXmlbuilder2(model));
      }),
      { numRuns: 300 },
    );
  });

  it('buildCot(parseCot(xml)) reproduces the XML it was given', () => {
    fc.assert(
      fc.property(eventArb, (model) => {
        const xml = buildCot(model);
        assert.equal(buildCot(parseCot(xml)), xml);
      }),
      { numRuns: 300 },
    );
  });
});
