/**
 * Fan-out through the CoT server: N clients on loopback, each sending SA events at a fixed rate, every event
 * routed by the server to the N-1 others. Reports deliveries/s, delivery latency (p50/p99/max, measured at the
 * receivers from a send time carried in the event), memory before and after, and anything dropped or lost.
 *
 * The server runs in this thread; the N clients run in one worker thread, so the server has a core to itself
 * and the clients' clock is one clock: the send time is `performance.now()` in the worker, written into
 * `<remarks>t=...</remarks>`, and read back there on arrival.
 *
 * Receivers count `</event>` and read the remarks with indexOf instead of running a StreamParser: at the
 * target rate the worker receives over 50,000 events/s on the same 2-core machine, and parsing them all would
 * make the clients, not the server, the bottleneck. The server itself parses every event it receives.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { buildCot, encodeTakStreamFrame, presenceEvent, readStreamFrame } from '../src/index';
import { CotServer } from '../src/server/cot-server';
import type { BenchContext, Row } from './harness';
import { describeError } from './harness';

const CASE = 'fanout';
const WORKER_ROLE = 'fanout-clients';
/** Clients per run: the issue's figure. Bounded so a typo cannot open thousands of sockets. */
const DEFAULT_CLIENTS = 200;
const MAX_CLIENTS = 1000;
/** Targets from the issue. */
const TARGET_DELIVERIES_PER_SEC = 50_000;
const TARGET_P99_MS = 100;
/** Latency histogram: 0.1 ms buckets up to 10 s; anything slower lands in the last bucket. */
const BUCKETS_PER_MS = 10;
const HISTOGRAM_BUCKETS = 10 * 1000 * BUCKETS_PER_MS + 1;
/** The worker's send timer: short enough that a 1/s-per-client schedule stays smooth. */
const TICK_MS = 5;
/** Connections opened at once while setting up: well inside the listen backlog. */
const CONNECT_CONCURRENCY = 25;
/** Setup (connect and identify every client) and the wait for the last deliveries are bounded. */
const SETUP_TIMEOUT_MS = 30_000;
const SETTLE_TIMEOUT_MS = 5_000;
/** A receiver's unfinished event never needs more than this; more means the stream is not what we sent. */
const MAX_TAIL_CHARS = 64 * 1024;

interface Scenario {
  clients: number;
  /** SA events per second per client. */
  rate: number;
  durationMs: number;
  /** Whether the issue's targets apply (the issue's load), or the row only shows headroom. */
  targeted: boolean;
  /** The clients ask for TAK Protocol (protobuf) after their SA, as ATAK does, and send and read frames. */
  protobuf: boolean;
}

/** Where a remarks send time starts inside an event, XML or protobuf (remarks travel in xmlDetail). */
const MARK = '<remarks>t=';
const MARK_BYTES = Buffer.from(MARK, 'latin1');
/** The server's answer that switches a connection to protobuf after its `</event>`. */
const ANSWER_TYPE = 'type="t-x-takp-r"';

interface WorkerInput extends Scenario {
  role: typeof WORKER_ROLE;
  port: number;
}

interface WorkerResult {
  sent: number;
  delivered: number;
  /** Events received that were not ours: replayed SA, deletes. */
  other: number;
  /** From the first send to the last delivery. */
  windowMs: number;
  histogram: Uint32Array;
  maxLatencyMs: number;
  closedClients: number;
  errors: string[];
  eventBytes: number;
  /** Event-loop utilisation of the client worker over the send phase, 0..1. */
  elu: number;
}

type ToWorker = { type: 'go' };
type FromWorker =
  { type: 'ready' } | { type: 'result'; result: WorkerResult } | { type: 'failed'; error: string };

// ---------------------------------------------------------------- worker: the clients

/** An SA event as ATAK sends it; with `sentAt`, the send time in its remarks (the setup SA has none). */
function saModel(uid: string, callsign: string, sentAt?: number): ReturnType<typeof presenceEvent> {
  const event = presenceEvent({ uid, callsign, lat: 51.5, lon: -0.12, battery: 80, course: 270, speed: 1.3 });
  if (sentAt !== undefined)
    (event.detail ?? (event.detail = {})).remarks = { _text: `t=${sentAt.toFixed(3)}` };
  return event;
}

function saEvent(uid: string, callsign: string, sentAt?: number): string {
  return buildCot(saModel(uid, callsign, sentAt));
}

/** The request for protobuf, as TakClient writes it. */
function requestXml(uid: string): string {
  return buildCot({
    uid,
    type: 't-x-takp-q',
    lat: 0,
    lon: 0,
    detail: { TakControl: { TakRequest: { version: '1' } } },
  });
}

async function runClients(input: WorkerInput): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('not in a worker');
  const n = input.clients;
  const histogram = new Uint32Array(HISTOGRAM_BUCKETS);
  let delivered = 0;
  let other = 0;
  let maxLatencyMs = 0;
  let lastDeliveryAt = 0;
  let closedClients = 0;
  const errors: string[] = [];
  const sockets: net.Socket[] = [];

  const latency = (now: number, sentAt: number): void => {
    const ms = now - sentAt;
    histogram[Math.min(HISTOGRAM_BUCKETS - 1, Math.max(0, Math.floor(ms * BUCKETS_PER_MS)))]++;
    if (ms > maxLatencyMs) maxLatencyMs = ms;
    delivered++;
    lastDeliveryAt = now;
  };
  let answered = 0;
  let allAnswered: (() => void) | undefined;

  /** Frames after the answer: walks the 0xbf/varint lengths, reads the send time out of each frame's bytes. */
  const readFrames = (socket: net.Socket, first: Buffer): void => {
    let held = first;
    const take = (chunk: Buffer): void => {
      const buf = held.length > 0 ? Buffer.concat([held, chunk]) : chunk;
      const now = performance.now();
      let at = 0;
      // Bounded: every pass moves `at` past one whole frame.
      while (at < buf.length) {
        let bounds;
        try {
          bounds = readStreamFrame(buf, at);
        } catch (error) {
          if (errors.length < 10) errors.push(describeError(error));
          held = Buffer.alloc(0);
          return;
        }
        if (bounds === undefined) break;
        const end = bounds.end;
        const mark = buf.indexOf(MARK_BYTES, bounds.start);
        if (mark >= 0 && mark < end) {
          const from = mark + MARK_BYTES.length;
          latency(now, Number.parseFloat(buf.toString('latin1', from, buf.indexOf(0x3c, from))));
        } else other++;
        at = end;
      }
      held = buf.subarray(at);
      if (held.length > MAX_TAIL_CHARS && errors.length < 10) {
        errors.push(`a receiver holds ${held.length} bytes without a whole frame`);
        held = Buffer.alloc(0);
      }
    };
    socket.removeAllListeners('data');
    socket.on('data', take);
    if (first.length > 0) take(Buffer.alloc(0));
  };

  const attach = (socket: net.Socket): void => {
    let tail = '';
    socket.on('data', (chunk: Buffer) => {
      const text = tail.length > 0 ? tail + chunk.toString('latin1') : chunk.toString('latin1');
      if (input.protobuf) {
        // Before the answer the connection is XML (the offer); from the byte after it, frames.
        const answer = text.indexOf(ANSWER_TYPE);
        const end = answer < 0 ? -1 : text.indexOf('</event>', answer);
        if (end < 0) {
          tail = text.slice(-MAX_TAIL_CHARS);
          return;
        }
        readFrames(socket, Buffer.from(text.slice(end + 8), 'latin1'));
        if (++answered === n) allAnswered?.();
        return;
      }
      const now = performance.now();
      let from = 0;
      // Bounded: every pass moves `from` past one `</event>`.
      for (let end = text.indexOf('</event>', from); end >= 0; end = text.indexOf('</event>', from)) {
        const mark = text.indexOf('<remarks>t=', from);
        if (mark >= 0 && mark < end) {
          latency(now, Number.parseFloat(text.slice(mark + 11, text.indexOf('<', mark + 11))));
        } else {
          other++;
        }
        from = end + 8;
      }
      tail = text.slice(from);
      if (tail.length > MAX_TAIL_CHARS && errors.length < 10) {
        errors.push(`a receiver holds ${tail.length} chars without an </event>`);
        tail = '';
      }
    });
    socket.on('error', (error) => {
      if (errors.length < 10) errors.push(describeError(error));
    });
    socket.on('close', () => closedClients++);
  };

  const connectOne = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: input.port, noDelay: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        attach(socket);
        sockets[i] = socket;
        socket.write(saEvent(`fanout-${i}`, `FAN-${i}`));
        if (input.protobuf) socket.write(requestXml(`fanout-${i}`));
        resolve();
      });
    });
  for (let i = 0; i < n; i += CONNECT_CONCURRENCY) {
    const batch: Promise<void>[] = [];
    for (let k = i; k < Math.min(n, i + CONNECT_CONCURRENCY); k++) batch.push(connectOne(k));
    await Promise.all(batch);
  }
  if (input.protobuf && answered < n) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${answered}/${n} clients answered within ${SETUP_TIMEOUT_MS} ms`)),
        SETUP_TIMEOUT_MS,
      );
      allAnswered = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  port.postMessage({ type: 'ready' } satisfies FromWorker);
  await new Promise<void>((resolve) => port.once('message', (m: ToWorker) => m.type === 'go' && resolve()));

  // Send phase: client i sends every `period` ms, the clients spread evenly over one period.
  const period = 1000 / input.rate;
  const eluStart = performance.eventLoopUtilization();
  const start = performance.now();
  const stopAt = start + input.durationMs;
  const nextAt = Array.from({ length: n }, (_, i) => start + (i / n) * period);
  const maxSends = Math.ceil((input.durationMs / period + 1) * n);
  let sent = 0;
  let eventBytes = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      for (let i = 0; i < n && sent < maxSends; i++) {
        // Catch up at most a few periods if the timer was late; a schedule that slips is visible in the latency.
        for (let k = 0; k < 4 && (nextAt[i] as number) <= now && (nextAt[i] as number) < stopAt; k++) {
          const model = saModel(`fanout-${i}`, `FAN-${i}`, performance.now());
          const data = input.protobuf ? encodeTakStreamFrame(model) : buildCot(model);
          eventBytes = data.length;
          sockets[i]?.write(data);
          sent++;
          nextAt[i] = (nextAt[i] as number) + period;
        }
      }
      if (now >= stopAt) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });

  const elu = performance.eventLoopUtilization(eluStart).utilization;
  // Settle: wait for the deliveries still in flight, at most SETTLE_TIMEOUT_MS.
  const expected = sent * (n - 1);
  const settleUntil = performance.now() + SETTLE_TIMEOUT_MS;
  while (delivered < expected && performance.now() < settleUntil && closedClients < n) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const socket of sockets) socket?.destroy();
  const result: WorkerResult = {
    sent,
    delivered,
    other,
    windowMs: Math.max(1, lastDeliveryAt - start),
    histogram,
    maxLatencyMs,
    closedClients,
    errors,
    eventBytes,
    elu,
  };
  port.postMessage({ type: 'result', result } satisfies FromWorker);
}

if (!isMainThread && (workerData as Partial<WorkerInput> | null)?.role === WORKER_ROLE) {
  runClients(workerData as WorkerInput).catch((error: unknown) => {
    parentPort?.postMessage({ type: 'failed', error: describeError(error) } satisfies FromWorker);
  });
}

// ---------------------------------------------------------------- main thread: the server

function percentile(histogram: Uint32Array, total: number, p: number): number {
  const want = Math.ceil(total * p);
  let seen = 0;
  for (let b = 0; b < histogram.length; b++) {
    seen += histogram[b] as number;
    if (seen >= want) return (b + 1) / BUCKETS_PER_MS; // upper edge of the bucket
  }
  return Infinity;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** One scenario: a fresh server and a fresh worker; always cleaned up. */
async function runScenario(scenario: Scenario, context: BenchContext): Promise<Row> {
  const clients = Math.min(MAX_CLIENTS, Math.max(2, Math.floor(scenario.clients)));
  const offered = clients * scenario.rate * (clients - 1);
  const variant = `${scenario.protobuf ? 'protobuf ' : ''}${clients} clients x ${scenario.rate} SA/s, ${scenario.durationMs / 1000} s (${(offered / 1000).toFixed(1)}k/s offered)`;
  // Every client is on loopback: one address, so the per-address limit must admit them all.
  const server = new CotServer({
    host: '127.0.0.1',
    port: 0,
    maxClients: clients + 10,
    maxClientsPerAddress: clients + 10,
    // Replay at connect, as before the protobuf offer: a replay held for clients that never answer would
    // land in the send phase and be counted as late deliveries.
    replayHoldMs: 0,
  });
  let worker: Worker | undefined;
  try {
    const { port } = await server.listen();
    let identified = 0;
    const allIdentified = new Promise<void>((resolve) => {
      const onIdentified = (): void => {
        if (++identified === clients) {
          server.off('identified', onIdentified);
          resolve();
        }
      };
      server.on('identified', onIdentified);
    });
    const input: WorkerInput = { role: WORKER_ROLE, port, ...scenario, clients };
    const w = new Worker(__filename, { workerData: input });
    worker = w;
    const messages: FromWorker[] = [];
    let wake: (() => void) | undefined;
    let failure: Error | undefined;
    w.on('message', (m: FromWorker) => {
      messages.push(m);
      wake?.();
    });
    w.on('error', (error) => {
      failure = error;
      wake?.();
    });
    w.on('exit', (code) => {
      failure ??= new Error(`the client worker exited (${code})`);
      wake?.();
    });
    const next = async (type: FromWorker['type'], ms: number): Promise<FromWorker> => {
      const deadline = Date.now() + ms;
      // Bounded: each pass waits for a message or the deadline.
      for (;;) {
        const found = messages.find((m) => m.type === type || m.type === 'failed');
        if (found?.type === 'failed') throw new Error(`the client worker failed: ${found.error}`);
        if (found) return found;
        if (failure) throw failure;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no '${type}' from the client worker within ${ms} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    };

    await next('ready', SETUP_TIMEOUT_MS);
    await withTimeout(allIdentified, SETUP_TIMEOUT_MS, 'identifying every client');
    global.gc?.();
    const before = process.memoryUsage();
    const metricsBefore = server.metrics();
    const eluStart = performance.eventLoopUtilization();
    const sendPhaseEnds = performance.now() + scenario.durationMs;
    let serverElu = NaN;
    const eluTimer = setTimeout(() => {
      serverElu = performance.eventLoopUtilization(eluStart).utilization;
    }, scenario.durationMs);
    w.postMessage({ type: 'go' } satisfies ToWorker);
    const done = await next('result', scenario.durationMs + SETTLE_TIMEOUT_MS + 10_000).finally(() =>
      clearTimeout(eluTimer),
    );
    if (Number.isNaN(serverElu) && performance.now() >= sendPhaseEnds) {
      serverElu = performance.eventLoopUtilization(eluStart).utilization;
    }
    if (done.type !== 'result') throw new Error('unexpected message from the client worker');
    const after = process.memoryUsage();
    const metrics = server.metrics();
    const r = done.result;
    const expected = r.sent * (clients - 1);
    const lost = expected - r.delivered;
    const p50 = percentile(r.histogram, r.delivered, 0.5);
    const p99 = percentile(r.histogram, r.delivered, 0.99);
    const rate = (r.delivered / r.windowMs) * 1000;
    const dropped = metrics.dropped - metricsBefore.dropped;
    const clientsDropped = metrics.clientsDropped - metricsBefore.clientsDropped;
    const pass =
      rate >= TARGET_DELIVERIES_PER_SEC &&
      p99 < TARGET_P99_MS &&
      dropped === 0 &&
      clientsDropped === 0 &&
      lost === 0;
    let verdict = pass ? 'PASS' : 'FAIL';
    if (!scenario.targeted) verdict = 'headroom probe, no target:';
    else if (offered < TARGET_DELIVERIES_PER_SEC) verdict = 'n/a (offered load below the target rate):';
    context.log(
      `${variant}: ${Math.round(rate)} deliveries/s, p99 ${p99} ms, ${r.delivered}/${expected} delivered, dropped ${dropped}`,
    );
    const checks =
      scenario.targeted && offered >= TARGET_DELIVERIES_PER_SEC
        ? [
            {
              what: `>=${TARGET_DELIVERIES_PER_SEC / 1000}k deliveries/s`,
              pass: rate >= TARGET_DELIVERIES_PER_SEC,
            },
            { what: `p99 <${TARGET_P99_MS} ms`, pass: p99 < TARGET_P99_MS },
            { what: 'none lost or dropped', pass: dropped === 0 && clientsDropped === 0 && lost === 0 },
          ]
        : undefined;
    return {
      case: CASE,
      variant,
      opsPerSec: rate,
      bytesPerOp: r.eventBytes,
      ...(checks ? { checks } : {}),
      note:
        (scenario.targeted
          ? `${verdict} target >=${TARGET_DELIVERIES_PER_SEC / 1000}k deliveries/s, p99 <${TARGET_P99_MS} ms, none dropped; `
          : `${verdict} `) +
        `latency p50 ${p50.toFixed(1)} ms p99 ${p99.toFixed(1)} ms max ${r.maxLatencyMs.toFixed(1)} ms; ` +
        `${r.sent} sent, ${r.delivered}/${expected} delivered (${lost} lost), ${dropped} dropped, ${clientsDropped} clients dropped, ` +
        `${r.closedClients} closed early${r.errors.length > 0 ? ` (${r.errors.join('; ')})` : ''}; ` +
        `event loop busy: server ${(serverElu * 100).toFixed(0)}%, clients ${(r.elu * 100).toFixed(0)}%; ` +
        `rss ${mib(before.rss)} -> ${mib(after.rss)}, server heap ${mib(before.heapUsed)} -> ${mib(after.heapUsed)}`,
    };
  } catch (error) {
    return { case: CASE, variant, opsPerSec: NaN, note: `did not run: ${describeError(error)}` };
  } finally {
    await worker?.terminate();
    await server.close();
  }
}

/**
 * The issue's load (200 clients, about 60k deliveries/s offered), then twice that to show the headroom.
 * With --quick each runs one second.
 */
export async function runFanoutCase(context: BenchContext): Promise<Row[]> {
  const quick = context.measure.sampleMs < 100;
  const durationMs = quick ? 1000 : 5000;
  const scenarios: Scenario[] = [
    { clients: DEFAULT_CLIENTS, rate: 1.5, durationMs, targeted: true, protobuf: false },
    { clients: DEFAULT_CLIENTS, rate: 3, durationMs, targeted: false, protobuf: false },
    // The same loads with every client on TAK Protocol: the server decodes frames and relays them as received.
    { clients: DEFAULT_CLIENTS, rate: 1.5, durationMs, targeted: true, protobuf: true },
    { clients: DEFAULT_CLIENTS, rate: 3, durationMs, targeted: false, protobuf: true },
  ];
  const rows: Row[] = [];
  for (const scenario of scenarios) rows.push(await runScenario(scenario, context));
  return rows;
}
