import type { MeshClientOptions, MeshSendFormat } from '../client/mesh-client';
import {
  DEFAULT_CHAT_GROUP,
  DEFAULT_CHAT_PORT,
  DEFAULT_DIRECT_PORT,
  DEFAULT_MAX_PENDING_EVENTS,
  DEFAULT_MESH_TTL,
  DEFAULT_REBUILD_AFTER_SILENCE_MS,
  DEFAULT_SA_GROUP,
  DEFAULT_SA_PORT,
  MAX_DATAGRAM_BYTES,
} from '../client/mesh-defaults';
import { booleanSetting, numberSetting, secondsSetting, SettingError, stringSetting } from './settings';

/** What the tak-config dialog saves for protocols mesh and udp (beside host, port and the presence fields). */
export interface MeshDef {
  host?: string;
  port?: string | number;
  callsign?: string;
  uid?: string;
  team?: string;
  role?: string;
  lat?: string | number;
  lon?: string | number;
  presenceInterval?: string | number;
  maxEventKb?: string | number;
  maxSendKb?: string | number;
  /** A name (wlan0) or an IPv4 address; empty: the interface the OS routes multicast through. */
  meshInterface?: string;
  saEnabled?: boolean | string;
  saGroup?: string;
  saPort?: string | number;
  chatEnabled?: boolean | string;
  chatGroup?: string;
  chatPort?: string | number;
  ttl?: string | number;
  loopback?: boolean | string;
  /** xml, protobuf, or auto (follow the devices heard). */
  sendFormat?: string;
  /** The direct-message TCP port in our endpoint; 0: no listener. */
  directPort?: string | number;
  /** Seconds of silence after which a receive socket is rebuilt. */
  rebuildAfter?: string | number;
  /** The pacing settings tak-config has for servers apply to the mesh too. */
  rateLimit?: string | number;
  rateBurst?: string | number;
  /** Events kept while the mesh is not open yet or the rate limit holds them (the server queue's setting). */
  queueSize?: string | number;
}

const MULTICAST = /^(22[4-9]|23\d)\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

function group(def: MeshDef, which: 'sa' | 'chat'): { group: string; port: number } | false {
  const enabled = booleanSetting(which === 'sa' ? def.saEnabled : def.chatEnabled, true);
  if (!enabled) return false;
  const name = which === 'sa' ? 'SA group' : 'chat group';
  const address = stringSetting(
    which === 'sa' ? def.saGroup : def.chatGroup,
    which === 'sa' ? DEFAULT_SA_GROUP : DEFAULT_CHAT_GROUP,
  );
  if (!MULTICAST.test(address)) {
    throw new SettingError(
      `the ${name} ${JSON.stringify(address)} is not an IPv4 multicast address (224.0.0.0 to 239.255.255.255)`,
    );
  }
  const port = numberSetting(
    which === 'sa' ? def.saPort : def.chatPort,
    which === 'sa' ? DEFAULT_SA_PORT : DEFAULT_CHAT_PORT,
    `${name} port`,
    1,
    65535,
  );
  return { group: address, port };
}

function sendFormat(value: string | undefined): MeshSendFormat {
  const text = stringSetting(value, 'auto');
  if (text === 'xml' || text === 'protobuf' || text === 'auto') return text;
  throw new SettingError(`send format ${JSON.stringify(text)} is not xml, protobuf or auto`);
}

/** MeshClient options from the dialog; throws a SettingError naming a bad setting. `id` is the config node's. */
export function meshSettings(def: MeshDef, protocol: 'mesh' | 'udp', id: string): MeshClientOptions {
  const maxEventBytes = numberSetting(def.maxEventKb, 1024, 'largest event (KiB)', 1, 8192) * 1024;
  const options: MeshClientOptions = {
    mode: protocol,
    interface: stringSetting(def.meshInterface),
    ttl: numberSetting(def.ttl, DEFAULT_MESH_TTL, 'TTL', 1, 255),
    loopback: booleanSetting(def.loopback, false),
    sendFormat: sendFormat(def.sendFormat),
    maxEventBytes,
    maxSendEventBytes: Math.round(
      numberSetting(
        def.maxSendKb,
        MAX_DATAGRAM_BYTES / 1024,
        'largest outgoing event (KiB)',
        1,
        MAX_DATAGRAM_BYTES / 1024,
      ) * 1024,
    ),
    maxPendingEvents: numberSetting(def.queueSize, DEFAULT_MAX_PENDING_EVENTS, 'queue size', 1, 1_000_000),
    maxEventsPerSecond: numberSetting(def.rateLimit, 0, 'rate limit (events/s)', 0, 100_000),
    burstEvents: numberSetting(def.rateBurst, 10, 'burst (events)', 1, 100_000),
    rebuildAfterSilenceMs: secondsSetting(
      def.rebuildAfter,
      DEFAULT_REBUILD_AFTER_SILENCE_MS,
      'rebuild a silent socket after',
      1,
    ),
  };
  if (protocol === 'udp') {
    const host = stringSetting(def.host);
    if (host === '')
      throw new SettingError('tak-config protocol udp has no host: give the server that takes CoT over UDP');
    options.host = host;
    options.port = numberSetting(def.port, 8087, 'port', 1, 65535);
    return options;
  }
  options.sa = group(def, 'sa');
  options.chat = group(def, 'chat');
  if (!options.sa && !options.chat)
    throw new SettingError('the mesh has both the SA and the chat group turned off: turn on at least one');
  options.directPort = numberSetting(def.directPort, DEFAULT_DIRECT_PORT, 'direct message port', 0, 65535);
  options.presenceIntervalMs = secondsSetting(def.presenceInterval, 60_000, 'presence interval', 1);
  options.presence = {
    uid: stringSetting(def.uid, `takpak-${id}`),
    callsign: stringSetting(def.callsign, 'takpak'),
    team: stringSetting(def.team, 'Cyan'),
    role: stringSetting(def.role, 'Team Member'),
    lat: numberSetting(def.lat, 0, 'lat', -90, 90),
    lon: numberSetting(def.lon, 0, 'lon', -180, 180),
  };
  return options;
}
