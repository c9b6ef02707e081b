import type { CotEvent, CotInput } from '../cot/model';
import type { StreamError } from '../stream/errors';
import { MeshClient, type MeshClientOptions, type MeshInfo } from '../client/mesh-client';
import { MeshError, MeshErrorCode } from '../client/mesh-errors';
import {
  TakClient,
  type TakClientOptions,
  type TakClientState,
  type TakProtocolChange,
} from '../client/tak-client';
import { REFUSAL_WINDOW_MS } from '../tls/client-socket';
import type { NodeStatus } from './red';

/** What a node using a tak-config hands over when it registers. */
export interface ConnectionUser {
  id: string;
  status(status: NodeStatus): void;
  /** Data events; control events (pongs...) too when `wantsControl`. */
  onEvent?(received: ReceivedEvent): void;
  onParseError?(error: ReceiveProblem): void;
  wantsControl?: boolean;
}

/** One event from the connection, as a user node gets it. */
export interface ReceivedEvent {
  event: CotEvent;
  xml: string;
  control: boolean;
  /** The TAK Protocol frame as received, when the connection spoke protobuf. */
  takproto?: Buffer;
}

/** What the connection speaks right now, as the client last said. */
export type WireState = Pick<TakProtocolChange, 'protocol' | 'reason' | 'serverVersion'>;

/** Something received that was not one good event: a stream problem, or a datagram the mesh skipped. */
export interface ReceiveProblem {
  code: string;
  message: string;
  /** The start of what was received, for logs. */
  preview: string;
  /** The whole event as received, when it was framed but refused. */
  xml?: string | undefined;
}

/** A tak-config on protocol mesh or udp: a MeshClient instead of a TAK server connection. */
export interface MeshTransport {
  mesh: MeshClientOptions;
}

/** What every transport a SharedConnection drives has in common. */
type Client = TakClient | MeshClient;

export interface StateChange {
  state: TakClientState;
  delayMs?: number;
  error?: { code: string; message: string };
  /** Connected, but the rate limit holds events back: how many wait. */
  throttled?: number;
  /** A mesh: its interface, the devices heard, the format in use. */
  mesh?: MeshInfo;
  /** The wire format in use and the server version it announced, once the client has said. */
  wire?: WireState;
}

/** Turns a connection state into the status every user node shows. */
export type StatusFormatter = (change: StateChange) => NodeStatus;

/** What the config node hears besides the status. */
export interface ConnectionHooks {
  /** Every time the connection is made (for a warning that must show on each connect). */
  connected?(): void;
  /** A connection has lasted settleMs (or was made with no failure before it): the failure is over. */
  established?(): void;
  /** The client said what it speaks on this connection (see TakClient's 'protocol' event). */
  wire?(wire: WireState): void;
  /** Every failed attempt or lost connection. */
  failed?(error: { code: string; message: string }): void;
  /**
   * A connection made right after a failure is shown only once it has lasted this long: a server that refuses
   * a certificate after the TLS handshake closes within moments, and the status keeps saying why instead of
   * flashing "connected" on every attempt. Default REFUSAL_WINDOW_MS; 0 shows it at once.
   */
  settleMs?: number;
  /**
   * Events that came while no tak-receive was there and never reached one: more than the wait holds
   * (`overflow`, the oldest), older than a deploy takes (`stale`), or left when the connection closed (`closed`).
   */
  lost?(count: number, why: 'overflow' | 'stale' | 'closed'): void;
}

/**
 * Events kept while no node uses the connection (a redeploy between the old nodes and the new): a
 * busy server sends a few hundred a second, and a deploy takes a second or two.
 */
export const HANDOVER_BUFFER_EVENTS = 10_000;

/**
 * How long a connection nothing uses stays open: a node being redeployed comes back within moments, and
 * the socket, its queue and what arrives meanwhile are kept for it.
 */
export const IDLE_LINGER_MS = 30_000;

/**
 * Events kept for the next tak-receive are handed over only if they are younger than this: a deploy takes
 * seconds, and a node added much later must not get old events as if they were new.
 */
export const HANDOVER_MAX_AGE_MS = 15_000;

type Received = Omit<ReceivedEvent, 'control'>;

type Waiting = { at: number } & (
  { kind: 'event'; received: Received } | { kind: 'parseError'; error: ReceiveProblem }
);

/**
 * A protobuf event handed on: its XML is still built only on first read. A class: a getter in an object literal
 * costs a runtime call per event.
 */
class ReceivedProtobufEvent implements ReceivedEvent {
  readonly event: CotEvent;
  readonly takproto: Buffer;
  readonly #received: Received;

  constructor(
    received: Received,
    takproto: Buffer,
    readonly control: boolean,
  ) {
    this.event = received.event;
    this.takproto = takproto;
    this.#received = received;
  }

  get xml(): string {
    return this.#received.xml;
  }
}

/**
 * The event as a user gets it: `takproto` only when there were protobuf bytes. The XML of a protobuf
 * event is built (once, by the client) only if a user reads it: reading it here built it for every event.
 */
function withControl(received: Received, control: boolean): ReceivedEvent {
  const takproto = received.takproto;
  if (takproto === undefined) return { event: received.event, xml: received.xml, control };
  return new ReceivedProtobufEvent(received, takproto, control);
}

/**
 * One TAK connection shared by every node that uses a tak-config: it connects when the first user
 * registers, keeps what arrives while no tak-receive is there (a deploy) for the next ones, closes when
 * nothing has used it for IDLE_LINGER_MS or when its tak-config goes, and pushes one status to all users.
 */
export class SharedConnection {
  private readonly users = new Map<string, ConnectionUser>();
  private readonly options: TakClientOptions | MeshTransport;
  private readonly format: StatusFormatter;
  private readonly hooks: ConnectionHooks;
  private client: Client | undefined;
  private stopping: Promise<void> | undefined;
  private status: NodeStatus;
  private lastChange: StateChange | undefined;
  /** Events the rate limit holds back right now; 0 when not throttling. */
  private throttled = 0;
  /** What the client said of its wire format last; undefined before it has connected. */
  private wire: WireState | undefined;
  private failure: { code: string; message: string } | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** What came while no node was registered, handed to the next ones in order. */
  private waiting: Waiting[] = [];
  private waitingLost = 0;
  private replayPending: NodeJS.Immediate | undefined;
  /**
   * A node that takes received events has used this connection: only then is what arrives while none is
   * there kept (a deploy). A send-only connection has nobody to keep events for.
   */
  private hadReceiver = false;

  /** Connect only once this settles: the connection this one replaces is still closing. */
  private after: Promise<void> | undefined;

  constructor(
    options: TakClientOptions | MeshTransport,
    format: StatusFormatter,
    hooks: ConnectionHooks = {},
    after?: Promise<void>,
  ) {
    this.options = options;
    this.format = format;
    this.hooks = hooks;
    this.after = after;
    this.status = format({ state: 'idle' });
  }

  /** Why the last attempt or connection failed; cleared once a connection has lasted. */
  get lastError(): { code: string; message: string } | undefined {
    return this.failure;
  }

  /** What every user node shows now. */
  get currentStatus(): NodeStatus {
    return this.status;
  }

  get userCount(): number {
    return this.users.size;
  }

  /** The live client, if a user has started one. */
  get current(): Client | undefined {
    return this.client;
  }

  register(user: ConnectionUser): void {
    this.users.set(user.id, user);
    if (user.onEvent !== undefined) this.hadReceiver = true;
    this.clearLinger();
    user.status(this.status); // a late joiner sees the state at once
    if (!this.client) this.start();
    // The nodes of a deploy register one after another in one go: hand what waited to all of them.
    if (this.waiting.length > 0 && user.onEvent !== undefined && this.replayPending === undefined) {
      this.replayPending = setImmediate(() => this.replay());
    }
  }

  /**
   * The node leaves. The connection stays open for IDLE_LINGER_MS when it was the last: a redeploy brings
   * the node back, and a tak-config that goes away closes it at once.
   */
  async deregister(userId: string): Promise<void> {
    this.users.delete(userId);
    if (this.users.size > 0 || !this.client) return;
    this.clearLinger();
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      if (this.users.size === 0) void this.stop();
    }, IDLE_LINGER_MS);
    this.lingerTimer.unref();
  }

  /** Protocol mesh: sending may name a contact (`to`). */
  get isMesh(): boolean {
    return 'mesh' in this.options && this.options.mesh.mode === 'mesh';
  }

  /** `to`: a contact heard on the mesh (uid or callsign), reached over TCP; only for protocol mesh. */
  send(input: string | CotInput, to?: string): 'sent' | 'queued' {
    if (!this.client) this.start();
    const client = this.client as Client;
    if (client instanceof MeshClient) return client.send(input, to === undefined ? {} : { to });
    if (to !== undefined) {
      throw new MeshError(
        MeshErrorCode.NOT_AVAILABLE,
        'msg.to works only with a tak-config on protocol mesh; a TAK server routes by the event itself (<marti><dest>)',
      );
    }
    return client.send(input);
  }

  async stop(): Promise<void> {
    this.clearSettle();
    this.clearLinger();
    if (this.replayPending !== undefined) clearImmediate(this.replayPending);
    this.replayPending = undefined;
    const unread = this.waiting.filter((item) => item.kind === 'event').length;
    const overflowed = this.waitingLost;
    this.waiting = [];
    this.waitingLost = 0;
    if (overflowed > 0) this.hooks.lost?.(overflowed, 'overflow');
    if (unread > 0) this.hooks.lost?.(unread, 'closed');
    const client = this.client;
    if (!client) return this.stopping;
    this.client = undefined;
    client.removeAllListeners();
    this.stopping = client.stop();
    await this.stopping;
  }

  private start(): void {
    // Control events are always asked for; each user says whether it wants them.
    const client: Client =
      'mesh' in this.options
        ? new MeshClient({ ...this.options.mesh, emitControl: true })
        : new TakClient({ ...this.options, emitControl: true });
    this.client = client;
    client.on('state', (change: StateChange) => {
      if (client !== this.client) return;
      this.clearSettle();
      if (change.error) {
        this.failure = { code: change.error.code, message: change.error.message };
        this.hooks.failed?.(this.failure);
      }
      if (change.state === 'connected') {
        this.hooks.connected?.();
        const settleMs = this.hooks.settleMs ?? REFUSAL_WINDOW_MS;
        if (this.failure !== undefined && settleMs > 0) {
          this.settleTimer = setTimeout(() => {
            this.settleTimer = undefined;
            if (client !== this.client) return;
            this.failure = undefined;
            this.hooks.established?.();
            this.publish(change);
          }, settleMs);
          return;
        }
        this.failure = undefined;
        this.hooks.established?.();
      }
      this.publish(change);
    });
    client.on('throttle', ({ throttling, waiting }: { throttling: boolean; waiting: number }) => {
      if (client !== this.client) return;
      this.throttled = throttling ? Math.max(1, waiting) : 0;
      if (this.lastChange) this.publish(this.lastChange);
    });
    client.on('protocol', (change: TakProtocolChange) => {
      if (client !== this.client) return;
      this.wire = { protocol: change.protocol, reason: change.reason };
      if (change.serverVersion !== undefined) this.wire.serverVersion = change.serverVersion;
      this.hooks.wire?.(this.wire);
      if (this.lastChange?.state === 'connected') this.publish(this.lastChange);
    });
    client.on('event', (received: Received) => {
      if (this.keep({ kind: 'event', received, at: Date.now() })) return;
      for (const user of this.users.values()) user.onEvent?.(withControl(received, false));
    });
    client.on('control', (received: Received) => {
      for (const user of this.users.values())
        if (user.wantsControl) user.onEvent?.(withControl(received, true));
    });
    client.on('parseError', (raw: StreamError | MeshError) => {
      const error: ReceiveProblem =
        raw instanceof MeshError ? { code: raw.code, message: raw.message, preview: raw.preview } : raw;
      if (this.keep({ kind: 'parseError', error, at: Date.now() })) return;
      for (const user of this.users.values()) user.onParseError?.(error);
    });
    // A direct message that could not be delivered: said like a failure, once per kind.
    if (client instanceof MeshClient) {
      client.on('problem', (error: MeshError) => {
        if (client === this.client) this.hooks.failed?.({ code: error.code, message: error.message });
      });
    }
    const after = this.after;
    this.after = undefined;
    // Events sent meanwhile wait in the client's queue. The nodes of a deploy start one after another: a
    // tak-server in the same flow listens only once its node has started, so the first attempt waits for
    // them all rather than be refused.
    const begin = (): void => {
      if (client === this.client) client.start();
    };
    if (after === undefined) setImmediate(begin);
    else void after.then(begin);
  }

  private publish(change: StateChange): void {
    this.lastChange = change;
    let shown = change;
    if (change.state === 'connected') {
      if (this.throttled > 0) shown = { ...shown, throttled: this.throttled };
      if (this.wire !== undefined) shown = { ...shown, wire: this.wire };
    }
    this.status = this.format(shown);
    for (const user of this.users.values()) user.status(this.status);
  }

  /** Keeps what arrives while no node is there, or while what waited is still being handed over. */
  private keep(item: Waiting): boolean {
    if (!this.hadReceiver) return true; // nobody ever wanted received events: nothing to keep or warn about
    if (this.hasReceiver() && this.waiting.length === 0) return false;
    this.waiting.push(item);
    if (this.waiting.length > HANDOVER_BUFFER_EVENTS) {
      const dropped = this.waiting.shift() as Waiting;
      if (dropped.kind === 'event') this.waitingLost++;
    }
    return true;
  }

  /** A node that takes received events is registered (a tak-send alone does not count). */
  private hasReceiver(): boolean {
    for (const user of this.users.values()) if (user.onEvent !== undefined) return true;
    return false;
  }

  private replay(): void {
    this.replayPending = undefined;
    if (!this.hasReceiver()) return; // gone again: keep waiting
    const oldest = Date.now() - HANDOVER_MAX_AGE_MS;
    const items = this.waiting.filter((item) => item.at >= oldest);
    const stale = this.waiting.filter((item) => item.at < oldest && item.kind === 'event').length;
    const overflowed = this.waitingLost;
    this.waiting = [];
    this.waitingLost = 0;
    if (overflowed > 0) this.hooks.lost?.(overflowed, 'overflow');
    if (stale > 0) this.hooks.lost?.(stale, 'stale');
    for (const item of items) {
      for (const user of this.users.values()) {
        if (item.kind === 'event') user.onEvent?.(withControl(item.received, false));
        else user.onParseError?.(item.error);
      }
    }
  }

  private clearLinger(): void {
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
  }

  private clearSettle(): void {
    if (this.settleTimer !== undefined) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
  }
}
