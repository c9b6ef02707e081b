import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCot, StreamErrorCode, StreamParser } from '../src/index';
import { codes, describeItem, ev, feed, feedInChunks, uids } from './helpers/stream';

/** Every framing case is also fed one byte at a time and cut at every position: the result must not change. */
function check(stream: string | Buffer, expectedUids: string[], expectedCodes: string[] = []): void {
  const bytes = typeof stream === 'string' ? Buffer.from(stream, 'utf8') : stream;
  const whole = feed(bytes, []);
  assert.deepEqual(uids(whole), expectedUids);
  assert.deepEqual(codes(whole), expectedCodes);
  const reference = whole.map(describeItem);
  assert.deepEqual(feedInChunks(bytes, 1).map(describeItem), reference, 'one byte at a time');
  for (let cut = 1; cut < bytes.length; cut++) {
    assert.deepEqual(feed(bytes, [cut]).map(describeItem), reference, `cut at ${cut}`);
  }
}

describe('framing as real senders do it', () => {
  it('back to back with no separator (taky)', () => check(ev('a') + ev('b') + ev('c'), ['a', 'b', 'c']));
  it('newlines and other whitespace between', () =>
    check(`${ev('a')}\n${ev('b')}\r\n\t  ${ev('c')}\n`, ['a', 'b', 'c']));
  it('an XML declaration before each, with a newline after it (PyTAK)', () =>
    check(
      `<?xml version="1.0" encoding="UTF-8"?>\n${ev('a')}<?xml version="1.0" encoding="UTF-8"?>\n${ev('b')}`,
      ['a', 'b'],
    ));
  it('an XML declaration glued to each event (takpak)', () =>
    check(`<?xml version="1.0" standalone="yes"?>${ev('a')}<?xml version="1.0"?>${ev('b')}`, ['a', 'b']));
  it('pretty-printed multi-line events, start tag wrapped, `<event` followed by a newline', () => {
    const pretty = (uid: string) =>
      `<event\n    version="2.0"\n    uid="${uid}"\n    type="a-f-G"\n    time="2026-01-31T12:00:00Z"\n    start="2026-01-31T12:00:00Z"\n    stale="2026-01-31T12:05:00Z">\n  <point lat="1" lon="2" />\n  <detail>\n    <contact callsign="X" />\n  </detail>\n</event>\n`;
    check(pretty('a') + pretty('b'), ['a', 'b']);
  });
  it('a leading <auth> and other non-event elements are skipped and reported at debug level', () => {
    const stream = `<auth><cot username="u" password="p" uid="x"/></auth>${ev('a')}<foo bar="1">t</foo>${ev('b')}`;
    check(stream, ['a', 'b']);
    const items = feed(Buffer.from(stream), []);
    const skips = items.filter((item) => item.kind === 'skip');
    assert.equal(skips.length, 2);
    assert.ok(skips.every((item) => item.kind === 'skip' && item.reason === 'element'));
    assert.equal(items[0]?.kind, 'skip', 'reported in stream order, before the event after it');
  });
  it('self-closing elements and a self-closing event', () => {
    check(
      `${ev('a', '<archive/><x y="1" />')}<event uid="s" type="a-f-G"/>${ev('b')}`,
      ['a', 'b'],
      ['ERR_COT_MISSING_POINT'],
    );
  });
  it('attributes in single and double quotes, with the other quote inside', () =>
    check(
      `<event version='2.0' uid='q"1' type="a-f-G" time='2026-01-31T12:00:00Z' start="2026-01-31T12:00:00Z" stale='2026-01-31T12:05:00Z'><point lat='1' lon="2"/><detail><contact callsign="it's"/></detail></event>` +
        ev('b'),
      ['q"1', 'b'],
    ));
  it('</event> and <event inside CDATA', () =>
    check(ev('a', '<remarks><![CDATA[ </event> <event uid="fake"> ]] > ]]]]></remarks>') + ev('b'), [
      'a',
      'b',
    ]));
  it('</event> and <event inside comments', () =>
    check(ev('a', '<!-- </event> <event uid="fake"> - -><x/> -->') + ev('b'), ['a', 'b']));
  it('</event> and <event inside attribute values (raw, as sloppy senders write them)', () =>
    check(ev('a', "<remarks note=\"see </event> and <event uid='x'> here\" other='</event>'/>") + ev('b'), [
      'a',
      'b',
    ]));
  it('a processing instruction inside an event', () =>
    check(ev('a', '<?pi </event> ?><x/>') + ev('b'), ['a', 'b']));
  it('elements whose names start with "event" are not events', () =>
    check(ev('a', '<eventually x="1"/><events><event_x/></events>') + ev('b'), ['a', 'b']));
  it('multi-byte UTF-8 split across chunks stays intact', () => {
    const text = 'Ünïcödé — 東京 🚁';
    const stream = Buffer.from(ev('a', `<contact callsign="${text}"/>`) + ev('b'), 'utf8');
    const items = feedInChunks(stream, 1);
    const first = items[0];
    assert.ok(first?.kind === 'event');
    assert.equal((first.event.detail?.contact as { callsign: string }).callsign, text);
    check(stream, ['a', 'b']);
  });
  it('markup sax accepts is accepted as parseCot accepts it: `< x/>`, `</ x>`, `<![cdata[`', () => {
    for (const detail of [
      '<remarks>< b/></remarks>',
      '<remarks>x</ remarks>',
      '<remarks><![cdata[ </event> ]]></remarks>',
      '<remarks><![CData[x]]></remarks>',
    ]) {
      assert.equal(parseCot(ev('a', detail)).uid, 'a', detail);
      check(ev('a', detail) + ev('b'), ['a', 'b']);
    }
    check(ev('a').replace('</event>', '</ event>') + ev('b'), ['a', 'b']);
  });
  it('a byte-order mark before the first event', () =>
    check(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(ev('a'))]), ['a']));
  it('the exact XML of each event is handed on for pass-through', () => {
    const items = feed(Buffer.from(`<?xml version="1.0"?>\n${ev('a')}\n${ev('b')}`), []);
    assert.deepEqual(
      items.map((item) => (item.kind === 'event' ? item.xml : '')),
      [ev('a'), ev('b')],
    );
  });
  it('events come out as soon as their last byte arrives', () => {
    const parser = new StreamParser();
    const bytes = Buffer.from(ev('a') + ev('b'));
    const firstEnd = ev('a').length;
    assert.deepEqual(uids(parser.push(bytes.subarray(0, firstEnd - 1))), []);
    assert.deepEqual(uids(parser.push(bytes.subarray(firstEnd - 1, firstEnd))), ['a']);
    assert.deepEqual(uids(parser.push(bytes.subarray(firstEnd))), ['b']);
    assert.deepEqual(parser.end(), []);
  });
});

describe('garbage costs at most the broken event', () => {
  it('random bytes between events', () => {
    const noise = Buffer.from([0x00, 0xff, 0x3c, 0x3e, 0x22, 0x27, 0x26, 0x0a, 0x3c, 0x21, 0x2d, 0x2d, 0x13]);
    const stream = Buffer.concat([
      Buffer.from(ev('a')),
      noise,
      Buffer.from(ev('b')),
      Buffer.from('%%<<>>"\'!'),
      Buffer.from(ev('c')),
    ]);
    check(stream, ['a', 'b', 'c']);
    const items = feed(stream, []);
    assert.ok(items.some((item) => item.kind === 'skip' && item.reason === 'garbage'));
  });
  it('noise that starts like a declaration does not swallow the events after it', () =>
    check(`<?garbage ${ev('a')}<?x?>${ev('b')}`, ['a', 'b']));
  it('an event cut off in its content, then a good one', () =>
    check(ev('a').slice(0, ev('a').indexOf('<detail>') + 8) + ev('b'), ['b'], [StreamErrorCode.TRUNCATED]));
  it('an event cut off inside an attribute value, then good ones', () => {
    const cut = ev('a').indexOf('callsign="') + 12;
    check(ev('a').slice(0, cut) + ev('b') + ev('c'), ['b', 'c'], [StreamErrorCode.MALFORMED]);
  });
  it('an event cut off inside its start tag value, then an event without attributes, then a good one', () => {
    check(
      `<event uid="abc${'<event>x</event>'}${ev('c')}`,
      ['c'],
      [StreamErrorCode.MALFORMED, 'ERR_COT_MISSING_UID'],
    );
  });
  it('an unclosed tag inside an event', () =>
    check(ev('a', '<contact callsign="A" <x/>') + ev('b'), ['b'], [StreamErrorCode.MALFORMED]));
  it('an event cut off at every possible byte, followed by a good one', () => {
    const broken = ev('a', '<contact callsign="A"/><remarks x="1">hello</remarks>');
    for (let cut = 7; cut < broken.length - 1; cut++) {
      const items = feed(Buffer.from(broken.slice(0, cut) + ev('b') + ev('c')), []);
      assert.deepEqual(uids(items), ['b', 'c'], `cut at ${cut}: ${broken.slice(0, cut)}`);
    }
  });
  it('a DOCTYPE inside an event', () =>
    check(ev('a', '<!DOCTYPE x><y/>') + ev('b'), ['b'], [StreamErrorCode.MALFORMED]));
  it('a stream that ends inside an event', () =>
    check(ev('a') + ev('b').slice(0, 60), ['a'], [StreamErrorCode.TRUNCATED]));
  it('a framed event that is not valid CoT keeps its XML on the error', () => {
    const bad =
      '<event uid="x" type="a-f-G" time="2026-01-31T12:00:00Z"><point lat="north" lon="2"/></event>';
    const items = feed(Buffer.from(bad + ev('b')), []);
    const first = items[0];
    assert.ok(first?.kind === 'error');
    assert.equal(first.error.code, 'ERR_COT_LAT');
    assert.equal(first.error.xml, bad);
    assert.equal(first.error.cause?.code, 'ERR_COT_LAT');
    assert.deepEqual(uids(items), ['b']);
  });
});

describe('bounded memory', () => {
  const cap = 1024;
  const big = ev('big', `<remarks>${'x'.repeat(4000)}</remarks>`);

  it('an event over the cap is skipped with an error, and the parser recovers', () => {
    for (const size of [1, 100, 1000, 5000, 100_000]) {
      const items = feedInChunks(Buffer.from(ev('a') + big + ev('b')), size, { maxEventBytes: cap });
      assert.deepEqual(uids(items), ['a', 'b'], `chunks of ${size}`);
      assert.deepEqual(codes(items), [StreamErrorCode.OVERSIZE], `chunks of ${size}`);
    }
  });
  it('buffered bytes never exceed the cap (checked after every chunk)', () => {
    const stream = Buffer.from(
      ev('a') + big + big + `<event uid="x" remarks="${'y'.repeat(5000)}` + ev('b') + big,
    );
    for (const size of [1, 7, 333, 1500]) {
      const items = feedInChunks(stream, size, { maxEventBytes: cap }); // feed() throws if the cap is exceeded
      assert.ok(uids(items).includes('b'), `chunks of ${size}`);
    }
  });
  it('an unclosed comment cannot swallow the stream: the cap ends it and the events after it come back', () => {
    const stream = ev('a', '<!-- never closed <x/>') + ev('b') + ev('c') + ev('d') + ev('e');
    const items = feedInChunks(Buffer.from(stream), 200, { maxEventBytes: 512 });
    assert.deepEqual(uids(items).slice(-3), ['c', 'd', 'e']);
  });
  it('refuses a cap that makes no sense', () => {
    assert.throws(() => new StreamParser({ maxEventBytes: 0 }), RangeError);
    assert.throws(() => new StreamParser({ maxEventBytes: 1.5 }), RangeError);
  });
});
