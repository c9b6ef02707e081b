/**
 * Renews an enrolled client certificate before it expires: at a fraction of its lifetime (a setting), it
 * enrolls again with the stored username and password and hands the new identity over; a failed attempt is
 * reported and tried again later, while the old certificate still works. Nothing here knows Node-RED.
 */
import type { PacingClock } from '../client/clock';
import { DEFAULT_RENEW_FRACTION, enroll, renewalTime, type EnrollOptions, type EnrollResult } from './enroll';

/** After a failed renewal (server down, password changed), try again this much later: often enough to make it. */
export const RENEW_RETRY_MS = 60 * 60 * 1000;
/** A server that hands out certificates already due for renewal must not be asked again in a loop. */
export const MIN_RENEW_INTERVAL_MS = 10 * 60 * 1000;
/** setTimeout holds at most 2^31-1 ms (24.8 days); longer waits are taken in steps of this. */
const MAX_TIMER_MS = 2_147_483_647;

/** Wall-clock time (ms since 1970) and timers; injectable for tests. */
export type WallClock = PacingClock;

const wallClock: WallClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface RenewalHooks {
  /** The new certificate: use it for the next connections and store it. */
  renewed(result: EnrollResult): void;
  /** A renewal failed; the next attempt is at `retryAt` (ISO 8601). */
  failed(error: unknown, retryAt: string): void;
}

export interface RenewalPlan {
  /** How to enroll again: the same server, username, password and trust as the first time. */
  enroll: EnrollOptions;
  /** The current certificate's dates (ISO 8601). */
  validFrom: string;
  validTo: string;
  /** Default DEFAULT_RENEW_FRACTION. */
  fraction?: number;
}

export class CertificateRenewal {
  private timer: unknown;
  private stopped = false;
  private validFrom: string;
  private validTo: string;
  private readonly fraction: number;

  constructor(
    private readonly plan: RenewalPlan,
    private readonly hooks: RenewalHooks,
    private readonly clock: WallClock = wallClock,
    private readonly enrollOnce: (options: EnrollOptions, fraction: number) => Promise<EnrollResult> = enroll,
  ) {
    this.validFrom = plan.validFrom;
    this.validTo = plan.validTo;
    this.fraction = plan.fraction ?? DEFAULT_RENEW_FRACTION;
  }

  /** When the next renewal is due (ISO 8601). */
  get dueAt(): string {
    return renewalTime(this.validFrom, this.validTo, this.fraction);
  }

  start(): void {
    this.stopped = false;
    this.waitUntil(Date.parse(this.dueAt));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private waitUntil(at: number): void {
    if (this.stopped) return;
    const delay = Math.max(0, at - this.clock.now());
    this.timer = this.clock.setTimeout(
      () => (delay > MAX_TIMER_MS ? this.waitUntil(at) : void this.attempt()),
      Math.min(delay, MAX_TIMER_MS),
    );
  }

  private async attempt(): Promise<void> {
    this.timer = undefined;
    let result: EnrollResult;
    try {
      result = await this.enrollOnce(this.plan.enroll, this.fraction);
    } catch (error) {
      if (this.stopped) return;
      const retryAt = this.clock.now() + RENEW_RETRY_MS;
      this.hooks.failed(error, new Date(retryAt).toISOString());
      this.waitUntil(retryAt);
      return;
    }
    if (this.stopped) return;
    this.validFrom = result.identity.certificate.validFrom;
    this.validTo = result.identity.certificate.validTo;
    const next = Math.max(Date.parse(this.dueAt), this.clock.now() + MIN_RENEW_INTERVAL_MS);
    try {
      this.hooks.renewed(result);
    } catch (error) {
      // The certificate is renewed; what the hook could not do (store it) is reported, not retried as a renewal.
      this.hooks.failed(error, new Date(next).toISOString());
    }
    this.waitUntil(next);
  }
}
