/**
 * `npm run fuzz [-- --count N --seed S]`: a million generated inputs by default through parseCot and the
 * stream parser, in a worker watched for hangs. Exits non-zero on the first failure, printing the seed and
 * input number so it can be made again.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { checkInput, FuzzFailure } from './check';
import { generate, loadCorpus, seeded, type InputKind } from './generators';

const DEFAULT_COUNT = 1_000_000;
/** A worker that reports no progress for this long is stuck on one input: a hang. */
const HANG_AFTER_MS = 30_000;
/** Progress is reported to the watcher this often (in inputs). */
const REPORT_EVERY = 10_000;
/** After the corpus is in memory the heap should stay flat; more than this is a leak. */
const MAX_HEAP_BYTES = 512 * 1024 * 1024;

interface Job {
  seed: number;
  count: number;
}

type Report =
  | { type: 'progress'; done: number; heapUsed: number; kinds: Partial<Record<InputKind, number>> }
  | { type: 'failure'; index: number; kind: InputKind; message: string; preview: string }
  | {
      type: 'done';
      done: number;
      kinds: Partial<Record<InputKind, number>>;
      slowestMs: number;
      slowestKind: string;
    };

function work(job: Job, post: (report: Report) => void): void {
  const random = seeded(job.seed);
  const corpus = loadCorpus();
  const kinds: Partial<Record<InputKind, number>> = {};
  let slowestMs = 0;
  let slowestKind = '';
  for (let index = 0; index < job.count; index++) {
    const input = generate(random, corpus, index);
    kinds[input.kind] = (kinds[input.kind] ?? 0) + 1;
    const started = performance.now();
    try {
      checkInput(input, random);
    } catch (error) {
      const message = error instanceof FuzzFailure ? error.message : String(error);
      post({
        type: 'failure',
        index,
        kind: input.kind,
        message,
        preview: input.bytes.subarray(0, 300).toString('latin1'),
      });
      return;
    }
    const took = performance.now() - started;
    if (took > slowestMs) {
      slowestMs = took;
      slowestKind = `${input.kind} (${input.bytes.length} bytes)`;
    }
    if ((index + 1) % REPORT_EVERY === 0)
      post({ type: 'progress', done: index + 1, heapUsed: process.memoryUsage().heapUsed, kinds });
  }
  post({ type: 'done', done: job.count, kinds, slowestMs, slowestKind });
}

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} takes a whole number, got ${process.argv[at + 1]}`);
  return value;
}

function main(): void {
  const job: Job = { seed: argument('--seed', 20261121), count: argument('--count', DEFAULT_COUNT) };
  console.log(`fuzz: ${job.count} inputs, seed ${job.seed}`);
  const started = Date.now();
  const worker = new Worker(__filename, { workerData: job });
  let lastProgress = Date.now();
  let maxHeap = 0;
  let failed = false;
  const watchdog = setInterval(() => {
    if (Date.now() - lastProgress > HANG_AFTER_MS) {
      console.error(`FAIL: no progress for ${HANG_AFTER_MS} ms: an input hangs (seed ${job.seed})`);
      failed = true;
      void worker.terminate();
    }
  }, 1_000);
  worker.on('message', (report: Report) => {
    lastProgress = Date.now();
    if (report.type === 'progress') {
      maxHeap = Math.max(maxHeap, report.heapUsed);
      if (report.heapUsed > MAX_HEAP_BYTES) {
        console.error(`FAIL: heap at ${(report.heapUsed / 1e6).toFixed(0)} MB after ${report.done} inputs`);
        failed = true;
        void worker.terminate();
      }
      if (report.done % (REPORT_EVERY * 10) === 0)
        console.log(`  ${report.done} inputs, heap ${(report.heapUsed / 1e6).toFixed(0)} MB`);
    } else if (report.type === 'failure') {
      console.error(`FAIL at input ${report.index} (${report.kind}, seed ${job.seed}): ${report.message}`);
      console.error(`  input starts: ${JSON.stringify(report.preview)}`);
      failed = true;
    } else {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        `fuzz: ${report.done} inputs in ${seconds} s, no failure; max heap ${(maxHeap / 1e6).toFixed(0)} MB`,
      );
      console.log(`  by kind: ${JSON.stringify(report.kinds)}`);
      console.log(`  slowest input: ${report.slowestMs.toFixed(1)} ms, ${report.slowestKind}`);
    }
  });
  worker.on('error', (error) => {
    console.error(`FAIL: the fuzz worker crashed: ${error.stack ?? String(error)}`);
    failed = true;
  });
  worker.on('exit', () => {
    clearInterval(watchdog);
    process.exitCode = failed ? 1 : 0;
  });
}

if (isMainThread) main();
else work(workerData as Job, (report) => parentPort?.postMessage(report));
