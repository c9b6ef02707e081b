import { buildCot } from '../cot/build';
import type { CotElement, CotEvent } from '../cot/model';
import { TAK_PROTOCOL_VERSION } from './defaults';

/*
 * TAK Protocol negotiation on a stream, as TAK Server does it: the server offers (t-x-takp-v, TakControl/
 * TakProtocolSupport version="1", plus TakServerVersionInfo), the client asks (t-x-takp-q, TakControl/
 * TakRequest version="1") and writes nothing else until the answer (t-x-takp-r, TakControl/TakResponse
 * status="true|false"); on true both sides speak protobuf from the next byte.
 */

export const OFFER_TYPE = 't-x-takp-v';
export const REQUEST_TYPE = 't-x-takp-q';
export const RESPONSE_TYPE = 't-x-takp-r';

function child(element: CotElement | undefined, name: string): CotElement[] {
  const value = element?.[name];
  if (value === undefined || typeof value !== 'object') return [];
  return Array.isArray(value) ? value : [value];
}

function control(event: CotEvent): CotElement[] {
  return child(event.detail, 'TakControl');
}

/** What a server's offer says: whether it speaks our version, and the server version it announced. */
export interface ProtocolOffer {
  offersOurs: boolean;
  serverVersion: string | undefined;
}

export function readOffer(event: CotEvent): ProtocolOffer | undefined {
  if (event.type !== OFFER_TYPE) return undefined;
  let offersOurs = false;
  let serverVersion: string | undefined;
  for (const c of control(event)) {
    for (const support of child(c, 'TakProtocolSupport'))
      if (String(support.version) === TAK_PROTOCOL_VERSION) offersOurs = true;
    for (const info of child(c, 'TakServerVersionInfo')) {
      const version = info.serverVersion;
      if (typeof version === 'string' && version !== '') serverVersion = version;
    }
  }
  return { offersOurs, serverVersion };
}

/** true or false for a t-x-takp-r answer, undefined for anything else. */
export function readResponse(event: CotEvent): boolean | undefined {
  if (event.type !== RESPONSE_TYPE) return undefined;
  for (const c of control(event))
    for (const response of child(c, 'TakResponse')) return String(response.status) === 'true';
  return false;
}

/** Our request for protobuf, as XML (the connection is still XML when it goes out). */
export function requestXml(uid: string, now: number): string {
  return buildCot(
    {
      uid,
      type: REQUEST_TYPE,
      how: 'm-g',
      time: now,
      start: now,
      stale: now + 60_000,
      point: { lat: 0, lon: 0 },
      detail: { TakControl: { TakRequest: { version: TAK_PROTOCOL_VERSION } } },
    },
    now,
  );
}
