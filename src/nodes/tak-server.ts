import { createHash } from 'node:crypto';
import { DEFAULT_MAX_DEPTH, MAX_DEPTH_LIMIT, MIN_DEPTH_LIMIT } from '../cot/limits';
import {
  CotServer,
  type ClientInfo,
  type CotServerOptions,
  type ServerAddress,
  type ServerEventPayload,
} from '../server/cot-server';
import {
  DEFAULT_EVENT_TIMEOUT_MS,
  DEFAULT_FIRST_EVENT_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_INPUT_BURST_BYTES,
  DEFAULT_INPUT_BYTES_PER_SECOND,
  DEFAULT_MAX_CLIENTS_PER_ADDRESS,
} from '../server/options';
import { WarnThrottle } from '../server/warn-throttle';
import { describeCertificate } from '../tls/certificate';
import { DEFAULT_SERVER_HANDSHAKE_TIMEOUT_MS } from '../tls/context';
import { TlsError } from '../tls/errors';
import { tlsServerFactory, type TlsServerHooks } from '../tls/server';
import {
  decodeStoredFile,
  loadServerTls,
  serverSourcesFromTlsConfig,
  type ServerTlsSources,
} from '../tls/settings';
import { messageWithLazyCot } from './lazy-cot';
import { isDeploying, watchRuntime } from './handover';
import type { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction, TlsConfigNode } from './red';
import { adoptServer, parkServer, watchServerHandover } from './server-handover';
import {
  booleanSetting,
  numberSetting,
  secondsSetting,
  SettingError,
  statusReason,
  stringSetting,
} from './settings';
import { toWireXml } from './to-xml';
import { checkRuntime } from './runtime-check';

interface TakServerDef extends NodeDef {
  host?: string;
  port?: string | number;
  maxClients?: string | number;
  maxEventKb?: string | number;
  maxDepth?: string | number;
  idleTimeout?: string | number;
  queueKb?: string | number;
  maxPerAddress?: string | number;
  firstEventTimeout?: string | number;
  eventTimeout?: string | number;
  inputRateKb?: string | number;
  inputBurstKb?: string | number;
  handshakeTimeout?: string | number;
  replay?: boolean | string;
  /** Offer TAK Protocol version 1 (protobuf) to each client; default true. */
  offerProtobuf?: boolean | string;
  /** 'tcp' (default) or 'tls'. */
  protocol?: string;
  /** Where the TLS certificates come from: 'node' (this node's credentials) or 'tls-config'. */
  tlsSource?: string;
  /** The id of a core tls-config node, when tlsSource is 'tls-config'. */
  tls?: string;
  /** Refuse TLS clients without a certificate from the client CA; default true. */
  requireClientCert?: boolean | string;
}

/** The secrets of a tak-server, base64 files as uploaded (PEM text accepted as is): never in the flow JSON. */
interface TakServerCredentials {
  serverCert?: string;
  serverKey?: string;
  serverPassword?: string;
  clientCa?: string;
  clientCaPassword?: string;
}

/** How often the status line is refreshed with clients and events in/out: often enough to watch, rarely enough to read. */
const STATUS_INTERVAL_MS = 5_000;
/** Settings that change how the node looks or is wired, not the server: a deploy of those keeps the server. */
const PLACEMENT = new Set(['x', 'y', 'z', 'g', 'l', 'wires', 'name', 'info', '_users']);

/** What a tak-server hands on across a deploy: the server, and where its TLS hooks report now. */
interface Held {
  server: CotServer;
  secure: boolean;
  tlsLog: string | undefined;
  /** TLS refusals and failed handshakes by code: they never reach the CoT server, so its metrics lack them. */
  tlsErrors: Map<string, number>;
  /** Resolves with the address once listening; rejects when listening failed. */
  listening: Promise<ServerAddress>;
  sink: { current: TlsServerHooks | undefined };
  close(): Promise<void>;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function tlsSources(
  def: TakServerDef,
  credentials: TakServerCredentials,
  tlsNode: TlsConfigNode | null | undefined,
): ServerTlsSources {
  const requireClientCert = booleanSetting(def.requireClientCert, true);
  if (stringSetting(def.tlsSource, 'node') !== 'tls-config') {
    return {
      serverCert: decodeStoredFile(credentials.serverCert, 'server certificate'),
      serverKey: decodeStoredFile(credentials.serverKey, 'server key'),
      serverPassword: nonEmpty(credentials.serverPassword),
      clientCa: decodeStoredFile(credentials.clientCa, 'client CA'),
      clientCaPassword: nonEmpty(credentials.clientCaPassword),
      requireClientCert,
    };
  }
  if (!tlsNode) {
    throw new SettingError(
      'tak-server is set to take its certificates from a tls-config node, but none is selected (or it was deleted)',
    );
  }
  if (tlsNode.valid === false) {
    throw new SettingError(
      `the tls-config node ${tlsNode.name || tlsNode.id} could not read its certificate files: see its error`,
    );
  }
  return { ...serverSourcesFromTlsConfig(tlsNode.addTLSOptions({})), requireClientCert };
}

/** The listener of a parked server's 'error': nobody is there to hear it until a node takes the server over. */
function ignore(): void {
  // the node that takes the server over reports what happens next
}

/** Everything the server is made from, hashed so no second copy of the credentials is kept. */
function settingsKey(
  def: TakServerDef,
  credentials: TakServerCredentials,
  tlsNode: TlsConfigNode | null | undefined,
): string {
  const settings = Object.entries(def).filter(([name]) => !PLACEMENT.has(name));
  const tls = tlsNode ? tlsNode.addTLSOptions({}) : null;
  return createHash('sha256')
    .update(JSON.stringify([settings, credentials, tls]))
    .digest('hex');
}

function serverOptions(def: TakServerDef): CotServerOptions {
  const tls = stringSetting(def.protocol, 'tcp').toLowerCase() === 'tls';
  return {
    host: stringSetting(def.host, '0.0.0.0'),
    port: numberSetting(def.port, tls ? 8089 : 8087, 'port', 0, 65535),
    maxClients: numberSetting(def.maxClients, 100, 'maximum clients', 1, 100_000),
    maxClientsPerAddress: numberSetting(
      def.maxPerAddress,
      DEFAULT_MAX_CLIENTS_PER_ADDRESS,
      'clients per address',
      1,
      100_000,
    ),
    maxEventBytes: numberSetting(def.maxEventKb, 1024, 'largest event (KiB)', 1, 8192) * 1024,
    maxDepth: numberSetting(
      def.maxDepth,
      DEFAULT_MAX_DEPTH,
      'deepest nesting',
      MIN_DEPTH_LIMIT,
      MAX_DEPTH_LIMIT,
    ),
    idleTimeoutMs: secondsSetting(def.idleTimeout, DEFAULT_IDLE_TIMEOUT_MS, 'idle timeout', 1),
    firstEventTimeoutMs: secondsSetting(
      def.firstEventTimeout,
      DEFAULT_FIRST_EVENT_TIMEOUT_MS,
      'first event within (s)',
      1,
    ),
    eventTimeoutMs: secondsSetting(def.eventTimeout, DEFAULT_EVENT_TIMEOUT_MS, 'one event within (s)', 1),
    inputBytesPerSecond:
      numberSetting(def.inputRateKb, DEFAULT_INPUT_BYTES_PER_SECOND / 1024, 'input per client (KiB/s)', 1) *
      1024,
    inputBurstBytes:
      numberSetting(def.inputBurstKb, DEFAULT_INPUT_BURST_BYTES / 1024, 'input burst (KiB)', 1) * 1024,
    maxQueueBytes: numberSetting(def.queueKb, 4096, 'send queue per client (KiB)', 16, 1_048_576) * 1024,
    replay: booleanSetting(def.replay, true),
    offerTakProtocol: booleanSetting(def.offerProtobuf, true),
  };
}

function handshakeTimeoutMs(def: TakServerDef): number {
  return secondsSetting(
    def.handshakeTimeout,
    DEFAULT_SERVER_HANDSHAKE_TIMEOUT_MS,
    'TLS handshake within (s)',
    1,
  );
}

/** `msg.to`: a uid or callsign string, or `{ uid, callsign }`. */
function recipient(to: unknown): { uid?: string; callsign?: string } | undefined {
  if (typeof to === 'string' && to !== '') return { uid: to, callsign: to };
  if (typeof to === 'object' && to !== null) {
    const { uid, callsign } = to as { uid?: unknown; callsign?: unknown };
    const out: { uid?: string; callsign?: string } = {};
    if (typeof uid === 'string') out.uid = uid;
    if (typeof callsign === 'string') out.callsign = callsign;
    return out;
  }
  return undefined;
}

export = function register(RED: NodeAPI): void {
  checkRuntime(RED);
  watchRuntime(RED.events);
  watchServerHandover(RED.events);

  function TakServer(this: Node, def: TakServerDef): void {
    RED.nodes.createNode(this, def);
    const credentials = (this.credentials ?? {}) as TakServerCredentials;
    const tlsNode = def.tls ? (RED.nodes.getNode(def.tls) as TlsConfigNode | null) : undefined;
    let options: CotServerOptions;
    let tlsLog: string | undefined;
    let tlsOptions: ReturnType<typeof loadServerTls>['options'] | undefined;
    try {
      options = serverOptions(def);
      if (stringSetting(def.protocol, 'tcp').toLowerCase() === 'tls') {
        const loaded = loadServerTls(tlsSources(def, credentials, tlsNode));
        tlsOptions = { ...loaded.options, handshakeTimeoutMs: handshakeTimeoutMs(def) };
        for (const warning of loaded.warnings) this.warn(warning);
        const ca = loaded.options.clientCa?.certificates.map((c) => c.subject).join('; ');
        tlsLog = RED._(
          loaded.options.requireClientCert === false ? 'tak-server.log.tlsOpen' : 'tak-server.log.tls',
          { certificate: describeCertificate(loaded.options.identity.certificate), ca: ca ?? '' },
        );
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const reason = statusReason(message);
      this.status({ fill: 'red', shape: 'ring', text: RED._('tak-server.status.badConfig', { reason }) });
      const code = (error as { code?: unknown }).code;
      this.error(
        error instanceof TlsError || typeof code === 'string' ? `${message} (${String(code)})` : message,
      );
      return;
    }

    const key = settingsKey(def, credentials, tlsNode);
    const { held: kept, closed } = adoptServer<Held>(this.id, key);
    let held: Held;
    if (kept) {
      held = kept;
    } else {
      const sink: Held['sink'] = { current: undefined };
      if (tlsOptions) {
        options.createServer = tlsServerFactory(tlsOptions, {
          refused: (client) => sink.current?.refused?.(client),
          handshakeFailed: (failure) => sink.current?.handshakeFailed?.(failure),
          accepted: (client) => sink.current?.accepted?.(client),
        });
      }
      let server: CotServer;
      try {
        server = new CotServer(options);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const reason = statusReason(message);
        this.status({ fill: 'red', shape: 'ring', text: RED._('tak-server.status.badConfig', { reason }) });
        const code = (error as { code?: unknown }).code;
        this.error(typeof code === 'string' ? `${message} (${code})` : message);
        return;
      }
      // The server of a node with other settings must have let the port go first.
      const listening = (closed ?? Promise.resolve()).then(() => server.listen());
      held = {
        server,
        secure: tlsOptions !== undefined,
        tlsLog,
        tlsErrors: new Map(),
        listening,
        sink,
        close: () => server.close(),
      };
    }
    const server = held.server;
    const secure = held.secure;
    let refusedInPeriod = 0;
    let lastReceived = server.metrics().messagesReceived;
    let lastSent = server.metrics().messagesSent;
    const warnings = new WarnThrottle((line) => this.warn(line));

    held.sink.current = {
      refused: (client) => {
        refusedInPeriod += 1;
        held.tlsErrors.set(client.code, (held.tlsErrors.get(client.code) ?? 0) + 1);
        warnings.note(client.code, `${client.code}: ${client.message}`);
      },
      handshakeFailed: (failure) => {
        refusedInPeriod += 1;
        held.tlsErrors.set(failure.code, (held.tlsErrors.get(failure.code) ?? 0) + 1);
        warnings.note(failure.code, `${failure.code}: ${failure.message}`);
      },
      accepted: (client) => {
        const who = client.certificate ? client.certificate.subject : 'no certificate';
        this.debug(`TLS client ${client.remoteAddress}:${client.remotePort}: ${who}`);
      },
    };

    const showStatus = (): void => {
      const metrics = server.metrics();
      const received = metrics.messagesReceived - lastReceived;
      const sent = metrics.messagesSent - lastSent;
      lastReceived = metrics.messagesReceived;
      lastSent = metrics.messagesSent;
      const refused = refusedInPeriod;
      refusedInPeriod = 0;
      this.status({
        fill: 'green',
        shape: metrics.openSockets > 0 ? 'dot' : 'ring',
        text: RED._(secure ? 'tak-server.status.runningTls' : 'tak-server.status.running', {
          clients: metrics.openSockets,
          in: received,
          out: sent,
          refused,
          seconds: STATUS_INTERVAL_MS / 1000,
        }),
      });
    };

    const onEvent = (received: ServerEventPayload): void => {
      const takproto = received.takproto;
      if (takproto === undefined) {
        this.send({
          payload: received.event,
          cot: received.xml,
          topic: received.event.type,
          client: received.client,
        });
        return;
      }
      // From a protobuf client msg.cot is built on first read, as tak-receive's: most flows read msg.payload only.
      const msg = messageWithLazyCot(received.event, takproto, () => received.xml);
      msg.client = received.client;
      this.send(msg);
    };
    // Every refusal and drop: one warning per kind per 10 s with a count, the details at debug.
    const onClientError = ({
      client,
      error,
    }: {
      client: ClientInfo;
      error: Error & { code?: string };
    }): void => {
      const code = error.code ?? 'error';
      warnings.note(code, `${code}: ${error.message}`);
      const preview = (error as { preview?: unknown }).preview;
      this.debug(
        `${client.callsign ?? client.remoteAddress}:${client.remotePort}: ${code}: ${error.message}${
          typeof preview === 'string' && preview !== '' ? ` [${preview}]` : ''
        }`,
      );
    };
    const onError = (error: Error): void => {
      this.status({
        fill: 'red',
        shape: 'ring',
        text: RED._('tak-server.status.error', { reason: error.message }),
      });
      this.error(
        RED._('tak-server.errors.listen', {
          host: options.host ?? '',
          port: options.port ?? 0,
          reason: error.message,
        }),
      );
    };
    server.off('error', ignore);
    server.on('event', onEvent);
    server.on('clientError', onClientError);
    server.on('error', onError);

    let timer: NodeJS.Timeout | undefined;
    if (!kept) this.status({ fill: 'yellow', shape: 'ring', text: RED._('tak-server.status.starting') });
    held.listening.then(
      ({ address, port }) => {
        if (kept) this.log(RED._('tak-server.log.kept', { address, port, clients: server.clients().length }));
        else {
          this.log(RED._('tak-server.log.listening', { address, port }));
          if (held.tlsLog !== undefined) this.log(held.tlsLog);
        }
        showStatus();
        timer = setInterval(showStatus, STATUS_INTERVAL_MS);
        timer.unref();
      },
      (error: unknown) => {
        // A listen() failure is also emitted as 'error' when this node listened at the time; say it here otherwise.
        if (kept) onError(error instanceof Error ? error : new Error(String(error)));
      },
    );

    this.on('input', (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      if (msg.topic === 'metrics') {
        const metrics = server.metrics();
        const errors = { ...metrics.errors, ...Object.fromEntries(held.tlsErrors) };
        send({
          ...msg,
          payload: {
            ...metrics,
            errors,
            clients: server.clients(),
            formats: server.formats(),
            encodings: server.encodings(),
          },
        });
        done();
        return;
      }
      try {
        const delivered = server.send(toWireXml(msg.payload), recipient(msg.to));
        msg.takpak = { delivered };
        done();
      } catch (error) {
        done(error instanceof Error ? error : new Error(String(error)));
      }
    });

    this.on('close', (removed: boolean, done: () => void) => {
      if (timer) clearInterval(timer);
      warnings.dispose();
      server.off('event', onEvent);
      server.off('clientError', onClientError);
      server.off('error', onError);
      held.sink.current = undefined;
      if (!removed && isDeploying()) {
        // The node that replaces this one takes the listener and its clients over when its settings are the same.
        server.on('error', ignore); // nobody listens until the next node; a listener error must not throw
        parkServer(this.id, key, held, (message) => this.error(message));
        done();
        return;
      }
      server.close().then(done, (error: unknown) => {
        this.error(`closing the TAK server failed: ${String(error)}`);
        done();
      });
    });
  }

  RED.nodes.registerType('tak-server', TakServer, {
    credentials: {
      serverCert: { type: 'password' },
      serverKey: { type: 'password' },
      serverPassword: { type: 'password' },
      clientCa: { type: 'password' },
      clientCaPassword: { type: 'password' },
    },
  });
};
