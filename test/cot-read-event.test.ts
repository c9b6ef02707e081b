import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CotError, type CotEvent } from '../src/index';
import { readCotEvent, toCotEvent } from '../src/cot/build';
import type { EventTimes } from '../src/cot/time';

const NOW = Date.UTC(2026, 0, 31, 12);
const fresh = (): EventTimes => ({ time: -1, start: -1, stale: -1 });

/** Canonical models, complete or not: each field sometimes missing, empty, of another type or broken. */
const maybe = <T>(good: fc.Arbitrary<T>, ...others: unknown[]) =>
  fc.oneof({ weight: 6, arbitrary: good }, fc.constantFrom(undefined, '', ...others));
const iso = fc.integer({ min: 0, max: 4102444800000 }).map((ms) => new Date(ms).toISOString());
const model = fc
  .record({
    version: maybe(fc.constant('2.0'), '3.0', 2),
    uid: maybe(fc.string({ minLength: 1, maxLength: 8 }), 7, 'a\u0000b'),
    type: maybe(fc.constantFrom('a-f-G-U-C', 'b-t-f', 'a-h-A;q'), 'not a type', 5),
    how: maybe(fc.constantFrom('m-g', 'h-e'), 'h e'),
    time: maybe(iso, 'yesterday', NOW),
    start: maybe(iso, '2026-13-01T00:00:00Z'),
    stale: maybe(iso, 300, 'soon'),
    access: fc.constantFrom(undefined, 'Undefined', '', 3),
    lat: maybe(fc.double({ min: -90, max: 90, noNaN: true }), '45.5', 91, NaN),
    lon: maybe(fc.double({ min: -180, max: 180, noNaN: true }), '7', -181),
    hae: maybe(fc.double({ min: -100, max: 1e4, noNaN: true }), '12', Infinity),
    ce: maybe(fc.constant(9999999), null),
    le: maybe(fc.constant(5)),
    detail: fc.constantFrom(undefined, null, {}, { remarks: { _text: 'r' } }, 'text', [1]),
  })
  .map(({ lat, lon, hae, ce, le, ...head }) => {
    const input: Record<string, unknown> = { point: { lat, lon, hae, ce, le } };
    for (const [key, value] of Object.entries(head)) if (value !== undefined) input[key] = value;
    return input as unknown as CotEvent;
  });

function outcome(fn: () => CotEvent): { event?: CotEvent; code?: string; field?: string } {
  try {
    return { event: structuredClone(fn()) };
  } catch (error) {
    assert.ok(error instanceof CotError, String(error));
    return { code: error.code, field: error.field };
  }
}

describe('readCotEvent: a complete canonical model used where it is', () => {
  it('gives what toCotEvent gives, the same times, or the same refusal (fast-check)', () => {
    fc.assert(
      fc.property(model, (input) => {
        const [timesRead, timesMade] = [fresh(), fresh()];
        const read = outcome(() => readCotEvent(input, NOW, timesRead));
        const made = outcome(() => toCotEvent(input, NOW, timesMade));
        // Without a uid each makes a random one.
        if (read.event !== undefined && made.event !== undefined && (input.uid ?? '') === '') {
          assert.match(read.event.uid, /^[0-9a-f-]{36}$/);
          read.event.uid = made.event.uid;
        }
        assert.deepEqual(read, made);
        if (read.event !== undefined) assert.deepEqual(timesRead, timesMade);
      }),
      { numRuns: 3000 },
    );
  });

  it('hands back the input itself only when nothing would change', () => {
    const complete: CotEvent = {
      version: '2.0',
      uid: 'u',
      type: 'a-f-G',
      how: 'm-g',
      time: '2026-01-31T12:00:00Z',
      start: '2026-01-31T12:00:00Z',
      stale: '2026-01-31T12:05:00Z',
      point: { lat: 1, lon: 2, hae: 3, ce: 4, le: 5 },
    };
    assert.equal(readCotEvent(complete, NOW, fresh()), complete);
    const stringLat = { ...complete, point: { ...complete.point, lat: '1' as unknown as number } };
    assert.notEqual(readCotEvent(stringLat, NOW, fresh()), stringLat);
  });
});
