/**
 * A small benchmark harness: time a function in batches, take several samples, report the median, and
 * print every case's rows in one table with ratios and PASS/FAIL targets.
 *
 * Every loop here is bounded both in iterations and in time, so a case that turns out much slower (or much
 * faster) than expected still ends in a predictable time.
 */
import { fork } from 'node:child_process';
import os from 'node:os';

export interface MeasureOptions {
  /** Warm-up time before the first sample, in ms (JIT, inline caches, lazy initialisation). */
  warmupMs: number;
  /** Length of one sample, in ms. */
  sampleMs: number;
  /** Number of samples; the median is reported. */
  samples: number;
}

export const DEFAULT_MEASURE: MeasureOptions = { warmupMs: 500, sampleMs: 300, samples: 7 };
/** `--quick`: enough to see the shape of the table, not to quote numbers. */
export const QUICK_MEASURE: MeasureOptions = { warmupMs: 50, sampleMs: 50, samples: 3 };

/** Upper bounds on every loop, whatever the options say. */
const MAX_BATCH = 1 << 22;
const MAX_BATCHES_PER_SAMPLE = 100_000;
const MAX_SAMPLES = 101;
/** One batch aims at this many ms: long enough that reading the clock is noise, short enough to stop on time. */
const BATCH_TARGET_MS = 5;

export interface Measurement {
  name: string;
  /** Median over the samples. */
  opsPerSec: number;
  /** Every sample's ops/s, in the order taken. */
  samples: number[];
  /** (max - min) / median over the samples: how much to trust the median. */
  spread: number;
  /** Total calls made while sampling (warm-up excluded). */
  ops: number;
}

/** Holds every timed call's result so the optimiser cannot drop the call as unused. */
const blackhole: { value: unknown } = { value: undefined };

/** Keeps a value alive; cases may call it on results they compute outside `measure`. */
export function consume(value: unknown): void {
  blackhole.value = value;
}

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Calls fn `count` times back to back, awaiting each call when it is asynchronous. */
type Runner = (count: number) => Promise<void> | void;

function syncRunner(fn: () => unknown): Runner {
  return (count) => {
    for (let i = 0; i < count; i++) blackhole.value = fn();
  };
}

function asyncRunner(fn: () => unknown): Runner {
  return async (count) => {
    for (let i = 0; i < count; i++) blackhole.value = await fn();
  };
}

/** Runs batches until `ms` have passed (or the batch limit is hit); returns calls made and ms taken. */
async function runFor(run: Runner, batch: number, ms: number): Promise<{ ops: number; ms: number }> {
  const start = nowMs();
  let elapsed = 0;
  let ops = 0;
  for (let b = 0; b < MAX_BATCHES_PER_SAMPLE && elapsed < ms; b++) {
    await run(batch);
    ops += batch;
    elapsed = nowMs() - start;
  }
  return { ops, ms: elapsed };
}

/**
 * Doubles the batch until one batch takes about {@link BATCH_TARGET_MS}, warming the code up on the way,
 * then keeps running until `warmupMs` have passed.
 */
async function calibrate(run: Runner, warmupMs: number): Promise<number> {
  const start = nowMs();
  let batch = 1;
  for (; batch < MAX_BATCH; batch *= 2) {
    const t0 = nowMs();
    await run(batch);
    const took = nowMs() - t0;
    if (took >= BATCH_TARGET_MS || nowMs() - start > warmupMs * 4) break;
  }
  const left = warmupMs - (nowMs() - start);
  if (left > 0) await runFor(run, batch, left);
  return batch;
}

/** One function to time, by name. */
export interface Variant {
  name: string;
  /** Sync, or async: a returned promise is awaited before the next call. */
  fn: () => unknown;
}

interface Prepared {
  name: string;
  run: Runner;
  batch: number;
  samples: number[];
  ops: number;
}

/** Calls fn once, untimed: a throw there fails fast with the variant's name. Returns how to call it in bulk. */
async function probe(variant: Variant): Promise<Runner> {
  let first: unknown;
  try {
    first = variant.fn();
    if (isThenable(first)) blackhole.value = await first;
  } catch (error) {
    throw new Error(`${variant.name}: the first call threw: ${describeError(error)}`, { cause: error });
  }
  return isThenable(first) ? asyncRunner(variant.fn) : syncRunner(variant.fn);
}

function toMeasurement(p: Prepared): Measurement {
  const mid = median(p.samples);
  const spread = (Math.max(...p.samples) - Math.min(...p.samples)) / mid;
  return { name: p.name, opsPerSec: mid, samples: p.samples, spread, ops: p.ops };
}

/**
 * Measures several variants together: each is warmed up, then samples are taken round-robin (A B C A B C ...),
 * so a slow spell of the machine (another process, a thermal step) lands on every variant alike and the
 * ratios between them hold even when the absolute numbers wobble. Returns, in order, a measurement or the
 * error that stopped that variant.
 */
export async function measureTogether(
  variants: Variant[],
  opts: MeasureOptions = DEFAULT_MEASURE,
): Promise<Array<Measurement | Error>> {
  const count = Math.min(Math.max(1, opts.samples), MAX_SAMPLES);
  const results: Array<Measurement | Error> = variants.map(() => new Error('not measured'));
  const prepared: Array<{ index: number; p: Prepared }> = [];
  for (let i = 0; i < variants.length; i++) {
    const variant = variants[i] as Variant;
    try {
      // A promise that never settles would hang the run: give up well after the time asked for.
      const run = await withDeadline(probe(variant), 10_000, variant.name);
      const batch = await withDeadline(
        calibrate(run, opts.warmupMs),
        10_000 + opts.warmupMs * 5,
        variant.name,
      );
      prepared.push({ index: i, p: { name: variant.name, run, batch, samples: [], ops: 0 } });
    } catch (error) {
      results[i] = error instanceof Error ? error : new Error(String(error));
    }
  }
  const live = [...prepared];
  for (let s = 0; s < count; s++) {
    for (const entry of [...live]) {
      try {
        const taken = await withDeadline(
          runFor(entry.p.run, entry.p.batch, opts.sampleMs),
          10_000 + opts.sampleMs * 5,
          entry.p.name,
        );
        entry.p.samples.push((taken.ops / taken.ms) * 1000);
        entry.p.ops += taken.ops;
      } catch (error) {
        results[entry.index] = error instanceof Error ? error : new Error(String(error));
        live.splice(live.indexOf(entry), 1);
      }
    }
  }
  for (const entry of live) results[entry.index] = toMeasurement(entry.p);
  return results;
}

/**
 * Measures `fn` alone: median ops/s over `opts.samples` samples of `opts.sampleMs` each, after
 * `opts.warmupMs` of warm-up. Throws when `fn` throws.
 */
export async function measure(
  name: string,
  fn: () => unknown,
  opts: MeasureOptions = DEFAULT_MEASURE,
): Promise<Measurement> {
  const [result] = await measureTogether([{ name, fn }], opts);
  if (result === undefined || result instanceof Error) throw result ?? new Error(`${name}: not measured`);
  return result;
}

async function withDeadline<T>(work: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: still running after ${ms} ms, gave up`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}

/** A target: this row's ops/s divided by `against`'s (same case) must be at least `min`. */
export interface Target {
  against: string;
  min: number;
}

/** One line of the table. Rows of a case are compared with each other by their `variant` names. */
export interface Row {
  case: string;
  variant: string;
  /** NaN when the variant could not run; say why in `note`. */
  opsPerSec: number;
  /** Bytes read or written per call, for the MB/s column. */
  bytesPerOp?: number;
  /** (max - min) / median over the samples. */
  spread?: number;
  /** The variant of the same case the ratio column divides by. */
  reference?: string;
  targets?: Target[];
  /**
   * Targets that are not a ratio to another row (an absolute rate, no loss, a latency bound), judged by the
   * case itself: shown in the target column and counted in the summary like the ratio targets.
   */
  checks?: Check[];
  /** Printed under the table, numbered from the row. */
  note?: string;
}

/** A target the case judged itself: what was asked for, and whether the run met it. */
export interface Check {
  what: string;
  pass: boolean;
}

export interface RowOptions {
  bytesPerOp?: number;
  reference?: string;
  targets?: Target[];
  checks?: Check[];
  note?: string;
}

export function rowFrom(caseName: string, m: Measurement, options: RowOptions = {}): Row {
  return { case: caseName, variant: m.name, opsPerSec: m.opsPerSec, spread: m.spread, ...options };
}

/** A row for a variant that could not be measured: shown with its reason, never as a number. */
export function failedRow(caseName: string, variant: string, reason: string, options: RowOptions = {}): Row {
  return { case: caseName, variant, opsPerSec: NaN, ...options, note: reason };
}

/** A variant and how its row is shown. */
export interface RowSpec extends Variant, RowOptions {}

function rowOptions(spec: RowSpec): RowOptions {
  const { bytesPerOp, reference, targets, checks, note } = spec;
  const options: RowOptions = {};
  if (checks !== undefined) options.checks = checks;
  if (bytesPerOp !== undefined) options.bytesPerOp = bytesPerOp;
  if (reference !== undefined) options.reference = reference;
  if (targets !== undefined) options.targets = targets;
  if (note !== undefined) options.note = note;
  return options;
}

/**
 * Measures variants together (see {@link measureTogether}) and turns them into rows; a variant that throws
 * becomes a row that says so instead of ending the run.
 */
export async function measureRows(caseName: string, specs: RowSpec[], opts: MeasureOptions): Promise<Row[]> {
  const results = await measureTogether(specs, opts);
  return specs.map((spec, i) => {
    const result = results[i];
    return result === undefined || result instanceof Error
      ? failedRow(caseName, spec.name, `did not run: ${describeError(result)}`, rowOptions(spec))
      : rowFrom(caseName, result, rowOptions(spec));
  });
}

/** One variant alone, as a row. */
export async function measureRow(
  caseName: string,
  variant: string,
  fn: () => unknown,
  opts: MeasureOptions,
  options: RowOptions = {},
): Promise<Row> {
  const [row] = await measureRows(caseName, [{ name: variant, fn, ...options }], opts);
  return row ?? failedRow(caseName, variant, 'not measured', options);
}

/** What every case module exports: run the case and return its rows. */
export interface BenchContext {
  measure: MeasureOptions;
  log(message: string): void;
}

export type CaseRunner = (context: BenchContext) => Promise<Row[]>;

export interface BenchCase {
  name: string;
  run: CaseRunner;
}

function findRow(rows: Row[], caseName: string, variant: string): Row | undefined {
  return rows.find((r) => r.case === caseName && r.variant === variant);
}

function formatOps(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
  return value.toFixed(1);
}

function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : '-';
}

function ratioCell(row: Row, rows: Row[]): string {
  if (row.reference === undefined) return '';
  if (row.reference === row.variant) return '1.00x (ref)';
  const ref = findRow(rows, row.case, row.reference);
  return ref ? formatRatio(row.opsPerSec / ref.opsPerSec) : `? no row ${row.reference}`;
}

export type Verdict = 'PASS' | 'FAIL' | 'N/A';

export interface TargetResult {
  row: Row;
  /** A ratio target, or a check the case judged. */
  target: Target | Check;
  ratio: number;
  verdict: Verdict;
}

function isCheck(target: Target | Check): target is Check {
  return 'what' in target;
}

export function evaluateTargets(rows: Row[]): TargetResult[] {
  const results: TargetResult[] = [];
  for (const row of rows) {
    for (const target of row.targets ?? []) {
      const against = findRow(rows, row.case, target.against);
      const ratio = against ? row.opsPerSec / against.opsPerSec : NaN;
      const verdict: Verdict = !Number.isFinite(ratio) ? 'N/A' : ratio >= target.min ? 'PASS' : 'FAIL';
      results.push({ row, target, ratio, verdict });
    }
    for (const check of row.checks ?? []) {
      results.push({ row, target: check, ratio: NaN, verdict: check.pass ? 'PASS' : 'FAIL' });
    }
  }
  return results;
}

function describeTarget(r: TargetResult): string {
  return isCheck(r.target)
    ? r.target.what
    : `>=${r.target.min}x ${r.target.against} (${formatRatio(r.ratio)})`;
}

function targetCell(row: Row, results: TargetResult[]): string {
  return results
    .filter((r) => r.row === row)
    .map((r) => `${r.verdict} ${describeTarget(r)}`)
    .join('; ');
}

function pad(text: string, width: number, right: boolean): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** The table, its notes and a one-line summary of the targets, as lines of text. */
export function formatTable(rows: Row[]): string[] {
  const results = evaluateTargets(rows);
  const notes: string[] = [];
  const header = ['case', 'variant', 'ops/s', 'MB/s', '±', 'ratio', 'target'];
  const right = [false, false, true, true, true, true, false];
  const body = rows.map((row) => {
    let variant = row.variant;
    if (row.note !== undefined) {
      notes.push(row.note);
      variant += ` [${notes.length}]`;
    }
    const mbs =
      row.bytesPerOp !== undefined && Number.isFinite(row.opsPerSec)
        ? ((row.opsPerSec * row.bytesPerOp) / 1e6).toFixed(1)
        : '';
    const spread = row.spread !== undefined ? `${(row.spread * 100).toFixed(0)}%` : '';
    return [
      row.case,
      variant,
      formatOps(row.opsPerSec),
      mbs,
      spread,
      ratioCell(row, rows),
      targetCell(row, results),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => pad(c, widths[i] ?? 0, right[i] ?? false))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  let previousCase: string | undefined;
  for (let i = 0; i < body.length; i++) {
    const row = rows[i] as Row;
    if (previousCase !== undefined && row.case !== previousCase) out.push('');
    previousCase = row.case;
    out.push(line(body[i] as string[]));
  }
  if (notes.length > 0) {
    out.push('');
    notes.forEach((note, i) => out.push(`[${i + 1}] ${note}`));
  }
  const failed = results.filter((r) => r.verdict === 'FAIL');
  const unknown = results.filter((r) => r.verdict === 'N/A');
  out.push('');
  out.push(
    `targets: ${results.length - failed.length - unknown.length} PASS, ${failed.length} FAIL, ${unknown.length} N/A` +
      failed.map((r) => `\n  FAIL ${r.row.case}/${r.row.variant}: ${describeTarget(r)}`).join(''),
  );
  return out;
}

export function machineLines(): string[] {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  return [
    `machine: ${model}, ${cpus.length} logical cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()} ${os.arch()}`,
    `node ${process.version} (V8 ${process.versions.v8})`,
  ];
}

/** How `runCases` starts a fresh process per case: `script` is run again with `args` and `--child=<name>`. */
export interface Isolation {
  script: string;
  args: string[];
  /** The child is killed after this long; its case then gets a row saying so. */
  timeoutMs: number;
}

export const CHILD_FLAG = '--child=';

function caseFailed(name: string, why: string): Row {
  return failedRow(name, '(case)', why);
}

async function runInProcess(benchCase: BenchCase, context: BenchContext): Promise<Row[]> {
  try {
    return await benchCase.run(context);
  } catch (error) {
    return [caseFailed(benchCase.name, `the case threw: ${describeError(error)}`)];
  }
}

function isRowList(value: unknown): value is Row[] {
  return (
    Array.isArray(value) &&
    value.every((r) => typeof r === 'object' && r !== null && typeof (r as Row).variant === 'string')
  );
}

/**
 * One case in its own Node process. Cases share modules with the libraries they compare against (node-cot's
 * xml-js drives the same sax module our parser does), and V8's optimised code for a shared function depends
 * on every caller that ran before; a fresh process per case keeps one case's history out of another's numbers.
 */
function runInChild(benchCase: BenchCase, isolation: Isolation): Promise<Row[]> {
  return new Promise((resolve) => {
    let rows: Row[] | undefined;
    let timedOut = false;
    const child = fork(isolation.script, [...isolation.args, `${CHILD_FLAG}${benchCase.name}`], {
      serialization: 'advanced', // rows carry NaN, which JSON would turn into null
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Memory figures collect garbage first, or they measure the collector's timing instead of growth.
      execArgv: [...process.execArgv, '--expose-gc'],
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill();
    }, isolation.timeoutMs);
    child.on('message', (message: unknown) => {
      if (isRowList(message)) rows = message;
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve([caseFailed(benchCase.name, `could not start a child process: ${describeError(error)}`)]);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (rows) resolve(rows);
      else if (timedOut) resolve([caseFailed(benchCase.name, `killed after ${isolation.timeoutMs} ms`)]);
      else resolve([caseFailed(benchCase.name, `the child exited (${signal ?? code}) without sending rows`)]);
    });
  });
}

/**
 * Runs the cases in order, each in a fresh process when `isolation` is given; a case that throws, hangs or
 * crashes becomes a row saying so and the others still run.
 */
export async function runCases(
  cases: BenchCase[],
  context: BenchContext,
  isolation?: Isolation,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const benchCase of cases) {
    const started = nowMs();
    rows.push(
      ...(isolation ? await runInChild(benchCase, isolation) : await runInProcess(benchCase, context)),
    );
    context.log(`${benchCase.name}: ${((nowMs() - started) / 1000).toFixed(1)} s`);
  }
  return rows;
}

/** The child side of {@link runCases}: runs the named case and sends its rows to the parent. */
export async function runChild(cases: BenchCase[], name: string, context: BenchContext): Promise<void> {
  const benchCase = cases.find((c) => c.name === name);
  const rows = benchCase
    ? await runInProcess(benchCase, context)
    : [caseFailed(name, 'no case by that name')];
  await new Promise<void>((resolve, reject) => {
    if (!process.send) {
      reject(
        new Error(`${CHILD_FLAG}${name} is for the parent process of the benchmark, not to be run by hand`),
      );
      return;
    }
    process.send(rows, (error: Error | null) => (error ? reject(error) : resolve()));
  });
}
