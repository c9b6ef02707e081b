import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCot, CotError, CotErrorCode, parseCot, type CotInput } from '../src/index';

const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
const base = { lat: 1, lon: 2, type: 'a-f-G-U-C', uid: 'u-1' };

function expectBuildError(input: unknown, code: string, field: string | undefined, mentions: string[]): void {
  assert.throws(
    () => buildCot(input as CotInput, NOW),
    (error: unknown) => {
      assert.ok(error instanceof CotError, `a CotError, got ${String(error)}`);
      assert.equal(error.code, code);
      assert.equal(error.field, field);
      for (const text of mentions)
        assert.ok(error.message.includes(text), `"${error.message}" mentions ${text}`);
      return true;
    },
  );
}

describe('buildCot refuses bad input with a stable code that names the field and value', () => {
  const cases: Array<[string, unknown, string, string | undefined, string[]]> = [
    ['lat above 90', { ...base, lat: 91 }, CotErrorCode.LAT, 'point.lat', ['point.lat', '91']],
    ['lat below -90', { ...base, lat: -90.5 }, CotErrorCode.LAT, 'point.lat', ['-90.5']],
    ['lat NaN', { ...base, lat: NaN }, CotErrorCode.LAT, 'point.lat', ['NaN']],
    ['lat Infinity', { ...base, lat: Infinity }, CotErrorCode.LAT, 'point.lat', ['Infinity']],
    ['lon above 180', { ...base, lon: 180.01 }, CotErrorCode.LON, 'point.lon', ['180.01']],
    [
      'lon in a canonical model',
      { uid: 'x', type: 'a-f-G', point: { lat: 0, lon: -181 } },
      CotErrorCode.LON,
      'point.lon',
      ['-181'],
    ],
    ['lat not a number', { ...base, lat: 'north' }, CotErrorCode.LAT, 'lat', ['"north"', '-90 to 90']],
    ['lon not a number', { ...base, lon: true }, CotErrorCode.LON, 'lon', ['true', '-180 to 180']],
    [
      'lat not a number in a canonical model',
      { uid: 'x', point: { lat: {}, lon: 0 } },
      CotErrorCode.LAT,
      'point.lat',
      ['{}'],
    ],
    ['no position', { type: 'a-f-G', callsign: 'A' }, CotErrorCode.MISSING_POINT, 'lat', ['lat and lon']],
    ['uid an object', { ...base, uid: { id: 7 } }, CotErrorCode.MISSING_UID, 'uid', ['{"id":7}']],
    ['uid not text', { ...base, uid: true }, CotErrorCode.MISSING_UID, 'uid', ['true']],
    ['type not text', { lat: 0, lon: 0, type: ['a-f'] }, CotErrorCode.MISSING_TYPE, 'type', ['["a-f"]']],
    ['bad type', { ...base, type: 'a f G' }, CotErrorCode.TYPE, 'type', ['"a f G"']],
    ['bad how', { ...base, how: 'machine' }, CotErrorCode.HOW, 'how', ['"machine"']],
    ['unparsable time', { ...base, time: 'yesterday' }, CotErrorCode.TIME, 'time', ['"yesterday"']],
    ['invalid Date', { ...base, start: new Date('nope') }, CotErrorCode.TIME, 'start', ['invalid']],
    [
      'stale before start',
      { ...base, start: '2026-01-31T12:00:00Z', stale: '2026-01-31T11:00:00Z' },
      CotErrorCode.STALE_BEFORE_START,
      'stale',
      ['2026-01-31T11:00:00Z'],
    ],
    [
      'illegal element name',
      { ...base, detail: { '1bad': {} } },
      CotErrorCode.XML_NAME,
      'detail.1bad',
      ['"1bad"'],
    ],
    [
      'illegal attribute name',
      { ...base, detail: { contact: { 'call sign': 'A' } } },
      CotErrorCode.XML_NAME,
      'detail.contact.call sign',
      ['"call sign"'],
    ],
    [
      'illegal nested name',
      { ...base, detail: { marti: { dest: [{ 'a<b': 'x' }] } } },
      CotErrorCode.XML_NAME,
      'detail.marti.dest[0].a<b',
      ['a<b'],
    ],
    [
      'control character in callsign',
      { ...base, callsign: 'A\u0001B' },
      CotErrorCode.XML_CHAR,
      'detail.contact.callsign',
      ['U+0001'],
    ],
    [
      'lone surrogate in remarks',
      { ...base, remarks: 'x\uD800y' },
      CotErrorCode.XML_CHAR,
      'detail.remarks._text',
      ['U+D800'],
    ],
    [
      'U+FFFE in a nested value',
      { ...base, detail: { a: { b: { c: '\uFFFE' } } } },
      CotErrorCode.XML_CHAR,
      'detail.a.b.c',
      ['U+FFFE'],
    ],
    ['NUL in uid', { ...base, uid: 'a\u0000' }, CotErrorCode.XML_CHAR, 'uid', ['U+0000']],
    ['battery over 100', { ...base, battery: 140 }, CotErrorCode.INPUT, 'battery', ['140']],
    ['speed not a number', { ...base, speed: 'fast' }, CotErrorCode.INPUT, 'speed', ['"fast"']],
    ['callsign not a string', { ...base, callsign: { name: 'A' } }, CotErrorCode.INPUT, 'callsign', ['name']],
    ['bad colour', { ...base, color: 'reddish' }, CotErrorCode.INPUT, 'color', ['"reddish"']],
    [
      'detail value a function',
      { ...base, detail: { a: { b: () => 1 } } },
      CotErrorCode.INPUT,
      'detail.a.b',
      [],
    ],
    ['detail not an object', { ...base, detail: 'text' }, CotErrorCode.INPUT, 'detail', ['"text"']],
    ['not an object at all', 'hello', CotErrorCode.INPUT, undefined, ['"hello"']],
    [
      'hae not a number',
      { uid: 'x', type: 'a-f-G', point: { lat: 0, lon: 0, hae: 'high' } },
      CotErrorCode.POINT_VALUE,
      'point.hae',
      ['"high"'],
    ],
  ];
  for (const [name, input, code, field, mentions] of cases) {
    it(`${name} -> ${code}`, () => expectBuildError(input, code, field, mentions));
  }

  it('a CotError is an Error with code, field and value', () => {
    try {
      buildCot({ ...base, lat: 100 }, NOW);
      assert.fail('expected a throw');
    } catch (error) {
      assert.ok(error instanceof Error);
      assert.ok(error instanceof CotError);
      assert.equal(error.value, 100);
    }
  });
});

function expectParseError(xml: string, code: string): CotError {
  let caught: unknown;
  try {
    parseCot(xml);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof CotError, `a CotError for ${xml}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

const T = 'time="2026-01-31T12:00:00Z" start="2026-01-31T12:00:00Z" stale="2026-01-31T12:05:00Z"';

describe('parseCot is strict where the event would be useless', () => {
  it('no uid', () =>
    void expectParseError(
      `<event version="2.0" type="a-f-G" how="m-g" ${T}><point lat="1" lon="2"/></event>`,
      CotErrorCode.MISSING_UID,
    ));
  it('no type', () =>
    void expectParseError(
      `<event version="2.0" uid="a" how="m-g" ${T}><point lat="1" lon="2"/></event>`,
      CotErrorCode.MISSING_TYPE,
    ));
  it('no point', () =>
    void expectParseError(
      `<event version="2.0" uid="a" type="a-f-G" how="m-g" ${T}><detail/></event>`,
      CotErrorCode.MISSING_POINT,
    ));
  it('non-numeric lat', () =>
    void expectParseError(
      `<event uid="a" type="a-f-G" ${T}><point lat="north" lon="2"/></event>`,
      CotErrorCode.LAT,
    ));
  it('empty lon', () =>
    void expectParseError(
      `<event uid="a" type="a-f-G" ${T}><point lat="1" lon=""/></event>`,
      CotErrorCode.LON,
    ));
  it('lat out of range', () =>
    void expectParseError(
      `<event uid="a" type="a-f-G" ${T}><point lat="100" lon="2"/></event>`,
      CotErrorCode.LAT,
    ));
  it('a time that is not a time', () =>
    void expectParseError(
      `<event uid="a" type="a-f-G" time="TIME" start="TIME" stale="TIME"><point lat="1" lon="2"/></event>`,
      CotErrorCode.TIME,
    ));
  it('a root that is not event', () =>
    void expectParseError('<auth><cot username="a"/></auth>', CotErrorCode.NOT_EVENT));
  it('malformed XML', () =>
    void expectParseError(
      `<event uid="a" type="a-f-G" ${T}><point lat="1" lon="2"></event>`,
      CotErrorCode.XML,
    ));
  it('a truncated event', () =>
    void expectParseError(`<event uid="a" type="a-f-G" ${T}><point lat="1" lon="2"/>`, CotErrorCode.XML));
  it('empty input', () => void expectParseError('', CotErrorCode.XML));
  it('HTML entities (only the five XML ones exist)', () =>
    void expectParseError(
      `<event uid="a&nbsp;b" type="a-f-G" ${T}><point lat="1" lon="2"/></event>`,
      CotErrorCode.XML,
    ));
  it('a DOCTYPE, even a harmless one', () =>
    void expectParseError(
      `<!DOCTYPE event><event uid="a" type="a-f-G" ${T}><point lat="1" lon="2"/></event>`,
      CotErrorCode.DOCTYPE,
    ));
  it('an entity declared in a DOCTYPE is never expanded', () => {
    const billionLaughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' +
      `<event uid="&lol2;" type="a-f-G" ${T}><point lat="1" lon="2"/></event>`;
    expectParseError(billionLaughs, CotErrorCode.DOCTYPE);
  });
  it('an external entity is never fetched', () => {
    const xxe = `<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><event uid="&x;" type="a-f-G" ${T}><point lat="1" lon="2"/></event>`;
    expectParseError(xxe, CotErrorCode.DOCTYPE);
  });
  it('keeps working after a failure', () => {
    expectParseError('<event uid="a"', CotErrorCode.XML);
    assert.equal(parseCot(`<event uid="ok" type="a-f-G" ${T}><point lat="1" lon="2"/></event>`).uid, 'ok');
  });
});
