import type net from 'node:net';
import { realClock, type PacingClock } from '../client/clock';
import { DEFAULT_MAX_DEPTH, MAX_DEPTH_LIMIT, MIN_DEPTH_LIMIT } from '../cot/limits';
import { DEFAULT_MAX_EVENT_BYTES } from '../stream/stream-parser';
import { ServerError, ServerErrorCode } from './errors';

/** Every interface: the ATAK devices on the LAN must be able to reach the server. */
export const DEFAULT_SERVER_HOST = '0.0.0.0';
/** FreeTAKServer's plain TCP CoT port: the one ATAK users already type in for a server without TLS. */
export const DEFAULT_SERVER_PORT = 8087;
/** A few teams; every client costs a socket, a parser and up to maxQueueBytes of memory. */
export const DEFAULT_MAX_CLIENTS = 100;
/**
 * 10 min. ATAK pings only when it has received nothing for 15 s, so a device that is sent to all the time
 * may write nothing but its SA, and a stationary one reports as rarely as every few minutes (dynamic
 * reporting): a shorter silence is no sign of a dead client. Dead peers are also found by TCP keepalive.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 600_000;
/** Probes a silent peer's TCP connection after this long, so a vanished device is found without the idle rule. */
export const TCP_KEEPALIVE_MS = 60_000;
/**
 * 10 s for a new connection's first complete event (TLS handshake included): ATAK sends its SA within a
 * second or two of connecting, so a connection silent this long is a slot held, not a client.
 */
export const DEFAULT_FIRST_EVENT_TIMEOUT_MS = 10_000;
/**
 * 30 s to finish an event once its first byte came: a 1 MiB event needs about 28 s at 300 kbit/s (a poor
 * cellular link); a client trickling bytes slower than that only holds memory and a slot.
 */
export const DEFAULT_EVENT_TIMEOUT_MS = 30_000;
/**
 * 20 connections from one address: a team of a dozen devices behind one NAT router or cellular gateway with
 * room to spare, while one address can never take more than a fifth of the default 100 slots.
 */
export const DEFAULT_MAX_CLIENTS_PER_ADDRESS = 20;
/**
 * 1 MiB/s per client: about 1,500 SA events a second, fifteen times what a 100-client team sends in all, so
 * only a flood is slowed (its socket is paused and TCP slows the sender), never a device.
 */
export const DEFAULT_INPUT_BYTES_PER_SECOND = 1024 * 1024;
/** 2 MiB read at full speed before the rate applies: a replay or a burst of markers goes through at once. */
export const DEFAULT_INPUT_BURST_BYTES = 2 * 1024 * 1024;
/** 4 MiB: about a minute of a 100-client team's SA (700 B each, 1/s) for a client that stalls; 400 MiB at worst. */
export const DEFAULT_MAX_QUEUE_BYTES = 4 * 1024 * 1024;
/**
 * 2 s: ATAK and our own client answer the protobuf offer as soon as it arrives (a loopback or LAN round trip),
 * so a client that has not asked by then is XML-only and gets its replay in XML, 2 s late, which a map joining
 * a team does not notice; one that asks gets the replay at once, in the format it chose. Its SA does not end
 * the hold: ATAK sends that before it has even read the offer.
 */
export const DEFAULT_REPLAY_HOLD_MS = 2_000;
/** Stale entries are forgotten within 10 s; replay also checks staleness, so this only bounds memory. */
export const DEFAULT_STALE_SWEEP_MS = 10_000;
/** More items than a large exercise shows on one map, few enough that a replay stays quick. */
export const DEFAULT_MAX_TRACKED = 10_000;
/** 64 MiB: the replay store can never hold more, however large the events a client sends. */
export const DEFAULT_MAX_TRACKED_BYTES = 64 * 1024 * 1024;

export interface CotServerOptions {
  /** Default '0.0.0.0' (ATAK devices on the LAN must reach it); tests pass '127.0.0.1'. */
  host?: string;
  /** Default 8087 (FreeTAKServer's TCP CoT port); 0 = any free port. */
  port?: number;
  /**
   * Default 100, connections still in the TLS handshake included. When full, the oldest connection that has
   * not sent a complete event yet is closed to admit the new one (ERR_SERVER_EVICTED); with none, the new
   * one is closed at once (ERR_SERVER_FULL).
   */
  maxClients?: number;
  /** Default 20; a further connection from the same address is closed at once (ERR_SERVER_ADDRESS_FULL). */
  maxClientsPerAddress?: number;
  /** Default 10_000; a connection with no complete event by then is closed (ERR_SERVER_FIRST_EVENT). 0: off. */
  firstEventTimeoutMs?: number;
  /** Default 30_000; an event not finished this long after its first byte closes the client (ERR_SERVER_EVENT_TIMEOUT). 0: off. */
  eventTimeoutMs?: number;
  /** Default 1 MiB/s; a client sending faster has its socket paused until it is within its share. 0: off. */
  inputBytesPerSecond?: number;
  /** Default 2 MiB: what a client may send at once before inputBytesPerSecond applies. */
  inputBurstBytes?: number;
  /** Default DEFAULT_MAX_EVENT_BYTES from the stream parser; a bigger event is skipped with ERR_STREAM_OVERSIZE. */
  maxEventBytes?: number;
  /**
   * Deepest element nesting read, `<event>` being 1 (default DEFAULT_MAX_DEPTH, 32; at most MAX_DEPTH_LIMIT):
   * a deeper event is refused with ERR_COT_TOO_DEEP, so no event passed on can be too deep to copy.
   */
  maxDepth?: number;
  /**
   * Default 600_000; a client that sent no complete event (pings count) this long is dropped
   * (ERR_SERVER_IDLE). Bytes of an event that never ends do not count. 0 turns the check off.
   */
  idleTimeoutMs?: number;
  /**
   * Per-client unsent bytes before the client is dropped as too slow (ERR_SERVER_SLOW_CLIENT); default 4 MiB.
   * At least maxEventBytes, so the largest event always fits.
   */
  maxQueueBytes?: number;
  /** Default true: a new client gets the latest non-stale event of every tracked uid. */
  replay?: boolean;
  /**
   * Default true: each new client is offered TAK Protocol version 1 (protobuf) with `t-x-takp-v`, and a
   * client that asks (`t-x-takp-q`) is answered yes and spoken to in protobuf from then on. False: no
   * offer, and a client that asks anyway is answered no and stays on XML.
   */
  offerTakProtocol?: boolean;
  /**
   * Default DEFAULT_REPLAY_HOLD_MS; with the offer on, how long a new client's replay waits for its answer
   * to the offer (it starts as soon as the client is answered). 0: no wait.
   */
  replayHoldMs?: number;
  /** How often expired tracked events are forgotten, default 10_000 ms. */
  staleSweepMs?: number;
  /** Most uids kept for replay (default 10_000); the least recently updated goes first. */
  maxTracked?: number;
  /** Most bytes kept for replay (default 64 MiB); the least recently updated goes first. */
  maxTrackedBytes?: number;
  /** Injectable so the TLS issue can hand in a tls.Server later without touching the rest. */
  createServer?: (onConnection: (socket: net.Socket) => void) => net.Server;
  /** @internal The clock of the deadlines, the idle rule and the input rate; tests drive it by hand. */
  clock?: PacingClock;
}

export type ResolvedOptions = Required<Omit<CotServerOptions, 'createServer'>> &
  Pick<CotServerOptions, 'createServer'>;

function whole(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ServerError(
      ServerErrorCode.OPTION,
      `${name} is ${String(value)}; give a whole number from ${min} to ${max}`,
    );
  }
  return value;
}

/** The options with every default filled in; throws ERR_SERVER_OPTION naming the first bad one. */
export function resolveOptions(options: CotServerOptions = {}): ResolvedOptions {
  const host = options.host ?? DEFAULT_SERVER_HOST;
  if (typeof host !== 'string' || host === '') {
    throw new ServerError(ServerErrorCode.OPTION, `host is ${String(host)}; give an address such as 0.0.0.0`);
  }
  if (options.replay !== undefined && typeof options.replay !== 'boolean') {
    throw new ServerError(ServerErrorCode.OPTION, `replay is ${String(options.replay)}; give true or false`);
  }
  if (options.offerTakProtocol !== undefined && typeof options.offerTakProtocol !== 'boolean') {
    throw new ServerError(
      ServerErrorCode.OPTION,
      `offerTakProtocol is ${String(options.offerTakProtocol)}; give true or false`,
    );
  }
  if (options.createServer !== undefined && typeof options.createServer !== 'function') {
    throw new ServerError(ServerErrorCode.OPTION, 'createServer must be a function returning a net.Server');
  }
  const big = Number.MAX_SAFE_INTEGER;
  const day = 86_400_000;
  const maxEventBytes = whole('maxEventBytes', options.maxEventBytes, DEFAULT_MAX_EVENT_BYTES, 64, 2 ** 30);
  const maxQueueBytes = whole('maxQueueBytes', options.maxQueueBytes, DEFAULT_MAX_QUEUE_BYTES, 1, big);
  if (maxQueueBytes < maxEventBytes) {
    throw new ServerError(
      ServerErrorCode.OPTION,
      `maxQueueBytes ${maxQueueBytes} is less than maxEventBytes ${maxEventBytes}: a client could not be sent the largest event; make the queue at least as large`,
    );
  }
  const maxClients = whole('maxClients', options.maxClients, DEFAULT_MAX_CLIENTS, 1, 1_000_000);
  return {
    host,
    port: whole('port', options.port, DEFAULT_SERVER_PORT, 0, 65535),
    maxClients,
    maxClientsPerAddress: whole(
      'maxClientsPerAddress',
      options.maxClientsPerAddress,
      DEFAULT_MAX_CLIENTS_PER_ADDRESS,
      1,
      1_000_000,
    ),
    firstEventTimeoutMs: whole(
      'firstEventTimeoutMs',
      options.firstEventTimeoutMs,
      DEFAULT_FIRST_EVENT_TIMEOUT_MS,
      0,
      day,
    ),
    eventTimeoutMs: whole('eventTimeoutMs', options.eventTimeoutMs, DEFAULT_EVENT_TIMEOUT_MS, 0, day),
    inputBytesPerSecond: whole(
      'inputBytesPerSecond',
      options.inputBytesPerSecond,
      DEFAULT_INPUT_BYTES_PER_SECOND,
      0,
      big,
    ),
    inputBurstBytes: whole('inputBurstBytes', options.inputBurstBytes, DEFAULT_INPUT_BURST_BYTES, 1, big),
    maxEventBytes,
    maxDepth: whole('maxDepth', options.maxDepth, DEFAULT_MAX_DEPTH, MIN_DEPTH_LIMIT, MAX_DEPTH_LIMIT),
    idleTimeoutMs: whole('idleTimeoutMs', options.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS, 0, day),
    maxQueueBytes,
    replay: options.replay ?? true,
    offerTakProtocol: options.offerTakProtocol ?? true,
    replayHoldMs: whole('replayHoldMs', options.replayHoldMs, DEFAULT_REPLAY_HOLD_MS, 0, day),
    staleSweepMs: whole('staleSweepMs', options.staleSweepMs, DEFAULT_STALE_SWEEP_MS, 1, day),
    maxTracked: whole('maxTracked', options.maxTracked, DEFAULT_MAX_TRACKED, 0, big),
    maxTrackedBytes: whole('maxTrackedBytes', options.maxTrackedBytes, DEFAULT_MAX_TRACKED_BYTES, 0, big),
    createServer: options.createServer,
    clock: options.clock ?? realClock,
  };
}
