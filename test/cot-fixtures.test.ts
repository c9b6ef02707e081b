import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildCot, buildCotWithXmlbuilder2, CotError, CotErrorCode, parseCot } from '../src/index';
import { sharedFixtures } from './helpers/paths';

/**
 * Files the corpus marks as negative or non-conforming, with the rejection we chose for each.
 * Everything else must parse and round-trip.
 */
const DELIBERATELY_REJECTED: Record<string, string> = {
  'nodecot-broken-missing-type.xml': CotErrorCode.MISSING_TYPE,
  'not-cot.xml': CotErrorCode.NOT_EVENT,
  'takp-q-protocol-request.xml': CotErrorCode.TIME, // time="TIME": a spec placeholder, not a time
  'takp-v-protocol-support.xml': CotErrorCode.TIME,
};

const { files, skip } = sharedFixtures('cot', '.xml');

describe('real CoT captures from ../shared/fixtures/cot', { skip }, () => {
  it('the corpus is there and not empty', () => assert.ok(files.length >= 70, `${files.length} files`));

  for (const file of files) {
    const name = path.basename(file);
    const rejection = DELIBERATELY_REJECTED[name];
    if (rejection) {
      it(`${name} is rejected with ${rejection}`, () => {
        assert.throws(
          () => parseCot(readFileSync(file)),
          (error: unknown) => error instanceof CotError && error.code === rejection,
        );
      });
      continue;
    }
    it(`${name} parses and survives parse(build(parse(f)))`, () => {
      const parsed = parseCot(readFileSync(file));
      const xml = buildCot(parsed);
      assert.deepEqual(parseCot(xml), parsed);
      assert.equal(buildCotWithXmlbuilder2(parsed), xml, 'the lean writer matches xmlbuilder2 byte for byte');
      assert.ok(!/[\r\n]/.test(xml), 'single line');
    });
  }
});
