import type { CotEvent } from '../cot/model';
import type { StreamError } from '../stream/errors';
import { TakClient, type TakClientOptions, type TakClientState } from '../client/tak-client';
import { REFUSAL_WINDOW_MS } from '../tls/client-socket';
import type { NodeStatus } from './red';

/** What a node using a tak-config hands over when it registers. */
export interface ConnectionUser {
  id: string;
  status(status: NodeStatus): void;
  /** Data events; control events (pongs...) too when `wantsControl`. */
  onEvent?(received: { event: CotEvent; xml: string; control: boolean }): void;
  onParseError?(error: StreamError): void;
  wantsControl?: boolean;
}

export interface StateChange {
  state: TakClientState;
  delayMs?: number;
  error?: { code: string; message: string };
  /** Connected, but the rate limit holds events back: how many wait. */
  throttled?: number;
}

/** Turns a connection state into the status every user node shows. */
export type StatusFormatter = (change: StateChange) => NodeStatus;

/** What the config node hears besides the status. */
export interface ConnectionHooks {
  /** Every time the connection is made (for a warning that must show on each connect). */
  connected?(): void;
  /** A connection has lasted settleMs (or was made with no failure before it): the failure is over. */
  established?(): void;
  /** Every failed attempt or lost connection. */
  failed?(error: { code: string; message: string }): void;
  /**
   * A connection made right after a failure is shown only once it has lasted this long: a server that refuses
   * a certificate after the TLS handshake closes within moments, and the status keeps saying why instead of
   * flashing "connected" on every attempt. Default REFUSAL_WINDOW_MS; 0 shows it at once.
   */
  settleMs?: number;
  /** Events that came while no node was there to take them, and did not fit in the wait (oldest first). */
  lost?(count: number): void;
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

type Waiting =
  { kind: 'event'; received: { event: CotEvent; xml: string } } | { kind: 'parseError'; error: StreamError };

/**
 * One TAK connection shared by every node that uses a tak-config: it connects when the first user
 * registers, closes when the last one leaves, and pushes one status to all of them.
 */
export class SharedConnection {
  private readonly users = new Map<string, ConnectionUser>();
  private readonly options: TakClientOptions;
  private readonly format: StatusFormatter;
  private readonly hooks: ConnectionHooks;
  private client: TakClient | undefined;
  private stopping: Promise<void> | undefined;
  private status: NodeStatus;
  private lastChange: StateChange | undefined;
  /** Events the rate limit holds back right now; 0 when not throttling. */
  private throttled = 0;
  private failure: { code: string; message: string } | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** What came while no node was registered, handed to the next ones in order. */
  private waiting: Waiting[] = [];
  private waitingLost = 0;
  private replayPending: NodeJS.Immediate | undefined;

  constructor(options: TakClientOptions, format: StatusFormatter, hooks: ConnectionHooks = {}) {
    this.options = options;
    this.format = format;
    this.hooks = hooks;
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
  get current(): TakClient | undefined {
    return this.client;
  }

  register(user: ConnectionUser): void {
    this.users.set(user.id, user);
    this.clearLinger();
    user.status(this.status); // a late joiner sees the state at once
    if (!this.client) this.start();
    // The nodes of a deploy register one after another in one go: hand what waited to all of them.
    if (this.waiting.length > 0 && this.replayPending === undefined) {
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

  send(input: string | CotEvent): 'sent' | 'queued' {
    if (!this.client) this.start();
    return (this.client as TakClient).send(input);
  }

  async stop(): Promise<void> {
    this.clearSettle();
    this.clearLinger();
    if (this.replayPending !== undefined) clearImmediate(this.replayPending);
    this.replayPending = undefined;
    const unread = this.waiting.filter((item) => item.kind === 'event').length + this.waitingLost;
    this.waiting = [];
    this.waitingLost = 0;
    if (unread > 0) this.hooks.lost?.(unread);
    const client = this.client;
    if (!client) return this.stopping;
    this.client = undefined;
    client.removeAllListeners();
    this.stopping = client.stop();
    await this.stopping;
  }

  private start(): void {
    // Control events are always asked for; each user says whether it wants them.
    const client = new TakClient({ ...this.options, emitControl: true });
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
    client.on('event', (received: { event: CotEvent; xml: string }) => {
      if (this.keep({ kind: 'event', received })) return;
      for (const user of this.users.values()) user.onEvent?.({ ...received, control: false });
    });
    client.on('control', (received: { event: CotEvent; xml: string }) => {
      for (const user of this.users.values())
        if (user.wantsControl) user.onEvent?.({ ...received, control: true });
    });
    client.on('parseError', (error: StreamError) => {
      if (this.keep({ kind: 'parseError', error })) return;
      for (const user of this.users.values()) user.onParseError?.(error);
    });
    client.start();
  }

  private publish(change: StateChange): void {
    this.lastChange = change;
    this.status = this.format(
      this.throttled > 0 && change.state === 'connected' ? { ...change, throttled: this.throttled } : change,
    );
    for (const user of this.users.values()) user.status(this.status);
  }

  /** Keeps what arrives while no node is there, or while what waited is still being handed over. */
  private keep(item: Waiting): boolean {
    if (this.users.size > 0 && this.waiting.length === 0) return false;
    this.waiting.push(item);
    if (this.waiting.length > HANDOVER_BUFFER_EVENTS) {
      const dropped = this.waiting.shift() as Waiting;
      if (dropped.kind === 'event') this.waitingLost++;
    }
    return true;
  }

  private replay(): void {
    this.replayPending = undefined;
    if (this.users.size === 0) return; // gone again: keep waiting
    const items = this.waiting;
    const lost = this.waitingLost;
    this.waiting = [];
    this.waitingLost = 0;
    if (lost > 0) this.hooks.lost?.(lost);
    for (const item of items) {
      for (const user of this.users.values()) {
        if (item.kind === 'event') user.onEvent?.({ ...item.received, control: false });
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
