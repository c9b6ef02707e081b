import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { buildCot } from '../cot/build';
import { CHAT_TYPE, presenceEvent, type PresenceOptions } from '../cot/helpers';
import type { CotEvent, CotInput } from '../cot/model';
import { parseCot } from '../cot/parse';
import { DEFAULT_MAX_EVENT_BYTES } from '../stream/stream-parser';
import { encodeTakMeshFrame } from '../takproto';
import { encodeTakControl, type TakControl } from '../takproto/codec';
import { frameMesh } from '../takproto/frame';
import { realClock, type PacingClock } from './clock';
import { DEFAULT_BURST_EVENTS } from './defaults';
import { TokenBucket } from './rate-limiter';
import { ADDRESS_KEY, MeshContacts } from './mesh-contacts';
import { readDatagram, type MeshReceived } from './mesh-datagram';
import {
  DEFAULT_ANNOUNCE_INTERVAL_MS,
  DEFAULT_CHAT_GROUP,
  DEFAULT_CHAT_PORT,
  DEFAULT_DIRECT_PORT,
  DEFAULT_INTERFACE_RETRY_MS,
  DEFAULT_MAX_PENDING_EVENTS,
  DEFAULT_MESH_TTL,
  DEFAULT_REBUILD_AFTER_SILENCE_MS,
  DEFAULT_SA_GROUP,
  DEFAULT_SA_PORT,
  MAX_DATAGRAM_BYTES,
  TAK_PROTOCOL_MAX,
  TAK_PROTOCOL_MIN,
} from './mesh-defaults';
import { DirectListener, sendDirect } from './mesh-direct';
import { MeshError, MeshErrorCode } from './mesh-errors';
import { defaultInterface, findInterface, type MeshInterface } from './mesh-interface';
import { isControlType } from './tak-client';

/** udp with no interface chosen: the socket binds every address and the OS picks the route. */
const ANY_INTERFACE: MeshInterface = { name: 'any', address: '0.0.0.0', internal: false };

export type MeshSendFormat = 'xml' | 'protobuf' | 'auto';

export interface MeshGroup {
  group: string;
  port: number;
}

export interface MeshClientOptions {
  /** mesh: multicast, send and receive. udp: unicast datagrams to host:port, send only. */
  mode: 'mesh' | 'udp';
  /** udp: where to send. */
  host?: string;
  port?: number;
  /** A name (`wlan0`) or an IPv4 address; default the interface the OS routes multicast through, never loopback. */
  interface?: string;
  /** The SA group; false: not joined, and SA goes nowhere. Default 239.2.3.1:6969. */
  sa?: MeshGroup | false;
  /** The GeoChat group; false: chats go on the SA group and the chat group is not heard. Default 224.10.10.1:17012. */
  chat?: MeshGroup | false;
  ttl?: number;
  /** Whether our datagrams loop back to other programs on this host (never to this client). Default false. */
  loopback?: boolean;
  sendFormat?: MeshSendFormat;
  /** Our SA, sent on the SA group every presenceIntervalMs; absent: none. */
  presence?: Omit<PresenceOptions, 'endpoint'>;
  presenceIntervalMs?: number;
  /** The direct-message TCP port (our endpoint); 0: no listener, and our SA names no endpoint. Default 4242. */
  directPort?: number;
  /** Largest event read from a datagram or a direct connection. */
  maxEventBytes?: number;
  /** Largest event sent; at most MAX_DATAGRAM_BYTES. */
  maxSendEventBytes?: number;
  maxDepth?: number;
  rebuildAfterSilenceMs?: number;
  announceIntervalMs?: number;
  interfaceRetryMs?: number;
  /** Events kept while the sockets are not open yet (starting, the interface missing) or the rate limit holds them. */
  maxPendingEvents?: number;
  /** Events sent per second at most (0: no limit), with bursts of burstEvents; direct messages are not paced. */
  maxEventsPerSecond?: number;
  burstEvents?: number;
  /** Timers and the contact window run on this clock (tests move it by hand). */
  clock?: PacingClock;
  /** Emit control events (t-x-c-*, t-x-takp-*) as 'control' instead of dropping them. */
  emitControl?: boolean;
}

export type MeshState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'stopped';

/** What the status shows of a mesh. */
export interface MeshInfo {
  interface: string;
  address: string;
  contacts: number;
  /** The format we send in now. */
  protocol: 'xml' | 'protobuf';
  /** udp mode: where datagrams go. */
  target?: string;
}

export interface MeshStateChange {
  state: MeshState;
  delayMs?: number;
  error?: { code: string; message: string };
  mesh?: MeshInfo;
}

export interface MeshCounters {
  offered: number;
  eventsSent: number;
  eventsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  controlReceived: number;
  /** Datagrams (and direct connections) that were not one CoT event: counted and skipped. */
  parseErrors: number;
  /** Our own datagrams heard back (loopback on): skipped. */
  ownEchoes: number;
  /** Receive sockets rebuilt after a silence. */
  rebuilds: number;
  announcements: number;
  directReceived: number;
  directSent: number;
  directFailed: number;
  sendErrors: number;
  /** Events dropped from the wait before the sockets opened (the oldest, when more than maxPendingEvents waited). */
  dropped: number;
  lastError?: { code: string; message: string; at: number };
}

export interface MeshSendOptions {
  /** A uid or callsign heard on the mesh: the event goes to its endpoint over TCP instead of multicast. */
  to?: string;
}

interface Receiver {
  socket: dgram.Socket;
  group: MeshGroup;
  silence: unknown;
}

/**
 * The mesh: ATAK's multicast SA and GeoChat, with no server. Sends on the chosen interface, hears the groups
 * there, keeps the devices heard and the TAK Protocol version they share, and takes direct messages over TCP.
 * Events: 'state', 'event', 'control', 'parseError' (a MeshError), 'problem' (a MeshError: a failed direct send),
 * 'contact' (a device's SA or announcement was heard, from this address).
 */
export class MeshClient extends EventEmitter {
  private readonly o: Required<
    Omit<
      MeshClientOptions,
      'host' | 'port' | 'interface' | 'presence' | 'maxDepth' | 'maxEventsPerSecond' | 'burstEvents'
    >
  > &
    Pick<MeshClientOptions, 'host' | 'port' | 'interface' | 'presence' | 'maxDepth'>;
  private readonly clock: PacingClock;
  readonly contacts: MeshContacts;
  private current: MeshState = 'idle';
  private iface: MeshInterface | undefined;
  private sender: dgram.Socket | undefined;
  private senderPort = 0;
  private receivers: Receiver[] = [];
  private direct: DirectListener | undefined;
  private directPort = 0;
  private timers = new Map<string, unknown>();
  private generation = 0;
  private lastInfo = '';
  /** Events sent before the sockets were open, or held by the rate limit, in order. */
  private pending: Array<{ bytes: Buffer; target: MeshGroup }> = [];
  /** maxEventsPerSecond: multicast on Wi-Fi goes at the slowest rate, and a flood starves every phone. */
  private readonly limiter: TokenBucket | undefined;
  private readonly c: MeshCounters = {
    offered: 0,
    eventsSent: 0,
    eventsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    controlReceived: 0,
    parseErrors: 0,
    ownEchoes: 0,
    rebuilds: 0,
    announcements: 0,
    directReceived: 0,
    directSent: 0,
    directFailed: 0,
    sendErrors: 0,
    dropped: 0,
  };

  constructor(options: MeshClientOptions) {
    super();
    const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    this.o = {
      mode: options.mode,
      host: options.host,
      port: options.port,
      interface: options.interface,
      sa: options.sa ?? { group: DEFAULT_SA_GROUP, port: DEFAULT_SA_PORT },
      chat: options.chat ?? { group: DEFAULT_CHAT_GROUP, port: DEFAULT_CHAT_PORT },
      ttl: options.ttl ?? DEFAULT_MESH_TTL,
      loopback: options.loopback ?? false,
      sendFormat: options.sendFormat ?? 'auto',
      presence: options.presence,
      presenceIntervalMs: options.presenceIntervalMs ?? 60_000,
      directPort: options.directPort ?? DEFAULT_DIRECT_PORT,
      maxEventBytes,
      maxSendEventBytes: Math.min(options.maxSendEventBytes ?? MAX_DATAGRAM_BYTES, MAX_DATAGRAM_BYTES),
      maxDepth: options.maxDepth,
      rebuildAfterSilenceMs: options.rebuildAfterSilenceMs ?? DEFAULT_REBUILD_AFTER_SILENCE_MS,
      announceIntervalMs: options.announceIntervalMs ?? DEFAULT_ANNOUNCE_INTERVAL_MS,
      interfaceRetryMs: options.interfaceRetryMs ?? DEFAULT_INTERFACE_RETRY_MS,
      maxPendingEvents: options.maxPendingEvents ?? DEFAULT_MAX_PENDING_EVENTS,
      clock: options.clock ?? realClock,
      emitControl: options.emitControl ?? false,
    };
    if (this.o.mode === 'udp' && (this.o.host === undefined || this.o.port === undefined)) {
      throw new MeshError(MeshErrorCode.OPTIONS, 'udp needs a host and a port to send to');
    }
    if (!Number.isInteger(this.o.ttl) || this.o.ttl < 1 || this.o.ttl > 255) {
      throw new MeshError(MeshErrorCode.OPTIONS, `TTL ${this.o.ttl} is out of range; give 1 to 255`);
    }
    this.clock = this.o.clock;
    const rate = options.maxEventsPerSecond ?? 0;
    this.limiter =
      rate > 0
        ? new TokenBucket(rate, options.burstEvents ?? DEFAULT_BURST_EVENTS, this.clock.now())
        : undefined;
    this.contacts = new MeshContacts(() => this.clock.now());
  }

  get state(): MeshState {
    return this.current;
  }

  get counters(): MeshCounters {
    return { ...this.c };
  }

  get ownUid(): string {
    return this.o.presence?.uid ?? '';
  }

  /** The interface in use, once started. */
  get interfaceInUse(): MeshInterface | undefined {
    return this.iface;
  }

  /** The direct-message port listened on (0 when none). */
  get listeningPort(): number {
    return this.directPort;
  }

  /** The format events go out in now: the version the contacts share when following them. */
  get protocol(): 'xml' | 'protobuf' {
    if (this.o.sendFormat === 'auto') return this.contacts.agreedVersion() >= 1 ? 'protobuf' : 'xml';
    return this.o.sendFormat;
  }

  get info(): MeshInfo | undefined {
    if (!this.iface) return undefined;
    const info: MeshInfo = {
      interface: this.iface.name,
      address: this.iface.address,
      contacts: this.contacts.size,
      protocol: this.protocol,
    };
    if (this.o.mode === 'udp') info.target = `${this.o.host}:${this.o.port}`;
    return info;
  }

  start(): void {
    if (this.current !== 'idle') return;
    void this.open(this.generation);
  }

  private setState(change: MeshStateChange): void {
    this.current = change.state;
    if (change.mesh) this.lastInfo = JSON.stringify(change.mesh);
    this.emit('state', change);
  }

  /** Says so when the contacts or the protocol changed: the status shows them. */
  private refreshInfo(): void {
    if (this.current !== 'connected') return;
    const info = this.info;
    if (info && JSON.stringify(info) !== this.lastInfo) this.setState({ state: 'connected', mesh: info });
  }

  private record(error: { code: string; message: string }): void {
    this.c.lastError = { code: error.code, message: error.message, at: Date.now() };
  }

  private async open(generation: number): Promise<void> {
    this.setState({ state: 'connecting' });
    try {
      const chosen = this.o.interface !== undefined && this.o.interface !== '';
      // Unicast to a server goes wherever the OS routes it, unless an interface was chosen.
      const iface = chosen
        ? findInterface(this.o.interface as string)
        : this.o.mode === 'udp'
          ? ANY_INTERFACE
          : await defaultInterface(this.o.sa ? this.o.sa.group : DEFAULT_SA_GROUP, DEFAULT_SA_PORT);
      if (generation !== this.generation) return;
      this.iface = iface;
      await this.openSender(iface);
      if (this.o.mode === 'mesh') {
        for (const group of [this.o.sa, this.o.chat]) if (group) await this.openReceiver(group, generation);
        if (this.o.directPort > 0) {
          // The multicast mesh works without direct messages: a port another program holds costs only those.
          await this.openDirect(iface).catch((error: unknown) => {
            const info =
              error instanceof MeshError ? error : new MeshError(MeshErrorCode.SOCKET, String(error), error);
            this.record(info);
            this.emit('problem', info);
          });
        }
      }
      if (generation !== this.generation) return;
    } catch (error) {
      if (generation !== this.generation) return;
      const info =
        error instanceof MeshError
          ? error
          : new MeshError(MeshErrorCode.SOCKET, `the mesh could not start: ${String(error)}`, error);
      this.record(info);
      await this.closeSockets();
      this.setState({
        state: 'reconnecting',
        delayMs: this.o.interfaceRetryMs,
        error: { code: info.code, message: info.message },
      });
      this.schedule('retry', this.o.interfaceRetryMs, () => void this.open(generation));
      return;
    }
    this.setState({ state: 'connected', mesh: this.info as MeshInfo });
    this.flush();
    if (this.o.mode === 'mesh') {
      if (this.o.sendFormat !== 'xml') this.announce();
      if (this.o.presence) this.sendPresence();
    }
  }

  private schedule(name: string, ms: number, callback: () => void): void {
    const old = this.timers.get(name);
    if (old !== undefined) this.clock.clearTimeout(old);
    this.timers.set(
      name,
      this.clock.setTimeout(() => {
        this.timers.delete(name);
        callback();
      }, ms),
    );
  }

  private openSender(iface: MeshInterface): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
      socket.once('error', (error) => reject(socketError('the send socket', iface, error)));
      // Bound to the interface's address: datagrams leave from it, and our own echoes are known by it.
      socket.bind({ address: iface.address, port: 0 }, () => {
        try {
          if (this.o.mode === 'mesh') {
            socket.setMulticastInterface(iface.address);
            socket.setMulticastTTL(this.o.ttl);
            socket.setMulticastLoopback(this.o.loopback);
          } else socket.setTTL(Math.max(this.o.ttl, 64));
        } catch (error) {
          socket.close();
          reject(socketError('the send socket', iface, error));
          return;
        }
        socket.removeAllListeners('error');
        socket.on('error', (error) => this.record(socketError('the send socket', iface, error)));
        this.sender = socket;
        this.senderPort = socket.address().port;
        resolve();
      });
    });
  }

  private openReceiver(group: MeshGroup, generation: number): Promise<void> {
    const iface = this.iface as MeshInterface;
    return new Promise((resolve, reject) => {
      // Address reuse before bind: ATAK, other mesh nodes and several flows share the port on one host.
      const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
      socket.once('error', (error) =>
        reject(socketError(`the ${group.group}:${group.port} socket`, iface, error)),
      );
      // On Linux a socket bound to the group hears only that group, not every group any program joined.
      const address = process.platform === 'linux' ? group.group : '0.0.0.0';
      socket.bind({ address, port: group.port, exclusive: false }, () => {
        try {
          socket.addMembership(group.group, iface.address);
        } catch (error) {
          socket.close();
          reject(socketError(`joining ${group.group}`, iface, error));
          return;
        }
        socket.removeAllListeners('error');
        const receiver: Receiver = { socket, group, silence: undefined };
        socket.on('error', (error) => this.record(socketError(`the ${group.group} socket`, iface, error)));
        socket.on('message', (bytes, rinfo) => {
          if (generation !== this.generation) return;
          this.armSilence(receiver, generation);
          this.receiveDatagram(bytes, rinfo.address, rinfo.port);
        });
        this.receivers.push(receiver);
        this.armSilence(receiver, generation);
        resolve();
      });
    });
  }

  /** A receive socket that hears nothing for a long while is rebuilt (ATAK does the same). */
  private armSilence(receiver: Receiver, generation: number): void {
    if (receiver.silence !== undefined) this.clock.clearTimeout(receiver.silence);
    receiver.silence = this.clock.setTimeout(() => {
      receiver.silence = undefined;
      if (generation !== this.generation || !this.receivers.includes(receiver)) return;
      this.receivers = this.receivers.filter((item) => item !== receiver);
      receiver.socket.close();
      this.c.rebuilds++;
      this.openReceiver(receiver.group, generation).catch((error: unknown) => {
        const info = error instanceof MeshError ? error : new MeshError(MeshErrorCode.SOCKET, String(error));
        this.record(info);
        this.emit('problem', info);
      });
    }, this.o.rebuildAfterSilenceMs);
  }

  private async openDirect(iface: MeshInterface): Promise<void> {
    const listener = new DirectListener({
      address: iface.address,
      port: this.o.directPort,
      maxBytes: this.o.maxEventBytes,
      maxDepth: this.o.maxDepth,
      onEvent: (received, from) => {
        this.c.directReceived++;
        this.deliver(received, from.slice(0, from.lastIndexOf(':')));
      },
      onBad: (error) => this.badInput(error),
    });
    this.directPort = await listener.listen();
    this.direct = listener;
  }

  private badInput(error: MeshError): void {
    this.c.parseErrors++;
    this.record(error);
    this.emit('parseError', error);
  }

  /**
   * One datagram as a receive socket hands it over (also for datagrams captured elsewhere, and the bench):
   * our own echoes skipped, a bad one counted and reported, an event emitted.
   */
  receiveDatagram(bytes: Buffer, address: string, port: number): void {
    if (this.iface && address === this.iface.address && port === this.senderPort) {
      this.c.ownEchoes++;
      return;
    }
    this.c.bytesReceived += bytes.length;
    let received: MeshReceived;
    try {
      received = readDatagram(bytes, { maxBytes: this.o.maxEventBytes, maxDepth: this.o.maxDepth });
    } catch (error) {
      if (!(error instanceof MeshError)) throw error;
      this.badInput(error);
      return;
    }
    this.deliver(received, address);
  }

  private deliver(received: MeshReceived, address: string): void {
    const event = received.event;
    if (received.control) {
      const uid = received.control.contactUid || event?.uid || `${ADDRESS_KEY}${address}`;
      this.contacts.heardControl(received.control, uid, address);
    }
    if (event) this.contacts.heardEvent(event, address);
    if (received.control || event?.detail?.contact !== undefined) {
      this.emit('contact', address);
      this.refreshInfo();
    }
    if (!event) {
      this.c.controlReceived++;
      return;
    }
    if (isControlType(event.type)) {
      this.c.controlReceived++;
      if (this.o.emitControl) this.emit('control', { event, xml: received.xml });
      return;
    }
    this.c.eventsReceived++;
    // The XML of a TAK Protocol event is built only if a listener reads it.
    this.emit('event', {
      event,
      format: received.format,
      get xml(): string {
        return received.xml;
      },
    });
  }

  private control(): TakControl {
    return { minProtoVersion: TAK_PROTOCOL_MIN, maxProtoVersion: TAK_PROTOCOL_MAX, contactUid: this.ownUid };
  }

  /** Our TAK Protocol support on the SA group, at least once a minute, so devices can agree on a version. */
  private announce(): void {
    const sa = this.o.sa;
    if (sa && this.sender) {
      this.c.announcements++;
      this.write(frameMesh(encodeTakControl(this.control())), sa);
    }
    this.schedule('announce', this.o.announceIntervalMs, () => this.announce());
  }

  private sendPresence(): void {
    const presence = this.o.presence;
    if (!presence || !this.iface) return;
    // No listener (turned off, or its port taken): our SA names no endpoint, so nobody tries.
    const endpoint = this.directPort > 0 ? `${this.iface.address}:${this.directPort}:tcp` : undefined;
    const event = presenceEvent({ ...presence, ...(endpoint ? { endpoint } : {}) });
    try {
      this.sendEvent(event, {});
    } catch (error) {
      if (error instanceof MeshError) this.record(error);
    }
    this.schedule('presence', this.o.presenceIntervalMs, () => this.sendPresence());
  }

  /**
   * Sends one event: on the chat group (GeoChat) or the SA group (everything else), to the udp target, or
   * with `to` straight to a contact's endpoint over TCP. Throws a MeshError when it cannot go at all.
   */
  send(input: string | CotInput, options: MeshSendOptions = {}): 'sent' | 'queued' {
    if (this.current === 'stopped') {
      throw new MeshError(MeshErrorCode.NOT_AVAILABLE, 'the mesh is stopped; nothing more can be sent');
    }
    this.c.offered++;
    // Text is read once here: a protobuf datagram is made from the model, an XML one is the text as given.
    const event = typeof input === 'string' ? parseCot(input) : input;
    return this.sendEvent(event, options, typeof input === 'string' ? input : undefined);
  }

  private sendEvent(
    input: CotInput | CotEvent,
    options: MeshSendOptions,
    xmlText?: string,
  ): 'sent' | 'queued' {
    if (options.to !== undefined) return this.sendTo(input, options.to, xmlText);
    const protocol = this.protocol;
    let bytes: Buffer;
    if (protocol === 'protobuf') {
      const isPresence = typeof input === 'object' && 'uid' in input && input.uid === this.ownUid;
      bytes = encodeTakMeshFrame(input, isPresence ? { control: this.control() } : {});
    } else bytes = Buffer.from(xmlText ?? buildCot(input), 'utf8');
    if (bytes.length > this.o.maxSendEventBytes) {
      throw new MeshError(
        MeshErrorCode.EVENT_TOO_LARGE,
        `the event is ${bytes.length} bytes as ${protocol === 'xml' ? 'XML' : 'TAK Protocol'}, more than one datagram carries here (${this.o.maxSendEventBytes}): make it smaller (fewer detail elements, a shorter remark), or send it through a TAK server`,
      );
    }
    const type = typeof input === 'object' && 'type' in input ? input.type : undefined;
    const target: MeshGroup | undefined =
      this.o.mode === 'udp'
        ? { group: this.o.host as string, port: this.o.port as number }
        : type === CHAT_TYPE && this.o.chat
          ? this.o.chat
          : this.o.sa || this.o.chat || undefined;
    if (!target) {
      throw new MeshError(
        MeshErrorCode.NOT_AVAILABLE,
        'both the SA and the chat group are turned off: the mesh has nowhere to send',
      );
    }
    const now = this.clock.now();
    if (this.sender && this.pending.length === 0 && (!this.limiter || this.limiter.tryTake(now))) {
      this.write(bytes, target);
      this.c.eventsSent++;
      return 'sent';
    }
    // Not open yet (starting, or waiting for the interface), or over the rate limit: kept in order, the
    // oldest dropped when full.
    this.pending.push({ bytes, target });
    if (this.pending.length > this.o.maxPendingEvents) {
      this.pending.shift();
      this.c.dropped++;
    }
    if (this.sender) this.flush();
    return 'queued';
  }

  /** Writes what waits, as far as the rate limit lets; the rest when the next token is there. */
  private flush(): void {
    if (!this.sender) return;
    while (this.pending.length > 0) {
      if (this.limiter && !this.limiter.tryTake(this.clock.now())) {
        const limiter = this.limiter;
        if (!this.timers.has('pace')) {
          this.schedule('pace', limiter.msUntilNext(this.clock.now()), () => this.flush());
        }
        return;
      }
      const item = this.pending.shift() as { bytes: Buffer; target: MeshGroup };
      this.write(item.bytes, item.target);
      this.c.eventsSent++;
    }
  }

  private write(bytes: Buffer, target: MeshGroup): void {
    const sender = this.sender as dgram.Socket;
    this.c.bytesSent += bytes.length;
    sender.send(bytes, target.port, target.group, (error) => {
      if (!error) return;
      this.c.sendErrors++;
      this.record(
        socketError(`sending to ${target.group}:${target.port}`, this.iface as MeshInterface, error),
      );
    });
  }

  private sendTo(input: CotInput | CotEvent, to: string, xmlText?: string): 'queued' {
    if (this.o.mode !== 'mesh') {
      throw new MeshError(
        MeshErrorCode.NOT_AVAILABLE,
        'msg.to needs protocol mesh: udp has no contacts to send to',
      );
    }
    const contact = this.contacts.find(to);
    const endpoint = contact?.endpoint?.split(':');
    const port = endpoint ? Number(endpoint[1]) : NaN;
    if (!contact || !endpoint || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new MeshError(
        MeshErrorCode.UNKNOWN_CONTACT,
        contact
          ? `contact ${JSON.stringify(to)} gave no direct endpoint (${JSON.stringify(contact.endpoint ?? '')})`
          : `no contact ${JSON.stringify(to)} was heard on the mesh in the last two minutes (give a uid or a callsign it sends)`,
      );
    }
    // The address the datagram came from, when the endpoint names none ("*") or another network's.
    const host = endpoint[0] === '' || endpoint[0] === '*' ? contact.address : (endpoint[0] as string);
    const bytes = Buffer.from(xmlText ?? buildCot(input), 'utf8');
    sendDirect(host, port, bytes, this.iface?.address).then(
      () => {
        this.c.directSent++;
      },
      (error: unknown) => {
        this.c.directFailed++;
        const info =
          error instanceof MeshError ? error : new MeshError(MeshErrorCode.DIRECT_FAILED, String(error));
        this.record(info);
        this.emit('problem', info);
      },
    );
    return 'queued';
  }

  private async closeSockets(): Promise<void> {
    for (const handle of this.timers.values()) this.clock.clearTimeout(handle);
    this.timers.clear();
    for (const receiver of this.receivers) {
      if (receiver.silence !== undefined) this.clock.clearTimeout(receiver.silence);
      receiver.socket.close();
    }
    this.receivers = [];
    this.sender?.close();
    this.sender = undefined;
    const direct = this.direct;
    this.direct = undefined;
    this.directPort = 0;
    if (direct) await direct.close();
  }

  async stop(): Promise<void> {
    if (this.current === 'stopped') return;
    this.generation++;
    this.c.dropped += this.pending.length;
    this.pending = [];
    await this.closeSockets();
    this.setState({ state: 'stopped' });
  }
}

function socketError(what: string, iface: MeshInterface, error: unknown): MeshError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return new MeshError(
    MeshErrorCode.SOCKET,
    `${what} on ${iface.name} (${iface.address}) failed: ${code}${code === 'EADDRINUSE' ? ' (another program holds the port without sharing it)' : ''}`,
    error,
  );
}
