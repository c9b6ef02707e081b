/**
 * One payload item, whatever its shape, as the input buildCot takes: XML and the canonical model and the
 * legacy JSON as the canonical model; GeoJSON, worldmap markers and the short form as the short form, with
 * the properties no field took kept as extras.
 */
import { CotError, CotErrorCode, describeValue } from '../cot/errors';
import type { CotEventInput, CotInput, CotShortInput } from '../cot/model';
import { parseCot } from '../cot/parse';
import { detectPayload, type PayloadShape } from './detect';
import { withExtras, type Conversion, type ExtrasMode } from './extras';
import { geoJsonToCot } from './geojson';
import { legacyTakToCot } from './legacy-tak';
import { isRecord } from './read';
import { worldmapToCot } from './worldmap';

/** Every property the short form reads. */
export const SHORT_FORM_KEYS: ReadonlySet<string> = new Set([
  'lat',
  'lon',
  'hae',
  'ce',
  'le',
  'uid',
  'uidKey',
  'type',
  'how',
  'callsign',
  'team',
  'role',
  'course',
  'speed',
  'battery',
  'remarks',
  'iconsetpath',
  'color',
  'time',
  'start',
  'stale',
  'access',
  'qos',
  'opex',
  'detail',
]);

/** Short-form fields that hold text: a number there is taken as its text (ids and callsigns are often numbers). */
export const TEXT_FIELDS: ReadonlySet<string> = new Set([
  'uid',
  'uidKey',
  'type',
  'how',
  'callsign',
  'team',
  'role',
  'remarks',
  'iconsetpath',
]);

export interface ToInputOptions {
  /** Where properties no field takes go; `remarks` unless given. */
  extras?: ExtrasMode;
  /** Payload properties read by other settings (a field taken from `msg.payload.deviceId`): never extras. */
  consumed?: ReadonlySet<string>;
}

export interface ItemInput {
  shape: PayloadShape;
  input: CotInput;
}

/** Numbers in text fields as text; the input is copied, never changed. */
function textFields(input: CotShortInput): CotShortInput {
  const out = { ...input } as unknown as Record<string, unknown>;
  for (const key of TEXT_FIELDS) {
    const value = out[key];
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = String(value);
  }
  return out as unknown as CotShortInput;
}

/** The short form with its extras placed, minus those another setting reads. */
function finish(conversion: Conversion, options: ToInputOptions): CotShortInput {
  const consumed = options.consumed ?? new Set<string>();
  const extras: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(conversion.extras)) if (!consumed.has(key)) extras[key] = value;
  return withExtras(textFields(conversion.input), extras, options.extras ?? 'remarks');
}

function shortForm(payload: Record<string, unknown>): Conversion {
  const input: Record<string, unknown> = {};
  const extras: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload)) {
    if (SHORT_FORM_KEYS.has(key)) input[key] = value;
    else extras[key] = value;
  }
  return { input: input as unknown as CotShortInput, extras };
}

/**
 * The input for one payload item, and the shape it was read as. `undefined` or `null` is an empty short
 * form, for flows that give every field from elsewhere. Throws a CotError naming what is wrong.
 */
export function payloadToCotInput(item: unknown, options: ToInputOptions = {}): ItemInput {
  if (item === undefined || item === null) return { shape: 'short-form', input: {} as CotShortInput };
  const shape = detectPayload(item);
  switch (shape) {
    case 'xml':
      return { shape, input: parseCot(item as string | Buffer) };
    case 'cot-model':
      return { shape, input: { ...(item as unknown as CotEventInput) } };
    case 'legacy-tak':
      return { shape, input: legacyTakToCot(item) };
    case 'geojson':
      return { shape, input: finish(geoJsonToCot(item), options) };
    case 'worldmap': {
      const conversion = worldmapToCot(item);
      const input = isRecord((conversion.input as CotEventInput).point)
        ? conversion.input
        : finish(conversion as Conversion, options);
      return { shape, input };
    }
    case 'short-form':
      return { shape, input: finish(shortForm(item as Record<string, unknown>), options) };
    default:
      throw new CotError(
        CotErrorCode.INPUT,
        `msg.payload is ${describeValue(item)}; give an object (lat/lon, a CoT model, GeoJSON, a worldmap marker) or CoT XML`,
        'payload',
        item,
      );
  }
}
