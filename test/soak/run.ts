/**
 * `npm run soak [-- --minutes M --rate R]`: about two minutes by default, on loopback, stopping by itself.
 */
import { formatReport, runSoak, type Fault } from './soak';

const DEFAULT_MINUTES = 2;
const DEFAULT_RATE = 100;
const FAULTS: Fault[] = [
  'restart',
  'garbage',
  'pause',
  'oversize',
  'half-open',
  'restart',
  'redeploy',
  'hostile',
];

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} takes a positive number, got ${process.argv[at + 1]}`);
  return value;
}

async function main(): Promise<void> {
  const minutes = argument('--minutes', DEFAULT_MINUTES);
  const rate = argument('--rate', DEFAULT_RATE);
  console.log(`soak: ${minutes} min at ${rate} events/s, a fault every 5 s (${FAULTS.join(', ')})`);
  const report = await runSoak({
    durationMs: minutes * 60_000,
    rate,
    faults: FAULTS,
    faultEveryMs: 5_000,
    outageMs: 2_000,
    queueSize: 10_000,
    drainMs: 30_000,
    log: (line) => console.log(line),
  });
  for (const line of formatReport(report)) console.log(line);
  // At-least-once: after a loss the sender writes unconfirmed events again, so duplicates are expected;
  // an event the sender accepted that is neither delivered nor counted as dropped is not.
  const refused = Object.values(report.refusedByNodes).reduce((sum, n) => sum + n, 0);
  if (refused > 0) {
    console.error(
      `FAIL: nodes of the flow refused ${refused} messages: ${JSON.stringify(report.refusedByNodes)}`,
    );
    process.exitCode = 1;
  }
  if (report.hostile.delivered < report.hostile.sent || report.hostile.pairDisconnected > 0) {
    console.error(
      `FAIL: under the hostile clients the pair got ${report.hostile.delivered}/${report.hostile.sent} through the flow's tak-server`,
    );
    process.exitCode = 1;
  }
  if (report.unaccounted > 0) {
    console.error(
      `FAIL: ${report.unaccounted} accepted events were neither delivered nor counted as dropped`,
    );
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
