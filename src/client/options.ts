import net from 'node:net';
import type { PresenceOptions } from '../cot/helpers';
import { DEFAULT_MAX_EVENT_BYTES } from '../stream/stream-parser';
import type { PacingClock } from './clock';
import { realClock } from './clock';
import { normalizeTypePrefix } from './coalesce';
import {
  DEFAULT_BURST_EVENTS,
  DEFAULT_CONFIRM_AFTER_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DEAD_AFTER_IDLE_MS,
  DEFAULT_FLUSH_TIMEOUT_MS,
  DEFAULT_NEGOTIATION_TIMEOUT_MS,
  DEFAULT_HEALTHY_AFTER_MS,
  DEFAULT_IDENTITY_GAP_MS,
  DEFAULT_MAX_EVENTS_PER_SECOND,
  DEFAULT_MAX_SEND_QUEUE_BYTES,
  DEFAULT_MAX_QUEUE_EVENTS,
  DEFAULT_MIN_INTERVAL_PER_UID_MS,
  DEFAULT_PING_AFTER_IDLE_MS,
  DEFAULT_PING_AFTER_SEND_IDLE_MS,
  DEFAULT_PING_INTERVAL_MS,
  MAX_SEND_EVENT_BYTES,
  DEFAULT_PRESENCE_INTERVAL_MS,
  DEFAULT_RECONNECT_INITIAL_MS,
  DEFAULT_RECONNECT_JITTER,
  DEFAULT_RECONNECT_MAX_MS,
} from './defaults';
import { TakClientError, TakClientErrorCode } from './errors';
import type { AuthOptions } from './outgoing';

/** Where to connect; what a socket factory is given. */
export interface SocketTarget {
  host: string;
  port: number;
}

export type SocketFactory = (target: SocketTarget) => net.Socket;

export interface TakClientOptions {
  host: string;
  port: number;
  /**
   * Makes the socket for each attempt; default net.connect({ host, port }). It must return a socket whose
   * connection is under way: the client waits for 'connect', or 'secureConnect' for a tls.TLSSocket.
   */
  createSocket?: SocketFactory;
  /** Give up on an attempt after this long. Default 20 s (ATAK). */
  connectTimeoutMs?: number;
  /** First reconnect delay. Default 1 s. */
  reconnectInitialMs?: number;
  /** Cap of the doubling reconnect delay (before jitter). Default 60 s. */
  reconnectMaxMs?: number;
  /** Spread of each delay, as a fraction. Default 0.2 (+/-20 %). */
  reconnectJitter?: number;
  /** Connected this long, the next loss restarts the backoff from reconnectInitialMs. Default 60 s. */
  healthyAfterMs?: number;
  /** Ping after this long with nothing received; 0 never pings. Default 15 s (ATAK). */
  pingAfterIdleMs?: number;
  /** Ping again this often while nothing arrives. Default 4.5 s (ATAK). */
  pingIntervalMs?: number;
  /**
   * Ping after this long with nothing written, however much arrives: a receive-only client is otherwise silent
   * for a whole presence interval, and servers drop clients silent for 60 s. 0 never does. Default 15 s.
   */
  pingAfterSendIdleMs?: number;
  /**
   * Drop the connection and reconnect after this long with nothing received; 0 never does (for a
   * publish-only input such as TAK Server's 8087, which never answers). Default 25 s (ATAK).
   */
  deadAfterIdleMs?: number;
  /** The identity sent first on every connection, and every presenceIntervalMs. */
  presence?: PresenceOptions;
  /** Send the presence again this often; 0 only on connect. Default 60 s. */
  presenceIntervalMs?: number;
  /** Pause after the presence before anything else is written (FreeTAKServer). Default 500 ms. */
  identityGapMs?: number;
  /** `<auth><cot username password uid/></auth>` before anything else, for TAK Server inputs with auth. */
  auth?: AuthOptions;
  /** Events held at most, waiting or written-but-unconfirmed; full drops the oldest waiting one. Default 1000. */
  maxQueueEvents?: number;
  /**
   * Bytes of event XML held at most, the same events counted; full drops the oldest waiting one. An event
   * bigger than this on its own still waits, alone. Default 16 MiB (at least 1024).
   */
  maxQueueBytes?: number;
  /**
   * Send at most this many events per second on average (a token bucket; fractions allowed: 0.5 is one every
   * 2 s). Events beyond it wait in the queue, where latest-wins coalescing keeps one per uid, and the client
   * emits 'throttle'. Counts send()'s events only: the client's own presence, pings and login go out at once.
   * 0 turns the limit off. Default 0.
   */
  maxEventsPerSecond?: number;
  /** With maxEventsPerSecond: how many events may go at once before the pacing starts. Default 10. */
  burstEvents?: number;
  /**
   * A uid's updates closer together than this are coalesced: the latest waits until the interval since the
   * uid's last write has passed (so a 50 Hz GPS does not become 50 events/s). Applies to coalescable events
   * only; 0 turns it off. Default 0.
   */
  minIntervalPerUidMs?: number;
  /**
   * Latest wins: while events wait (rate limit, backpressure, disconnected), a newer event for the same uid,
   * type and recipients replaces the waiting older one in place. Never for chats, deletes, control, alerts and
   * file transfers (NEVER_COALESCE_TYPES), neverCoalesceTypes, or a send() with { coalesce: false }. false sends
   * every event, in order (minIntervalPerUidMs then has no effect). Default true.
   */
  coalesce?: boolean;
  /** More type prefixes never to coalesce, whole segments ("b-m-p" covers "b-m-p-s-m"). Default none. */
  neverCoalesceTypes?: readonly string[];
  /**
   * The clock of the send pacing (rate limit, minimum interval per uid); connection timers keep the real one.
   * For tests. Default performance.now() and the global timers.
   */
  clock?: PacingClock;
  /**
   * The clock of the connection's timers (connect timeout, reconnect, keepalive, presence, identity gap, stop):
   * injectable so tests can run minutes of a connection's life by hand while real sockets carry the bytes.
   * Default performance.now() and the global timers.
   */
  connectionClock?: PacingClock;
  /** The largest event received; a bigger one is skipped with a parseError. Default 1 MiB. */
  maxEventBytes?: number;
  /**
   * The largest event send() accepts; a bigger one is refused with ERR_CLIENT_EVENT_TOO_LARGE instead of being
   * sent to a server that would drop it without a word. Default maxEventBytes (at most 8 MiB, TAK Server's cap).
   */
  maxSendEventBytes?: number;
  /** Emit pongs and other control events (t-x-c-*, t-x-takp-*) as 'control'. Default false. */
  emitControl?: boolean;
  /** stop() waits at most this long for the queue to drain and the server to close. Default 2 s. */
  flushTimeoutMs?: number;
  /**
   * An event written to a connection is forgotten once data arrives on that connection this long after it
   * reached the kernel (or a pong answers a later ping); until then it is sent again if the connection is
   * lost. 0 forgets as soon as data arrives after it. Default 2 s.
   */
  confirmAfterMs?: number;
  /**
   * Hold written events until confirmed and write them again after a loss (at least once). false forgets an
   * event once written (at most once): for an input that never sends anything back (TAK Server's 8087), where
   * nothing can confirm and up to maxQueueEvents recent events would be written again after each reconnect.
   * Default true.
   */
  resendUnconfirmed?: boolean;
  /**
   * The wire format. 'negotiate' (default): XML, and TAK Protocol v1 (protobuf) when the server offers it
   * (TAK Server's streaming inputs send t-x-takp-v); 'xml': never ask; 'protobuf': protobuf from the first
   * byte, no negotiation (TAK Server's prototls inputs).
   */
  protocol?: TakProtocolSetting;
  /** How long to wait for the server's answer to our protobuf request before staying on XML. Default 60 s. */
  negotiationTimeoutMs?: number;
  /** Uniform random numbers in [0, 1) for the backoff jitter; injectable for tests. */
  random?: () => number;
}

export type TakProtocolSetting = 'negotiate' | 'xml' | 'protobuf';
const PROTOCOL_SETTINGS: readonly TakProtocolSetting[] = ['negotiate', 'xml', 'protobuf'];

export interface ResolvedOptions {
  host: string;
  port: number;
  createSocket: SocketFactory;
  connectTimeoutMs: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  reconnectJitter: number;
  healthyAfterMs: number;
  pingAfterIdleMs: number;
  pingIntervalMs: number;
  pingAfterSendIdleMs: number;
  deadAfterIdleMs: number;
  presence: PresenceOptions | undefined;
  presenceIntervalMs: number;
  identityGapMs: number;
  auth: AuthOptions | undefined;
  maxQueueEvents: number;
  maxQueueBytes: number;
  maxEventsPerSecond: number;
  burstEvents: number;
  minIntervalPerUidMs: number;
  coalesce: boolean;
  neverCoalesceTypes: string[];
  clock: PacingClock;
  connectionClock: PacingClock;
  maxEventBytes: number;
  maxSendEventBytes: number;
  emitControl: boolean;
  flushTimeoutMs: number;
  confirmAfterMs: number;
  resendUnconfirmed: boolean;
  protocol: TakProtocolSetting;
  negotiationTimeoutMs: number;
  random: () => number;
}

/** setTimeout fires at once for anything above 2^31 - 1 ms; refuse such values rather than spin. */
export const MAX_TIMER_MS = 2_147_483_647;

function bad(field: string, value: unknown, what: string): never {
  throw new TakClientError(TakClientErrorCode.OPTIONS, `${field} is ${String(value)}; ${what}`, field, value);
}

function ms(field: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > MAX_TIMER_MS) {
    bad(field, value, `give a number of milliseconds from ${min} to ${MAX_TIMER_MS}`);
  }
  return value;
}

function checkClock(field: string, clock: unknown): void {
  const c = clock as Partial<PacingClock> | null;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.now !== 'function' ||
    typeof c.setTimeout !== 'function' ||
    typeof c.clearTimeout !== 'function'
  ) {
    bad(field, typeof clock, 'give { now(), setTimeout(), clearTimeout() }');
  }
}

function defaultFactory(target: SocketTarget): net.Socket {
  return net.connect({ host: target.host, port: target.port });
}

/** Fills defaults and checks every option, so a bad one fails at construction and not at 3 a.m. */
export function resolveOptions(options: TakClientOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) bad('options', options, 'give an object');
  const { host, port } = options;
  if (typeof host !== 'string' || host.trim() === '') bad('host', host, 'give a host name or address');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    bad('port', port, 'give a whole number from 1 to 65535');
  }
  if (options.createSocket !== undefined && typeof options.createSocket !== 'function') {
    bad('createSocket', typeof options.createSocket, 'give a function returning a net.Socket');
  }
  if (options.random !== undefined && typeof options.random !== 'function') {
    bad('random', typeof options.random, 'give a function returning [0, 1)');
  }
  const reconnectInitialMs = ms(
    'reconnectInitialMs',
    options.reconnectInitialMs,
    DEFAULT_RECONNECT_INITIAL_MS,
    1,
  );
  const reconnectMaxMs = ms(
    'reconnectMaxMs',
    options.reconnectMaxMs,
    Math.max(DEFAULT_RECONNECT_MAX_MS, reconnectInitialMs),
    reconnectInitialMs,
  );
  const jitter = options.reconnectJitter ?? DEFAULT_RECONNECT_JITTER;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter < 1)) {
    bad('reconnectJitter', jitter, 'give a fraction from 0 to below 1');
  }
  const maxQueueEvents = options.maxQueueEvents ?? DEFAULT_MAX_QUEUE_EVENTS;
  if (!Number.isInteger(maxQueueEvents) || maxQueueEvents < 1) {
    bad('maxQueueEvents', maxQueueEvents, 'give a whole number of at least 1');
  }
  const maxQueueBytes = options.maxQueueBytes ?? DEFAULT_MAX_SEND_QUEUE_BYTES;
  if (!Number.isInteger(maxQueueBytes) || maxQueueBytes < 1024) {
    bad('maxQueueBytes', maxQueueBytes, 'give a whole number of bytes, at least 1024');
  }
  const maxEventsPerSecond = options.maxEventsPerSecond ?? DEFAULT_MAX_EVENTS_PER_SECOND;
  if (
    typeof maxEventsPerSecond !== 'number' ||
    !(maxEventsPerSecond >= 0 && maxEventsPerSecond <= 1_000_000)
  ) {
    bad(
      'maxEventsPerSecond',
      maxEventsPerSecond,
      'give a number of events per second from 0 (no limit) to 1000000',
    );
  }
  const burstEvents = options.burstEvents ?? DEFAULT_BURST_EVENTS;
  if (!Number.isInteger(burstEvents) || burstEvents < 1 || burstEvents > 1_000_000) {
    bad('burstEvents', burstEvents, 'give a whole number from 1 to 1000000');
  }
  if (options.coalesce !== undefined && typeof options.coalesce !== 'boolean') {
    bad('coalesce', options.coalesce, 'give true or false');
  }
  const extra = options.neverCoalesceTypes ?? [];
  if (!Array.isArray(extra) || !extra.every((p) => typeof p === 'string' && normalizeTypePrefix(p) !== '')) {
    bad('neverCoalesceTypes', JSON.stringify(extra), 'give a list of CoT type prefixes such as "b-m-p"');
  }
  const clock = options.clock ?? realClock;
  checkClock('clock', clock);
  const connectionClock = options.connectionClock ?? realClock;
  checkClock('connectionClock', connectionClock);
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  if (!Number.isInteger(maxEventBytes) || maxEventBytes < 64) {
    bad('maxEventBytes', maxEventBytes, 'give a whole number of bytes, at least 64');
  }
  const maxSendEventBytes = options.maxSendEventBytes ?? Math.min(maxEventBytes, MAX_SEND_EVENT_BYTES);
  if (
    !Number.isInteger(maxSendEventBytes) ||
    maxSendEventBytes < 64 ||
    maxSendEventBytes > MAX_SEND_EVENT_BYTES
  ) {
    bad(
      'maxSendEventBytes',
      maxSendEventBytes,
      `give a whole number of bytes from 64 to ${MAX_SEND_EVENT_BYTES} (TAK Server refuses bigger messages)`,
    );
  }
  if (options.emitControl !== undefined && typeof options.emitControl !== 'boolean') {
    bad('emitControl', options.emitControl, 'give true or false');
  }
  if (options.resendUnconfirmed !== undefined && typeof options.resendUnconfirmed !== 'boolean') {
    bad('resendUnconfirmed', options.resendUnconfirmed, 'give true or false');
  }
  if (options.protocol !== undefined && !PROTOCOL_SETTINGS.includes(options.protocol)) {
    bad('protocol', options.protocol, `give one of ${PROTOCOL_SETTINGS.join(', ')}`);
  }
  if (options.presence !== undefined && (typeof options.presence !== 'object' || options.presence === null)) {
    bad('presence', options.presence, 'give an object with at least uid and callsign');
  }
  if (options.auth !== undefined && (typeof options.auth !== 'object' || options.auth === null)) {
    bad('auth', options.auth, 'give { username, password }');
  }
  return {
    host: host.trim(),
    port,
    createSocket: options.createSocket ?? defaultFactory,
    connectTimeoutMs: ms('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, 1),
    reconnectInitialMs,
    reconnectMaxMs,
    reconnectJitter: jitter,
    healthyAfterMs: ms('healthyAfterMs', options.healthyAfterMs, DEFAULT_HEALTHY_AFTER_MS, 0),
    pingAfterIdleMs: ms('pingAfterIdleMs', options.pingAfterIdleMs, DEFAULT_PING_AFTER_IDLE_MS, 0),
    pingIntervalMs: ms('pingIntervalMs', options.pingIntervalMs, DEFAULT_PING_INTERVAL_MS, 1),
    pingAfterSendIdleMs: ms(
      'pingAfterSendIdleMs',
      options.pingAfterSendIdleMs,
      DEFAULT_PING_AFTER_SEND_IDLE_MS,
      0,
    ),
    deadAfterIdleMs: ms('deadAfterIdleMs', options.deadAfterIdleMs, DEFAULT_DEAD_AFTER_IDLE_MS, 0),
    presence: options.presence,
    presenceIntervalMs: ms('presenceIntervalMs', options.presenceIntervalMs, DEFAULT_PRESENCE_INTERVAL_MS, 0),
    identityGapMs: ms('identityGapMs', options.identityGapMs, DEFAULT_IDENTITY_GAP_MS, 0),
    auth: options.auth,
    maxQueueEvents,
    maxQueueBytes,
    maxEventsPerSecond,
    burstEvents,
    minIntervalPerUidMs: ms(
      'minIntervalPerUidMs',
      options.minIntervalPerUidMs,
      DEFAULT_MIN_INTERVAL_PER_UID_MS,
      0,
    ),
    coalesce: options.coalesce ?? true,
    neverCoalesceTypes: [...new Set(extra.map(normalizeTypePrefix))],
    clock,
    connectionClock,
    maxEventBytes,
    maxSendEventBytes,
    emitControl: options.emitControl ?? false,
    flushTimeoutMs: ms('flushTimeoutMs', options.flushTimeoutMs, DEFAULT_FLUSH_TIMEOUT_MS, 0),
    confirmAfterMs: ms('confirmAfterMs', options.confirmAfterMs, DEFAULT_CONFIRM_AFTER_MS, 0),
    resendUnconfirmed: options.resendUnconfirmed ?? true,
    protocol: options.protocol ?? 'negotiate',
    negotiationTimeoutMs: ms(
      'negotiationTimeoutMs',
      options.negotiationTimeoutMs,
      DEFAULT_NEGOTIATION_TIMEOUT_MS,
      1,
    ),
    random: options.random ?? Math.random,
  };
}
