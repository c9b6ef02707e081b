/**
 * `npm run bench hostile`: a well-behaved pair of clients exchanging SA through the CoT server while one
 * attack at a time runs against it. Each row is one attack; it reports the pair's delivery and p99 latency
 * against the pair's own baseline, measured in the same run with no attack, and how much the server's
 * memory grew during the attack.
 *
 * Targets (issue 15): 100 % delivery and p99 within 10x the baseline under every attack, and heap growth per
 * attack within MEMORY_BOUND_MIB. The attackers run in this process, as the server does: their own work
 * (mostly socket writes) is counted against the server, which makes the figures conservative.
 *
 * Every attack is bounded in count and in time; the whole case takes about ROUNDS x 9 x (ATTACK_MS + 1.4 s).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { buildCot, presenceEvent } from '../src/index';
import { CotServer, type CotServerOptions } from '../src/server/cot-server';
import { tlsServerFactory } from '../src/tls/server';
import { loadServerTls } from '../src/tls/settings';
import { describeError, type BenchContext, type Row } from './harness';

const CASE = 'hostile';
/** How long each attack (and the baseline) runs while the pair exchanges SA. */
const ATTACK_MS = 1_500;
const QUICK_ATTACK_MS = 1_000;
/** Rounds of every phase; each row reports the median p99 of its rounds. */
const ROUNDS = 3;
/** The pair's SA rate each: far above ATAK's (about 1/s moving fast), so p99 has a few hundred samples per row. */
const PAIR_RATE_PER_SEC = 50;
/** Time for the pair's last events to arrive after a phase. */
const SETTLE_MS = 500;
/** Targets. */
const TARGET_P99_FACTOR = 10;
/**
 * Heap growth allowed per attack: 98 connections at the default 1 MiB largest event could make the server
 * hold 98 MiB of half-received events; the deadlines and limits keep it far below. 64 MiB is the bound.
 */
const MEMORY_BOUND_MIB = 64;
/** A p99 below this is noise on a shared machine: the 10x target is taken against at least this. */
const BASELINE_FLOOR_MS = 2;
/** Attack sizes: the figures, bounded. */
const SWARM = 98;
const FLOOD_EVENT_BYTES = 700 * 1024;
const DEEP_LEVELS = 2_000;
const RESET_LOOP_MAX = 2_000;
/** Loopback addresses the swarms connect from, so they fill the server rather than one address's share. */
const SOURCE_ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];

export interface Attack {
  name: string;
  tls?: boolean;
  /** Starts the attack; the returned function stops it and closes its sockets. */
  start(port: number): () => void;
}

function sa(uid: string, sentAt?: number): string {
  const event = presenceEvent({ uid, callsign: uid.toUpperCase() });
  if (sentAt !== undefined) event.detail = { ...event.detail, remarks: { _text: `t=${sentAt.toFixed(3)}` } };
  return buildCot(event);
}

function sources(i: number): string {
  return SOURCE_ADDRESSES[i % SOURCE_ADDRESSES.length] as string;
}

/** Sockets that open and then do `act` (or nothing); all destroyed when the attack stops. */
function swarm(port: number, count: number, act?: (socket: net.Socket, i: number) => void): () => void {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: sources(i) });
    socket.on('error', () => undefined);
    socket.resume();
    if (act) socket.once('connect', () => act(socket, i));
    sockets.push(socket);
  }
  return () => {
    for (const socket of sockets) socket.destroy();
  };
}

export const ATTACKS: Attack[] = [
  { name: 'idle swarm', start: (port) => swarm(port, SWARM) },
  {
    name: 'slowloris',
    start: (port) => {
      const timers: NodeJS.Timeout[] = [];
      const stop = swarm(port, SWARM, (socket) => {
        const text = '<event version="2.0" uid="slow" type="a-f-G" how="m-g" ';
        let at = 0;
        timers.push(
          setInterval(() => {
            if (!socket.destroyed) socket.write(text[at++ % text.length] as string);
          }, 100),
        );
      });
      return () => {
        for (const timer of timers) clearInterval(timer);
        stop();
      };
    },
  },
  {
    name: 'flood of big events',
    start: (port) => {
      const big = Buffer.from(
        sa('flood').replace('</event>', `<x>${'f'.repeat(FLOOD_EVENT_BYTES)}</x></event>`),
      );
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('error', () => undefined);
      socket.resume();
      let stopped = false;
      const pump = (): void => {
        while (!stopped && socket.write(big));
      };
      socket.on('connect', pump);
      socket.on('drain', pump);
      return () => {
        stopped = true;
        socket.destroy();
      };
    },
  },
  {
    name: 'deep nesting',
    start: (port) => {
      const deep = sa('deep').replace(
        '</event>',
        `${'<d>'.repeat(DEEP_LEVELS)}${'</d>'.repeat(DEEP_LEVELS)}</event>`,
      );
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('error', () => undefined);
      socket.resume();
      const timer = setInterval(() => socket.write(deep), 20);
      return () => {
        clearInterval(timer);
        socket.destroy();
      };
    },
  },
  {
    name: 'connect-reset loop',
    start: (port) => {
      let stopped = false;
      let made = 0;
      const loop = (): void => {
        if (stopped || made >= RESET_LOOP_MAX) return;
        made += 1;
        const socket = net.connect({ host: '127.0.0.1', port, localAddress: sources(made) });
        socket.on('error', () => undefined);
        socket.once('connect', () => {
          socket.resetAndDestroy();
          setImmediate(loop);
        });
        socket.once('close', () => undefined);
      };
      for (let i = 0; i < 4; i++) loop();
      return () => {
        stopped = true;
      };
    },
  },
  { name: 'TLS handshakes left open', tls: true, start: (port) => swarm(port, SWARM) },
  {
    name: 'invalid bytes',
    start: (port) => {
      const good = sa('bytes');
      const bad = Buffer.concat([
        Buffer.from(good.replace('</event>', '<remarks>')),
        Buffer.from([0xff, 0xfe, 0x00, 0x01, 0xc3]),
        Buffer.from('</remarks></event>'),
      ]);
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('error', () => undefined);
      socket.resume();
      const timer = setInterval(() => socket.write(bad), 2);
      return () => {
        clearInterval(timer);
        socket.destroy();
      };
    },
  },
];

/**
 * One side of the pair: sends SA with its send time and finds its peer's events in what it receives with
 * indexOf rather than a parser, so the big events an attack makes the server relay cost the pair little
 * and the figures stay the server's.
 */
export class PairClient {
  readonly latencies: number[] = [];
  received = 0;
  closed = false;
  private tail = '';

  constructor(
    readonly uid: string,
    readonly peerUid: string,
    readonly socket: net.Socket,
  ) {
    const mark = `uid="${peerUid}"`;
    socket.setEncoding('latin1'); // byte for byte: invalid UTF-8 from an attack cannot shift anything
    socket.on('data', (chunk: string) => {
      const now = performance.now();
      const text = this.tail + chunk;
      let from = 0;
      for (let end = text.indexOf('</event>', from); end >= 0; end = text.indexOf('</event>', from)) {
        const event = text.slice(from, end);
        from = end + 8;
        if (!event.includes(mark)) continue;
        const at = event.indexOf('>t='); // the remarks' text, not an attribute ending in t=
        if (at < 0) continue;
        this.received += 1;
        this.latencies.push(now - Number.parseFloat(event.slice(at + 3)));
      }
      this.tail = text.slice(from);
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  send(): void {
    this.socket.write(sa(this.uid, performance.now()));
  }
}

export function connectPair(port: number, secure: boolean): Promise<[PairClient, PairClient]> {
  const one = (uid: string, peer: string): Promise<PairClient> =>
    new Promise((resolve, reject) => {
      const socket = secure
        ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false })
        : net.connect({ host: '127.0.0.1', port });
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        socket.write(sa(uid));
        resolve(new PairClient(uid, peer, socket));
      });
      socket.once('error', reject);
    });
  return Promise.all([one('pair-a', 'pair-b'), one('pair-b', 'pair-a')]);
}

interface Phase {
  sent: number;
  received: number;
  p99: number;
  heapGrowthMiB: number;
  closed: boolean;
}

function p99(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] as number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/** The pair exchanges SA for `ms` while `attack` (if any) runs. */
async function phase(port: number, secure: boolean, ms: number, attack?: Attack): Promise<Phase> {
  const [a, b] = await connectPair(port, secure);
  await sleep(200); // both identified before the clock starts
  const heapBefore = heapMiB();
  const stop = attack?.start(port);
  let sent = 0;
  const interval = 1000 / PAIR_RATE_PER_SEC;
  const started = performance.now();
  while (performance.now() - started < ms) {
    a.send();
    b.send();
    sent += 2;
    await sleep(interval);
  }
  await sleep(SETTLE_MS);
  stop?.();
  await sleep(200);
  const heapGrowthMiB = heapMiB() - heapBefore;
  const closed = a.closed || b.closed;
  a.socket.destroy();
  b.socket.destroy();
  return {
    sent,
    received: a.received + b.received,
    p99: p99([...a.latencies, ...b.latencies]),
    heapGrowthMiB,
    closed,
  };
}

function selfSignedPem(): { cert: Buffer; key: Buffer; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'takpak-bench-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'k.pem',
      '-out',
      'c.pem',
      '-days',
      '1',
      '-subj',
      '/CN=bench',
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  return {
    cert: fs.readFileSync(path.join(dir, 'c.pem')),
    key: fs.readFileSync(path.join(dir, 'k.pem')),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

async function withServer<T>(options: CotServerOptions, fn: (port: number) => Promise<T>): Promise<T> {
  const server = new CotServer({ host: '127.0.0.1', port: 0, ...options });
  server.on('clientError', () => undefined);
  const { port } = await server.listen();
  try {
    return await fn(port);
  } finally {
    await server.close();
  }
}

/** The median of the rounds' values (the middle one of an odd count). */
function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

interface Summary {
  sent: number;
  received: number;
  /** Median over the rounds of each round's p99. */
  p99: number;
  /** The largest growth of any round. */
  heapGrowthMiB: number;
  closed: boolean;
}

function summarize(phases: Phase[]): Summary {
  return {
    sent: phases.reduce((n, p) => n + p.sent, 0),
    received: phases.reduce((n, p) => n + p.received, 0),
    p99: median(phases.map((p) => p.p99)),
    heapGrowthMiB: Math.max(...phases.map((p) => p.heapGrowthMiB)),
    closed: phases.some((p) => p.closed),
  };
}

export async function runHostileCase(context: BenchContext): Promise<Row[]> {
  const quick = context.measure.sampleMs < 100;
  const ms = quick ? QUICK_ATTACK_MS : ATTACK_MS;
  const rounds = quick ? 1 : ROUNDS;
  const pem = selfSignedPem();
  const rows: Row[] = [];
  try {
    const tlsOptions = loadServerTls({
      serverCert: pem.cert,
      serverKey: pem.key,
      requireClientCert: false,
    }).options;
    const listeners: Record<'tcp' | 'tls', CotServerOptions> = {
      tcp: {},
      tls: { createServer: tlsServerFactory({ ...tlsOptions, handshakeTimeoutMs: 2_000 }) },
    };
    // Every round runs the baselines and then each attack, so a slow spell of the machine hits them alike.
    const phases = new Map<string, Phase[]>();
    const failures = new Map<string, string>();
    const record = (name: string, result: Phase): void => {
      phases.set(name, [...(phases.get(name) ?? []), result]);
      context.log(
        `${name}: ${result.received}/${result.sent} delivered, p99 ${result.p99.toFixed(1)} ms, heap ${result.heapGrowthMiB.toFixed(1)} MiB`,
      );
    };
    for (let round = 0; round < rounds; round++) {
      for (const kind of ['tcp', 'tls'] as const) {
        record(
          `baseline (${kind})`,
          await withServer(listeners[kind], (port) => phase(port, kind === 'tls', ms)),
        );
      }
      for (const attack of ATTACKS) {
        if (failures.has(attack.name)) continue;
        const kind = attack.tls ? 'tls' : 'tcp';
        try {
          record(
            attack.name,
            await withServer(listeners[kind], (port) => phase(port, kind === 'tls', ms, attack)),
          );
        } catch (error) {
          failures.set(attack.name, describeError(error));
        }
      }
    }
    const baselines: Record<string, Summary> = {};
    for (const kind of ['tcp', 'tls'] as const) {
      const base = summarize(phases.get(`baseline (${kind})`) ?? []);
      baselines[kind] = base;
      rows.push({
        case: CASE,
        variant: `baseline (${kind})`,
        opsPerSec: (base.received / (ms * rounds)) * 1000,
        note: `no attack: ${base.received}/${base.sent} delivered, p99 ${base.p99.toFixed(1)} ms (median of ${rounds})`,
      });
    }
    for (const attack of ATTACKS) {
      const failure = failures.get(attack.name);
      if (failure !== undefined) {
        rows.push({ case: CASE, variant: attack.name, opsPerSec: NaN, note: `did not run: ${failure}` });
        continue;
      }
      const base = baselines[attack.tls ? 'tls' : 'tcp'] as Summary;
      const result = summarize(phases.get(attack.name) ?? []);
      const limit = TARGET_P99_FACTOR * Math.max(base.p99, BASELINE_FLOOR_MS);
      const delivered = result.received / result.sent;
      const pass =
        delivered === 1 && !result.closed && result.p99 <= limit && result.heapGrowthMiB <= MEMORY_BOUND_MIB;
      rows.push({
        case: CASE,
        variant: attack.name,
        opsPerSec: (result.received / (ms * rounds)) * 1000,
        checks: [
          { what: '100% delivered, none disconnected', pass: delivered === 1 && !result.closed },
          { what: `p99 <= ${limit.toFixed(1)} ms (10x baseline)`, pass: result.p99 <= limit },
          { what: `heap growth <= ${MEMORY_BOUND_MIB} MiB`, pass: result.heapGrowthMiB <= MEMORY_BOUND_MIB },
        ],
        note:
          `${pass ? 'PASS' : 'FAIL'} target 100% delivered, p99 <= ${limit.toFixed(1)} ms (10x baseline ${base.p99.toFixed(1)} ms, floor ${BASELINE_FLOOR_MS} ms), heap growth <= ${MEMORY_BOUND_MIB} MiB: ` +
          `${(delivered * 100).toFixed(1)}% delivered (${result.received}/${result.sent}), p99 ${result.p99.toFixed(1)} ms (median of ${rounds}), heap at most ${result.heapGrowthMiB >= 0 ? '+' : ''}${result.heapGrowthMiB.toFixed(1)} MiB` +
          (result.closed ? ', a pair client was disconnected' : ''),
      });
    }
  } finally {
    pem.cleanup();
  }
  return rows;
}
