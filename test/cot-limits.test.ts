import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  buildCot,
  buildCotWithXmlbuilder2,
  CotError,
  DEFAULT_MAX_DEPTH,
  legacyTakToCot,
  MAX_DEPTH_LIMIT,
  parseCot,
  type CotElement,
} from '../src/index';
import { toOutgoing } from '../src/client/outgoing';
import { firstInvalidUtf8 } from '../src/cot/received-text';
import { toWireXml } from '../src/nodes/to-xml';
import { seeded } from './fuzz/generators';
import { eventWith, INVALID_UTF8, nestedEvent, NOT_XML_CHARS, T } from './helpers/limits';
import { sharedFixtures } from './helpers/paths';

/** A detail object whose deepest element is at `levels` counted the same way. */
function nestedDetail(levels: number): CotElement {
  let element: CotElement = { leaf: 'yes' };
  for (let level = levels; level > 3; level--) element = { a: element };
  return { a: element };
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof CotError) return error.code;
    throw error;
  }
  return 'accepted';
}

function refusal(run: () => unknown): CotError {
  try {
    run();
  } catch (error) {
    if (error instanceof CotError) return error;
    throw error;
  }
  assert.fail('accepted what should be refused');
}

/** The element levels of a parsed event's detail, `<event>` being 1. */
function depthOf(element: unknown, level: number): number {
  if (typeof element !== 'object' || element === null) return level - 1;
  if (Array.isArray(element)) return Math.max(level - 1, ...element.map((e) => depthOf(e, level)));
  return Math.max(level, ...Object.values(element).map((v) => depthOf(v, level + 1)));
}

describe('depth limit: parseCot', () => {
  it('the default is over four times the deepest real capture, and far below the highest setting', (t) => {
    const { files, skip } = sharedFixtures('cot', '.xml');
    if (skip) {
      t.skip(skip);
      return;
    }
    let deepest = 0;
    for (const file of files) {
      let event;
      try {
        event = parseCot(readFileSync(file));
      } catch {
        continue; // captures kept to be refused for other reasons
      }
      if (event.detail !== undefined) deepest = Math.max(deepest, depthOf(event.detail, 2));
      else deepest = Math.max(deepest, 2);
    }
    assert.ok(deepest >= 5, `the captures nest ${deepest} levels; the figure in limits.ts says 7`);
    assert.ok(DEFAULT_MAX_DEPTH >= 4 * deepest, `${DEFAULT_MAX_DEPTH} vs deepest ${deepest}`);
    assert.ok(MAX_DEPTH_LIMIT >= DEFAULT_MAX_DEPTH * 4);
    assert.ok(files.some((f) => path.basename(f) === 'ftt-geofence.xml'));
  });

  it('refuses an event 10,000 levels deep with ERR_COT_TOO_DEEP, as a string and as a Buffer', () => {
    const xml = nestedEvent('deep', 10_000);
    const error = refusal(() => parseCot(xml));
    assert.equal(error.code, 'ERR_COT_TOO_DEEP');
    assert.match(error.message, new RegExp(`more than ${DEFAULT_MAX_DEPTH} levels.*raise maxDepth`));
    assert.equal(
      codeOf(() => parseCot(Buffer.from(xml))),
      'ERR_COT_TOO_DEEP',
    );
    // The shared reader was let go with the throw: the next event reads normally.
    assert.equal(parseCot(nestedEvent('next', 3)).uid, 'next');
  });

  it('accepts exactly the limit and refuses one level more, at the default and at a set maxDepth', () => {
    assert.equal(
      codeOf(() => parseCot(nestedEvent('at', DEFAULT_MAX_DEPTH))),
      'accepted',
    );
    assert.equal(
      codeOf(() => parseCot(nestedEvent('over', DEFAULT_MAX_DEPTH + 1))),
      'ERR_COT_TOO_DEEP',
    );
    for (const maxDepth of [2, 3, 7, 100, MAX_DEPTH_LIMIT]) {
      assert.equal(
        codeOf(() => parseCot(nestedEvent('at', maxDepth), { maxDepth })),
        'accepted',
      );
      assert.equal(
        codeOf(() => parseCot(nestedEvent('over', maxDepth + 1), { maxDepth })),
        'ERR_COT_TOO_DEEP',
        `maxDepth ${maxDepth}`,
      );
    }
    const atLimit = parseCot(nestedEvent('at', DEFAULT_MAX_DEPTH));
    assert.equal(depthOf(atLimit.detail, 2), DEFAULT_MAX_DEPTH, 'the test event is as deep as meant');
  });

  it('counts every element, also outside detail', () => {
    const xml = `<event uid="u" type="a-f-G" ${T}><point lat="1" lon="2"><x><y/></x></point></event>`;
    assert.equal(
      codeOf(() => parseCot(xml, { maxDepth: 3 })),
      'ERR_COT_TOO_DEEP',
    );
    assert.equal(
      codeOf(() => parseCot(xml, { maxDepth: 4 })),
      'accepted',
    );
  });

  it('refuses a maxDepth that is not a whole number of levels within bounds', () => {
    for (const maxDepth of [0, 1, MAX_DEPTH_LIMIT + 1, 2.5, Number.NaN, Infinity]) {
      assert.throws(() => parseCot(nestedEvent('u', 3), { maxDepth }), RangeError, String(maxDepth));
    }
  });
});

describe('depth limit: building', () => {
  const input = (detail: CotElement) => ({ uid: 'b', type: 'a-f-G', lat: 1, lon: 2, detail });

  it('buildCot refuses a detail object one level past the limit and takes one at the limit', () => {
    assert.match(buildCot(input(nestedDetail(DEFAULT_MAX_DEPTH))), /leaf="yes"/);
    const error = refusal(() => buildCot(input(nestedDetail(DEFAULT_MAX_DEPTH + 1))));
    assert.equal(error.code, 'ERR_COT_TOO_DEEP');
    assert.match(error.field ?? '', /^detail\.a\.a/);
    assert.equal(
      codeOf(() => buildCotWithXmlbuilder2(input(nestedDetail(DEFAULT_MAX_DEPTH + 1)))),
      'ERR_COT_TOO_DEEP',
    );
    assert.equal(
      codeOf(() => buildCot(input(nestedDetail(10_000)))),
      'ERR_COT_TOO_DEEP',
    );
  });

  it('what parseCot accepts at the limit builds again to the same model', () => {
    const event = parseCot(nestedEvent('at', DEFAULT_MAX_DEPTH));
    assert.deepEqual(parseCot(buildCot(event)), event);
  });

  it('a detail that refers back to itself is refused with ERR_COT_TOO_DEEP, not a stack overflow', () => {
    const loop: CotElement = { name: 'x' };
    loop.self = loop;
    assert.equal(
      codeOf(() => buildCot(input({ a: loop }))),
      'ERR_COT_TOO_DEEP',
    );
    const inArray: CotElement = {};
    inArray.items = [{ ok: '1' }, inArray];
    assert.equal(
      codeOf(() => buildCot(input({ a: inArray }))),
      'ERR_COT_TOO_DEEP',
    );
  });

  it('legacy TAK JSON deeper than the limit is refused while it is read', () => {
    let detail: Record<string, unknown> = { leaf: { _attributes: { v: '1' } } };
    for (let k = 0; k < 5_000; k++) detail = { a: detail };
    const legacy = {
      event: { _attributes: { uid: 'l', type: 'a-f-G' }, point: { _attributes: { lat: 1, lon: 2 } }, detail },
    };
    assert.equal(
      codeOf(() => legacyTakToCot(legacy)),
      'ERR_COT_TOO_DEEP',
    );
    const shallow = {
      event: { ...legacy.event, detail: { a: { _attributes: { v: '1' } } } },
    };
    assert.deepEqual(legacyTakToCot(shallow).detail, { a: { v: '1' } });
  });
});

describe('bytes that are not XML text: parseCot', () => {
  const prefix = eventWith(Buffer.alloc(0)).indexOf('callsign="') + 'callsign="'.length;

  for (const [what, bytes] of INVALID_UTF8) {
    it(`refuses ${what} in a Buffer with ERR_COT_BAD_UTF8 and its byte offset`, () => {
      const error = refusal(() => parseCot(eventWith(Buffer.from(bytes))));
      assert.equal(error.code, 'ERR_COT_BAD_UTF8');
      assert.equal(error.value, prefix, 'the offset of the bad sequence in the event');
      assert.match(error.message, new RegExp(`at byte ${prefix} of the event`));
    });
  }

  for (const [what, bytes, codePoint] of NOT_XML_CHARS) {
    it(`refuses ${what} with ERR_COT_BAD_CHAR, its code point and offset, as a Buffer and as a string`, () => {
      const event = eventWith(Buffer.from(bytes));
      const error = refusal(() => parseCot(event));
      assert.equal(error.code, 'ERR_COT_BAD_CHAR');
      assert.equal(error.value, codePoint);
      assert.match(
        error.message,
        new RegExp(`U\\+${codePoint.toString(16).toUpperCase().padStart(4, '0')} at byte ${prefix}`),
      );
      assert.equal(
        codeOf(() => parseCot(event.toString('utf8'))),
        'ERR_COT_BAD_CHAR',
      );
    });
  }

  it('refuses a string holding a lone surrogate with ERR_COT_BAD_UTF8', () => {
    for (const lone of ['\uD800', '\uDFFF', 'a\uDC00b', '\uD83D']) {
      const xml = eventWith(Buffer.alloc(0)).toString().replace('callsign=""', `callsign="${lone}"`);
      assert.equal(
        codeOf(() => parseCot(xml)),
        'ERR_COT_BAD_UTF8',
        JSON.stringify(lone),
      );
    }
  });

  it('accepts every character XML can carry: tab, CR, LF, DEL, C1 controls, a real U+FFFD, astral ones', () => {
    const text = 'a\tb\r\nc\u007f\u0085\u00e9\u4e2d\uFFFD\u{1D11E}\u{10FFFF}\uFEFF';
    const xml = eventWith(Buffer.from(text.replace(/[\t\r\n]/g, (c) => `&#${c.charCodeAt(0)};`)));
    const fromBytes = parseCot(xml);
    assert.equal((fromBytes.detail?.contact as CotElement).callsign, text);
    assert.deepEqual(parseCot(xml.toString('utf8')), fromBytes);
    // Raw tab/CR/LF bytes are text too (attribute normalisation makes them spaces).
    assert.equal(
      codeOf(() => parseCot(eventWith(Buffer.from('a\tb\r\nc')))),
      'accepted',
    );
  });

  it('a document that is not well-formed is reported as such even when it also holds bad bytes', () => {
    const broken = Buffer.concat([eventWith(Buffer.from([0x00])).subarray(0, 60), Buffer.from('<<')]);
    assert.equal(
      codeOf(() => parseCot(broken)),
      'ERR_COT_XML',
    );
  });

  it('the offset finder agrees with Node on random bytes (it only runs when Node has said no)', () => {
    const random = seeded(15);
    for (let n = 0; n < 20_000; n++) {
      const length = Math.floor(random() * 12);
      const bytes = new Uint8Array(length);
      for (let k = 0; k < length; k++) {
        // Mostly bytes around the edges of the UTF-8 ranges, where mistakes would hide.
        const pick = random();
        bytes[k] =
          pick < 0.3
            ? 0x41
            : pick < 0.5
              ? 0x80 + Math.floor(random() * 0x40)
              : pick < 0.6
                ? [0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xee, 0xef, 0xf0, 0xf4, 0xf5, 0xff][
                    Math.floor(random() * 12)
                  ]!
                : Math.floor(random() * 256);
      }
      const found = firstInvalidUtf8(bytes);
      assert.equal(found === undefined, isUtf8(bytes), Buffer.from(bytes).toString('hex'));
      if (found !== undefined) assert.ok(isUtf8(bytes.subarray(0, found.offset)), 'valid before it');
    }
  });
});

describe('bytes that are not XML text: what a flow sends', () => {
  it('toWireXml (tak-send, tak-server) refuses a Buffer that is not UTF-8 instead of sending U+FFFD', () => {
    assert.equal(
      codeOf(() => toWireXml(eventWith(Buffer.from([0xc0, 0xaf])))),
      'ERR_COT_BAD_UTF8',
    );
    assert.equal(
      codeOf(() => toWireXml(eventWith(Buffer.from([0x1b])))),
      'ERR_COT_BAD_CHAR',
    );
    assert.equal(
      codeOf(() => toWireXml(eventWith(Buffer.from('Zoë \uFFFD', 'utf8')))),
      'accepted',
    );
  });

  it('TakClient input refuses a string holding a lone surrogate or a control character', () => {
    const xml = (callsign: string) =>
      eventWith(Buffer.alloc(0)).toString().replace('callsign=""', `callsign="${callsign}"`);
    assert.equal(
      codeOf(() => toOutgoing(xml('\uD800'))),
      'ERR_COT_BAD_UTF8',
    );
    assert.equal(
      codeOf(() => toOutgoing(xml('\u0000'))),
      'ERR_COT_BAD_CHAR',
    );
    assert.equal(
      codeOf(() => toOutgoing(nestedEvent('deep', DEFAULT_MAX_DEPTH + 1))),
      'ERR_COT_TOO_DEEP',
    );
    assert.equal(toOutgoing(xml('Zoë')).xml, xml('Zoë'));
  });
});
