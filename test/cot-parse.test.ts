import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCot, StreamParser, type StreamItem } from '../src/index';

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

describe('text and model conflicts read the same from a document and from a stream', () => {
  const wrap = (inside: string, point = '<point lat="1" lon="2"/>'): string =>
    `<event uid="a" type="a-f-G" ${T}>${point}${inside}</event>`;
  const outcome = (run: () => unknown): unknown => {
    try {
      return run();
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };
  const fromStream = (xml: string, tentativeFrames: boolean): unknown => {
    const parser = new StreamParser({ tentativeFrames });
    const items = [...parser.push(Buffer.from(xml)), ...parser.end()];
    assert.equal(items.length, 1, `one item from ${xml}`);
    const item = items[0] as StreamItem;
    return item.kind === 'event' ? item.event.detail : item.kind === 'error' ? item.error.code : item.kind;
  };
  const cases: Array<[string, string, unknown]> = [
    [
      'text around a child, CDATA and an entity',
      '<detail><r>a<b/>c<![CDATA[d]]>e&amp;</r></detail>',
      { r: { b: {}, _text: 'acde&' } },
    ],
    [
      'text after a child closes',
      '<detail><a><b>x</b>y</a></detail>',
      { a: { b: { _text: 'x' }, _text: 'y' } },
    ],
    ['text directly in detail', '<detail>note<a/></detail>', { _text: 'note', a: {} }],
    [
      'text before a close tag with space in it',
      '<detail><r>hello</r ><a>x<b>y</b\t>z</a></detail >',
      { r: { _text: 'hello' }, a: { _text: 'xz', b: { _text: 'y' } } },
    ],
    ['text directly in detail, closed with a space', '<detail>hello</detail >', { _text: 'hello' }],
    [
      'text at several depths',
      '<detail><a>1<b>2<c>3</c></b></a></detail>',
      { a: { _text: '1', b: { _text: '2', c: { _text: '3' } } } },
    ],
    [
      'text in unknown children of event is not detail',
      '<foo>bar<baz>q</baz></foo><detail><a>t</a></detail>',
      { a: { _text: 't' } },
    ],
    ['a second detail is ignored, text and all', '<detail><a/></detail><detail>x<b/></detail>', { a: {} }],
    ['an attribute named _text', '<detail><a _text="x"/></detail>', 'ERR_COT_MODEL_CONFLICT'],
    ['_text on detail itself', '<detail _text="x"/>', 'ERR_COT_MODEL_CONFLICT'],
    ['an element named _text', '<detail><_text/></detail>', 'ERR_COT_MODEL_CONFLICT'],
    [
      'an attribute and a child of the same name',
      '<detail><a b="1"><b/></a></detail>',
      'ERR_COT_MODEL_CONFLICT',
    ],
  ];
  for (const [name, inside, expected] of cases) {
    it(name, () => {
      const xml = wrap(inside);
      assert.deepEqual(
        outcome(() => parseCot(xml).detail),
        expected,
        'parseCot',
      );
      assert.deepEqual(fromStream(xml, true), expected, 'stream, tentative frames');
      assert.deepEqual(fromStream(xml, false), expected, 'stream, byte scanner only');
    });
  }
  it('text inside point is not kept anywhere', () => {
    const xml = wrap('<detail/>', '<point lat="1" lon="2">x<y>z</y></point>');
    assert.deepEqual(parseCot(xml).detail, {});
    assert.deepEqual(fromStream(xml, true), {});
  });
});
