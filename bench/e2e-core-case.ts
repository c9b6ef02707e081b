/**
 * The e2e case without Node-RED: TakClient -> the same loopback relay -> TakClient, the same short-form
 * events, XML and TAK Protocol runs alternating. What our core costs on both ends (build or encode, queue,
 * write, frame, parse or decode, emit), beside the e2e rows, where Node-RED's own work per message (the
 * nodes' input and output, the routing to the next node) is in every event too. No target of its own: it says how much
 * of the protobuf path's gain the Node-RED rows can show.
 */
import { TakClient, type TakReceivedEvent } from '../src/index';
import { Deliveries, EVENT_COUNT, medianRun, relay, untilBothConnected } from './e2e-case';
import type { BenchContext, Row } from './harness';

const CASE = 'e2e-core';
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
  const deliveries = new Deliveries();
  receiver.on('event', ({ event }: TakReceivedEvent) => {
    if (event.uid.startsWith('e2e-')) deliveries.arrived(Number(event.uid.slice(4)));
  });
  try {
    let connections = 0;
    server.on('connection', () => connections++);
    sender.start();
    receiver.start();
    await untilBothConnected(() => connections, 'the clients');
    const started = await deliveries.sendAll((event) => sender.send(event));
    await deliveries.done;
    return {
      eventsPerSecond: EVENT_COUNT / ((deliveries.lastAt - started) / 1000),
      p50Ms: deliveries.latency(50),
      received: deliveries.received,
    };
  } finally {
    await Promise.all([sender.stop(), receiver.stop()]);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
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
    const m = medianRun(results[wire]);
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
