/**
 * The README's table of CotError codes and the code agree both ways: every code the table names is one the
 * code can throw, and every code the short-form path can throw (buildCot, tak-send's conversion, cot-build)
 * is in the table.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildCot, CotError, CotErrorCode, type CotInput } from '../src/index';
import { REPO_ROOT } from './helpers/paths';

const SRC = path.join(REPO_ROOT, 'src');
/** Where the short form goes in: the library, tak-send's (and tak-server's) conversion, cot-build. */
const ENTRY_POINTS = ['cot/build.ts', 'nodes/to-xml.ts', 'nodes/cot-build.ts'];

/** The codes in the first column of the table under "### Validation and errors". */
function readmeCodes(): Set<string> {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('### Validation and errors');
  assert.ok(start >= 0, 'the README has a "Validation and errors" section');
  const end = readme.indexOf('\n#', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const codes = new Set<string>();
  for (const line of section.split('\n')) {
    const firstCell = /^\|([^|]*)\|/.exec(line)?.[1] ?? '';
    for (const match of firstCell.matchAll(/`(ERR_[A-Z_]+)`/g)) codes.add(match[1] as string);
  }
  assert.ok(codes.size > 5, `the table lists the codes (found ${[...codes].join(', ')})`);
  return codes;
}

/** Every source file `entry` imports, directly or not, within src. */
function closure(entries: string[]): string[] {
  const seen = new Set<string>();
  const queue = entries.map((entry) => path.join(SRC, entry));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const target = `${path.resolve(path.dirname(file), match[1] as string)}.ts`;
      if (existsSync(target)) queue.push(target);
    }
  }
  return [...seen];
}

const KEY_OF_CODE = new Map(Object.entries(CotErrorCode).map(([key, code]) => [code as string, key]));

/** The codes a file can throw: each `CotErrorCode.KEY` it names. */
function codesNamedIn(files: string[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of files) {
    for (const match of readFileSync(file, 'utf8').matchAll(/CotErrorCode\.([A-Z_]+)/g)) {
      const code = (CotErrorCode as Record<string, string>)[match[1] as string];
      assert.ok(code, `${file} names CotErrorCode.${match[1]}, which does not exist`);
      found.set(code, [...(found.get(code) ?? []), path.relative(REPO_ROOT, file)]);
    }
  }
  return found;
}

describe("the README's error-code table matches what is thrown", () => {
  it('every code in the table is a CotErrorCode that some source file throws', () => {
    const thrown = codesNamedIn(closure(['index.ts']));
    for (const code of readmeCodes()) {
      assert.ok(KEY_OF_CODE.has(code), `${code} in the README is no CotErrorCode`);
      assert.ok(thrown.has(code), `${code} in the README is never thrown`);
    }
  });

  it('every code the short-form entry points can throw is in the table', () => {
    const files = closure(ENTRY_POINTS);
    assert.ok(
      files.some((f) => f.endsWith(path.join('cot', 'normalize.ts'))),
      'the normalizer is followed',
    );
    const table = readmeCodes();
    for (const [code, where] of codesNamedIn(files)) {
      assert.ok(
        table.has(code),
        `${code} (thrown in ${[...new Set(where)].join(', ')}) is not in the README`,
      );
    }
  });

  it('the most specific code wins: a lat or lon that is no number has its own code, as the table says', () => {
    const codeOf = (input: Record<string, unknown>): string => {
      try {
        buildCot(input as unknown as CotInput);
      } catch (error) {
        assert.ok(error instanceof CotError);
        return error.code;
      }
      return 'none';
    };
    assert.equal(codeOf({ lat: 'north', lon: 0 }), CotErrorCode.LAT);
    assert.equal(codeOf({ lat: 0, lon: 'east' }), CotErrorCode.LON);
    assert.equal(codeOf({ point: { lat: 0, lon: [] } }), CotErrorCode.LON);
    assert.equal(codeOf({ lat: 0, lon: 0, ce: 'wide' }), CotErrorCode.POINT_VALUE);
    assert.equal(codeOf({ lat: 0, lon: 0, speed: 'fast' }), CotErrorCode.INPUT);
  });
});
