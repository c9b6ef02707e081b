import type { CotEvent } from '../cot/model';
import { CotServer, type ClientInfo, type CotServerOptions } from '../server/cot-server';
import { describeCertificate } from '../tls/certificate';
import { TlsError } from '../tls/errors';
import { tlsServerFactory, type TlsServerHooks } from '../tls/server';
import {
  decodeStoredFile,
  loadServerTls,
  serverSourcesFromTlsConfig,
  type ServerTlsSources,
} from '../tls/settings';
import type { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction, TlsConfigNode } from './red';
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
  idleTimeout?: string | number;
  queueKb?: string | number;
  replay?: boolean | string;
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
/**
 * A refused device retries every few seconds (ATAK: 15 s): one warning per 10 s shows what happens without
 * filling the log; the ones left out are counted in the next.
 */
const TLS_WARNING_INTERVAL_MS = 10_000;

function throttled(warn: (text: string) => void): (text: string) => void {
  let last = Number.NEGATIVE_INFINITY;
  let skipped = 0;
  return (text) => {
    const now = Date.now();
    if (now - last < TLS_WARNING_INTERVAL_MS) {
      skipped += 1;
      return;
    }
    last = now;
    warn(skipped > 0 ? `${text} (${skipped} more TLS refusals since the last warning)` : text);
    skipped = 0;
  };
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

function serverOptions(def: TakServerDef): CotServerOptions {
  const tls = stringSetting(def.protocol, 'tcp').toLowerCase() === 'tls';
  return {
    host: stringSetting(def.host, '0.0.0.0'),
    port: numberSetting(def.port, tls ? 8089 : 8087, 'port', 0, 65535),
    maxClients: numberSetting(def.maxClients, 100, 'maximum clients', 1, 100_000),
    maxEventBytes: numberSetting(def.maxEventKb, 1024, 'largest event (KiB)', 1, 8192) * 1024,
    idleTimeoutMs: secondsSetting(def.idleTimeout, 60_000, 'idle timeout', 1),
    maxQueueBytes: numberSetting(def.queueKb, 4096, 'send queue per client (KiB)', 16, 1_048_576) * 1024,
    replay: booleanSetting(def.replay, true),
  };
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
  function TakServer(this: Node, def: TakServerDef): void {
    RED.nodes.createNode(this, def);
    let options: CotServerOptions;
    let tlsLog: string | undefined;
    let refusedInPeriod = 0;
    const warnTls = throttled((text) => this.warn(text));
    const hooks: TlsServerHooks = {
      refused: (client) => {
        refusedInPeriod += 1;
        warnTls(`${client.code}: ${client.message}`);
      },
      handshakeFailed: (failure) => {
        refusedInPeriod += 1;
        warnTls(`${failure.code}: ${failure.message}`);
      },
      accepted: (client) => {
        const who = client.certificate ? client.certificate.subject : 'no certificate';
        this.debug(`TLS client ${client.remoteAddress}:${client.remotePort}: ${who}`);
      },
    };
    try {
      options = serverOptions(def);
      if (stringSetting(def.protocol, 'tcp').toLowerCase() === 'tls') {
        const tlsNode = def.tls ? (RED.nodes.getNode(def.tls) as TlsConfigNode | null) : undefined;
        const credentials = (this.credentials ?? {}) as TakServerCredentials;
        const loaded = loadServerTls(tlsSources(def, credentials, tlsNode));
        options.createServer = tlsServerFactory(loaded.options, hooks);
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
      this.error(error instanceof TlsError ? `${message} (${error.code})` : message);
      return;
    }
    const server = new CotServer(options);
    const secure = options.createServer !== undefined;
    let lastReceived = 0;
    let lastSent = 0;

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

    server.on('event', (received: { event: CotEvent; xml: string; client: ClientInfo }) => {
      this.send({
        payload: received.event,
        cot: received.xml,
        topic: received.event.type,
        client: received.client,
      });
    });
    server.on(
      'clientError',
      ({ client, error }: { client: ClientInfo; error: Error & { code?: string } }) => {
        this.debug(`${client.callsign ?? client.remoteAddress}: ${error.code ?? 'error'}: ${error.message}`);
      },
    );
    server.on('error', (error: Error) => {
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
    });

    this.status({ fill: 'yellow', shape: 'ring', text: RED._('tak-server.status.starting') });
    let timer: NodeJS.Timeout | undefined;
    server.listen().then(
      ({ address, port }) => {
        this.log(RED._('tak-server.log.listening', { address, port }));
        if (tlsLog !== undefined) this.log(tlsLog);
        showStatus();
        timer = setInterval(showStatus, STATUS_INTERVAL_MS);
        timer.unref();
      },
      () => {
        // reported by the 'error' listener above
      },
    );

    this.on('input', (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      if (msg.topic === 'metrics') {
        send({ ...msg, payload: { ...server.metrics(), clients: server.clients() } });
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

    this.on('close', (_removed: boolean, done: () => void) => {
      if (timer) clearInterval(timer);
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
