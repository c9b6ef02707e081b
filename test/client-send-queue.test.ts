import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Fifo } from '../src/client/fifo';
import { SendQueue, type OutgoingEvent, type QueueEntry } from '../src/client/send-queue';

const ev = (n: number): OutgoingEvent => ({ xml: `<event uid="e${n}"/>`, uid: `e${n}`, type: 'a-f-G' });
const uids = (entries: QueueEntry[]): string[] => entries.map((e) => e.uid);

function takeAll(queue: SendQueue): QueueEntry[] {
  const out: QueueEntry[] = [];
  for (let entry = queue.take(); entry; entry = queue.take()) out.push(entry);
  return out;
}

describe('SendQueue', () => {
  it('hands events out first in, first out, numbering them as taken', () => {
    const queue = new SendQueue({ maxEvents: 10 });
    for (let n = 0; n < 5; n++) assert.deepEqual(queue.push(ev(n)).dropped, []);
    assert.equal(queue.length, 5);
    const taken = takeAll(queue);
    assert.deepEqual(uids(taken), ['e0', 'e1', 'e2', 'e3', 'e4']);
    assert.deepEqual(
      taken.map((e) => e.seq),
      [1, 2, 3, 4, 5],
    );
    assert.equal(queue.length, 0);
    assert.equal(queue.heldLength, 5);
    assert.equal(queue.lastSeq, 5);
  });

  it('full: drops the oldest waiting event and returns it', () => {
    const queue = new SendQueue({ maxEvents: 3 });
    for (let n = 0; n < 3; n++) queue.push(ev(n));
    assert.deepEqual(uids(queue.push(ev(3)).dropped), ['e0']);
    assert.deepEqual(uids(queue.push(ev(4)).dropped), ['e1']);
    assert.deepEqual(uids(queue.waitingEntries()), ['e2', 'e3', 'e4']);
  });

  it('full: forgets the oldest held (already written) event before dropping a waiting one', () => {
    const queue = new SendQueue({ maxEvents: 3 });
    queue.push(ev(0));
    queue.push(ev(1));
    queue.take();
    queue.take();
    queue.push(ev(2));
    assert.deepEqual(queue.push(ev(3)).dropped, [], 'room made from held e0');
    assert.equal(queue.heldLength, 1);
    assert.deepEqual(queue.push(ev(4)).dropped, [], 'room made from held e1');
    assert.equal(queue.heldLength, 0);
    assert.deepEqual(uids(queue.push(ev(5)).dropped), ['e2'], 'only now a waiting one goes');
  });

  it('never holds more than maxEvents, whatever the mix', () => {
    const queue = new SendQueue({ maxEvents: 7 });
    let dropped = 0;
    for (let n = 0; n < 1_000; n++) {
      dropped += queue.push(ev(n)).dropped.length;
      if (n % 3 === 0) queue.take();
      if (n % 11 === 0) queue.confirmThrough(queue.lastSeq - 1);
      if (n % 17 === 0) queue.requeueHeld();
      assert.ok(queue.length + queue.heldLength <= 7);
    }
    assert.ok(dropped > 0);
  });

  it('confirmThrough forgets held entries up to a seq', () => {
    const queue = new SendQueue();
    for (let n = 0; n < 5; n++) queue.push(ev(n));
    takeAll(queue);
    assert.equal(queue.confirmThrough(3), 3);
    assert.equal(queue.heldLength, 2);
    assert.equal(queue.confirmThrough(3), 0);
  });

  it('confirmFlushedBefore forgets only the flushed prefix, in order', () => {
    const queue = new SendQueue();
    for (let n = 0; n < 4; n++) queue.push(ev(n));
    const [a, b, c, d] = takeAll(queue) as [QueueEntry, QueueEntry, QueueEntry, QueueEntry];
    a.flushedAt = 10;
    b.flushedAt = 20;
    d.flushedAt = 5; // cannot happen on one socket, but order must still win
    assert.equal(c.flushedAt, undefined);
    assert.equal(queue.confirmFlushedBefore(15), 1);
    assert.equal(queue.confirmFlushedBefore(100), 1, 'stops at c, which never reached the kernel');
    assert.equal(queue.heldLength, 2);
  });

  it('requeueHeld puts written entries back in front, in order, ready to be taken again', () => {
    const queue = new SendQueue();
    for (let n = 0; n < 3; n++) queue.push(ev(n));
    takeAll(queue).forEach((entry) => (entry.flushedAt = 1));
    queue.push(ev(3));
    queue.push(ev(4));
    assert.deepEqual(queue.requeueHeld(), { requeued: 3, superseded: 0 });
    assert.equal(queue.heldLength, 0);
    const again = takeAll(queue);
    assert.deepEqual(uids(again), ['e0', 'e1', 'e2', 'e3', 'e4']);
    assert.ok(again.every((e) => e.flushedAt === undefined));
    assert.deepEqual(
      again.map((e) => e.seq),
      [4, 5, 6, 7, 8],
    );
  });

  it('clear returns the waiting entries and forgets the held ones', () => {
    const queue = new SendQueue();
    for (let n = 0; n < 4; n++) queue.push(ev(n));
    queue.take();
    assert.deepEqual(uids(queue.clear()), ['e1', 'e2', 'e3']);
    assert.equal(queue.length + queue.heldLength, 0);
  });

  it('refuses a bound below 1', () => {
    assert.throws(() => new SendQueue({ maxEvents: 0 }), RangeError);
    assert.throws(() => new SendQueue({ maxEvents: 1.5 }), RangeError);
  });

  it('handles a long stream in constant memory and time per event', () => {
    const queue = new SendQueue({ maxEvents: 1_000 });
    const started = performance.now();
    for (let n = 0; n < 200_000; n++) {
      queue.push(ev(n));
      const entry = queue.take() as QueueEntry;
      entry.flushedAt = n;
      if (n % 100 === 0) queue.confirmFlushedBefore(n);
    }
    assert.ok(queue.heldLength <= 100);
    assert.ok(performance.now() - started < 2_000);
  });
});

/** An update of `uid` carrying version `v` (in the XML, so what is taken shows which one it is). */
const up = (uid: string, v: number, more: Partial<OutgoingEvent> = {}): OutgoingEvent & { xml: string } => ({
  xml: `<event uid="${uid}" v="${v}"/>`,
  uid,
  type: 'a-f-G',
  ...more,
});
const version = (entry: QueueEntry): number => Number(/v="(\d+)"/.exec(entry.xml ?? '')?.[1]);
const show = (entries: QueueEntry[]): string[] => entries.map((e) => `${e.uid}:${version(e)}`);
const C = { coalesce: true };

describe('SendQueue: latest wins', () => {
  it('a newer event of the same uid and type replaces the waiting one in place', () => {
    const queue = new SendQueue();
    queue.push(up('a', 1), C);
    queue.push(up('b', 1), C);
    const result = queue.push(up('a', 2), C);
    assert.equal(result.coalesced, true);
    assert.equal(version(result.entry), 2);
    assert.deepEqual(show(queue.waitingEntries()), ['a:2', 'b:1'], 'a keeps its place');
    assert.equal(queue.bytes, Buffer.byteLength(up('a', 2).xml) + Buffer.byteLength(up('b', 1).xml));
  });

  it('the replacing event brings its own frame, or none, never the older one', () => {
    const queue = new SendQueue();
    queue.push({ ...up('a', 1), frame: Buffer.from([0xbf, 1, 1]) }, C);
    const second = queue.push({ ...up('a', 2), frame: Buffer.from([0xbf, 1, 2]) }, C);
    assert.deepEqual([...(second.entry.frame ?? [])], [0xbf, 1, 2]);
    const third = queue.push(up('a', 3), C);
    assert.equal(third.entry.frame, undefined, 'no frame: the writer reads the XML of version 3');
    assert.equal(version(third.entry), 3);
  });

  it('without coalesce (the default) nothing is replaced', () => {
    const queue = new SendQueue();
    queue.push(up('a', 1));
    queue.push(up('a', 2));
    queue.push(up('a', 3), C);
    assert.deepEqual(show(queue.waitingEntries()), ['a:1', 'a:2', 'a:3']);
  });

  it('another type of the same uid is not replaced, and closes the older one', () => {
    const queue = new SendQueue();
    queue.push(up('a', 1), C);
    queue.push(up('a', 2, { type: 'a-h-G' }), C);
    queue.push(up('a', 3), C);
    assert.deepEqual(show(queue.waitingEntries()), ['a:1', 'a:2', 'a:3']);
  });

  it('an event that must not be coalesced keeps every older event of its uid ahead of the newer ones', () => {
    const queue = new SendQueue();
    queue.push(up('a', 1), C);
    queue.push(up('a', 2)); // marked
    queue.push(up('a', 3), C);
    queue.push(up('a', 4), C);
    queue.push(up('b', 1), C);
    assert.deepEqual(show(queue.waitingEntries()), ['a:1', 'a:2', 'a:4', 'b:1']);
  });

  it('a delete closes the uids it names, or every uid when it names none', () => {
    const queue = new SendQueue();
    queue.push(up('a', 1), C);
    queue.push(up('b', 1), C);
    queue.push(up('del', 1, { type: 't-x-d-d', deletes: ['a'] }));
    queue.push(up('a', 2), C);
    queue.push(up('b', 2), C);
    assert.deepEqual(show(queue.waitingEntries()), ['a:1', 'b:2', 'del:1', 'a:2']);
    queue.push(up('del', 2, { type: 't-x-d-d', deletes: [] }));
    queue.push(up('a', 3), C);
    queue.push(up('b', 3), C);
    assert.deepEqual(show(queue.waitingEntries()), ['a:1', 'b:2', 'del:1', 'a:2', 'del:2', 'a:3', 'b:3']);
  });

  it('copies for different recipients are kept apart; one for everyone closes the directed ones', () => {
    const queue = new SendQueue();
    queue.push(up('a', 1, { dest: 'A' }), C);
    queue.push(up('a', 2, { dest: 'B' }), C);
    queue.push(up('a', 3, { dest: 'A' }), C);
    assert.deepEqual(show(queue.waitingEntries()), ['a:3', 'a:2']);
    queue.push(up('a', 4), C); // for everyone, A and B included
    queue.push(up('a', 5, { dest: 'A' }), C);
    queue.push(up('a', 6), C);
    assert.deepEqual(show(queue.waitingEntries()), ['a:3', 'a:2', 'a:4', 'a:5', 'a:6']);
  });

  it('an event already taken (held) is never replaced', () => {
    const queue = new SendQueue();
    queue.push(up('a', 1), C);
    queue.take();
    assert.equal(queue.push(up('a', 2), C).coalesced, false);
    assert.equal(queue.length, 1);
    assert.equal(queue.heldLength, 1);
  });

  it('requeueHeld drops a held event a newer waiting one of its slot supersedes, never sending it after', () => {
    const queue = new SendQueue();
    queue.push(up('a', 1), C);
    queue.push(up('b', 1), C);
    queue.push(up('chat', 1));
    queue.take();
    queue.take();
    queue.take();
    queue.push(up('a', 2), C);
    assert.deepEqual(queue.requeueHeld(), { requeued: 3, superseded: 1 });
    assert.deepEqual(show(queue.waitingEntries()), ['b:1', 'chat:1', 'a:2']);
    assert.equal(
      queue.bytes,
      [up('b', 1), up('chat', 1), up('a', 2)].reduce((n, e) => n + e.xml.length, 0),
    );
    // What went back in line may be replaced again.
    assert.equal(queue.push(up('b', 2), C).coalesced, true);
    assert.deepEqual(show(queue.waitingEntries()), ['b:2', 'chat:1', 'a:2']);
  });

  it('requeueHeld keeps the latest of several held events of one slot, and keeps one a barrier separates', () => {
    const queue = new SendQueue();
    queue.push(up('a', 1), C);
    queue.take();
    queue.push(up('a', 2), C);
    queue.take();
    queue.push(up('x', 1), C);
    queue.take();
    queue.push(up('x', 2)); // marked: x:1 must stay ahead of it
    queue.push(up('x', 3), C);
    assert.deepEqual(queue.requeueHeld(), { requeued: 3, superseded: 1 });
    assert.deepEqual(show(queue.waitingEntries()), ['a:2', 'x:1', 'x:2', 'x:3']);
  });
});

describe('SendQueue: minimum interval per uid', () => {
  it('holds a uid back until the interval since its last write has passed, keeping only the latest', () => {
    const queue = new SendQueue({ minIntervalMs: 1_000 });
    queue.push(up('a', 1), { ...C, now: 0 });
    assert.equal(version(queue.take(0) as QueueEntry), 1);
    queue.push(up('a', 2), { ...C, now: 10 });
    assert.equal(queue.length, 1);
    assert.equal(queue.readyLength, 0);
    assert.equal(queue.pendingLength, 1);
    assert.equal(queue.take(500), undefined);
    assert.equal(queue.push(up('a', 3), { ...C, now: 600 }).coalesced, true);
    queue.push(up('b', 1), { ...C, now: 700 });
    assert.equal(queue.nextReleaseAt(), 1_000);
    assert.equal(version(queue.take(700) as QueueEntry), 1, 'b was not written lately: it goes');
    assert.equal(queue.take(999), undefined);
    const a = queue.take(1_000) as QueueEntry;
    assert.equal(a.uid, 'a');
    assert.equal(version(a), 3);
    assert.equal(queue.nextReleaseAt(), undefined);
  });

  it('an event that must keep its order releases the pending one ahead of itself', () => {
    const queue = new SendQueue({ minIntervalMs: 1_000 });
    queue.push(up('a', 1), { ...C, now: 0 });
    queue.take(0);
    queue.push(up('a', 2), { ...C, now: 10 });
    queue.push(up('a', 3), { now: 20 }); // marked
    assert.deepEqual(show(queue.waitingEntries()), ['a:2', 'a:3']);
    assert.equal(queue.pendingLength, 0);
    queue.push(up('del', 1, { type: 't-x-d-d', deletes: ['b'] }), { now: 30 });
    assert.deepEqual(show([queue.take(30) as QueueEntry, queue.take(30) as QueueEntry]), ['a:2', 'a:3']);
  });

  it('forgets slots once their interval has passed, and never remembers more than maxPacedSlots', () => {
    const queue = new SendQueue({ minIntervalMs: 1_000, maxPacedSlots: 100, maxEvents: 10_000 });
    for (let n = 0; n < 1_000; n++) {
      queue.push(up(`u${n}`, 1), { ...C, now: n });
      queue.take(n);
      assert.ok(queue.pacedSlots <= 100);
    }
    queue.confirmThrough(queue.lastSeq);
    queue.push(up('u999', 2), { ...C, now: 1_000 });
    assert.equal(queue.pendingLength, 1, 'u999 was written 1 ms ago');
    queue.release(5_000);
    assert.equal(queue.pacedSlots, 0);
    assert.equal(queue.readyLength, 1);
  });

  for (const start of [7, 11, 23, 101, 4242]) {
    it(`per uid and connection, what is taken is never older than what was taken before, whatever the mix (soak, seed ${start})`, () => {
      let seed = start;
      const random = (): number => {
        // mulberry32
        seed = (seed + 0x6d2b79f5) | 0;
        let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
        return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
      };
      const queue = new SendQueue({ minIntervalMs: 50, maxEvents: 40, maxBytes: 2_000 });
      const versions = new Map<string, number>();
      const lastTaken = new Map<string, number>();
      let now = 0;
      let offered = 0;
      let coalesced = 0;
      let dropped = 0;
      let taken = 0;
      let superseded = 0;
      for (let step = 0; step < 20_000; step++) {
        now += Math.floor(random() * 5);
        const r = random();
        if (r < 0.6) {
          const uid = `u${Math.floor(random() * 12)}`;
          const v = (versions.get(uid) ?? 0) + 1;
          versions.set(uid, v);
          const kind = random();
          const more: Partial<OutgoingEvent> =
            kind < 0.05
              ? { type: 't-x-d-d', deletes: random() < 0.5 ? [] : [`u${Math.floor(random() * 12)}`] }
              : {};
          const result = queue.push(up(uid, v, more), { coalesce: kind >= 0.1, now });
          offered += 1;
          if (result.coalesced) coalesced += 1;
          dropped += result.dropped.length;
        } else if (r < 0.9) {
          const entry = queue.take(now);
          if (entry !== undefined) {
            taken += 1;
            const v = version(entry);
            assert.ok(
              v >= (lastTaken.get(entry.uid) ?? 0),
              `${entry.uid}:${v} after ${lastTaken.get(entry.uid)}`,
            );
            lastTaken.set(entry.uid, v);
          }
        } else if (r < 0.95) {
          queue.confirmThrough(queue.lastSeq - Math.floor(random() * 3));
        } else {
          // A new connection: the held events are written again, so each uid's order starts over, from the
          // oldest held one, and must be kept within this connection again.
          const back = queue.requeueHeld();
          lastTaken.clear();
          taken -= back.requeued;
          superseded += back.superseded;
        }
        assert.ok(queue.length + queue.heldLength <= 40);
        assert.ok(queue.bytes <= 2_000);
        // Every event offered was taken (net of requeues), replaced, superseded, dropped, or still waits.
        assert.equal(offered, taken + coalesced + superseded + dropped + queue.length);
      }
      assert.ok(coalesced > 1_000 && superseded > 0 && dropped > 0, `${coalesced} ${superseded} ${dropped}`);
    });
  }
});

describe('SendQueue: bounded in bytes', () => {
  const sized = (uid: string, size: number): OutgoingEvent => ({
    xml: `<event uid="${uid}" p="${'x'.repeat(size - 20 - uid.length)}"/>`,
    uid,
    type: 'a-f-G',
  });

  it('drops the oldest waiting entries to stay under maxBytes', () => {
    const queue = new SendQueue({ maxBytes: 350 });
    for (const uid of ['a', 'b', 'c']) assert.deepEqual(queue.push(sized(uid, 100)).dropped, []);
    assert.deepEqual(uids(queue.push(sized('d', 100)).dropped), ['a']);
    assert.equal(queue.bytes, 300);
    assert.deepEqual(uids(queue.push(sized('e', 250)).dropped), ['b', 'c']);
    assert.deepEqual(uids(queue.waitingEntries()), ['d', 'e']);
  });

  it('an entry grown by coalescing makes room too, and is itself kept', () => {
    const queue = new SendQueue({ maxBytes: 350 });
    queue.push(sized('a', 100), C);
    queue.push(sized('b', 100), C);
    queue.push(sized('c', 100), C);
    const result = queue.push(sized('a', 200), C);
    assert.equal(result.coalesced, true);
    assert.deepEqual(uids(result.dropped), ['b']);
    assert.deepEqual(uids(queue.waitingEntries()), ['a', 'c']);
    assert.equal(queue.bytes, 300);
  });

  it('an event bigger than maxBytes waits alone', () => {
    const queue = new SendQueue({ maxBytes: 350 });
    queue.push(sized('a', 100));
    assert.deepEqual(uids(queue.push(sized('huge', 1_000)).dropped), ['a']);
    assert.deepEqual(uids(queue.waitingEntries()), ['huge']);
  });

  it('held bytes count, and are forgotten before anything waiting is dropped', () => {
    const queue = new SendQueue({ maxBytes: 350 });
    queue.push(sized('a', 100));
    queue.push(sized('b', 100));
    queue.take();
    queue.push(sized('c', 100));
    assert.deepEqual(queue.push(sized('d', 100)).dropped, []);
    assert.equal(queue.heldLength, 0);
    assert.equal(queue.bytes, 300);
  });

  it('refuses a byte bound below 1', () => {
    assert.throws(() => new SendQueue({ maxBytes: 0 }), RangeError);
  });
});

describe('Fifo', () => {
  it('keeps order across compaction and unshiftAll', () => {
    const fifo = new Fifo<number>();
    for (let n = 0; n < 5_000; n++) fifo.push(n);
    for (let n = 0; n < 3_000; n++) assert.equal(fifo.shift(), n);
    fifo.unshiftAll([-2, -1]);
    assert.equal(fifo.length, 2_002);
    assert.equal(fifo.peek(), -2);
    const rest = fifo.clear();
    assert.deepEqual(rest.slice(0, 3), [-2, -1, 3_000]);
    assert.equal(rest[rest.length - 1], 4_999);
    assert.equal(fifo.shift(), undefined);
  });
});
