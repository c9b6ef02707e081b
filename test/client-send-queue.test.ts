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
    for (let n = 0; n < 5; n++) assert.deepEqual(queue.push(ev(n)), []);
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
    assert.deepEqual(uids(queue.push(ev(3))), ['e0']);
    assert.deepEqual(uids(queue.push(ev(4))), ['e1']);
    assert.deepEqual(uids(queue.waitingEntries()), ['e2', 'e3', 'e4']);
  });

  it('full: forgets the oldest held (already written) event before dropping a waiting one', () => {
    const queue = new SendQueue({ maxEvents: 3 });
    queue.push(ev(0));
    queue.push(ev(1));
    queue.take();
    queue.take();
    queue.push(ev(2));
    assert.deepEqual(queue.push(ev(3)), [], 'room made from held e0');
    assert.equal(queue.heldLength, 1);
    assert.deepEqual(queue.push(ev(4)), [], 'room made from held e1');
    assert.equal(queue.heldLength, 0);
    assert.deepEqual(uids(queue.push(ev(5))), ['e2'], 'only now a waiting one goes');
  });

  it('never holds more than maxEvents, whatever the mix', () => {
    const queue = new SendQueue({ maxEvents: 7 });
    let dropped = 0;
    for (let n = 0; n < 1_000; n++) {
      dropped += queue.push(ev(n)).length;
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
    assert.equal(queue.requeueHeld(), 3);
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
