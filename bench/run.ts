/**
 * `npm run bench`: runs every case and prints one table.
 *
 * Options (after `npm run bench --`):
 *   --quick    short samples: the shape of the table, not numbers to quote
 *   --inline   run the cases in this process instead of one fresh process each (for --cpu-prof, debuggers)
 *   WORD       keep only the case named WORD, or else the cases whose name contains WORD
 *
 * A case is a module exporting `async (context) => Row[]` (see harness.ts); add it to CASES. This is a
 * report: the exit code is 0 even when a target fails, and a failed target is printed as FAIL.
 */
import { runClientSendCase } from './client-send-case';
import { runCotBuildCase, runCotParseCase } from './cot-case';
import { runE2eCase } from './e2e-case';
import { runE2eCoreCase } from './e2e-core-case';
import { runFanoutCase } from './fanout-case';
import { runHostileCase } from './hostile-case';
import { runMeshReceiveCase } from './mesh-case';
import { runOddStreamCase, runStreamCase } from './stream-case';
import { runTakprotoDecodeCase, runTakprotoEncodeCase } from './takproto-case';
import {
  CHILD_FLAG,
  DEFAULT_MEASURE,
  QUICK_MEASURE,
  formatTable,
  machineLines,
  runCases,
  runChild,
  type BenchCase,
  type BenchContext,
} from './harness';

/** In table order. Each runs in a fresh Node process unless `--inline` is given. */
const CASES: BenchCase[] = [
  { name: 'cot-parse', run: runCotParseCase },
  { name: 'cot-build', run: runCotBuildCase },
  { name: 'takproto-decode', run: runTakprotoDecodeCase },
  { name: 'takproto-encode', run: runTakprotoEncodeCase },
  { name: 'stream', run: runStreamCase },
  { name: 'stream-odd', run: runOddStreamCase },
  { name: 'client-send', run: runClientSendCase },
  { name: 'e2e', run: runE2eCase },
  { name: 'e2e-core', run: runE2eCoreCase },
  { name: 'fanout', run: runFanoutCase },
  { name: 'hostile', run: runHostileCase },
  { name: 'mesh-receive', run: runMeshReceiveCase },
];

/** A case that takes longer than this is killed and reported as such. */
const CASE_TIMEOUT_MS = 5 * 60_000;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const measure = quick ? QUICK_MEASURE : DEFAULT_MEASURE;
  const context: BenchContext = { measure, log: (message) => console.error(`  ${message}`) };

  const child = args.find((a) => a.startsWith(CHILD_FLAG));
  if (child !== undefined) {
    await runChild(CASES, child.slice(CHILD_FLAG.length), context);
    // The rows are with the parent; a timer or socket a case left open must not keep this process alive.
    process.exit(0);
  }

  const filters = args.filter((a) => !a.startsWith('--'));
  // A case's exact name runs that case alone (`e2e` without `e2e-core`); any other word keeps every name containing it.
  const picks = (c: BenchCase, f: string): boolean =>
    CASES.some((other) => other.name === f) ? c.name === f : c.name.includes(f);
  const cases = filters.length === 0 ? CASES : CASES.filter((c) => filters.some((f) => picks(c, f)));
  const isolation = args.includes('--inline')
    ? undefined
    : { script: __filename, args: quick ? ['--quick'] : [], timeoutMs: CASE_TIMEOUT_MS };

  for (const line of machineLines()) console.log(line);
  console.log(
    `each row: median ops/s of ${measure.samples} samples of ${measure.sampleMs} ms after ${measure.warmupMs} ms warm-up, ` +
      `${isolation ? 'one fresh process per case' : 'all cases in one process'}; ± is (max-min)/median; ` +
      'ratio is ops/s over the ref row of the same case; MB/s counts bytes read (parse) or written (build).',
  );
  console.log('');
  const rows = await runCases(cases, context, isolation);
  console.log('');
  for (const line of formatTable(rows)) console.log(line);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
