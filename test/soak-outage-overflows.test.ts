import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatReport, runSoak } from './soak/soak';

describe('short soak: an outage longer than the sender queue can hold', () => {
  it('drops the oldest, counts every drop, and the counts add up', async () => {
    const report = await runSoak({
      durationMs: 8_000,
      rate: 100,
      faults: ['restart'],
      faultEveryMs: 2_000,
      outageMs: 4_000, // 400 events offered while down, into a queue of 150
      queueSize: 150,
      drainMs: 15_000,
    });
    const summary = formatReport(report).join('\n');
    assert.deepEqual(report.refusedByNodes, {}, summary);
    assert.ok(report.dropped > 0, `the queue overflowed\n${summary}`);
    // Drops that were never written are surely lost; drops written before the restart may have arrived
    // (at-least-once), so what is missing lies between the two counts.
    const missing = report.offered - report.delivered;
    assert.ok(
      missing >= report.dropped - report.droppedWritten,
      `fewer missing than surely dropped\n${summary}`,
    );
    assert.ok(missing <= report.dropped, `events missing that no drop counted\n${summary}`);
    assert.equal(report.unaccounted, 0, summary);
  });
});
