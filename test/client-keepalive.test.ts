import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { Keepalive, type KeepaliveOptions } from '../src/client/keepalive';

/** Fake timers and a fake clock that move together. */
function make(options: Partial<KeepaliveOptions> = {}): { log: string[]; keepalive: Keepalive } {
  const log: string[] = [];
  const keepalive = new Keepalive({
    now: () => Date.now(),
    onPing: () => log.push(`ping@${Date.now()}`),
    onDead: (idle) => log.push(`dead@${Date.now()} idle=${idle}`),
    ...options,
  });
  return { log, keepalive };
}

/**
 * Node 20's mock clock jumps to the end of a tick before running the timers inside it, so time is moved a
 * millisecond at a time: each timer then runs with the clock at its own deadline.
 */
function advance(ms: number): void {
  for (let i = 0; i < ms; i++) mock.timers.tick(1);
}

describe('Keepalive (fake timers)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
  afterEach(() => mock.timers.reset());

  it('pings as ATAK does: after 15 s of silence, every 4.5 s, dead at 25 s', () => {
    const { log, keepalive } = make();
    keepalive.start();
    advance(30_000);
    assert.deepEqual(log, ['ping@15000', 'ping@19500', 'ping@24000', 'dead@25000 idle=25000']);
    assert.equal(keepalive.running, false);
  });

  it('anything received restarts the silence', () => {
    const { log, keepalive } = make({ pingAfterIdleMs: 100, pingIntervalMs: 40, deadAfterIdleMs: 250 });
    keepalive.start();
    advance(90);
    keepalive.received(); // t=90
    advance(100); // t=190: first ping
    assert.deepEqual(log, ['ping@190']);
    advance(20);
    keepalive.received(); // t=210: the pong
    advance(100); // t=310: silence again
    assert.deepEqual(log, ['ping@190', 'ping@310']);
    advance(150); // t=460: dead at 210 + 250
    assert.deepEqual(log, ['ping@190', 'ping@310', 'ping@350', 'ping@390', 'ping@430', 'dead@460 idle=250']);
  });

  it('a pong ends a spell of pings even when the ping interval is the longer one', () => {
    const { log, keepalive } = make({ pingAfterIdleMs: 40, pingIntervalMs: 4_500, deadAfterIdleMs: 0 });
    keepalive.start();
    advance(50); // ping@40
    keepalive.received(); // t=50: the pong
    advance(50); // silent again from 50: ping@90
    keepalive.received(); // t=100
    advance(45);
    assert.deepEqual(log, ['ping@40', 'ping@90', 'ping@140']);
    keepalive.stop();
  });

  it('a steady trickle of data never pings and never kills', () => {
    const { log, keepalive } = make({ pingAfterIdleMs: 100, pingIntervalMs: 40, deadAfterIdleMs: 250 });
    keepalive.start();
    for (let i = 0; i < 100; i++) {
      advance(60);
      keepalive.received();
    }
    assert.deepEqual(log, []);
    keepalive.stop();
  });

  it('0 turns pings or death off', () => {
    const quiet = make({ pingAfterIdleMs: 0, deadAfterIdleMs: 100 });
    quiet.keepalive.start();
    advance(500);
    assert.deepEqual(quiet.log, ['dead@100 idle=100']);

    const immortal = make({ pingAfterIdleMs: 100, pingIntervalMs: 100, deadAfterIdleMs: 0 });
    immortal.keepalive.start();
    advance(450); // started at t=500
    assert.deepEqual(immortal.log, ['ping@600', 'ping@700', 'ping@800', 'ping@900']);
    immortal.keepalive.stop();

    const off = make({ pingAfterIdleMs: 0, pingAfterSendIdleMs: 0, deadAfterIdleMs: 0 });
    off.keepalive.start();
    assert.equal(off.keepalive.running, false, 'no timer at all');
  });

  it('stop() leaves nothing to fire; start() begins a fresh silence', () => {
    const { log, keepalive } = make({ pingAfterIdleMs: 100, pingIntervalMs: 50, deadAfterIdleMs: 200 });
    keepalive.start();
    advance(149);
    keepalive.stop();
    advance(1_000);
    assert.deepEqual(log, ['ping@100']);
    keepalive.start(); // t=1149
    advance(100);
    assert.deepEqual(log, ['ping@100', 'ping@1249']);
    keepalive.stop();
  });

  it('a ping callback that stops the keepalive is respected', () => {
    const log: string[] = [];
    const keepalive: Keepalive = new Keepalive({
      pingAfterIdleMs: 100,
      pingIntervalMs: 10,
      deadAfterIdleMs: 500,
      now: () => Date.now(),
      onPing: () => {
        log.push('ping');
        keepalive.stop();
      },
      onDead: () => log.push('dead'),
    });
    keepalive.start();
    advance(1_000);
    assert.deepEqual(log, ['ping']);
  });

  it('a connection that only receives still pings every pingAfterSendIdleMs (default 15 s)', () => {
    const { log, keepalive } = make();
    keepalive.start();
    // Data every second for two minutes: the receive side never goes quiet, but we write nothing.
    for (let s = 0; s < 120; s++) {
      advance(1_000);
      keepalive.received();
    }
    assert.deepEqual(
      log,
      [15, 30, 45, 60, 75, 90, 105, 120].map((s) => `ping@${s * 1_000}`),
    );
    keepalive.stop();
  });

  it('anything written moves the send-idle ping on; a busy writer never pings for it', () => {
    const { log, keepalive } = make({ pingAfterSendIdleMs: 1_000 });
    keepalive.start();
    for (let i = 0; i < 30; i++) {
      advance(500);
      keepalive.received();
      keepalive.written();
    }
    assert.deepEqual(log, []);
    advance(999);
    assert.deepEqual(log, []);
    advance(1);
    assert.deepEqual(log, ['ping@16000']);
    keepalive.stop();
  });

  it('a send-idle ping does not start the 4.5 s spell of pings while data keeps arriving', () => {
    const { log, keepalive } = make({
      pingAfterIdleMs: 15_000,
      pingIntervalMs: 4_500,
      pingAfterSendIdleMs: 10_000,
    });
    keepalive.start();
    for (let s = 0; s < 30; s++) {
      advance(1_000);
      if (s % 8 === 0) keepalive.received(); // data every 8 s, less often than the 4.5 s interval
    }
    assert.deepEqual(log, ['ping@10000', 'ping@20000', 'ping@30000']);
    keepalive.stop();
  });

  it('refuses a ping interval of 0 when pings are on', () => {
    assert.throws(() => make({ pingIntervalMs: 0 }), RangeError);
  });
});
