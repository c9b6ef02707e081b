/**
 * Which of the input shapes a payload is: CoT XML, the canonical model, the short form, GeoJSON, a
 * worldmap marker or the legacy node-red-contrib-tak JSON. Decided by the properties each shape must have.
 */
import { CotError, CotErrorCode, describeValue } from '../cot/errors';
import { isLegacyTak } from './legacy-tak';
import { isRecord } from './read';

export type PayloadShape = 'xml' | 'cot-model' | 'short-form' | 'geojson' | 'worldmap' | 'legacy-tak';

const GEOMETRY_TYPES = new Set([
  'Point',
  'LineString',
  'Polygon',
  'MultiPoint',
  'MultiLineString',
  'MultiPolygon',
]);

/** Properties only a worldmap marker has. */
const WORLDMAP_ONLY = ['SIDC', 'area', 'line', 'iconColor', 'layer', 'hdg', 'deleted'];

/**
 * 10 000 events: one message may carry an array or a FeatureCollection, and this bounds the work one
 * message can cause (a track log, a city's buildings) without cutting off real batches.
 */
export const MAX_EVENTS_PER_MESSAGE = 10_000;

/**
 * The shape of one payload item, or undefined for something that is not an object or XML. An object that is
 * none of the others is the short form (its fields may also come from elsewhere, so lat/lon are not required).
 */
export function detectPayload(payload: unknown): PayloadShape | undefined {
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) return 'xml';
  if (!isRecord(payload)) return undefined;
  if (isLegacyTak(payload)) return 'legacy-tak';
  if (
    payload.type === 'Feature' ||
    (typeof payload.type === 'string' && GEOMETRY_TYPES.has(payload.type) && 'coordinates' in payload)
  ) {
    return 'geojson';
  }
  if (isRecord(payload.point)) return 'cot-model';
  if (WORLDMAP_ONLY.some((key) => payload[key] !== undefined)) return 'worldmap';
  // `name` is the worldmap's identity; the short form calls it callsign.
  if (payload.name !== undefined && payload.callsign === undefined && payload.uidKey === undefined)
    return 'worldmap';
  return 'short-form';
}

/**
 * The items of a payload: the elements of an array, the features of a FeatureCollection, or the payload
 * itself. Refuses more than {@link MAX_EVENTS_PER_MESSAGE} and nested arrays.
 */
export function splitPayload(payload: unknown): unknown[] {
  let items: unknown[];
  let field = 'payload';
  if (Array.isArray(payload)) items = payload;
  else if (isRecord(payload) && payload.type === 'FeatureCollection') {
    field = 'payload.features';
    if (!Array.isArray(payload.features)) {
      throw new CotError(
        CotErrorCode.INPUT,
        `payload.features is ${describeValue(payload.features)}; a FeatureCollection holds an array of Features`,
        field,
        payload.features,
      );
    }
    items = payload.features;
  } else return [payload];
  if (items.length > MAX_EVENTS_PER_MESSAGE) {
    throw new CotError(
      CotErrorCode.INPUT,
      `${field} holds ${items.length} items; one message may make at most ${MAX_EVENTS_PER_MESSAGE} events`,
      field,
      items.length,
    );
  }
  const nested = items.findIndex((item) => Array.isArray(item));
  if (nested >= 0) {
    throw new CotError(
      CotErrorCode.INPUT,
      `${field}[${nested}] is an array; give one object per event`,
      `${field}[${nested}]`,
      items[nested],
    );
  }
  return items;
}

/** A CotError about one item of a split payload, saying which: `payload[3]: point.lat is 95...`. */
export function itemError(error: unknown, index: number): unknown {
  if (!(error instanceof CotError)) return error;
  const field = error.field === undefined ? `payload[${index}]` : `payload[${index}].${error.field}`;
  return new CotError(error.code, `payload[${index}]: ${error.message}`, field, error.value);
}
