import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { TEAM_COLORS, TEAM_ROLES, teamName, cssToArgb, argbToCss } from '../src/convert/colors';
import { AFFILIATIONS, DIMENSIONS, FUNCTIONS, cotTypeFrom, describeCotType } from '../src/convert/cot-type';
import { cotTypeToSidc, sidcToCotType } from '../src/convert/sidc';
import { toArgb } from '../src/index';
import { REPO_ROOT } from './helpers/paths';

describe('the type picker mapping', () => {
  it('writes the CoT type from words', () => {
    assert.equal(cotTypeFrom({ affiliation: 'friend', dimension: 'ground', function: 'U-C' }), 'a-f-G-U-C');
    assert.equal(cotTypeFrom({ affiliation: 'hostile', dimension: 'air', function: 'M-F' }), 'a-h-A-M-F');
    assert.equal(cotTypeFrom({ affiliation: 'neutral', dimension: 'sea-surface' }), 'a-n-S');
    assert.equal(cotTypeFrom({ affiliation: 'unknown', dimension: 'subsurface', function: '' }), 'a-u-U');
    assert.equal(
      cotTypeFrom({ affiliation: 'assumed-friend', dimension: 'space', function: 'S' }),
      'a-a-P-S',
    );
  });

  it('refuses a word it does not know, naming it', () => {
    assert.throws(
      () => cotTypeFrom({ affiliation: 'friendly' as never, dimension: 'ground' }),
      /affiliation "friendly" is not one of friend, hostile/,
    );
    assert.throws(
      () => cotTypeFrom({ affiliation: 'friend', dimension: 'land' as never }),
      /dimension "land"/,
    );
    assert.throws(
      () => cotTypeFrom({ affiliation: 'friend', dimension: 'ground', function: 'U C' }),
      /function "U C"/,
    );
  });

  it('reads a type back into words, with the label of a known function', () => {
    assert.deepEqual(describeCotType('a-f-G-U-C'), {
      affiliation: 'friend',
      dimension: 'ground',
      function: 'U-C',
      functionLabel: 'combat unit',
    });
    assert.deepEqual(describeCotType('a-h-A-M-F-Q'), {
      affiliation: 'hostile',
      dimension: 'air',
      function: 'M-F-Q',
      functionLabel: 'drone, fixed wing',
    });
    assert.deepEqual(describeCotType('a-u-G'), { affiliation: 'unknown', dimension: 'ground' });
    assert.deepEqual(describeCotType('a-n-G-Z-Z'), {
      affiliation: 'neutral',
      dimension: 'ground',
      function: 'Z-Z',
    });
    for (const notAtom of ['b-t-f', 'u-d-f', 't-x-c-t', 'a', 'a-q-G', 'a-f-Q']) {
      assert.equal(describeCotType(notAtom), undefined, notAtom);
    }
  });

  it('round-trips every affiliation, dimension and listed function', () => {
    let count = 0;
    for (const affiliation of Object.keys(AFFILIATIONS) as Array<keyof typeof AFFILIATIONS>) {
      for (const dimension of Object.keys(DIMENSIONS) as Array<keyof typeof DIMENSIONS>) {
        for (const fn of [undefined, ...FUNCTIONS[dimension].map((f) => f.code)]) {
          const type = cotTypeFrom({ affiliation, dimension, function: fn });
          const back = describeCotType(type);
          assert.equal(back?.affiliation, affiliation, type);
          assert.equal(back?.dimension, dimension, type);
          assert.equal(back?.function, fn, type);
          count++;
        }
      }
    }
    assert.equal(count, 11 * (7 + 12 + 7 + 5 + 1 + 1));
  });

  it('is the same table the editor dialog offers', () => {
    const html = readFileSync(path.join(REPO_ROOT, 'nodes', 'cot-build.html'), 'utf8');
    const m = /\/\* cot-types:begin \*\/([\s\S]*?);\s*\/\* cot-types:end \*\//.exec(html);
    assert.ok(m, 'the dialog marks its table with cot-types:begin/end');
    const table = new Function(`return ${m[1]}`)() as Record<string, unknown>;
    assert.deepEqual(table, {
      affiliations: AFFILIATIONS,
      dimensions: DIMENSIONS,
      functions: FUNCTIONS,
      teams: Object.keys(TEAM_COLORS),
      roles: TEAM_ROLES,
    });
  });
});

describe('SIDC <-> CoT type', () => {
  it('reads 2525B/C letter codes position by position', () => {
    assert.equal(sidcToCotType('SFGPUCI-----'), 'a-f-G-U-C-I');
    assert.equal(sidcToCotType('SFGPUCI--------'), 'a-f-G-U-C-I');
    assert.equal(sidcToCotType('SHAPMF----'), 'a-h-A-M-F');
    assert.equal(sidcToCotType('sngpevc--------'), 'a-n-G-E-V-C', 'lower case');
    assert.equal(sidcToCotType('SUGP-----------'), 'a-u-G');
    assert.equal(sidcToCotType('SFAPC-------GBR'), 'a-f-A-C');
    assert.equal(sidcToCotType('SDGPUCI-----'), 'a-f-G-U-C-I', 'an exercise friend is a friend');
    assert.equal(sidcToCotType('ENOPA-------'), 'a-n-G', 'emergency management: ground, no function');
    assert.equal(sidcToCotType('GFGPGLB----'), undefined, 'a tactical graphic is not a unit');
    assert.equal(sidcToCotType('SQGP'), undefined, 'unknown identity');
  });

  it('reads the affiliation and dimension of 2525D numeric codes', () => {
    assert.equal(sidcToCotType('10031000001211000000'), 'a-f-G-U');
    assert.equal(sidcToCotType('10060100001101000000'), 'a-h-A');
    assert.equal(sidcToCotType('10043000001201000000'), 'a-n-S');
    assert.equal(sidcToCotType('10011500001201000000'), 'a-u-G-E');
    assert.equal(sidcToCotType('1003100000'), undefined, 'too short');
  });

  it('writes the 15-character letter code for an atom', () => {
    assert.equal(cotTypeToSidc('a-f-G-U-C-I'), 'SFGPUCI--------');
    assert.equal(cotTypeToSidc('a-h-A-M-F-Q'), 'SHAPMFQ--------');
    assert.equal(cotTypeToSidc('a-u-G'), 'SUGP-----------');
    assert.equal(cotTypeToSidc('a-x-S'), 'SUSP-----------', 'CoT other has no 2525 twin');
    assert.equal(cotTypeToSidc('b-m-p-s-m'), undefined);
    assert.equal(cotTypeToSidc('a-f-G-UC'), undefined, 'function parts are single letters');
    for (const type of ['a-f-G-U-C', 'a-h-A-M-F', 'a-n-S-X-M', 'a-u-U-S', 'a-f-P-S']) {
      assert.equal(sidcToCotType(cotTypeToSidc(type) as string), type);
    }
  });
});

describe('colours', () => {
  it('knows the fourteen TAK teams, in any spelling', () => {
    assert.equal(Object.keys(TEAM_COLORS).length, 14);
    assert.equal(teamName('dark blue'), 'Dark Blue');
    assert.equal(teamName('DarkGreen'), 'Dark Green');
    assert.equal(teamName('CYAN'), 'Cyan');
    assert.equal(teamName('navy'), undefined);
  });

  it('turns CSS colours into the ARGB integers ATAK writes, and back', () => {
    assert.equal(cssToArgb('#ff0000'), -65536, 'ATAK red');
    assert.equal(cssToArgb('red'), -65536);
    assert.equal(cssToArgb('#fff'), -1);
    assert.equal(cssToArgb('#ffffff', 0.59), -1761607681, 'the ATAK default fill');
    assert.equal(cssToArgb('#00ff0080'), 0x8000ff00 | 0);
    assert.equal(cssToArgb('rebeccapurple'), undefined);
    assert.equal(cssToArgb('#12345'), undefined);
    assert.deepEqual(argbToCss(-48571), { color: '#ff4245', opacity: 1 });
    assert.deepEqual(argbToCss(-1761607681), { color: '#ffffff', opacity: 0.59 });
    assert.deepEqual(argbToCss(0), { color: '#000000', opacity: 0 });
    assert.equal(cssToArgb('#a0714f'), toArgb('#a0714f'), 'agrees with the core');
  });
});
