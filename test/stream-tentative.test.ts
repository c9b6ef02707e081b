/**
 * Tentative frames (an event cut at the first `</event>` after its start, checked by sax) are a shortcut:
 * whatever the stream, the parser must give exactly what the byte-by-byte scanner alone gives.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CotErrorCode, StreamParser, type StreamItem } from '../src/index';
import { EventReader } from '../src/cot/parse';
import { codes, ev, uids } from './helpers/stream';

/** Everything an item carries that a user can see. */
function full(item: StreamItem): unknown {
  if (item.kind === 'event') return { event: item.event, xml: item.xml };
  if (item.kind === 'skip') return { ...item };
  const { code, message, bytes, preview, xml } = item.error;
  return { code, message, bytes, preview, xml };
}

/** Pieces real and broken streams are made of, chosen for what can fool a search for `</event>`. */
const PIECES: string[] = [
  ev('plain'),
  ev('utf8', '<contact callsign="Zoë ✈ 𝔸"/>'),
  `<?xml version="1.0" encoding="UTF-8"?>\n`,
  '\n',
  '\r\n  ',
  '<auth><cot username="u" password="p"/></auth>',
  ev('cdata', '<remarks><![CDATA[ </event> <event x="1"> ]]></remarks>'),
  ev('comment', '<!-- </event><event> -->'),
  ev('in-value', '<remarks text="a </event> b"/>'),
  ev('gt-in-value', '<remarks text="a > b /> c"/>'),
  ev('pi', '<?x </event> ?>'),
  ev('nested', '<event/>'),
  ev('nested-open', '<event uid="inner"><point lat="1" lon="1"/></event>'),
  ev('sgml', '<!FOO bar>'),
  ev('doctype', '<!DOCTYPE x>'),
  ev('conflict', '<a b="1"><b/></a>'),
  ev('eventish', '<eventually/></eventually>'),
  ev('space-after-lt', '<remarks>< b/></remarks>'),
  ev('space-in-close', '<remarks>x</ remarks>'),
  ev('newline-after-lt', '<\ncontact callsign="x"/>'),
  ev('lower-cdata', '<remarks><![cdata[ x ]]></remarks>'),
  ev('lt-space-in-value', '<remarks text="a < b"/>'),
  ev('spaced-close').replace('</event>', '</event\n>'),
  ev('spaced-close-2').replace('</event>', '</ event>'),
  '<\n\n\n\nevent uid="spaced-open"/>',
  ev('cdata-close-oversize', `<!-- </event> x --><remarks>${'y'.repeat(300)}</remarks>`),
  ev('closed-early').replace('</event>', '</event ><!-- '),
  ev('closed-early-pi').replace('</event>', '</event ><?x '),
  '<event uid="self" type="a-f-G" />',
  `<event uid="spaced" type="a-f-G-U-C" how="m-g" time="2026-01-31T12:00:00Z" start="2026-01-31T12:00:00Z" stale="2026-01-31T12:05:00Z"><point lat="1" lon="2" hae="0" ce="9" le="9"/></event >`,
  ev('no-uid').replace('uid="no-uid" ', ''),
  ev('bad-time').replace('time="2026-01-31T12:00:00Z"', 'time="yesterday"'),
  ev('long', `<remarks>${'x'.repeat(700)}</remarks>`),
  '</event>',
  '<event',
  '<event uid="cut" type="a',
  ev('trunc').slice(0, 150),
  ev('trunc2').slice(0, 40),
  'garbage <<>> "\' / ! -- ]]> ?> \u00ff',
  '<![CDATA[ unclosed',
  '<!-- unclosed',
  ev('deep', `${'<a>'.repeat(40)}${'</a>'.repeat(40)}`),
  ev('deep-unclosed', '<a>'.repeat(40)),
  ev('nul', '<contact callsign="a\u0000b"/>'),
  ev('esc', '<remarks>\u001b[31m</remarks>'),
  ev('fffe', '<remarks>\uFFFE</remarks>'),
];

const streamArbitrary = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 8 })), { minLength: 1, maxLength: 14 })
  .map((pieces) => Buffer.from(pieces.join(''), 'utf8'));

/**
 * Feeds the stream both ways. Returns everything that came out, and how many events had come out after
 * each push: an event must come out of the push that brings its last byte either way (an error about a
 * broken event may come one push later with tentative frames).
 */
function both(bytes: Buffer, cuts: number[], maxEventBytes?: number): [unknown[], unknown[]] {
  const run = (tentativeFrames: boolean): { items: unknown[]; eventsAfterPush: number[] } => {
    const parser = new StreamParser({ maxEventBytes, tentativeFrames });
    const items: unknown[] = [];
    const eventsAfterPush: number[] = [];
    let events = 0;
    let from = 0;
    for (const cut of [...cuts, bytes.length]) {
      if (cut < from) continue;
      for (const item of parser.push(bytes.subarray(from, cut))) {
        if (item.kind === 'event') events++;
        items.push(full(item));
      }
      if (maxEventBytes !== undefined)
        assert.ok(parser.bufferedBytes <= maxEventBytes, 'buffered past the cap');
      eventsAfterPush.push(events);
      from = cut;
    }
    items.push(...parser.end().map(full));
    return { items, eventsAfterPush };
  };
  const fast = run(true);
  const careful = run(false);
  assert.deepEqual(fast.eventsAfterPush, careful.eventsAfterPush, 'events came out in other pushes');
  return [fast.items, careful.items];
}

describe('tentative frames give exactly what the byte scanner gives', () => {
  it('for every piece alone and between good events, cut at every byte', () => {
    for (const piece of PIECES) {
      const bytes = Buffer.from(ev('before') + piece + ev('after'), 'utf8');
      const [fast, careful] = both(bytes, []);
      assert.deepEqual(fast, careful, `whole: ${piece.slice(0, 40)}`);
      for (let cut = 1; cut < bytes.length; cut++) {
        const [a, b] = both(bytes, [cut]);
        assert.deepEqual(a, b, `${piece.slice(0, 40)} cut at ${cut}`);
      }
    }
  });

  it('for random mixes of good, broken and tricky pieces under random chunking (fast-check)', () => {
    fc.assert(
      fc.property(
        streamArbitrary,
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.constantFrom(undefined, 64, 256, 900),
        (bytes, rawCuts, cap) => {
          const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
          const [fast, careful] = both(bytes, cuts, cap); // feed() also checks the cap after every chunk
          assert.deepEqual(fast, careful);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('for long runs of events back to back in one chunk with one bad event somewhere in them', () => {
    const bad = [
      ev('x', '<!FOO>'),
      '<event uid="self"/>',
      ev('x', '<!-- </event> -->'),
      ev('x').slice(0, 200),
      ev('x', '<event/>'),
      ev('x', `${'<a>'.repeat(50)}${'</a>'.repeat(50)}`),
      ev('x', '<remarks>\u0000</remarks>'),
    ];
    for (const broken of bad) {
      for (const at of [0, 1, 15, 31, 32, 33, 70]) {
        const parts: string[] = [];
        for (let k = 0; k < 80; k++) parts.push(k === at ? broken : ev(`e${k}`));
        const bytes = Buffer.from(parts.join(' '), 'utf8');
        const [fast, careful] = both(bytes, []);
        assert.deepEqual(fast, careful, `${broken.slice(0, 30)} at ${at}`);
      }
    }
  });
});

describe('tentative frames are taken', () => {
  it('well-formed events read together come back as events (sax still shows its state)', () => {
    const reader = new EventReader('stream');
    const results = reader.readTentativeFrames([ev('a'), ev('b', '<!-- c --><![CDATA[x]]>')]);
    assert.ok(results, 'every tentative frame was refused: the shortcut is dead, check sax');
    assert.deepEqual(
      results.map((r) => (r instanceof Error ? r.message : r.uid)),
      ['a', 'b'],
    );
  });
  it('a frame whose last `</event>` sits in a comment after its event closed is refused', () => {
    const reader = new EventReader('stream');
    const closedEarly = ev('a').replace('</event>', '</event ><!-- </event>');
    assert.equal(reader.readTentativeFrames([closedEarly]), undefined);
    assert.equal(reader.readTentativeFrames([ev('a') + ev('b')]), undefined);
    assert.equal(reader.readTentativeFrames(['<event uid="s"/></event>']), undefined);
    assert.deepEqual(
      reader.readTentativeFrames([ev('c')])?.map((r) => (r instanceof Error ? r.message : r.uid)),
      ['c'],
      'the reader is usable after refusing',
    );
  });
});

describe('tentative frames keep events prompt', () => {
  it('a self-closing event comes out with the chunk that ends it, not with a later </event>', () => {
    const parser = new StreamParser();
    const items = parser.push(Buffer.from('<event uid="s" type="a-f-G"/>'));
    assert.deepEqual(codes(items), [CotErrorCode.MISSING_POINT]);
    assert.deepEqual(uids(parser.push(Buffer.from(ev('a')))), ['a']);
  });
  it('an event whose end is split from its start across chunks comes out at its last byte', () => {
    const parser = new StreamParser();
    const bytes = Buffer.from(ev('a') + ev('b'));
    const cut = ev('a').length - 3; // inside `</event>`
    assert.deepEqual(uids(parser.push(bytes.subarray(0, cut))), []);
    assert.deepEqual(uids(parser.push(bytes.subarray(cut, cut + 3))), ['a']);
    assert.deepEqual(uids(parser.push(bytes.subarray(cut + 3))), ['b']);
  });
});
