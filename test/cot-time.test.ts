import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CotError, CotErrorCode } from '../src/index';
import { checkTime, isoFromMs, parseTime } from '../src/cot/time';

describe('parseTime reads what senders write', () => {
  const base = Date.UTC(2026, 0, 31, 12, 34, 56);
  const cases: Array<[string, number]> = [
    ['2026-01-31T12:34:56Z', base],
    ['2026-01-31T12:34:56.7Z', base + 700],
    ['2026-01-31T12:34:56.78Z', base + 780],
    ['2026-01-31T12:34:56.789Z', base + 789],
    ['2026-01-31T12:34:56.789123Z', base + 789],
    ['2026-01-31T12:34:56.789123456Z', base + 789],
    ['2026-01-31T14:34:56+02:00', base],
    ['2026-01-31T07:34:56.5-0500', base + 500],
    ['2026-01-31T12:34:56', base],
  ];
  for (const [text, expected] of cases) {
    it(text, () => assert.equal(parseTime(text), expected));
  }
  for (const bad of [
    'TIME',
    '',
    '2026-13-01T00:00:00Z',
    '2026-01-31 12:34:56Z',
    '2026-01-31T25:00:00Z',
    '2026-01-31T12:34:56.Z',
    '2026-01-31T12:34:56.12aZ',
    '20260131T123456Z',
  ]) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.ok(Number.isNaN(parseTime(bad))));
  }
  it('agrees with Date.parse on random millisecond times', () => {
    for (let k = 0; k < 2000; k++) {
      const ms = Math.floor(Math.random() * 4e12);
      const text = new Date(ms).toISOString();
      assert.equal(parseTime(text), Date.parse(text), text);
    }
  });

  it('agrees with Date.UTC across four-digit years, leap days and roll-overs (fast-check)', () => {
    const pad = (n: number, width: number): string => String(n).padStart(width, '0');
    fc.assert(
      fc.property(
        fc.record({
          // Date.UTC reads years below 100 as 19xx: from 100 on both mean the same year.
          year: fc.integer({ min: 100, max: 9999 }),
          month: fc.integer({ min: 1, max: 12 }),
          day: fc.integer({ min: 1, max: 31 }),
          hour: fc.integer({ min: 0, max: 23 }),
          minute: fc.integer({ min: 0, max: 59 }),
          second: fc.integer({ min: 0, max: 60 }),
          ms: fc.integer({ min: 0, max: 999 }),
        }),
        ({ year, month, day, hour, minute, second, ms }) => {
          const text =
            `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T` +
            `${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(ms, 3)}`;
          const expected = Date.UTC(year, month - 1, day, hour, minute, second, ms);
          assert.equal(parseTime(`${text}Z`), expected, `${text}Z`);
          assert.equal(parseTime(`${text}+00:00`), expected, `${text}+00:00`);
        },
      ),
      { numRuns: 5000 },
    );
    for (const [text, expected] of [
      ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
      ['2100-02-29T00:00:00Z', Date.UTC(2100, 2, 1)],
      ['2024-02-31T00:00:00Z', Date.UTC(2024, 2, 2)],
      ['2016-12-31T23:59:60Z', Date.UTC(2017, 0, 1)],
      ['1969-12-31T23:59:59.999Z', -1],
      // Date.parse reads an ISO year literally, as we do.
      ['0050-06-01T00:00:00Z', Date.parse('0050-06-01T00:00:00Z')],
    ] as const) {
      assert.equal(parseTime(text), expected, text);
    }
  });
});

describe('checkTime accepts exactly what parseTime reads', () => {
  const accepts = (text: string): boolean => {
    try {
      checkTime(text, 'time');
      return true;
    } catch (error) {
      assert.ok(error instanceof CotError && error.code === CotErrorCode.TIME, String(error));
      return false;
    }
  };
  it('on times with a character changed, dropped or added anywhere (fast-check)', () => {
    const alphabet = '0123456789-:TZ.+ a'.split('');
    fc.assert(
      fc.property(
        fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }),
        fc.nat(30),
        fc.constantFrom(...alphabet),
        fc.constantFrom('replace', 'drop', 'add', 'none'),
        fc.constantFrom(0, 1, 3, 6),
        (date, at, c, edit, fraction) => {
          const iso = date.toISOString();
          let text =
            fraction === 3 ? iso : iso.replace(/\.\d+Z$/, fraction === 0 ? 'Z' : `.${'5'.repeat(fraction)}Z`);
          const p = at % (text.length + 1);
          if (edit === 'replace') text = text.slice(0, p) + c + text.slice(p + 1);
          if (edit === 'drop') text = text.slice(0, p) + text.slice(p + 1);
          if (edit === 'add') text = text.slice(0, p) + c + text.slice(p);
          assert.equal(accepts(text), !Number.isNaN(parseTime(text)), text);
        },
      ),
      { numRuns: 5000 },
    );
  });
  it('refuses what is not a string', () => {
    for (const value of [undefined, null, 0, {}]) assert.throws(() => checkTime(value, 'stale'), /stale is/);
  });
});

describe('isoFromMs writes what Date writes', () => {
  it('for every ms from 1970 to 9999, leap days, month and year ends included (fast-check)', () => {
    const edges = fc.constantFrom(
      0,
      86_399_999,
      86_400_000,
      951_782_399_999, // 2000-02-28T23:59:59.999Z
      951_782_400_000, // 2000-02-29
      951_868_800_000, // 2000-03-01
      4_107_542_399_999, // 2100-02-28T23:59:59.999Z (no leap day)
      4_107_542_400_000,
      253_402_300_799_999,
    );
    fc.assert(
      fc.property(fc.oneof(edges, fc.integer({ min: 0, max: 253_402_300_799_999 })), (ms) => {
        assert.equal(isoFromMs(ms), new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it('leaves what it does not write (outside its years, fractions) to Date', () => {
    for (const ms of [-1, -86_400_000, 253_402_300_800_000, 1.5]) {
      assert.equal(isoFromMs(ms), new Date(ms).toISOString());
    }
  });
});
