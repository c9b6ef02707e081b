import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTime } from '../src/cot/time';

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
});
