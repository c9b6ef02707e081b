/**
 * End to end through a real Node-RED runtime: tak-send -> a loopback relay -> tak-receive.
 *
 * Two tak-configs (two sockets) so the relay can hand one connection's bytes to the other, as a server
 * routes one client's events to another. The relay copies bytes without parsing them, so the figure is
 * the cost of our nodes and core on both ends: build, queue, write, frame, parse, emit.
 *
 * The same runs again with both tak-configs on TAK Protocol v1 from the first byte (what a TAK Server
 * `prototls` input or an agreed negotiation gives), alternating with the XML runs so both see the same
 * machine: the protobuf row is judged against the XML row of this run.
 */
import net from 'node:net';
import type { CotShortInput } from '../src/index';
import type { BenchContext, Row } from './harness';
import { startEmbeddedRed, type EmbeddedRed } from '../test/helpers/embedded-red';
import { SINK_HTML, SINK_TYPE } from './sink-node';

const CASE = 'e2e';
/** Events per run: enough for a steady rate, bounded so a run takes seconds. */
export const EVENT_COUNT = 20_000;
/** Events handed to tak-send per turn of the event loop, so sockets get to flush in between. */
export const BATCH = 200;
/** A run that has not delivered everything by then has lost events. */
const RUN_TIMEOUT_MS = 60_000;
/** Connecting to a relay on loopback takes milliseconds; seconds means something is wrong. */
const CONNECT_TIMEOUT_MS = 10_000;
/** After connecting, time for the presence events to pass before the run's events start. */
const PRESENCE_SETTLE_MS = 200;
/** Alternating XML and protobuf runs: five, as one run in three moved 20 % on a shared machine. */
const RUNS = 5;
const TARGET_EVENTS_PER_SECOND = 10_000;
/** TAK Protocol's end-to-end rate over XML's in the same run. */
const TARGET_PROTOBUF_RATIO = 1.5;

type WireFormat = 'xml' | 'protobuf';
const XML_VARIANT = `tak-send -> relay -> tak-receive, ${EVENT_COUNT} events`;
const PROTOBUF_VARIANT = `the same with TAK Protocol v1 on both connections`;

interface RunResult {
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  received: number;
  duplicates: number;
  heapGrowthMb: number;
}

/** Copies every byte from one client to all the others. */
export function relay(): Promise<{ server: net.Server; port: number }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => {
      for (const other of sockets) if (other !== socket) other.write(chunk);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as net.AddressInfo).port }),
    );
  });
}

function flow(port: number, wire: WireFormat): Array<Record<string, unknown>> {
  const config = (id: string, uid: string) => ({
    id,
    type: 'tak-config',
    host: '127.0.0.1',
    port,
    takProtocol: wire,
    uid,
    callsign: uid,
    identityGap: 0,
    queueSize: EVENT_COUNT * 2,
  });
  return [
    { id: 'tab', type: 'tab', label: 'bench' },
    config('cfg-out', 'bench-sender'),
    config('cfg-in', 'bench-receiver'),
    { id: 'send', type: 'tak-send', z: 'tab', x: 100, y: 100, server: 'cfg-out', wires: [] },
    {
      id: 'recv',
      type: 'tak-receive',
      z: 'tab',
      x: 100,
      y: 200,
      server: 'cfg-in',
      types: 'a-f-G-U-C',
      wires: [['sink']],
    },
    // A plain node hands each msg to the bench (see sink-node.ts for why not a function node).
    { id: 'sink', type: SINK_TYPE, z: 'tab', x: 300, y: 200, wires: [] },
  ];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** The k-th event a run sends: a short form with its own uid and values that vary. */
export function benchEvent(k: number): CotShortInput {
  return {
    uid: `e2e-${k}`,
    type: 'a-f-G-U-C',
    lat: 45 + (k % 90) / 100,
    lon: 7,
    callsign: `unit ${k}`,
    speed: 3,
    course: k % 360,
    battery: 80,
  };
}

/** Waits until `connections()` reaches two: both ends are up before timing starts. */
export async function untilBothConnected(connections: () => number, what: string): Promise<void> {
  const until = Date.now() + CONNECT_TIMEOUT_MS;
  while (connections() < 2) {
    if (Date.now() > until) throw new Error(`${what} did not connect to the relay`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, PRESENCE_SETTLE_MS));
}

/**
 * Which of a run's events arrived, when, and how often. `arrived(k)` is called for each event received;
 * `done` resolves once all EVENT_COUNT have arrived and rejects at RUN_TIMEOUT_MS.
 */
export class Deliveries {
  readonly sentAt = new Float64Array(EVENT_COUNT);
  readonly done: Promise<void>;
  received = 0;
  duplicates = 0;
  lastAt = 0;
  private readonly seen = new Uint8Array(EVENT_COUNT);
  private readonly latencies: number[] = [];
  private finish: () => void = () => undefined;

  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`only ${this.received} of ${EVENT_COUNT} events arrived in ${RUN_TIMEOUT_MS} ms`)),
        RUN_TIMEOUT_MS,
      );
      this.finish = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  arrived(index: number): void {
    const now = performance.now();
    if (this.seen[index]) {
      this.duplicates++;
      return;
    }
    this.seen[index] = 1;
    this.received++;
    this.latencies.push(now - (this.sentAt[index] as number));
    this.lastAt = now;
    if (this.received === EVENT_COUNT) this.finish();
  }

  /** Hands the run's events to `send` BATCH per turn of the event loop, noting when each went; returns the start. */
  async sendAll(send: (event: CotShortInput) => void): Promise<number> {
    const started = performance.now();
    for (let i = 0; i < EVENT_COUNT; i += BATCH) {
      for (let k = i; k < Math.min(EVENT_COUNT, i + BATCH); k++) {
        this.sentAt[k] = performance.now();
        send(benchEvent(k));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    return started;
  }

  /** Latency at percentile p, in ms. */
  latency(p: number): number {
    this.latencies.sort((a, b) => a - b);
    return percentile(this.latencies, p);
  }
}

/** The run with the median rate. */
export function medianRun<T extends { eventsPerSecond: number }>(results: T[]): T {
  return [...results].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond)[
    Math.floor(results.length / 2)
  ] as T;
}

function heapMb(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
  return process.memoryUsage().heapUsed / 1e6;
}

/** Where the function node in the flow delivers each msg. */
let deliver: (msg: { payload: { uid: string } }) => void = () => undefined;

async function oneRun(red: EmbeddedRed, wire: WireFormat): Promise<RunResult> {
  const { server, port } = await relay();
  let connections = 0;
  server.on('connection', () => connections++);
  await red.deploy(flow(port, wire));
  const send = red.nodes.getNode('send');
  if (!send) throw new Error('the bench flow did not start');
  // The sender's connection starts on the first send; both must be up before timing starts.
  send.receive({ payload: { uid: 'warm-up', type: 'a-n-G', lat: 0, lon: 0 } });
  await untilBothConnected(() => connections, 'the tak-configs');
  const deliveries = new Deliveries();
  deliver = (msg) => deliveries.arrived(Number(msg.payload.uid.slice(4)));
  const heapBefore = heapMb();
  const started = await deliveries.sendAll((event) => send.receive({ payload: event }));
  await deliveries.done;
  const seconds = (deliveries.lastAt - started) / 1000;
  const heapAfter = heapMb();
  await red.deploy([]);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    eventsPerSecond: EVENT_COUNT / seconds,
    p50Ms: deliveries.latency(50),
    p99Ms: deliveries.latency(99),
    received: deliveries.received,
    duplicates: deliveries.duplicates,
    heapGrowthMb: heapAfter - heapBefore,
  };
}

function describe(results: RunResult[]): {
  median: RunResult;
  lost: number;
  duplicates: number;
  note: string;
} {
  const median = medianRun(results);
  const lost = results.reduce((sum, r) => sum + (EVENT_COUNT - r.received), 0);
  const duplicates = results.reduce((sum, r) => sum + r.duplicates, 0);
  const note =
    `p50 ${median.p50Ms.toFixed(1)} ms, p99 ${median.p99Ms.toFixed(1)} ms latency; lost ${lost}, duplicates ${duplicates}; ` +
    `heap growth over a run ${median.heapGrowthMb.toFixed(1)} MB`;
  return { median, lost, duplicates, note };
}

export async function runE2eCase(context: BenchContext): Promise<Row[]> {
  const red = await startEmbeddedRed({
    globals: { sink: (msg: { payload: { uid: string } }) => deliver(msg) },
    localNodes: [{ name: SINK_TYPE, module: require.resolve('./sink-node'), html: SINK_HTML }],
  });
  const results: Record<WireFormat, RunResult[]> = { xml: [], protobuf: [] };
  try {
    for (let run = 0; run < RUNS; run++) {
      for (const wire of ['xml', 'protobuf'] as const) {
        const result = await oneRun(red, wire);
        context.log(
          `e2e ${wire} run ${run + 1}: ${Math.round(result.eventsPerSecond)} events/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, heap ${result.heapGrowthMb.toFixed(1)} MB`,
        );
        results[wire].push(result);
      }
    }
  } finally {
    await red.stop();
  }
  const xml = describe(results.xml);
  const protobuf = describe(results.protobuf);
  return [
    {
      case: CASE,
      variant: XML_VARIANT,
      opsPerSec: xml.median.eventsPerSecond,
      reference: XML_VARIANT,
      checks: [
        {
          what: `>= ${TARGET_EVENTS_PER_SECOND} events/s (median of ${RUNS} runs)`,
          pass: xml.median.eventsPerSecond >= TARGET_EVENTS_PER_SECOND,
        },
        { what: 'no event lost', pass: xml.lost === 0 },
      ],
      note: `target >= ${TARGET_EVENTS_PER_SECOND} events/s with no loss (median of ${RUNS} runs); ${xml.note}`,
    },
    {
      case: CASE,
      variant: PROTOBUF_VARIANT,
      opsPerSec: protobuf.median.eventsPerSecond,
      reference: XML_VARIANT,
      targets: [{ against: XML_VARIANT, min: TARGET_PROTOBUF_RATIO }],
      checks: [{ what: 'no event lost', pass: protobuf.lost === 0 }],
      note:
        `target >= ${TARGET_PROTOBUF_RATIO}x the XML row's rate, runs alternating with it, no loss; ` +
        protobuf.note,
    },
  ];
}
