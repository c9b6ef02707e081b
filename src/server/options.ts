import type net from 'node:net';
import { DEFAULT_MAX_EVENT_BYTES } from '../stream/stream-parser';
import { ServerError, ServerErrorCode } from './errors';

/** Every interface: the ATAK devices on the LAN must be able to reach the server. */
export const DEFAULT_SERVER_HOST = '0.0.0.0';
/** FreeTAKServer's plain TCP CoT port: the one ATAK users already type in for a server without TLS. */
export const DEFAULT_SERVER_PORT = 8087;
/** A few teams; every client costs a socket, a parser and up to maxQueueBytes of memory. */
export const DEFAULT_MAX_CLIENTS = 100;
/** ATAK pings after 15 s with nothing received and every 4.5 s after that: 60 s of silence means it is gone. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** 4 MiB: about a minute of a 100-client team's SA (700 B each, 1/s) for a client that stalls; 400 MiB at worst. */
export const DEFAULT_MAX_QUEUE_BYTES = 4 * 1024 * 1024;
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
  /** Default 100; a connection beyond this is closed at once (ERR_SERVER_FULL). */
  maxClients?: number;
  /** Default DEFAULT_MAX_EVENT_BYTES from the stream parser; a bigger event is skipped with ERR_STREAM_OVERSIZE. */
  maxEventBytes?: number;
  /** Default 60_000; a client silent this long is dropped (ERR_SERVER_IDLE). 0 turns the check off. */
  idleTimeoutMs?: number;
  /** Per-client unsent bytes before the client is dropped as too slow (ERR_SERVER_SLOW_CLIENT); default 4 MiB. */
  maxQueueBytes?: number;
  /** Default true: a new client gets the latest non-stale event of every tracked uid. */
  replay?: boolean;
  /** How often expired tracked events are forgotten, default 10_000 ms. */
  staleSweepMs?: number;
  /** Most uids kept for replay (default 10_000); the least recently updated goes first. */
  maxTracked?: number;
  /** Most bytes kept for replay (default 64 MiB); the least recently updated goes first. */
  maxTrackedBytes?: number;
  /** Injectable so the TLS issue can hand in a tls.Server later without touching the rest. */
  createServer?: (onConnection: (socket: net.Socket) => void) => net.Server;
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
  if (options.createServer !== undefined && typeof options.createServer !== 'function') {
    throw new ServerError(ServerErrorCode.OPTION, 'createServer must be a function returning a net.Server');
  }
  const big = Number.MAX_SAFE_INTEGER;
  const day = 86_400_000;
  return {
    host,
    port: whole('port', options.port, DEFAULT_SERVER_PORT, 0, 65535),
    maxClients: whole('maxClients', options.maxClients, DEFAULT_MAX_CLIENTS, 1, 1_000_000),
    maxEventBytes: whole('maxEventBytes', options.maxEventBytes, DEFAULT_MAX_EVENT_BYTES, 64, 2 ** 30),
    idleTimeoutMs: whole('idleTimeoutMs', options.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS, 0, day),
    maxQueueBytes: whole('maxQueueBytes', options.maxQueueBytes, DEFAULT_MAX_QUEUE_BYTES, 1, big),
    replay: options.replay ?? true,
    staleSweepMs: whole('staleSweepMs', options.staleSweepMs, DEFAULT_STALE_SWEEP_MS, 1, day),
    maxTracked: whole('maxTracked', options.maxTracked, DEFAULT_MAX_TRACKED, 0, big),
    maxTrackedBytes: whole('maxTrackedBytes', options.maxTrackedBytes, DEFAULT_MAX_TRACKED_BYTES, 0, big),
    createServer: options.createServer,
  };
}
