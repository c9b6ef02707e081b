/**
 * Setting CoT fields on an input of either form: what cot-build does with the values of its dialog fields.
 * A field given here wins over the same field in the input; a field left undefined keeps the input's.
 */
import { normalizeInput } from '../cot/normalize';
import type { CotEventInput, CotInput, CotShortInput } from '../cot/model';
import { isRecord } from './read';
import { firstChild } from './summary';

/** The fields, by short-form name. Values are as a flow gives them; buildCot checks them. */
export interface CotFieldValues {
  uid?: unknown;
  type?: unknown;
  how?: unknown;
  callsign?: unknown;
  lat?: unknown;
  lon?: unknown;
  hae?: unknown;
  ce?: unknown;
  le?: unknown;
  course?: unknown;
  speed?: unknown;
  team?: unknown;
  role?: unknown;
  battery?: unknown;
  remarks?: unknown;
  iconsetpath?: unknown;
  stale?: unknown;
}

export const COT_FIELD_NAMES = [
  'uid',
  'type',
  'how',
  'callsign',
  'lat',
  'lon',
  'hae',
  'ce',
  'le',
  'course',
  'speed',
  'team',
  'role',
  'battery',
  'remarks',
  'iconsetpath',
  'stale',
] as const satisfies ReadonlyArray<keyof CotFieldValues>;

const EVENT_FIELDS = ['uid', 'type', 'how', 'stale'] as const;
const POINT_FIELDS = ['lat', 'lon', 'hae', 'ce', 'le'] as const;
const DETAIL_FIELDS = [
  'callsign',
  'team',
  'role',
  'course',
  'speed',
  'battery',
  'remarks',
  'iconsetpath',
] as const;

function defined(fields: CotFieldValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out;
}

/** Team without role (or role without team) keeps the other half from the input, not the default. */
function groupHalf(
  fields: Record<string, unknown>,
  existing: Readonly<Record<string, unknown>> | undefined,
): void {
  if (!existing) return;
  if (fields.team !== undefined && fields.role === undefined && existing.role !== undefined)
    fields.role = existing.role;
  if (fields.role !== undefined && fields.team === undefined && existing.name !== undefined)
    fields.team = existing.name;
}

/** The input with the defined fields set; the input itself is not changed. */
export function withFields(base: CotInput, fields: CotFieldValues): CotInput {
  const given = defined(fields);
  if (Object.keys(given).length === 0) return base;
  if (!isRecord((base as CotEventInput).point)) {
    const short = base as CotShortInput;
    const group = firstChild(short.detail, '__group');
    groupHalf(given, { name: short.team ?? group?.name, role: short.role ?? group?.role });
    return { ...short, ...given } as CotShortInput;
  }
  const model = base as CotEventInput;
  const out: CotEventInput = { ...model, point: { ...model.point } };
  const top = out as unknown as Record<string, unknown>;
  for (const key of EVENT_FIELDS) if (given[key] !== undefined) top[key] = given[key];
  const point = out.point as Record<string, unknown>;
  for (const key of POINT_FIELDS) if (given[key] !== undefined) point[key] = given[key];
  const detailFields: Record<string, unknown> = {};
  for (const key of DETAIL_FIELDS) if (given[key] !== undefined) detailFields[key] = given[key];
  if (Object.keys(detailFields).length > 0) {
    groupHalf(detailFields, firstChild(model.detail, '__group'));
    // The short form knows where each field lives in the detail: borrow it, on a copy of this detail.
    const written = normalizeInput({
      lat: 0,
      lon: 0,
      type: 'a',
      ...detailFields,
      detail: model.detail ?? {},
    } as CotShortInput);
    out.detail = written.detail;
  }
  return out;
}
