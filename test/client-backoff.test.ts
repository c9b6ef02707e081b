import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Backoff } from '../src/client/backoff';
import {
  DEFAULT_RECONNECT_INITIAL_MS,
  DEFAULT_RECONNECT_JITTER,
  DEFAULT_RECONNECT_MAX_MS,
} from '../src/client/defaults';

/** A seeded generator (mulberry32): random-looking, the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('Backoff', () => {
  it('doubles from initialMs and stops at maxMs (random 0.5 = no spread)', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1_000, jitter: 0.2, random: () => 0.5 });
    const delays = Array.from({ length: 7 }, () => backoff.next());
    assert.deepEqual(delays, [100, 200, 400, 800, 1_000, 1_000, 1_000]);
    assert.equal(backoff.attempts, 7);
  });

  it('spreads each delay by +/-jitter around its base', () => {
    const low = new Backoff({ initialMs: 1_000, maxMs: 8_000, jitter: 0.2, random: () => 0 });
    const high = new Backoff({ initialMs: 1_000, maxMs: 8_000, jitter: 0.2, random: () => 0.999999 });
    assert.deepEqual([low.next(), low.next(), low.next()], [800, 1_600, 3_200]);
    assert.deepEqual([high.next(), high.next(), high.next()], [1_200, 2_400, 4_800]);
  });

  it('stays inside the jitter band for any random value, and two seeds differ', () => {
    const bases = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000];
    const runs = [seeded(1), seeded(2)].map((random) => {
      const backoff = new Backoff({ random });
      return bases.map((base) => {
        const delay = backoff.next();
        const top = Math.min(DEFAULT_RECONNECT_MAX_MS, base * 1.2);
        assert.ok(delay >= base * 0.8 && delay <= top, `${delay} outside ${base} -20 % .. ${top}`);
        return delay;
      });
    });
    assert.notDeepEqual(runs[0], runs[1]);
  });

  it('never hands out a delay above the cap, whatever the random source gives (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 120_000 }),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
          minLength: 1,
          maxLength: 40,
        }),
        (initialMs, extraMs, jitter, draws) => {
          const maxMs = initialMs + extraMs;
          let i = 0;
          const backoff = new Backoff({
            initialMs,
            maxMs,
            jitter,
            random: () => draws[i++ % draws.length] as number,
          });
          for (let n = 0; n < draws.length + 20; n++) {
            const delay = backoff.next();
            assert.ok(delay >= 0 && delay <= maxMs, `delay ${delay} outside 0..${maxMs}`);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('at the cap, the highest random value gives the cap itself (the default 60 s, never 72 s)', () => {
    const backoff = new Backoff({ random: () => 0.999999 });
    let last = 0;
    for (let n = 0; n < 12; n++) last = backoff.next();
    assert.equal(last, DEFAULT_RECONNECT_MAX_MS);
  });

  it('reset() starts again from initialMs', () => {
    const backoff = new Backoff({ initialMs: 50, maxMs: 400, jitter: 0 });
    for (let i = 0; i < 5; i++) backoff.next();
    backoff.reset();
    assert.equal(backoff.attempts, 0);
    assert.equal(backoff.next(), 50);
  });

  it('stays finite and capped however long the outage', () => {
    const backoff = new Backoff({ initialMs: 1_000, maxMs: 60_000, jitter: 0 });
    let last = 0;
    for (let i = 0; i < 5_000; i++) last = backoff.next();
    assert.equal(last, 60_000);
  });

  it('defaults to ~1 s doubling to ~60 s with 20 % jitter', () => {
    assert.equal(DEFAULT_RECONNECT_INITIAL_MS, 1_000);
    assert.equal(DEFAULT_RECONNECT_MAX_MS, 60_000);
    assert.equal(DEFAULT_RECONNECT_JITTER, 0.2);
    const backoff = new Backoff({ random: () => 0.5 });
    assert.equal(backoff.next(), 1_000);
  });

  it('refuses nonsense settings', () => {
    assert.throws(() => new Backoff({ initialMs: -1 }), RangeError);
    assert.throws(() => new Backoff({ initialMs: 100, maxMs: 50 }), RangeError);
    assert.throws(() => new Backoff({ jitter: 1 }), RangeError);
    assert.throws(() => new Backoff({ jitter: Number.NaN }), RangeError);
  });
});
