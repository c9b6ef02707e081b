import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatReport, runSoak } from './soak/soak';

/** Events offered per second in the short soaks: a busy sensor gateway. */
const RATE = 100;
/**
 * The client confirms what it wrote by a pong or by later data within about this long; what was written
 * in that window before a loss is written again after the reconnect (at-least-once), so it may arrive twice.
 */
const CONFIRM_WINDOW_S = 2.5;

describe('short soak: outages the sender queue can hold', () => {
  it('delivers every event offered, with duplicates only from resends after a loss, and memory back near its start', async () => {
    const report = await runSoak({
      durationMs: 14_000,
      rate: RATE,
      faults: ['restart', 'garbage', 'pause', 'oversize', 'half-open'],
      faultEveryMs: 2_500,
      outageMs: 1_000,
      queueSize: 10_000,
      drainMs: 20_000,
    });
    const summary = formatReport(report).join('\n');
    assert.deepEqual(report.refusedByNodes, {}, summary);
    assert.equal(report.delivered, report.offered, summary);
    assert.equal(report.dropped, 0, summary);
    assert.ok(report.reconnects >= 2, `the faults caused reconnects\n${summary}`);
    assert.ok(
      report.duplicates <= report.reconnects * RATE * CONFIRM_WINDOW_S,
      `duplicates beyond the resend window\n${summary}`,
    );
    assert.equal(report.receiverParseErrors.ERR_STREAM_OVERSIZE, 1, summary);
    assert.ok(report.heapEndMb < report.heapStartMb + 25, `memory did not come back\n${summary}`);
  });
});
