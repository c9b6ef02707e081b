import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { toOutgoing } from '../src/client/outgoing';
import { buildCot, parseCot } from '../src/index';
import { quickCheckEvent, QUICK_MAX_DEPTH } from '../src/cot/quick-check';
import { toWireXml } from '../src/nodes/to-xml';
import { int, loadCorpus, seeded, type Random } from './fuzz/generators';
import { sharedFixtures } from './helpers/paths';

const T = 'time="2026-01-31T12:00:00Z" start="2026-01-31T12:00:00Z" stale="2026-01-31T12:05:00Z"';
const GOOD = `<event version="2.0" uid="u-1" type="a-f-G-U-C" how="m-g" ${T}><point lat="51.5" lon="-0.12" hae="10" ce="9999999" le="9999999"/><detail><contact callsign="A &amp; B"/><remarks>hi &lt;there&gt;</remarks></detail></event>`;

/** What the full path makes of a string: the facts the send queue needs, or the error's code. */
function slow(text: string): { uid: string; type: string; xml: string } | { code: string } {
  try {
    const event = parseCot(text);
    return { uid: event.uid, type: event.type, xml: text };
  } catch (error) {
    return { code: String((error as { code?: unknown }).code) };
  }
}

/** The soundness rule: a yes from the quick check is a yes from parseCot, with the same facts. */
function agrees(text: string): boolean {
  const quick = quickCheckEvent(text);
  if (quick === undefined) return false;
  const full = slow(text);
  assert.ok('uid' in full, `quick said yes, parseCot said ${JSON.stringify(full)}: ${JSON.stringify(text)}`);
  assert.equal(quick.uid, full.uid, text);
  assert.equal(quick.type, full.type, text);
  return true;
}

/** XML-significant pieces a mutation puts in. */
const PIECES = [
  '<',
  '>',
  '/',
  '"',
  "'",
  '&',
  ';',
  '=',
  ' ',
  '\t',
  '\n',
  ']]>',
  '<!--',
  '-->',
  'amp;',
  '&#60;',
  '<a>',
  '</a>',
  '<point lat="1" lon="2"/>',
  '<event>',
  '</event>',
  'x',
  '\u0000',
  '\u00e9',
  '\ud83d',
  '9',
  '-',
  ':',
];

function mutate(random: Random, text: string): string {
  let out = text;
  const count = 1 + int(random, 3);
  for (let m = 0; m < count; m++) {
    const at = int(random, out.length + 1);
    const roll = random();
    if (roll < 0.4) out = out.slice(0, at) + (PIECES[int(random, PIECES.length)] as string) + out.slice(at);
    else if (roll < 0.7) out = out.slice(0, at) + out.slice(at + 1 + int(random, 4));
    else out = out.slice(0, at) + (PIECES[int(random, PIECES.length)] as string) + out.slice(at + 1);
  }
  return out;
}

describe('quickCheckEvent: a conservative proof for the send path', () => {
  it('says yes to a plain event, with its uid and type', () => {
    assert.deepEqual(quickCheckEvent(GOOD), { uid: 'u-1', type: 'a-f-G-U-C' });
    assert.ok(agrees(GOOD));
  });

  it('says "not sure" to everything it does not prove, and parseCot decides', () => {
    const withDetail = (inner: string): string => GOOD.replace('<remarks>', `${inner}<remarks>`);
    const cases: Record<string, string> = {
      comment: withDetail('<!-- c -->'),
      cdata: withDetail('<x><![CDATA[a]]></x>'),
      doctype: `<!DOCTYPE e>${GOOD}`,
      declaration: `<?xml version="1.0"?>${GOOD}`,
      pi: withDetail('<?pi x?>'),
      'two lines': GOOD.replace('<detail>', '\n<detail>'),
      'duplicate attribute': GOOD.replace('uid="u-1"', 'uid="u-1" uid="u-2"'),
      'mismatched close': withDetail('<a></b>'),
      'unknown entity': withDetail('<a>&nbsp;</a>'),
      'numeric reference': withDetail('<a>&#65;</a>'),
      'bare ampersand': withDetail('<a>a & b</a>'),
      'cdata end in text': withDetail('<a>]]></a>'),
      nul: withDetail('<a>\u0000</a>'),
      escape: withDetail('<a>\u001b</a>'),
      surrogate: withDetail('<a>\ud83d\ude00</a>'),
      marti: withDetail('<marti><dest callsign="B"/></marti>'),
      delete: GOOD.replace('type="a-f-G-U-C"', 'type="t-x-d-d"'),
      'nested event': withDetail(`<a>${GOOD}</a>`),
      'two points': GOOD.replace('<detail>', '<point lat="1" lon="2"/><detail>'),
      'no point': GOOD.replace(/<point[^>]*\/>/, ''),
      'missing how': GOOD.replace(' how="m-g"', ''),
      'missing version': GOOD.replace('version="2.0" ', ''),
      'escaped uid': GOOD.replace('uid="u-1"', 'uid="a&amp;b"'),
      'hex lat': GOOD.replace('lat="51.5"', 'lat="0x10"'),
      'exponent lat': GOOD.replace('lat="51.5"', 'lat="5e1"'),
      'lat out of range': GOOD.replace('lat="51.5"', 'lat="91"'),
      'bad time': GOOD.replace('stale="2026-01-31T12:05:00Z"', 'stale="soon"'),
      'qualified type': GOOD.replace('type="a-f-G-U-C"', 'type="a-f-G;x"'),
      'garbage after': `${GOOD}x`,
      'second event after': `${GOOD}${GOOD}`,
      'self-closing root': `<event version="2.0" uid="u" type="a-f-G" how="m-g" ${T}/>`,
      'unknown event attribute': GOOD.replace('uid="u-1"', 'uid="u-1" extra="1"'),
      'no space between attributes': GOOD.replace('uid="u-1" type', 'uid="u-1"type'),
      'lt in attribute': GOOD.replace('callsign="A &amp; B"', 'callsign="a<b"'),
      'non-ASCII element name': withDetail('<caf\u00e9/>'),
      'too deep': withDetail(`${'<a>'.repeat(QUICK_MAX_DEPTH)}${'</a>'.repeat(QUICK_MAX_DEPTH)}`),
    };
    for (const [name, text] of Object.entries(cases)) {
      assert.equal(quickCheckEvent(text), undefined, name);
    }
    // Those parseCot accepts still go through the send path, by the full parse.
    assert.equal(toOutgoing(cases.comment as string).uid, 'u-1');
    assert.equal(toWireXml(cases.marti as string), cases.marti);
  });

  it('never says yes where parseCot says no: 30,000 mutations of real and built events', () => {
    const random = seeded(20261207);
    const sources = loadCorpus()
      .map((bytes) => {
        try {
          return buildCot(parseCot(bytes)); // our writer's one-line form of each
        } catch {
          return undefined;
        }
      })
      .filter((text): text is string => text !== undefined);
    sources.push(GOOD);
    let yes = 0;
    for (let n = 0; n < 30_000; n++) {
      if (agrees(mutate(random, sources[int(random, sources.length)] as string))) yes += 1;
    }
    // The mutations must leave plenty of yeses, or this test proves nothing.
    assert.ok(yes > 1_000, `only ${yes} mutated events were proven good`);
  });

  const shared = sharedFixtures('cot', '.xml');
  it(
    'agrees with parseCot on every shared capture, as captured and as we write it',
    { skip: shared.skip },
    () => {
      let proven = 0;
      for (const file of shared.files) {
        const text = fs.readFileSync(file, 'utf8').trim();
        agrees(text);
        try {
          if (agrees(buildCot(parseCot(text)))) proven += 1;
        } catch {
          // refused by parseCot: deliberately broken captures
        }
      }
      assert.ok(proven >= shared.files.length / 3, `proven ${proven} of ${shared.files.length}`);
    },
  );

  it('the send path writes a proven string exactly as given, as the full parse would', () => {
    const out = toOutgoing(`  ${GOOD}\n`);
    assert.equal(out.xml, GOOD);
    assert.equal(out.uid, 'u-1');
    assert.equal(out.dest, '');
    assert.equal(out.deletes, undefined);
    assert.equal(toWireXml(GOOD), GOOD);
  });
});
