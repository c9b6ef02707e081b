/**
 * The server's side of TAK Protocol negotiation on a stream (tak-protocol.md section 5): it offers version 1
 * with `t-x-takp-v` when a client connects, and answers a client's `t-x-takp-q` with `t-x-takp-r`; on a true
 * answer both directions of that connection are protobuf from the next byte.
 */
import { buildCot } from '../cot/build';
import type { CotElement, CotEvent } from '../cot/model';
import { TAK_PROTOCOL_VERSION } from '../client/defaults';
import { OFFER_TYPE, REQUEST_TYPE, RESPONSE_TYPE } from '../client/negotiation';

/** The uid TAK Server gives its negotiation events; clients match on the type, not the uid. */
export const NEGOTIATION_UID = 'protouid';
/** A negotiation event is only meaningful now: stale a minute on, as ATAK's wait for an answer. */
const NEGOTIATION_STALE_MS = 60_000;

function children(element: CotElement | undefined, name: string): CotElement[] {
  const value = element?.[name];
  if (value === undefined || typeof value !== 'object') return [];
  return Array.isArray(value) ? value : [value];
}

function controlEvent(type: string, control: CotElement, now: number): string {
  return buildCot(
    {
      uid: NEGOTIATION_UID,
      type,
      how: 'm-g',
      time: now,
      start: now,
      stale: now + NEGOTIATION_STALE_MS,
      point: { lat: 0, lon: 0 },
      detail: { TakControl: control },
    },
    now,
  );
}

/** The offer sent to each new client: version 1, and who we are. */
export function offerXml(serverVersion: string, now: number): string {
  return controlEvent(
    OFFER_TYPE,
    { TakProtocolSupport: { version: TAK_PROTOCOL_VERSION }, TakServerVersionInfo: { serverVersion } },
    now,
  );
}

export function responseXml(accepted: boolean, now: number): string {
  return controlEvent(RESPONSE_TYPE, { TakResponse: { status: accepted ? 'true' : 'false' } }, now);
}

/** undefined: not a request; true: it asks for the version we speak; false: it asks for another. */
export function readRequest(event: CotEvent): boolean | undefined {
  if (event.type !== REQUEST_TYPE) return undefined;
  for (const control of children(event.detail, 'TakControl'))
    for (const request of children(control, 'TakRequest'))
      if (String(request.version) === TAK_PROTOCOL_VERSION) return true;
  return false;
}
