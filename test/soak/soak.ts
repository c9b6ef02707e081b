/**
 * The soak: a real Node-RED runtime with cot-build -> tak-send -> a TAK server -> tak-receive, fed at a
 * fixed rate while a fault script works on the server side. Every loop is bounded in time and count.
 */
import { startEmbeddedRed, type EmbeddedRed } from '../helpers/embedded-red';
import { freePort } from '../helpers/ports';
import { FaultServer } from './fault-server';
import { hostileClients } from './hostile-clients';

export type Fault = 'restart' | 'pause' | 'garbage' | 'oversize' | 'half-open' | 'redeploy' | 'hostile';

export interface SoakOptions {
  /** How long events are offered. */
  durationMs: number;
  /** Events offered per second. */
  rate: number;
  /** The faults to apply in turn, one every `faultEveryMs`. */
  faults: Fault[];
  faultEveryMs: number;
  /** How long the server stays down on a restart. */
  outageMs: number;
  /** The sender's queue (events). */
  queueSize: number;
  /** After offering stops: the longest wait for the last events to arrive. */
  drainMs: number;
  log?: (line: string) => void;
}

export interface SoakReport {
  offered: number;
  /** Accepted by the sender's client from tak-send; the rest went missing between nodes (a redeploy stopping the flow). */
  accepted: number;
  delivered: number;
  duplicates: number;
  /** Counted by the sender: the oldest events when its queue was full, and what a redeploy's stop could not flush. */
  dropped: number;
  /** Of those, events written before a loss and dropped before their resend: they may have arrived. */
  droppedWritten: number;
  /**
   * Offered events that never reached the sender's client: cot-build passed them on while a deploy was
   * stopping the flow, and Node-RED does not carry messages in flight across a deploy.
   */
  lostBetweenNodes: number;
  /** Events the sender's client accepted that neither arrived nor were counted as dropped: our losses. */
  unaccounted: number;
  /** Errors a node of the flow raised (a Catch node saw them), by node type: each is a message refused. */
  refusedByNodes: Record<string, number>;
  receiverParseErrors: Record<string, number>;
  /** The 'hostile' fault: SA a well-behaved pair sent through the flow's tak-server under attack, and got. */
  hostile: {
    sent: number;
    delivered: number;
    pairDisconnected: number;
    serverErrors: Record<string, number>;
  };
  reconnects: number;
  faultsApplied: Record<string, number>;
  heapStartMb: number;
  heapMaxMb: number;
  heapEndMb: number;
  p50Ms: number;
  p99Ms: number;
  seconds: number;
}

/** Receivers cap events at this size, so the injected oversize event is surely over it. */
const RECEIVER_MAX_EVENT_KB = 64;
/** Fast liveness, so a half-open connection is noticed within seconds instead of ATAK's 25 s. */
const SOAK_PING_AFTER_IDLE_S = 1;
const SOAK_DEAD_AFTER_IDLE_S = 3;
/** How often memory is sampled. */
const HEAP_SAMPLE_MS = 250;

interface ClientCounters {
  /** Events the sender's client accepted from tak-send. */
  offered: number;
  connects: number;
  dropped: number;
  droppedWritten: number;
  parseErrors: number;
}

interface LiveClient {
  counters: ClientCounters;
}

interface ConfigNode {
  connection?: { current?: LiveClient };
}

function flow(port: number, queueSize: number, takServerPort: number): Array<Record<string, unknown>> {
  const config = (id: string, uid: string, extra: Record<string, unknown> = {}) => ({
    id,
    type: 'tak-config',
    host: '127.0.0.1',
    port,
    uid,
    callsign: uid,
    identityGap: 0,
    reconnectMax: 1,
    pingAfterIdle: SOAK_PING_AFTER_IDLE_S,
    pingInterval: SOAK_PING_AFTER_IDLE_S,
    deadAfterIdle: SOAK_DEAD_AFTER_IDLE_S,
    queueSize,
    ...extra,
  });
  return [
    { id: 'tab', type: 'tab', label: 'soak' },
    // The flow's own TAK server, attacked by the 'hostile' fault; wired to two nodes, so every event it
    // passes on is deep-copied by Node-RED as in a user's flow.
    {
      id: 'srv',
      type: 'tak-server',
      z: 'tab',
      x: 100,
      y: 400,
      host: '127.0.0.1',
      port: takServerPort,
      wires: [['srv-a', 'srv-b']],
    },
    {
      id: 'srv-a',
      type: 'function',
      z: 'tab',
      x: 300,
      y: 400,
      func: "if (msg.topic === 'metrics') global.get('srvMetrics')(msg); return null;",
      outputs: 0,
      wires: [],
    },
    { id: 'srv-b', type: 'function', z: 'tab', x: 300, y: 440, func: 'return null;', outputs: 0, wires: [] },
    config('cfg-out', 'soak-sender'),
    config('cfg-in', 'soak-receiver', { maxEventKb: RECEIVER_MAX_EVENT_KB }),
    { id: 'build', type: 'cot-build', z: 'tab', x: 100, y: 100, wires: [['send']] },
    { id: 'send', type: 'tak-send', z: 'tab', x: 300, y: 100, server: 'cfg-out', wires: [] },
    {
      id: 'recv',
      type: 'tak-receive',
      z: 'tab',
      x: 100,
      y: 200,
      server: 'cfg-in',
      types: 'a-f-G-E',
      emitErrors: true,
      wires: [['sink']],
    },
    // Anything a node of the flow refuses (tak-send: no connection, bad input...) is counted, not lost quietly.
    {
      id: 'catch',
      type: 'catch',
      z: 'tab',
      x: 100,
      y: 300,
      scope: null,
      uncaught: false,
      wires: [['caught']],
    },
    {
      id: 'caught',
      type: 'function',
      z: 'tab',
      x: 300,
      y: 300,
      func: "global.get('caught')(msg); return null;",
      outputs: 0,
      wires: [],
    },
    {
      id: 'sink',
      type: 'function',
      z: 'tab',
      x: 300,
      y: 200,
      func: "global.get('sink')(msg); return null;",
      outputs: 0,
      wires: [],
    },
  ];
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1e6;
}

function client(red: EmbeddedRed, id: string): LiveClient | undefined {
  const node = red.nodes.getNode(id) as unknown as ConfigNode | null;
  return node?.connection?.current;
}

function counters(red: EmbeddedRed, id: string): ClientCounters {
  return (
    client(red, id)?.counters ?? { offered: 0, connects: 0, dropped: 0, droppedWritten: 0, parseErrors: 0 }
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Where the flow's tak-server's metrics output goes: the function waiting for it, if any. */
let metricsWaiter: ((payload: { errors?: Record<string, number> }) => void) | undefined;
const srvMetrics = (msg: { payload: { errors?: Record<string, number> } }): void =>
  metricsWaiter?.(msg.payload);

/** The flow's tak-server's refusals by code, from its metrics output. */
async function takServerErrors(red: EmbeddedRed): Promise<Record<string, number>> {
  const node = red.nodes.getNode('srv');
  if (!node) return {};
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({}), 2_000);
    metricsWaiter = (payload) => {
      clearTimeout(timer);
      metricsWaiter = undefined;
      resolve(payload.errors ?? {});
    };
    node.receive({ topic: 'metrics' });
  });
}

/** The flow's receiving connection names itself to the server within moments; a loaded machine gets plenty. */
const RECEIVER_KNOWN_WITHIN_MS = 30_000;

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const server = new FaultServer();
  await server.start();
  const takServerPort = await freePort();
  const hostile = { sent: 0, delivered: 0, pairDisconnected: 0, serverErrors: {} as Record<string, number> };
  const sentAt = new Map<number, number>();
  const arrived = new Set<number>();
  const latencies: number[] = [];
  const parseErrors: Record<string, number> = {};
  let duplicates = 0;
  const sink = (msg: { topic?: string; payload: { uid?: string }; error?: { code: string } }): void => {
    if (msg.topic === 'error' && msg.error) {
      parseErrors[msg.error.code] = (parseErrors[msg.error.code] ?? 0) + 1;
      return;
    }
    const uid = msg.payload.uid ?? '';
    if (!uid.startsWith('soak-')) return;
    const n = Number(uid.slice(5));
    if (arrived.has(n)) {
      duplicates++;
      return;
    }
    arrived.add(n);
    latencies.push(performance.now() - (sentAt.get(n) ?? performance.now()));
  };
  const refusedByNodes: Record<string, number> = {};
  const caught = (msg: { error?: { source?: { type?: string } } }): void => {
    const type = msg.error?.source?.type ?? 'unknown';
    refusedByNodes[type] = (refusedByNodes[type] ?? 0) + 1;
  };
  const red = await startEmbeddedRed({ globals: { sink, caught, srvMetrics } });
  // Clients a redeploy replaced: read after they stopped, so what they dropped on the way out counts.
  // A redeploy with the same settings hands the client over, so the same one may be seen again: a set.
  const retiredSenders = new Set<LiveClient>();
  const retiredClients = new Set<LiveClient>();
  const sum = (clients: Set<LiveClient>, counter: keyof ClientCounters, except: LiveClient | undefined) =>
    [...clients].reduce((total, c) => total + (c === except ? 0 : c.counters[counter]), 0);
  /** Connections made beyond each client's first. */
  const reconnects = (): number => {
    const all = new Set([...retiredClients, client(red, 'cfg-out'), client(red, 'cfg-in')]);
    all.delete(undefined);
    return [...all].reduce((total, c) => total + Math.max(0, (c as LiveClient).counters.connects - 1), 0);
  };
  /** What the sending clients counted: those a redeploy replaced, and the one in use now. */
  const sending = (): Pick<ClientCounters, 'offered' | 'dropped' | 'droppedWritten'> => {
    const sender = client(red, 'cfg-out');
    const now = counters(red, 'cfg-out');
    return {
      offered: sum(retiredSenders, 'offered', sender) + now.offered,
      dropped: sum(retiredSenders, 'dropped', sender) + now.dropped,
      droppedWritten: sum(retiredSenders, 'droppedWritten', sender) + now.droppedWritten,
    };
  };
  const faultsApplied: Record<string, number> = {};
  const heapStartMb = heapMb();
  let heapMaxMb = heapStartMb;
  const sampler = setInterval(() => {
    heapMaxMb = Math.max(heapMaxMb, process.memoryUsage().heapUsed / 1e6);
  }, HEAP_SAMPLE_MS);

  try {
    await red.deploy(flow(server.port, options.queueSize, takServerPort));
    // The server keeps events only for clients it knows: one offered before the receiver named itself would be
    // lost by the server, not by us (seen as soak-0 going missing on a loaded machine).
    const knownBy = performance.now() + RECEIVER_KNOWN_WITHIN_MS;
    while (!server.knows('soak-receiver')) {
      if (performance.now() > knownBy) {
        throw new Error(
          `the receiver did not connect to the soak's server within ${RECEIVER_KNOWN_WITHIN_MS} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const started = performance.now();
    let offered = 0;
    const maxOffers = Math.ceil((options.durationMs / 1000) * options.rate);
    // Offer at a fixed rate: each tick sends what the clock says is due.
    const offering = (async () => {
      while (offered < maxOffers) {
        const due = Math.min(maxOffers, Math.floor(((performance.now() - started) / 1000) * options.rate));
        while (offered < due) {
          // While a redeploy swaps the flow there is no cot-build to hand events to: offer them next tick.
          const node = red.nodes.getNode('build');
          if (!node) break;
          const n = offered++;
          sentAt.set(n, performance.now());
          node.receive({
            payload: {
              uid: `soak-${n}`,
              type: 'a-f-G-E-S',
              lat: 40 + (n % 100) / 1000,
              lon: -105,
              callsign: `sensor ${n % 50}`,
              battery: 90,
              speed: 1.5,
            },
          });
        }
        await sleep(5);
      }
    })();
    // The fault script, in turn, until offering ends.
    let next = 0;
    while (offered < maxOffers) {
      await sleep(options.faultEveryMs);
      if (offered >= maxOffers || options.faults.length === 0) break;
      const fault = options.faults[next++ % options.faults.length] as Fault;
      faultsApplied[fault] = (faultsApplied[fault] ?? 0) + 1;
      log(`  t=${((performance.now() - started) / 1000).toFixed(1)} s: ${fault}`);
      switch (fault) {
        case 'restart':
          await server.stop();
          await sleep(options.outageMs);
          await server.restart();
          break;
        case 'pause':
          server.pauseReading(options.outageMs);
          break;
        case 'garbage':
          server.injectGarbage();
          break;
        case 'oversize':
          server.injectOversize(RECEIVER_MAX_EVENT_KB * 1024 * 2);
          break;
        case 'half-open':
          server.silenceAll();
          break;
        case 'hostile': {
          const result = await hostileClients(takServerPort, options.outageMs);
          hostile.sent += result.sent;
          hostile.delivered += result.delivered;
          if (result.pairDisconnected) hostile.pairDisconnected += 1;
          break;
        }
        case 'redeploy': {
          const sender = client(red, 'cfg-out');
          const receiver = client(red, 'cfg-in');
          await red.deploy(flow(server.port, options.queueSize, takServerPort));
          if (sender) retiredSenders.add(sender);
          for (const old of [sender, receiver]) if (old) retiredClients.add(old);
          break;
        }
      }
    }
    await offering;
    if (!server.running) await server.restart();
    // Let the queues drain: done when everything the sender accepted arrived or was counted as dropped.
    const drainUntil = performance.now() + options.drainMs;
    while (performance.now() < drainUntil) {
      const { offered: accepted, dropped } = sending();
      if (arrived.size + dropped >= accepted) break;
      await sleep(50);
    }
    const seconds = (performance.now() - started) / 1000;
    const { offered: accepted, dropped, droppedWritten } = sending();
    const reconnected = reconnects(); // before the flow is cleared below, while its clients are there
    hostile.serverErrors = await takServerErrors(red);
    latencies.sort((a, b) => a - b);
    const pick = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
    await red.deploy([]);
    await sleep(200);
    return {
      offered,
      accepted,
      delivered: arrived.size,
      duplicates,
      dropped,
      droppedWritten,
      // Lost without a count: every missing event must be among the counted drops.
      lostBetweenNodes: Math.max(0, offered - accepted),
      unaccounted: Math.max(0, accepted - arrived.size - dropped),
      refusedByNodes,
      receiverParseErrors: parseErrors,
      hostile,
      reconnects: reconnected,
      faultsApplied,
      heapStartMb,
      heapMaxMb,
      heapEndMb: heapMb(),
      p50Ms: pick(50),
      p99Ms: pick(99),
      seconds,
    };
  } finally {
    clearInterval(sampler);
    await red.stop();
    await server.stop();
  }
}

export function formatReport(report: SoakReport): string[] {
  return [
    `offered ${report.offered}, accepted by the sender ${report.accepted}, delivered ${report.delivered}, duplicates ${report.duplicates}`,
    `lost between nodes while a deploy stopped the flow (before tak-send) ${report.lostBetweenNodes}; refused by nodes ${JSON.stringify(report.refusedByNodes)}`,
    `dropped and counted by the sender (queue full, or left at a redeploy) ${report.dropped}, of which ${report.droppedWritten} had been written before a loss (may have arrived); unaccounted ${report.unaccounted}`,
    `receiver parse errors ${JSON.stringify(report.receiverParseErrors)} (garbage and oversize events the server injected)`,
    `hostile clients: the pair through the flow's tak-server got ${report.hostile.delivered}/${report.hostile.sent} (${report.hostile.pairDisconnected} times disconnected); its refusals ${JSON.stringify(report.hostile.serverErrors)}`,
    `reconnects ${report.reconnects}; faults ${JSON.stringify(report.faultsApplied)}`,
    `heap ${report.heapStartMb.toFixed(1)} MB at start, ${report.heapMaxMb.toFixed(1)} MB max, ${report.heapEndMb.toFixed(1)} MB at the end`,
    `latency p50 ${report.p50Ms.toFixed(1)} ms, p99 ${report.p99Ms.toFixed(1)} ms; ${report.seconds.toFixed(1)} s`,
  ];
}
