/**
 * The CoT model handed over as an object (what tak-receive and cot-parse put in msg.payload), checked as
 * strictly as an event read from XML and turned into exactly what parsing its XML gives.
 */
import { CotError, CotErrorCode, describeValue } from '../cot/errors';
import type { CotEvent } from '../cot/model';
import { parseCot } from '../cot/parse';
import { serializeEvent } from '../cot/serialize';
import { validateEvent } from '../cot/validate';
import { isRecord } from './read';

/**
 * An object that claims to be the model: a `point` object. The short form has lat/lon at the top, GeoJSON
 * a geometry, a worldmap marker lat/lon: none of them has a `point`.
 */
export function isModelShaped(value: unknown): value is Record<string, unknown> & { point: object } {
  return isRecord(value) && isRecord(value.point);
}

/**
 * The model as a received event: every field present and valid (uid, type, how, version, the three times,
 * a point with numbers for lat, lon, hae, ce, le, a detail XML can carry), with no defaults filled in, so
 * what was not a whole event is not made into one. Returns the XML written from it and the model read
 * back from that XML, so the output is the same as for the XML itself (attribute values as strings).
 * Throws a CotError naming the field.
 */
export function readReceivedModel(value: unknown): { event: CotEvent; xml: string } {
  if (!isModelShaped(value)) {
    throw new CotError(
      CotErrorCode.INPUT,
      `${describeValue(value)} is not the CoT model; give an object with uid, type, how, time, start, stale and point`,
      'payload',
      value,
    );
  }
  const model = value as unknown as CotEvent;
  validateEvent(model, { staleOrder: false });
  const xml = serializeEvent(model);
  return { event: parseCot(xml), xml };
}
