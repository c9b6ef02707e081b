import type { TakClientOptions } from '../client/tak-client';
import type { SharedConnection } from './connection';
import type { Node, NodeDef } from './red';
import { numberSetting, secondsSetting, stringSetting } from './settings';

export interface TakConfigNode extends Node {
  /** Absent when the settings are unusable; `configError` says why. */
  connection?: SharedConnection;
  configError?: string;
  endpoint: string;
}

/** What the tak-config dialog saves. Times are in seconds in the dialog. */
export interface TakConfigDef extends NodeDef {
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
  deadAfterIdle?: string | number;
  connectTimeout?: string | number;
  reconnectMax?: string | number;
  queueSize?: string | number;
  maxEventKb?: string | number;
  authUser?: string;
}

/** Core options from the dialog's values; throws a SettingError naming a bad setting. */
export function clientOptions(def: TakConfigDef, password: string | undefined): TakClientOptions {
  const host = stringSetting(def.host);
  if (host === '') throw new Error('tak-config has no host: give the TAK server name or address');
  const protocol = stringSetting(def.protocol, 'tcp');
  if (protocol !== 'tcp') {
    throw new Error(
      `tak-config protocol "${protocol}" is not available yet; use tcp (port 8087 on FreeTAKServer, 8088 on TAK Server)`,
    );
  }
  const options: TakClientOptions = {
    host,
    port: numberSetting(def.port, 8087, 'port', 1, 65535),
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
    deadAfterIdleMs: secondsSetting(def.deadAfterIdle, 25_000, 'reconnect after silence', 1),
    connectTimeoutMs: secondsSetting(def.connectTimeout, 20_000, 'connect timeout', 1),
    reconnectMaxMs: secondsSetting(def.reconnectMax, 60_000, 'longest reconnect delay', 1),
    maxQueueEvents: numberSetting(def.queueSize, 1_000, 'queue size', 1, 1_000_000),
    maxEventBytes: numberSetting(def.maxEventKb, 1024, 'largest event (KiB)', 1, 8192) * 1024,
  };
  const username = stringSetting(def.authUser);
  if (username !== '')
    options.auth = { username, password: password ?? '', uid: options.presence?.uid ?? '' };
  return options;
}
