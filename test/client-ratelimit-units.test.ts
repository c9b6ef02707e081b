import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCoalescableType, normalizeTypePrefix, typeHasPrefix } from '../src/client/coalesce';
import { TakClientError } from '../src/client/errors';
import { resolveOptions } from '../src/client/options';
import { toOutgoing } from '../src/client/outgoing';
import { TokenBucket } from '../src/client/rate-limiter';
import { TakClient } from '../src/client/tak-client';
import {
  buildCot,
  chatEvent,
  DEFAULT_BURST_EVENTS,
  DEFAULT_MAX_SEND_QUEUE_BYTES,
  deleteEvent,
  MAX_SEND_EVENT_BYTES,
  NEVER_COALESCE_TYPES,
} from '../src/index';
import { ManualClock } from './helpers/client-clock';

describe('TokenBucket', () => {
  it('starts full: the burst goes at once, then one token per 1/rate seconds', () => {
    const bucket = new TokenBucket(10, 3, 0);
    assert.equal(bucket.tryTake(0), true);
    assert.equal(bucket.tryTake(0), true);
    assert.equal(bucket.tryTake(0), true);
    assert.equal(bucket.tryTake(0), false);
    assert.equal(bucket.msUntilNext(0), 100);
    assert.equal(bucket.msUntilNext(40), 60);
    assert.equal(bucket.tryTake(99), false);
    assert.equal(bucket.tryTake(100), true);
    assert.equal(bucket.tokens(10_000), 3, 'never more than the burst');
  });

  it('takes fractional rates, and float refills land on whole tokens', () => {
    const slow = new TokenBucket(0.5, 1, 0);
    assert.equal(slow.tryTake(0), true);
    assert.equal(slow.msUntilNext(0), 2_000);
    assert.equal(slow.tryTake(1_999), false);
    assert.equal(slow.tryTake(2_000), true);
    const odd = new TokenBucket(3, 1, 0);
    odd.tryTake(0);
    let now = 0;
    for (let n = 0; n < 300; n++) {
      now += odd.msUntilNext(now);
      assert.equal(odd.tryTake(now), true, `token ${n} at ${now}`);
    }
    assert.ok(now <= 100_000 + 300, `300 tokens at 3/s took ${now} ms`);
  });

  it('never lets more than burst + rate * T through in any span T (random arrivals)', () => {
    const rate = 7;
    const burst = 4;
    const bucket = new TokenBucket(rate, burst, 0);
    const passed: number[] = [];
    let now = 0;
    let seed = 1;
    for (let n = 0; n < 20_000; n++) {
      seed = (seed * 48_271) % 2_147_483_647;
      now += seed % 60;
      if (bucket.tryTake(now)) passed.push(now);
    }
    for (const span of [1, 100, 1_000, 5_000]) {
      let start = 0;
      for (let end = 0; end < passed.length; end++) {
        while ((passed[end] as number) - (passed[start] as number) >= span) start += 1;
        assert.ok(
          end - start + 1 <= burst + (rate * span) / 1_000 + 1e-9,
          `${end - start + 1} in ${span} ms`,
        );
      }
    }
    assert.ok(passed.length > (rate * now) / 1_000 - 1, 'and it does let the rate through');
  });

  it('refuses a rate or burst that is not positive', () => {
    assert.throws(() => new TokenBucket(0, 1, 0), RangeError);
    assert.throws(() => new TokenBucket(1, 0, 0), RangeError);
    assert.throws(() => new TokenBucket(1, 1.5, 0), RangeError);
  });
});

describe('which events may be coalesced', () => {
  it('never chats, deletes, control, alerts or file transfers', () => {
    for (const type of [
      'b-t-f',
      'b-t-f-d',
      'b-t-f-r',
      't-x-d-d',
      't-x-c-t',
      't-x-c',
      't-x-takp-v',
      'b-a-o-tbl',
      'b-a-o-can',
      'b-a-g',
      'b-f-t-r',
      'b-f-t-a',
    ]) {
      assert.equal(isCoalescableType(type), false, type);
    }
    for (const type of ['a-f-G-U-C', 'a-h-A', 'b-m-p-s-p-i', 'u-d-r', 't-x-X', 'b-ax', 'b-t-fx']) {
      assert.equal(isCoalescableType(type), true, type);
    }
  });

  it('nor types under the extra prefixes, matched by whole segments', () => {
    const extra = ['b-m-p-s', 'u-d-f'].map(normalizeTypePrefix);
    assert.equal(isCoalescableType('b-m-p-s-p-i', extra), false);
    assert.equal(isCoalescableType('b-m-p-s', extra), false);
    assert.equal(isCoalescableType('b-m-p-w', extra), true);
    assert.equal(isCoalescableType('u-d-fx', extra), true);
    assert.equal(normalizeTypePrefix(' b-m-p- '), 'b-m-p');
    assert.equal(typeHasPrefix('a-f-G', 'a-f'), true);
    assert.equal(typeHasPrefix('a-fG', 'a-f'), false);
    assert.ok(NEVER_COALESCE_TYPES.includes('b-t-f'));
    assert.ok(Object.isFrozen(NEVER_COALESCE_TYPES));
  });

  it('send() reads the recipients and the uids a delete removes, from a model or from XML', () => {
    const direct = chatEvent({ senderUid: 's', senderCallsign: 'S', text: 'hi', toCallsign: 'BOB' });
    const fromModel = toOutgoing(direct);
    const fromXml = toOutgoing(buildCot(direct));
    assert.equal(fromModel.dest, fromXml.dest);
    assert.match(fromModel.dest ?? '', /BOB/);
    assert.equal(toOutgoing({ uid: 'u', type: 'a-f-G', lat: 1, lon: 2 }).dest, '');
    const a = toOutgoing({
      uid: 'u',
      type: 'a-f-G',
      lat: 1,
      lon: 2,
      detail: { marti: { dest: [{ callsign: 'B' }, { callsign: 'A' }] } },
    });
    const b = toOutgoing({
      uid: 'u',
      type: 'a-f-G',
      lat: 1,
      lon: 2,
      detail: { marti: { dest: [{ callsign: 'A' }, { callsign: 'B' }] } },
    });
    assert.equal(a.dest, b.dest, 'the same recipients in any order');
    assert.deepEqual(toOutgoing(deleteEvent({ uid: 'gone' })).deletes, ['gone']);
    assert.deepEqual(toOutgoing(buildCot(deleteEvent({ uid: 'gone' }))).deletes, ['gone']);
    assert.equal(toOutgoing({ uid: 'u', type: 'a-f-G', lat: 1, lon: 2 }).deletes, undefined);
  });
});

describe('rate limit options', () => {
  it('defaults: no limit, a burst of 10, no interval, 16 MiB, latest wins', () => {
    const o = resolveOptions({ host: 'h', port: 8087 });
    assert.equal(o.maxEventsPerSecond, 0);
    assert.equal(o.burstEvents, DEFAULT_BURST_EVENTS);
    assert.equal(o.minIntervalPerUidMs, 0);
    assert.equal(o.maxQueueBytes, DEFAULT_MAX_SEND_QUEUE_BYTES);
    assert.ok(DEFAULT_MAX_SEND_QUEUE_BYTES >= MAX_SEND_EVENT_BYTES, 'the largest event fits');
    assert.equal(o.coalesce, true);
    assert.deepEqual(o.neverCoalesceTypes, []);
    assert.equal(typeof o.clock.now(), 'number');
  });

  it('normalizes the extra prefixes', () => {
    assert.deepEqual(
      resolveOptions({ host: 'h', port: 1, neverCoalesceTypes: ['b-m-p-', 'b-m-p', 'u-d'] })
        .neverCoalesceTypes,
      ['b-m-p', 'u-d'],
    );
  });

  const bad: Array<[string, object]> = [
    ['maxEventsPerSecond', { maxEventsPerSecond: -1 }],
    ['maxEventsPerSecond', { maxEventsPerSecond: Number.NaN }],
    ['maxEventsPerSecond', { maxEventsPerSecond: '10' }],
    ['burstEvents', { burstEvents: 0 }],
    ['burstEvents', { burstEvents: 2.5 }],
    ['minIntervalPerUidMs', { minIntervalPerUidMs: -5 }],
    ['maxQueueBytes', { maxQueueBytes: 100 }],
    ['coalesce', { coalesce: 'yes' }],
    ['neverCoalesceTypes', { neverCoalesceTypes: 'b-t-f' }],
    ['neverCoalesceTypes', { neverCoalesceTypes: ['-'] }],
    ['clock', { clock: { now: () => 0 } }],
  ];
  for (const [field, options] of bad) {
    it(`refuses a bad ${field} (${JSON.stringify(options)}) with ERR_CLIENT_OPTIONS`, () => {
      assert.throws(
        () => new TakClient({ host: 'h', port: 1, ...options } as never),
        (e: unknown) => e instanceof TakClientError && e.code === 'ERR_CLIENT_OPTIONS' && e.field === field,
      );
    });
  }

  it('refuses a coalesce on send() that is not a boolean', () => {
    const client = new TakClient({ host: 'h', port: 1 });
    assert.throws(() => client.send({ uid: 'u', type: 'a-f-G', lat: 1, lon: 2 }, { coalesce: 1 as never }), {
      code: 'ERR_CLIENT_OPTIONS',
    });
  });

  it('without a connection, waiting updates coalesce and the counters add up', () => {
    const clock = new ManualClock();
    const client = new TakClient({ host: 'h', port: 1, clock, maxEventsPerSecond: 5 });
    for (let n = 0; n < 100; n++) client.send({ uid: `u${n % 4}`, type: 'a-f-G', lat: 1, lon: n / 1_000 });
    assert.equal(client.queueLength, 4);
    assert.ok(client.queueBytes > 0);
    const c = client.counters;
    assert.equal(c.offered, 100);
    assert.equal(c.coalesced, 96);
    assert.equal(client.throttling, false, 'waiting for a connection is not throttling');
    assert.equal(clock.pending, 0, 'no pacing timer without a connection');
  });
});
