import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cotToLegacyTak, isLegacyTak, legacyTakToCot } from '../src/convert/legacy-tak';
import { buildCot, parseCot, CotError } from '../src/index';

const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);

/** What node-red-contrib-tak's tak node emits for an ATAK 4.8 PLI (from its own test suite). */
const LEGACY_PLI = {
  _declaration: { _attributes: { version: '1.0', encoding: 'UTF-8', standalone: 'yes' } },
  event: {
    _attributes: {
      version: '2.0',
      uid: 'TEST-UID',
      type: 'a-f-G-E-V-C',
      time: '2023-03-22T22:23:43.195Z',
      start: '2023-03-22T22:23:43.195Z',
      stale: '2023-03-22T22:29:58.195Z',
      how: 'h-e',
    },
    point: {
      _attributes: { lat: '37.7608736', lon: '-122.4999468', hae: '1.349', ce: '9999999.0', le: '9999999.0' },
    },
    detail: {
      takv: {
        _attributes: {
          os: '29',
          version: '4.8.1.13 (92a3c1fe)[playstore].1679058347-CIV',
          device: 'SAMSUNG SM-G960U1',
          platform: 'ATAK-CIV',
        },
      },
      contact: { _attributes: { endpoint: '*:-1:stcp', callsign: 'VPN User', sipAddress: '192.168.0.54' } },
      uid: { _attributes: { Droid: 'VPN User' } },
      __group: { _attributes: { role: 'Team Member', name: 'Cyan' } },
      status: { _attributes: { battery: '100' } },
      track: { _attributes: { course: '207.2594673459405', speed: '0.0' } },
      precisionlocation: { _attributes: { altsrc: 'DTED0', geopointsrc: 'USER' } },
    },
  },
};

describe('legacy node-red-contrib-tak JSON -> CoT', () => {
  it('is recognised by its event._attributes', () => {
    assert.equal(isLegacyTak(LEGACY_PLI), true);
    assert.equal(isLegacyTak({ event: {} }), false);
    assert.equal(isLegacyTak({ lat: 1, lon: 2 }), false);
  });

  it('reads attributes, the point and every detail element', () => {
    const event = parseCot(buildCot(legacyTakToCot(LEGACY_PLI), NOW));
    assert.equal(event.uid, 'TEST-UID');
    assert.equal(event.type, 'a-f-G-E-V-C');
    assert.equal(event.how, 'h-e');
    assert.equal(event.time, '2023-03-22T22:23:43.195Z');
    assert.equal(event.stale, '2023-03-22T22:29:58.195Z');
    assert.deepEqual(event.point, {
      lat: 37.7608736,
      lon: -122.4999468,
      hae: 1.349,
      ce: 9999999,
      le: 9999999,
    });
    assert.deepEqual(event.detail?.contact, {
      endpoint: '*:-1:stcp',
      callsign: 'VPN User',
      sipAddress: '192.168.0.54',
    });
    assert.deepEqual(event.detail?.__group, { role: 'Team Member', name: 'Cyan' });
    assert.deepEqual(event.detail?.track, { course: '207.2594673459405', speed: '0.0' });
    assert.deepEqual(event.detail?.uid, { Droid: 'VPN User' });
  });

  it('reads the example flow of that package: numbers-as-strings, 999999 as unknown', () => {
    const input = legacyTakToCot({
      event: {
        _attributes: {
          version: '2.0',
          time: '2026-01-31T12:00:00Z',
          start: '2026-01-31T12:00:00Z',
          stale: '2026-01-31T12:08:20Z',
          type: 'a-u-G',
          uid: 'UID-12345',
          how: 'm-r',
        },
        point: { _attributes: { lat: '1.2', lon: '-2.3', hae: '999999.0', le: '999999.0', ce: '999999.0' } },
      },
    });
    const event = parseCot(buildCot(input, NOW));
    assert.deepEqual(event.point, { lat: 1.2, lon: -2.3, hae: 9999999, ce: 9999999, le: 9999999 });
    assert.equal(event.detail, undefined);
  });

  it('keeps text, CDATA, repeated elements and nesting; drops comments', () => {
    const input = legacyTakToCot({
      event: {
        _attributes: { uid: 'r', type: 'b-m-r' },
        point: { _attributes: { lat: 0, lon: 0 } },
        detail: {
          remarks: { _attributes: { source: 'x' }, _text: 'line 1\nline 2' },
          note: { _cdata: '<raw>' },
          link: [{ _attributes: { point: '1,2' } }, { _attributes: { point: '3,4' } }],
          marti: { dest: [{ _attributes: { callsign: 'A' } }, { _attributes: { callsign: 'B' } }] },
          _comment: 'ignored',
        },
      },
    });
    const event = parseCot(buildCot(input, NOW));
    assert.deepEqual(event.detail?.remarks, { source: 'x', _text: 'line 1\nline 2' });
    assert.deepEqual(event.detail?.note, { _text: '<raw>' });
    assert.deepEqual(event.detail?.link, [{ point: '1,2' }, { point: '3,4' }]);
    assert.deepEqual(event.detail?.marti, { dest: [{ callsign: 'A' }, { callsign: 'B' }] });
    assert.equal(event.detail?._comment, undefined);
  });

  it('names the missing or bad part by its path', () => {
    const check = (value: unknown, code: string, field: string): void => {
      assert.throws(
        () => buildCot(legacyTakToCot(value), NOW),
        (e: unknown) =>
          e instanceof CotError && e.code === code && e.field === field && e.message.includes(field),
      );
    };
    check(
      { event: { _attributes: { uid: 'a', type: 'a-f-G' } } },
      'ERR_COT_MISSING_POINT',
      'event.point._attributes',
    );
    check(
      { event: { _attributes: { uid: 'a', type: 'a-f-G' }, point: { _attributes: { lon: '1' } } } },
      'ERR_COT_MISSING_POINT',
      'event.point._attributes.lat',
    );
    check(
      {
        event: { _attributes: { uid: 'a', type: 'a-f-G' }, point: { _attributes: { lat: '91', lon: '1' } } },
      },
      'ERR_COT_LAT',
      'point.lat',
    );
    check(
      {
        event: {
          _attributes: { uid: 'a', type: 'a-f-G' },
          point: { _attributes: { lat: 1, lon: 1 } },
          detail: { contact: { _attributes: { callsign: { a: 1 } } } },
        },
      },
      'ERR_COT_INPUT',
      'event.detail.contact._attributes.callsign',
    );
    check(
      {
        event: {
          _attributes: { uid: 'a', type: 'a-f-G' },
          point: { _attributes: { lat: 1, lon: 1 } },
          detail: { x: { _attributes: { y: '1' }, y: {} } },
        },
      },
      'ERR_COT_MODEL_CONFLICT',
      'event.detail.x.y',
    );
    check({ event: 'nope' }, 'ERR_COT_INPUT', 'event._attributes');
  });
});

describe('CoT -> legacy JSON', () => {
  it('writes every value as a string, the way xml-js reads XML, and round-trips', () => {
    const event = parseCot(buildCot(legacyTakToCot(LEGACY_PLI), NOW));
    const legacy = cotToLegacyTak(event);
    assert.deepEqual(legacy.event._attributes, LEGACY_PLI.event._attributes);
    assert.deepEqual(legacy.event.point, LEGACY_PLI.event.point);
    assert.deepEqual(legacy.event.detail, LEGACY_PLI.event.detail);
    const shaped = cotToLegacyTak(
      parseCot(
        buildCot(
          {
            uid: 'x',
            type: 'a-f-G',
            lat: 1.5,
            lon: 2,
            remarks: 'hi',
            detail: { link: [{ a: 1 }, { a: 2 }] },
          },
          NOW,
        ),
      ),
    );
    assert.deepEqual(shaped.event.detail, {
      link: [{ _attributes: { a: '1' } }, { _attributes: { a: '2' } }],
      remarks: { _text: 'hi' },
    });
    assert.deepEqual(shaped.event.point._attributes, {
      lat: '1.5',
      lon: '2',
      hae: '9999999.0',
      ce: '9999999.0',
      le: '9999999.0',
    });
  });
});
