import type { SocketFactory, TakClientOptions } from '../client/tak-client';
import type { TakProtocolSetting } from '../client/options';
import type { CertificateSummary } from '../tls/certificate';
import { tcpSocketFactory, tlsSocketFactory } from '../tls/client-socket';
import { DEFAULT_NEGOTIATION_TIMEOUT_MS, DEFAULT_PING_AFTER_SEND_IDLE_MS } from '../client/defaults';
import {
  DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_TLS_MAX_RECORD_BYTES,
  MAX_TLS_RECORD_BYTES,
  MIN_TLS_RECORD_BYTES,
} from '../tls/context';
import type { ClientTlsOptions } from '../tls/context';
import { TlsError } from '../tls/errors';
import type { TlsIdentity } from '../tls/identity';
import type { WebTls } from '../web/request';
import type { TrustStore } from '../tls/truststore';
import {
  clientSourcesFromTlsConfig,
  decodeStoredFile,
  loadClientTls,
  type ClientTlsSources,
} from '../tls/settings';
import type { MeshClientOptions } from '../client/mesh-client';
import type { SharedConnection } from './connection';
import { meshSettings, type MeshDef } from './mesh-settings';
import type { Node, NodeDef, TlsConfigNode } from './red';
import { booleanSetting, numberSetting, secondsSetting, SettingError, stringSetting } from './settings';

export interface TakConfigNode extends Node {
  /** Absent when the settings are unusable; `configError` says why. */
  connection?: SharedConnection;
  configError?: string;
  endpoint: string;
  /** When the enrolled client certificate is next renewed (ISO 8601); absent when it is not renewed. */
  renewalDueAt?: string;
  /** Where the stored enrollment password may be sent: only back to the host, port and user it was kept for. */
  enrollTarget?: { host: string; port: number; username: string };
  /** What the web API (data packages) needs of this config: host, identity, the TLS it uses now. */
  webSide?: () => WebSide;
}

/** The tak-config as the web API sees it: the same host and certificates as the CoT connection. */
export interface WebSide {
  host: string;
  uid: string;
  callsign: string;
  /** Present when the connection is TLS: the client certificate and the CAs it trusts, as renewed. */
  tls: WebTls | undefined;
}

/** What the tak-config dialog saves. Times are in seconds in the dialog. */
export interface TakConfigDef extends NodeDef, MeshDef {
  host?: string;
  port?: string | number;
  protocol?: string;
  callsign?: string;
  uid?: string;
  team?: string;
  role?: string;
  lat?: string | number;
  lon?: string | number;
  presenceInterval?: string | number;
  identityGap?: string | number;
  pingAfterIdle?: string | number;
  pingInterval?: string | number;
  pingAfterSendIdle?: string | number;
  deadAfterIdle?: string | number;
  connectTimeout?: string | number;
  reconnectMax?: string | number;
  queueSize?: string | number;
  maxEventKb?: string | number;
  /** Largest event tak-send may send, KiB; empty: the same as maxEventKb. */
  maxSendKb?: string | number;
  /** Largest TLS record written, bytes (512 to 16384); empty: 4096. */
  tlsRecordBytes?: string | number;
  authUser?: string;
  rateLimit?: string | number;
  rateBurst?: string | number;
  minIntervalPerUid?: string | number;
  coalesce?: boolean | string;
  neverCoalesce?: string;
  /** Where the TLS certificates come from: 'node' (this node's credentials) or 'tls-config'. */
  tlsSource?: string;
  /** The id of a core tls-config node, when tlsSource is 'tls-config'. */
  tls?: string;
  /** Check the server's certificate and name; default true. */
  verifyServer?: boolean | string;
  /** The name the server's certificate carries, when it is not the host (a TAK Server reached by IP). */
  serverName?: string;
  /**
   * The wire format (not the transport, which is `protocol`): 'negotiate' (default), 'xml' or 'protobuf'
   * (TAK Server's prototls inputs).
   */
  takProtocol?: string;
  /** Seconds to wait for the server's answer to our protobuf request; empty: 60 (as ATAK). */
  negotiationTimeout?: string | number;
  /** The username the certificate was enrolled with (TAK Server's 8446); empty: not enrolled. */
  enrollUser?: string;
  /** TAK Server's enrollment port; default 8446. */
  enrollPort?: string | number;
  /** Renew the enrolled certificate when this % of its lifetime has passed; 0: never. */
  renewPercent?: string | number;
  /** The enrollment port's certificate fingerprint accepted on first use (when no truststore checks it). */
  enrollFingerprint?: string;
}

/**
 * The secrets of a tak-config: never in the flow JSON. Files are base64 of the bytes as uploaded (PEM text is
 * accepted as is).
 */
export interface TakConfigCredentials {
  /** The `<auth>` password. */
  password?: string;
  /** Client certificate: .p12, or PEM certificate (key inside or in clientKey). */
  clientCert?: string;
  clientKey?: string;
  /** The .p12 password or the PEM key's passphrase. */
  clientPassword?: string;
  /** Truststore: .p12 or PEM/DER CA certificates. */
  trustStore?: string;
  trustPassword?: string;
  /** The enrollment password or token, kept to renew the certificate. */
  enrollPassword?: string;
}

/** What the config node tells people about its TLS at deploy. */
export interface TlsSummary {
  source: 'node' | 'tls-config';
  verifyServer: boolean;
  serverName: string | undefined;
  certificate: CertificateSummary | undefined;
  trust: CertificateSummary[] | undefined;
  warnings: string[];
}

export interface ConnectionSettings {
  options: TakClientOptions;
  /** Present for protocol tls. */
  tls: TlsSummary | undefined;
  /** Present for protocols mesh and udp: the connection is a MeshClient, and `options` is unused. */
  mesh?: MeshClientOptions;
  /** The loaded certificate and truststore (protocol tls). */
  clientTls?: ClientTlsOptions;
  /**
   * Makes the next connections use another identity (and truststore): a renewed certificate takes over without
   * a redeploy. Present for protocol tls.
   */
  replaceIdentity?(identity: TlsIdentity, trust: TrustStore | undefined): void;
}

/** The wire formats the dialog offers, the first the default. */
export const TAK_PROTOCOL_SETTINGS: readonly TakProtocolSetting[] = ['negotiate', 'xml', 'protobuf'];

/** The dialog's wire format; a SettingError naming the choices for anything else. */
export function takProtocolSetting(value: string | undefined): TakProtocolSetting {
  const text = stringSetting(value, 'negotiate').toLowerCase();
  const found = TAK_PROTOCOL_SETTINGS.find((setting) => setting === text);
  if (found === undefined) {
    throw new SettingError(
      `tak-config TAK protocol "${text}" is not available; use negotiate (XML, protobuf when the server offers it), ` +
        'xml, or protobuf (TAK Server prototls inputs)',
    );
  }
  return found;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function ownSources(def: TakConfigDef, credentials: TakConfigCredentials): ClientTlsSources {
  return {
    clientCert: decodeStoredFile(credentials.clientCert, 'client certificate'),
    clientKey: decodeStoredFile(credentials.clientKey, 'client key'),
    clientPassword: nonEmpty(credentials.clientPassword),
    trustStore: decodeStoredFile(credentials.trustStore, 'truststore'),
    trustPassword: nonEmpty(credentials.trustPassword),
    verifyServer: booleanSetting(def.verifyServer, true),
    serverName: stringSetting(def.serverName),
  };
}

function tlsConfigSources(def: TakConfigDef, tlsNode: TlsConfigNode | null | undefined): ClientTlsSources {
  if (!tlsNode) {
    throw new SettingError(
      'tak-config is set to take its certificates from a tls-config node, but none is selected (or it was deleted)',
    );
  }
  if (tlsNode.valid === false) {
    throw new SettingError(
      `the tls-config node ${tlsNode.name || tlsNode.id} could not read its certificate files: see its error`,
    );
  }
  const fromNode = clientSourcesFromTlsConfig(tlsNode.addTLSOptions({}));
  // This node's own checks apply too: verification is off if either says so, its server name comes first.
  return {
    ...fromNode,
    verifyServer: booleanSetting(def.verifyServer, true) && fromNode.verifyServer !== false,
    serverName: stringSetting(def.serverName) || fromNode.serverName,
  };
}

/** A TlsError keeps its code in the message, so the log says which case it is. */
function withCode(error: unknown): never {
  if (error instanceof TlsError) throw new SettingError(`${error.message} (${error.code})`);
  throw error;
}

/**
 * Core options from the dialog's values and the node's credentials; throws a SettingError naming a bad
 * setting or a certificate that cannot be used. `tlsNode` is the tls-config node the settings point at.
 */
export function connectionSettings(
  def: TakConfigDef,
  credentials: TakConfigCredentials = {},
  tlsNode?: TlsConfigNode | null,
): ConnectionSettings {
  const protocolText = stringSetting(def.protocol, 'tcp').toLowerCase();
  const protocol = protocolText === 'ssl' ? 'tls' : protocolText;
  if (protocol === 'mesh' || protocol === 'udp') {
    const mesh = meshSettings(def, protocol, def.id);
    return { options: { host: mesh.host ?? '', port: mesh.port ?? 0 }, tls: undefined, mesh };
  }
  const host = stringSetting(def.host);
  if (host === '') throw new SettingError('tak-config has no host: give the TAK server name or address');
  if (protocol !== 'tcp' && protocol !== 'tls') {
    throw new SettingError(
      `tak-config protocol "${protocolText}" is not available; use tcp (FreeTAKServer 8087, TAK Server 8088), tls (TAK Server 8089), udp (send only) or mesh (multicast, no server)`,
    );
  }
  const connectTimeoutMs = secondsSetting(def.connectTimeout, 20_000, 'connect timeout', 1);
  const maxEventBytes = numberSetting(def.maxEventKb, 1024, 'largest event (KiB)', 1, 8192) * 1024;
  const options: TakClientOptions = {
    host,
    port: numberSetting(def.port, protocol === 'tls' ? 8089 : 8087, 'port', 1, 65535),
    protocol: takProtocolSetting(def.takProtocol),
    negotiationTimeoutMs: secondsSetting(
      def.negotiationTimeout,
      DEFAULT_NEGOTIATION_TIMEOUT_MS,
      'protobuf answer timeout',
      1,
    ),
    presence: {
      // The node id outlives redeploys: the gateway stays one contact on the map.
      uid: stringSetting(def.uid, `takpak-${def.id}`),
      callsign: stringSetting(def.callsign, 'takpak'),
      team: stringSetting(def.team, 'Cyan'),
      role: stringSetting(def.role, 'Team Member'),
      lat: numberSetting(def.lat, 0, 'lat', -90, 90),
      lon: numberSetting(def.lon, 0, 'lon', -180, 180),
    },
    presenceIntervalMs: secondsSetting(def.presenceInterval, 60_000, 'presence interval'),
    identityGapMs: numberSetting(def.identityGap, 500, 'identity gap (ms)', 0, 60_000),
    pingAfterIdleMs: secondsSetting(def.pingAfterIdle, 15_000, 'ping after idle', 1),
    pingIntervalMs: secondsSetting(def.pingInterval, 4_500, 'ping interval', 1),
    pingAfterSendIdleMs: secondsSetting(
      def.pingAfterSendIdle,
      DEFAULT_PING_AFTER_SEND_IDLE_MS,
      'ping after sending nothing',
    ),
    deadAfterIdleMs: secondsSetting(def.deadAfterIdle, 25_000, 'reconnect after silence', 1),
    connectTimeoutMs,
    reconnectMaxMs: secondsSetting(def.reconnectMax, 60_000, 'longest reconnect delay', 1),
    maxQueueEvents: numberSetting(def.queueSize, 1_000, 'queue size', 1, 1_000_000),
    maxEventBytes,
    maxSendEventBytes: Math.round(
      numberSetting(def.maxSendKb, maxEventBytes / 1024, 'largest outgoing event (KiB)', 1, 8192) * 1024,
    ),
    maxEventsPerSecond: numberSetting(def.rateLimit, 0, 'rate limit (events/s)', 0, 100_000),
    burstEvents: numberSetting(def.rateBurst, 10, 'burst (events)', 1, 100_000),
    minIntervalPerUidMs: secondsSetting(def.minIntervalPerUid, 0, 'minimum interval per uid'),
    coalesce: booleanSetting(def.coalesce, true),
    neverCoalesceTypes: stringSetting(def.neverCoalesce)
      .split(',')
      .map((prefix) => prefix.trim())
      .filter((prefix) => prefix !== ''),
  };
  const username = stringSetting(def.authUser);
  if (username !== '') {
    options.auth = { username, password: credentials.password ?? '', uid: options.presence?.uid ?? '' };
  }
  if (protocol === 'tcp') {
    options.createSocket = tcpSocketFactory({ sendsLogin: options.auth !== undefined });
    return { options, tls: undefined };
  }

  const source = stringSetting(def.tlsSource, 'node') === 'tls-config' ? 'tls-config' : 'node';
  let loaded;
  let factoryOptions: ClientTlsOptions;
  let current: SocketFactory;
  try {
    const sources = source === 'tls-config' ? tlsConfigSources(def, tlsNode) : ownSources(def, credentials);
    loaded = loadClientTls(sources);
    factoryOptions = {
      ...loaded.options,
      // Inside the connect timeout, so a silent plain port is named as such before the attempt gives up.
      handshakeTimeoutMs: Math.min(DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS, Math.ceil(connectTimeoutMs / 2)),
      maxRecordBytes: numberSetting(
        def.tlsRecordBytes,
        DEFAULT_TLS_MAX_RECORD_BYTES,
        'TLS record size (bytes)',
        MIN_TLS_RECORD_BYTES,
        MAX_TLS_RECORD_BYTES,
      ),
    };
    current = tlsSocketFactory(factoryOptions);
  } catch (error) {
    withCode(error);
  }
  options.createSocket = (target) => current(target);
  return {
    options,
    clientTls: loaded.options,
    replaceIdentity(identity, trust) {
      current = tlsSocketFactory({ ...factoryOptions, identity, ...(trust ? { trust } : {}) });
    },
    tls: {
      source,
      verifyServer: loaded.options.verifyServer !== false,
      serverName: loaded.options.serverName,
      certificate: loaded.options.identity?.certificate,
      trust: loaded.options.trust?.certificates,
      warnings: loaded.warnings,
    },
  };
}

/** The web side of loaded settings: read when a request is made, so a renewed certificate is used. */
export function webSideOf(settings: ConnectionSettings): WebSide {
  const tls = settings.clientTls;
  let web: WebTls | undefined;
  if (tls) {
    web = {};
    if (tls.identity) {
      web.cert = tls.identity.cert;
      web.key = tls.identity.key;
    }
    if (tls.serverName) web.serverName = tls.serverName;
    // The same checks as the CoT connection: its truststore, else the public roots, or none when turned off.
    if (tls.verifyServer !== false) {
      if (tls.trust) web.ca = tls.trust.ca;
      else web.publicRoots = true;
    }
  }
  return {
    host: settings.options.host,
    uid: settings.options.presence?.uid ?? '',
    callsign: settings.options.presence?.callsign ?? '',
    tls: web,
  };
}
