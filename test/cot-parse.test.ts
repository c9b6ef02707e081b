import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCot } from '../src/index';

const T = 'time="2026-01-31T12:00:00Z" start="2026-01-31T12:00:00Z" stale="2026-01-31T12:05:00Z"';

describe('parseCot is lenient where real clients are', () => {
  it('reads any number of fraction digits, or none', () => {
    for (const time of [
      '2026-01-31T12:00:00Z',
      '2026-01-31T12:00:00.1Z',
      '2026-01-31T12:00:00.123Z',
      '2026-01-31T12:00:00.123456789Z',
    ]) {
      const event = parseCot(
        `<event uid="a" type="a-f-G" how="m-g" time="${time}" start="${time}" stale="2027-01-01T00:00:00Z"><point lat="1" lon="2"/></event>`,
      );
      assert.equal(event.time, time, 'kept as written');
    }
  });

  it('fills missing version, how, hae, ce, le and start/stale from what is there', () => {
    const event = parseCot(
      '<event uid="a" type="a-f-G" time="2026-01-31T12:00:00Z"><point lat="1" lon="2"/></event>',
    );
    assert.equal(event.version, '2.0');
    assert.equal(event.how, 'm-g');
    assert.equal(event.start, '2026-01-31T12:00:00Z');
    assert.equal(event.stale, '2026-01-31T12:05:00.000Z');
    assert.deepEqual(event.point, { lat: 1, lon: 2, hae: 9999999, ce: 9999999, le: 9999999 });
    assert.equal(event.detail, undefined, 'no <detail> element, no detail');
  });

  it('reads iTAK speed="-1.0" as it is', () => {
    const event = parseCot(
      `<event uid="a" type="a-f-G" ${T}><point lat="1" lon="2"/><detail><track course="10.0" speed="-1.0"/></detail></event>`,
    );
    assert.deepEqual(event.detail?.track, { course: '10.0', speed: '-1.0' });
  });

  it('reads detail before point', () => {
    const event = parseCot(
      `<event uid="a" type="a-f-G" ${T}><detail><contact callsign="A"/></detail><point lat="1.5" lon="2.5"/></event>`,
    );
    assert.equal(event.point.lat, 1.5);
    assert.deepEqual(event.detail, { contact: { callsign: 'A' } });
  });

  it('reads 999999 or more, NaN and missing hae/ce/le as unknown', () => {
    const event = parseCot(
      `<event uid="a" type="a-f-G" ${T}><point lat="1" lon="2" hae="999999" ce="NaN" le="12345678.9"/></event>`,
    );
    assert.deepEqual(event.point, { lat: 1, lon: 2, hae: 9999999, ce: 9999999, le: 9999999 });
    const known = parseCot(
      `<event uid="a" type="a-f-G" ${T}><point lat="1" lon="2" hae="999998.5" ce="0" le="-3"/></event>`,
    );
    assert.deepEqual(known.point, { lat: 1, lon: 2, hae: 999998.5, ce: 0, le: -3 });
  });

  it('takes single and double quotes, a declaration, a BOM, multi-line tags and Buffer input', () => {
    const xml = `\uFEFF<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<event\n  uid='a'\n  type="a-f-G"\n  ${T}>\n  <point lat='1' lon="2" />\n</event>\n`;
    assert.equal(parseCot(xml).uid, 'a');
    assert.equal(parseCot(Buffer.from(xml, 'utf8')).uid, 'a');
  });

  it('decodes entities and character references, and reads CDATA as text', () => {
    const event = parseCot(
      `<event uid="a&amp;b" type="a-f-G" ${T}><point lat="1" lon="2"/><detail><contact callsign="x&#10;y&quot;&apos;"/><remarks><![CDATA[</event> <event & ]]></remarks></detail></event>`,
    );
    assert.equal(event.uid, 'a&b');
    assert.equal((event.detail?.contact as { callsign: string }).callsign, 'x\ny"\'');
    assert.equal((event.detail?.remarks as { _text: string })._text, '</event> <event & ');
  });

  it('keeps unknown elements, attributes, text and the order of repeated elements', () => {
    const event = parseCot(
      `<event uid="a" type="u-d-f" ${T}><point lat="1" lon="2"/><detail x="1"><link point="1,1"/><strokeColor value="-1"/><link point="2,2"/><link point="3,3"><inner a="b">t</inner></link><__custom>hello <b>world</b></__custom></detail></event>`,
    );
    assert.deepEqual(event.detail, {
      x: '1',
      link: [{ point: '1,1' }, { point: '2,2' }, { point: '3,3', inner: { a: 'b', _text: 't' } }],
      strokeColor: { value: '-1' },
      __custom: { _text: 'hello ', b: { _text: 'world' } },
    });
  });

  it('drops whitespace-only text (pretty-printing) but keeps text with content verbatim', () => {
    const event = parseCot(
      `<event uid="a" type="a-f-G" ${T}>\n  <point lat="1" lon="2"/>\n  <detail>\n    <remarks>  spaced out\n</remarks>\n    <x> </x>\n  </detail>\n</event>`,
    );
    assert.deepEqual(event.detail, { remarks: { _text: '  spaced out\n' }, x: {} });
  });

  it('ignores comments and processing instructions inside the event', () => {
    const event = parseCot(
      `<event uid="a" type="a-f-G" ${T}><!-- <event> --><point lat="1" lon="2"/><detail><?pi x?><a/></detail></event>`,
    );
    assert.deepEqual(event.detail, { a: {} });
  });

  it('accepts an event that is already stale on arrival (servers carry them)', () => {
    const event = parseCot(
      '<event uid="a" type="a-f-G" time="2026-01-31T12:00:00Z" start="2026-01-31T12:00:00Z" stale="2026-01-01T00:00:00Z"><point lat="1" lon="2"/></event>',
    );
    assert.equal(event.stale, '2026-01-01T00:00:00Z');
  });
});
