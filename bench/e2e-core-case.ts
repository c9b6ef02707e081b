/**
 * The e2e case without Node-RED: TakClient -> the same loopback relay -> TakClient, the same short-form
 * events, XML and TAK Protocol runs alternating. What our core costs on both ends (build or encode, queue,
 * write, frame, parse or decode, emit), beside the e2e rows, where Node-RED's own work per message (the
 * nodes' input and output, a function node) is in every event too. No target of its own: it says how much
 * of the protobuf path's gain the Node-RED rows can show.
 */
import { TakClient, type TakReceivedEvent } from '../src/index';
import { BATCH, benchEvent, EVENT_COUNT, percentile, relay } from './e2e-case';
import type { BenchContext, Row } from './harness';

const CASE = 'e2e-core';
const RUN_TIMEOUT_MS = 60_000;
/** Alternating runs of each format, as in the e2e case. */
const RUNS = 5;

type WireFormat = 'xml' | 'protobuf';
const XML_VARIANT = `TakClient -> relay -> TakClient, ${EVENT_COUNT} events`;
const PROTOBUF_VARIANT = 'the same with TAK Protocol v1 on both connections';

interface RunResult {
  eventsPerSecond: number;
  p50Ms: number;
  received: number;
}

async function oneRun(wire: WireFormat): Promise<RunResult> {
  const { server, port } = await relay();
  const options = (uid: string) => ({
    host: '127.0.0.1',
    port,
    protocol: wire,
    presence: { uid, callsign: uid },
    identityGapMs: 0,
    maxQueueEvents: EVENT_COUNT * 2,
  });
  const sender = new TakClient(options('bench-sender'));
  const receiver = new TakClient(options('bench-receiver'));
  const sentAt = new Float64Array(EVENT_COUNT);
  const seen = new Uint8Array(EVENT_COUNT);
  const latencies: number[] = [];
  let received = 0;
  let lastAt = 0;
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${received} of ${EVENT_COUNT} events arrived in ${RUN_TIMEOUT_MS} ms`)),
      RUN_TIMEOUT_MS,
    );
    receiver.on('event', ({ event }: TakReceivedEvent) => {
      if (!event.uid.startsWith('e2e-')) return;
      const index = Number(event.uid.slice(4));
      if (seen[index]) return;
      seen[index] = 1;
      received++;
      lastAt = performance.now();
      latencies.push(lastAt - (sentAt[index] as number));
      if (received === EVENT_COUNT) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  try {
    let connections = 0;
    server.on('connection', () => connections++);
    sender.start();
    receiver.start();
    const until = Date.now() + 10_000;
    while (connections < 2) {
      if (Date.now() > until) throw new Error('the clients did not connect to the relay');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 200)); // presence events through first
    const started = performance.now();
    for (let i = 0; i < EVENT_COUNT; i += BATCH) {
      for (let k = i; k < Math.min(EVENT_COUNT, i + BATCH); k++) {
        sentAt[k] = performance.now();
        sender.send(benchEvent(k));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await done;
    latencies.sort((a, b) => a - b);
    return {
      eventsPerSecond: EVENT_COUNT / ((lastAt - started) / 1000),
      p50Ms: percentile(latencies, 50),
      received,
    };
  } finally {
    await Promise.all([sender.stop(), receiver.stop()]);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function median(results: RunResult[]): RunResult {
  return [...results].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond)[
    Math.floor(results.length / 2)
  ] as RunResult;
}

export async function runE2eCoreCase(context: BenchContext): Promise<Row[]> {
  const results: Record<WireFormat, RunResult[]> = { xml: [], protobuf: [] };
  for (let run = 0; run < RUNS; run++) {
    for (const wire of ['xml', 'protobuf'] as const) {
      const result = await oneRun(wire);
      context.log(
        `e2e-core ${wire} run ${run + 1}: ${Math.round(result.eventsPerSecond)} events/s, p50 ${result.p50Ms.toFixed(1)} ms`,
      );
      results[wire].push(result);
    }
  }
  const row = (wire: WireFormat, variant: string): Row => {
    const m = median(results[wire]);
    const lost = results[wire].reduce((sum, r) => sum + (EVENT_COUNT - r.received), 0);
    return {
      case: CASE,
      variant,
      opsPerSec: m.eventsPerSecond,
      reference: XML_VARIANT,
      checks: [{ what: 'no event lost', pass: lost === 0 }],
      note: `no target (see the e2e rows); median of ${RUNS} runs, alternating; p50 latency ${m.p50Ms.toFixed(1)} ms; lost ${lost}`,
    };
  };
  return [row('xml', XML_VARIANT), row('protobuf', PROTOBUF_VARIANT)];
}
