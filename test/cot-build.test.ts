import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildCot,
  parseCot,
  stableUid,
  toCotEvent,
  DEFAULT_STALE_SECONDS,
  type CotEvent,
  type CotInput,
} from '../src/index';

const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function roundTrip(input: Parameters<typeof buildCot>[0]): CotEvent {
  return parseCot(buildCot(input, NOW));
}

describe('buildCot output', () => {
  it('is one line, starts with <event and has no declaration', () => {
    const xml = buildCot({ lat: 1, lon: 2, type: 'a-f-G', remarks: 'two\nlines\r\nand\ttab' }, NOW);
    assert.ok(xml.startsWith('<event '), xml);
    assert.ok(xml.endsWith('</event>'));
    assert.ok(!/[\n\r]/.test(xml), 'no raw newline in the output');
    assert.ok(!xml.includes('<?xml'));
  });

  it('writes the defaults: version 2.0, time/start now, stale after the default, how m-g, unknown hae/ce/le', () => {
    const event = roundTrip({ lat: 10, lon: 20, type: 'a-f-G-U-C' });
    assert.equal(event.version, '2.0');
    assert.equal(event.how, 'm-g');
    assert.equal(event.time, new Date(NOW).toISOString());
    assert.equal(event.start, event.time);
    assert.equal(event.stale, new Date(NOW + DEFAULT_STALE_SECONDS * 1000).toISOString());
    assert.deepEqual(event.point, { lat: 10, lon: 20, hae: 9999999, ce: 9999999, le: 9999999 });
    assert.match(event.uid, UUID);
    assert.ok(DEFAULT_STALE_SECONDS < 3600, 'ATAK SA goes stale in minutes, not hours');
  });

  it('gives a random uid each time, and a name-based one for a stable key', () => {
    const a = toCotEvent({ lat: 0, lon: 0, type: 'a-f-G' });
    const b = toCotEvent({ lat: 0, lon: 0, type: 'a-f-G' });
    assert.notEqual(a.uid, b.uid);
    const c = toCotEvent({ lat: 0, lon: 0, type: 'a-f-G', uidKey: 'sensor-17' });
    const d = toCotEvent({ lat: 5, lon: 5, type: 'a-f-G', uidKey: 'sensor-17' });
    assert.equal(c.uid, d.uid);
    assert.equal(c.uid, stableUid('sensor-17'));
    assert.match(c.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-5/, 'a version-5 UUID');
    assert.notEqual(stableUid('sensor-17'), stableUid('sensor-18'));
    assert.equal(toCotEvent({ lat: 0, lon: 0, type: 'a-f-G', uid: 'given', uidKey: 'k' }).uid, 'given');
  });
});

describe('the defaults a flow author expects, the same for every entry point', () => {
  it('a missing type is a-f-G-U-C (a friendly ground unit), in either form', () => {
    assert.equal(toCotEvent({ lat: 1, lon: 2 }, NOW).type, 'a-f-G-U-C');
    assert.equal(toCotEvent({ lat: 1, lon: 2, type: '' }, NOW).type, 'a-f-G-U-C');
    assert.equal(toCotEvent({ uid: 'm', point: { lat: 1, lon: 2 } }, NOW).type, 'a-f-G-U-C');
    assert.equal(toCotEvent({ lat: 1, lon: 2, type: 'a-h-G' }, NOW).type, 'a-h-G');
  });

  it('without a uid, a callsign names the track: the same callsign is always the same uid', () => {
    const a = toCotEvent({ lat: 1, lon: 2, callsign: 'Bus 7' }, NOW);
    const b = toCotEvent({ lat: 3, lon: 4, callsign: 'Bus 7', uid: '' }, NOW);
    assert.equal(a.uid, stableUid('Bus 7'));
    assert.equal(b.uid, a.uid);
    const nested = toCotEvent({ lat: 1, lon: 2, detail: { contact: { callsign: 'Bus 7' } } }, NOW);
    assert.equal(nested.uid, a.uid);
    const model = toCotEvent({ point: { lat: 1, lon: 2 }, detail: { contact: { callsign: 'Bus 7' } } }, NOW);
    assert.equal(model.uid, a.uid);
    assert.equal(
      toCotEvent({ lat: 1, lon: 2, callsign: 'Bus 7', uidKey: 'dev-1' }, NOW).uid,
      stableUid('dev-1'),
    );
    assert.equal(toCotEvent({ lat: 1, lon: 2, callsign: 'Bus 7', uid: 'own' }, NOW).uid, 'own');
  });

  it('numbers in text fields are their text, and an empty string is a field left out', () => {
    // What a CSV row or an HTTP form gives: every value as text, numbers where text is meant, empty cells.
    const row = {
      lat: '1.5',
      lon: '2',
      uid: 42,
      callsign: 7,
      team: '',
      how: '',
      hae: '',
      course: '',
      stale: '',
    };
    const event = toCotEvent(row as unknown as CotInput, NOW);
    assert.equal(event.uid, '42');
    assert.equal((event.detail?.contact as { callsign: string }).callsign, '7');
    assert.equal(event.how, 'm-g');
    assert.equal(event.point.hae, 9999999);
    assert.equal(event.detail?.__group, undefined);
    assert.equal(event.detail?.track, undefined);
    assert.equal(event.stale, new Date(NOW + DEFAULT_STALE_SECONDS * 1000).toISOString());
    assert.deepEqual([event.point.lat, event.point.lon], [1.5, 2]);
  });

  it('an empty lat or lon is no position, not the equator', () => {
    const row = { lat: '', lon: 2 } as unknown as CotInput;
    assert.throws(() => toCotEvent(row, NOW), { code: 'ERR_COT_MISSING_POINT' });
  });

  it('a canonical model keeps its empty attributes: a received event is forwarded as it came', () => {
    const event = toCotEvent({ uid: 'r', type: 'a-f-G', point: { lat: 1, lon: 2 }, access: '' }, NOW);
    assert.equal(event.access, '');
  });
});

describe('the short form', () => {
  it('maps every field to the element ATAK reads', () => {
    const event = roundTrip({
      lat: 51.5,
      lon: -0.12,
      hae: 35,
      ce: 5,
      le: 10,
      uid: 'bus-7',
      type: 'a-f-G-E-V-C',
      how: 'h-e',
      callsign: 'BUS 7',
      team: 'Dark Blue',
      role: 'Team Lead',
      course: 271.5,
      speed: 12.25,
      battery: 87.4,
      remarks: 'Route 7 inbound',
      iconsetpath: '34ae1613-9645-4222-a9d2-e5f243dea2865/Military/police.png',
      color: '#ff0000',
      detail: { archive: {}, contact: { endpoint: '*:-1:stcp' } },
    });
    assert.equal(event.uid, 'bus-7');
    assert.equal(event.type, 'a-f-G-E-V-C');
    assert.equal(event.how, 'h-e');
    assert.deepEqual(event.point, { lat: 51.5, lon: -0.12, hae: 35, ce: 5, le: 10 });
    assert.deepEqual(event.detail, {
      archive: {},
      contact: { endpoint: '*:-1:stcp', callsign: 'BUS 7' },
      __group: { name: 'Dark Blue', role: 'Team Lead' },
      track: { course: '271.5', speed: '12.25' },
      status: { battery: '87' },
      remarks: { _text: 'Route 7 inbound' },
      usericon: { iconsetpath: '34ae1613-9645-4222-a9d2-e5f243dea2865/Military/police.png' },
      color: { argb: String(0xffff0000 | 0) },
    });
  });

  it('does not change the caller detail object', () => {
    const detail = { contact: { endpoint: 'x' } };
    buildCot({ lat: 0, lon: 0, type: 'a-f-G', callsign: 'A', detail }, NOW);
    assert.deepEqual(detail, { contact: { endpoint: 'x' } });
  });

  it('fills the other half of __group when only team or role is given', () => {
    assert.deepEqual(roundTrip({ lat: 0, lon: 0, type: 'a-f-G', team: 'Red' }).detail?.__group, {
      name: 'Red',
      role: 'Team Member',
    });
    assert.deepEqual(roundTrip({ lat: 0, lon: 0, type: 'a-f-G', role: 'Medic' }).detail?.__group, {
      name: 'Cyan',
      role: 'Medic',
    });
  });

  it('reads colours as #RRGGBB, #AARRGGBB or the signed ARGB integer', () => {
    const argb = (color: number | string) =>
      (roundTrip({ lat: 0, lon: 0, type: 'a-f-G', color }).detail?.color as { argb: string }).argb;
    assert.equal(argb('#ff0000'), '-65536');
    assert.equal(argb('#80ff0000'), String(0x80ff0000 | 0));
    assert.equal(argb(-65536), '-65536');
  });

  it('accepts numeric strings for numbers, as CSV and MQTT sources send them', () => {
    const event = roundTrip({
      lat: '45.5' as unknown as number,
      lon: '-122.25' as unknown as number,
      type: 'a-f-G',
    });
    assert.equal(event.point.lat, 45.5);
    assert.equal(event.point.lon, -122.25);
  });

  it('reads stale as seconds from now, a Date, epoch ms or an ISO string', () => {
    const stale = (value: string | number | Date) =>
      toCotEvent({ lat: 0, lon: 0, type: 'a-f-G', stale: value }, NOW).stale;
    assert.equal(stale(90), new Date(NOW + 90_000).toISOString());
    assert.equal(stale(new Date(NOW + 60_000)), new Date(NOW + 60_000).toISOString());
    assert.equal(stale(NOW + 120_000), new Date(NOW + 120_000).toISOString());
    assert.equal(stale('2026-01-31T12:10:00Z'), '2026-01-31T12:10:00Z');
  });

  it('takes time and start as Date, epoch ms or ISO string', () => {
    const event = toCotEvent(
      {
        lat: 0,
        lon: 0,
        type: 'a-f-G',
        time: new Date(NOW),
        start: NOW + 1000,
        stale: '2026-01-31T13:00:00.5Z',
      },
      NOW,
    );
    assert.equal(event.time, new Date(NOW).toISOString());
    assert.equal(event.start, new Date(NOW + 1000).toISOString());
    assert.equal(event.stale, '2026-01-31T13:00:00.5Z');
  });

  it('writes access, qos and opex when given', () => {
    const event = roundTrip({
      lat: 0,
      lon: 0,
      type: 'a-f-G',
      access: 'Undefined',
      qos: '1-r-c',
      opex: 'e-demo',
    });
    assert.equal(event.access, 'Undefined');
    assert.equal(event.qos, '1-r-c');
    assert.equal(event.opex, 'e-demo');
  });
});

describe('escaping', () => {
  const hard = [
    `Tom & "Jerry" <'O'Neil'>`,
    'line one\nline two\r\nline three',
    '  leading and trailing  ',
    'tab\there',
    'Ünïcödé — 東京 🚁 ñ',
    ']]> and <![CDATA[ and &amp; and &#10; and &A;',
  ];
  for (const text of hard) {
    it(`keeps ${JSON.stringify(text)} byte-identical in callsign and remarks`, () => {
      const event = roundTrip({
        lat: 0,
        lon: 0,
        type: 'a-f-G',
        callsign: text,
        remarks: text,
        uid: text,
        // Nested and unknown elements take the xmlbuilder2 path: the same bytes must come back there too.
        detail: { marti: { dest: { callsign: text } }, __custom: { note: text, _text: text } },
      });
      assert.equal((event.detail?.contact as { callsign: string }).callsign, text);
      assert.deepEqual(event.detail?.marti, { dest: { callsign: text } });
      assert.deepEqual(event.detail?.__custom, { note: text, _text: text });
      assert.equal((event.detail?.remarks as { _text: string })._text, text);
      assert.equal(event.uid, text);
    });
  }
});
