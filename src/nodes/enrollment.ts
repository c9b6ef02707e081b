/**
 * The tak-config's enrolled certificate: its settings (username, port, renewal %), and the renewal that runs
 * while the node does. Glue only: enrolling and the timing are in src/web.
 */
import {
  DEFAULT_ENROLL_PORT,
  DEFAULT_RENEW_FRACTION,
  type EnrollOptions,
  type EnrollResult,
} from '../web/enroll';
import { CertificateRenewal, type WallClock } from '../web/renewal';
import type { ConnectionSettings, TakConfigCredentials, TakConfigDef } from './config-options';
import { numberSetting, stringSetting } from './settings';

/** Renewing later than this share of the lifetime leaves too little time to retry when the server is down. */
export const MAX_RENEW_PERCENT = 95;
export const DEFAULT_RENEW_PERCENT = Math.round(DEFAULT_RENEW_FRACTION * 100);

/** The renewal setting as a fraction of the lifetime; 0: never renew. Throws SettingError. */
export function renewFractionOf(def: Pick<TakConfigDef, 'renewPercent'>): number {
  return (
    numberSetting(def.renewPercent, DEFAULT_RENEW_PERCENT, 'renew at (% of lifetime)', 0, MAX_RENEW_PERCENT) /
    100
  );
}

export interface RenewalContext {
  def: TakConfigDef;
  credentials: TakConfigCredentials;
  settings: ConnectionSettings;
  /** The uid the certificate is for: the gateway's uid. */
  uid: string;
  renewed(result: EnrollResult): void;
  failed(error: unknown, retryAt: string): void;
  clock?: WallClock;
  enrollOnce?: (options: EnrollOptions, fraction: number) => Promise<EnrollResult>;
}

/**
 * Starts renewing when the certificate was enrolled (a username and a stored password), renewal is on and the
 * node holds its own certificate; undefined otherwise. Throws SettingError for a bad setting.
 */
export function startRenewal(context: RenewalContext): CertificateRenewal | undefined {
  const { def, credentials, settings } = context;
  const username = stringSetting(def.enrollUser);
  const password = credentials.enrollPassword ?? '';
  const identity = settings.clientTls?.identity;
  const fraction = renewFractionOf(def);
  if (username === '' || password === '' || !identity || fraction === 0) return undefined;
  if (stringSetting(def.tlsSource, 'node') !== 'node') return undefined;
  const enroll: EnrollOptions = {
    host: stringSetting(def.host),
    port: numberSetting(def.enrollPort, DEFAULT_ENROLL_PORT, 'enrollment port', 1, 65535),
    username,
    password,
    clientUid: context.uid,
  };
  const trust = settings.clientTls?.trust;
  if (trust) enroll.trust = trust.ca;
  const serverName = settings.clientTls?.serverName;
  if (serverName) enroll.serverName = serverName;
  const fingerprint = stringSetting(def.enrollFingerprint);
  if (!trust && fingerprint) enroll.expectedFingerprint = fingerprint;
  const renewal = new CertificateRenewal(
    { enroll, validFrom: identity.certificate.validFrom, validTo: identity.certificate.validTo, fraction },
    { renewed: context.renewed, failed: context.failed },
    context.clock,
    context.enrollOnce,
  );
  renewal.start();
  return renewal;
}
