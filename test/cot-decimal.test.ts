import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseDecimal } from '../src/cot/decimal';

/** Object.is tells -0 from 0 and NaN from NaN, as a coordinate reader must. */
function same(text: string): void {
  assert.ok(
    Object.is(parseDecimal(text), Number(text)),
    `${JSON.stringify(text)}: ${parseDecimal(text)} vs ${Number(text)}`,
  );
}

describe('parseDecimal reads exactly what Number reads', () => {
  it('on the forms senders write, and the odd ones', () => {
    for (const text of [
      '51.5072178',
      '-0.1275862',
      '9999999.0',
      '999999',
      '0',
      '-0',
      '-0.0',
      '0.000',
      '1.',
      '.5',
      '-.5',
      '.',
      '-',
      '',
      ' 1',
      '1 ',
      '+1',
      '1e5',
      '1E-5',
      'NaN',
      'Infinity',
      '-Infinity',
      '0x10',
      '1.2.3',
      '--1',
      '00012',
      '1,5',
      '123456789012345',
      '1234567890123456',
      '0.1234567890123456789',
      '-179.99999999999',
      '89.999999999999999',
    ]) {
      same(text);
    }
  });
  it('on coordinates and metres at every precision (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e9, max: 1e9, noNaN: true }),
        fc.integer({ min: 0, max: 20 }),
        (value, places) => {
          same(value.toFixed(places));
          same(String(value));
          same(value.toPrecision(Math.max(1, Math.min(21, places + 1))));
        },
      ),
      { numRuns: 20000 },
    );
  });
  it('on any short string of digits, points, minus signs and the odd letter (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'0123456789.-+e x'.split('')), maxLength: 24 }),
        (text) => {
          same(text);
        },
      ),
      { numRuns: 20000 },
    );
  });
});
