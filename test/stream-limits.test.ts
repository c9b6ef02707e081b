import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_MAX_DEPTH, StreamParser, type StreamItem, type StreamParserOptions } from '../src/index';
import { eventWith, INVALID_UTF8, nestedEvent, NOT_XML_CHARS } from './helpers/limits';
import { codes, describeItem, ev, feed, uids } from './helpers/stream';

/** Both ways of framing: tentative frames (the default) and the byte scanner alone. */
const MODES: Array<[string, StreamParserOptions]> = [
  ['tentative frames', {}],
  ['byte scanner only', { tentativeFrames: false }],
];

function everyCut(bytes: Buffer): number[][] {
  const cuts: number[][] = [];
  for (let cut = 1; cut < bytes.length; cut++) cuts.push([cut]);
  return cuts;
}

function described(items: StreamItem[]): string[] {
  return items.map(describeItem);
}

describe('depth limit: StreamParser', () => {
  for (const [mode, options] of MODES) {
    it(`${mode}: an event 10,000 deep is refused with ERR_COT_TOO_DEEP and the next one in the chunk comes out`, () => {
      const bytes = Buffer.from(ev('before') + nestedEvent('deep', 10_000) + ev('after'));
      const items = feed(bytes, [], options);
      assert.deepEqual(uids(items), ['before', 'after']);
      assert.deepEqual(codes(items), ['ERR_COT_TOO_DEEP']);
      const refused = items.find((i) => i.kind === 'error');
      assert.ok(refused?.kind === 'error');
      assert.match(refused.error.message, /more than 32 levels deep/);
      assert.equal(
        refused.error.bytes,
        Buffer.byteLength(nestedEvent('deep', 10_000)),
        'cost: that event only',
      );
    });

    it(`${mode}: accepts exactly the limit and refuses one level more`, () => {
      for (const maxDepth of [undefined, 3, 9]) {
        const limit = maxDepth ?? DEFAULT_MAX_DEPTH;
        const bytes = Buffer.from(nestedEvent('at', limit) + nestedEvent('over', limit + 1) + ev('next'));
        const items = feed(bytes, [], { ...options, maxDepth });
        assert.deepEqual(uids(items), ['at', 'next'], `maxDepth ${limit}`);
        assert.deepEqual(codes(items), ['ERR_COT_TOO_DEEP'], `maxDepth ${limit}`);
      }
    });
  }

  it('a deep event split at every byte gives what it gives whole', () => {
    const options = { maxDepth: 4 };
    const bytes = Buffer.from(ev('before') + nestedEvent('deep', 12) + nestedEvent('at', 4) + ev('after'));
    const whole = described(feed(bytes, [], options));
    assert.deepEqual(whole, [
      `event before ${ev('before').length}`,
      `error ERR_COT_TOO_DEEP ${nestedEvent('deep', 12).length}`,
      `event at ${nestedEvent('at', 4).length}`,
      `event after ${ev('after').length}`,
    ]);
    for (const cuts of everyCut(bytes)) {
      for (const [mode, modeOptions] of MODES) {
        assert.deepEqual(
          described(feed(bytes, cuts, { ...modeOptions, ...options })),
          whole,
          `${mode} ${cuts}`,
        );
      }
    }
  });

  it('an unclosed deep event is still cut off by the next event', () => {
    const open = nestedEvent('deep', 5_000).replace(/<\/a>/g, '').replace('</detail></event>', '');
    const items = feed(Buffer.from(open + ev('after')), []);
    assert.deepEqual(uids(items), ['after']);
    assert.deepEqual(codes(items), ['ERR_STREAM_TRUNCATED']);
  });

  it('refuses a maxDepth out of bounds', () => {
    assert.throws(() => new StreamParser({ maxDepth: 1 }), RangeError);
    assert.throws(() => new StreamParser({ maxDepth: 10_000 }), RangeError);
  });
});

describe('bytes that are not XML text: StreamParser', () => {
  const cases: Array<[string, Buffer, string]> = [
    ...INVALID_UTF8.map(([what, bytes]): [string, Buffer, string] => [
      what,
      Buffer.from(bytes),
      'ERR_COT_BAD_UTF8',
    ]),
    ...NOT_XML_CHARS.map(([what, bytes]): [string, Buffer, string] => [
      what,
      Buffer.from(bytes),
      'ERR_COT_BAD_CHAR',
    ]),
  ];

  for (const [what, bad, code] of cases) {
    it(`refuses ${what} with ${code}; the events around it come out exactly as received`, () => {
      const before = Buffer.from(ev('before', '<contact callsign="Zoë ✈ 𝔸"/>'));
      const after = Buffer.from(ev('after'));
      const bytes = Buffer.concat([before, eventWith(bad, 'bad'), after]);
      for (const [mode, options] of MODES) {
        const items = feed(bytes, [], options);
        assert.deepEqual(uids(items), ['before', 'after'], mode);
        assert.deepEqual(codes(items), [code], mode);
        const events = items.filter((i) => i.kind === 'event');
        assert.ok(Buffer.from(events[0]?.xml ?? '', 'utf8').equals(before), `${mode}: exact bytes`);
        const refused = items.find((i) => i.kind === 'error');
        assert.ok(refused?.kind === 'error');
        assert.equal(refused.error.bytes, eventWith(bad, 'bad').length);
        // A decoding of invalid UTF-8 is not what was received, so it is not handed on as the event.
        if (code === 'ERR_COT_BAD_UTF8') assert.equal(refused.error.xml, undefined);
        else assert.ok(Buffer.from(refused.error.xml ?? '').equals(eventWith(bad, 'bad')));
      }
    });
  }

  it('a bad event split at every byte gives what it gives whole', () => {
    for (const bad of [[0xc0, 0xaf], [0x00], [0xef, 0xbf, 0xbe]]) {
      const bytes = Buffer.concat([
        Buffer.from(ev('before')),
        eventWith(Buffer.from(bad)),
        Buffer.from(ev('after')),
      ]);
      const whole = described(feed(bytes, []));
      assert.equal(whole.length, 3);
      for (const cuts of everyCut(bytes)) {
        for (const [mode, options] of MODES) {
          assert.deepEqual(described(feed(bytes, cuts, options)), whole, `${mode} ${cuts}`);
        }
      }
    }
  });

  it('accepts UTF-8 split across chunks anywhere, giving the exact bytes', () => {
    const bytes = Buffer.from(ev('multi', '<contact callsign="Zoë ✈ 𝔸 \uFFFD"/>') + ev('next'));
    for (const cuts of everyCut(bytes)) {
      for (const [mode, options] of MODES) {
        const items = feed(bytes, cuts, options);
        assert.deepEqual(codes(items), [], `${mode} ${cuts}`);
        assert.ok(
          Buffer.from(items.map((i) => (i.kind === 'event' ? i.xml : '')).join(''), 'utf8').equals(bytes),
          `${mode} ${cuts}`,
        );
      }
    }
  });

  it('bad bytes inside a broken event do not stop the good event found inside it', () => {
    // The first event is cut off inside a value; the byte scanner finds the next <event> inside it.
    const cut = Buffer.concat([
      Buffer.from('<event uid="cut" type="a-f-G" remarks="'),
      Buffer.from([0x00, 0xff]),
    ]);
    const bytes = Buffer.concat([cut, Buffer.from(ev('good'))]);
    const items = feed(bytes, []);
    assert.ok(uids(items).includes('good'), described(items).join('; '));
  });
});
