/**
 * GeoJSON Feature <-> CoT. A Point is an event at that point; a LineString or Polygon is the user-drawn
 * shape ATAK itself sends (`u-d-f` with a link point per vertex). Properties map to the CoT fields of the
 * same or a common name; the rest are returned as extras for the caller to keep.
 */
import { CotError, CotErrorCode, describeValue } from '../cot/errors';
import type { CotEvent, CotShortInput } from '../cot/model';
import { argbToCss, cssToArgb } from './colors';
import { readExtras, type Conversion } from './extras';
import { asCotType, asNumber, asText, isRecord } from './read';
import {
  checkVertex,
  checkVertexCount,
  closeRing,
  DRAWN_SHAPE_TYPE,
  HUMAN_ENTERED,
  readShape,
  readShapeStyle,
  shapeCentre,
  shapeDetail,
  type ShapeStyle,
  type Vertex,
} from './shape';
import { summarizeCot } from './summary';

export type GeoJsonPosition = number[];

export type GeoJsonGeometry =
  | { type: 'Point'; coordinates: GeoJsonPosition }
  | { type: 'LineString'; coordinates: GeoJsonPosition[] }
  | { type: 'Polygon'; coordinates: GeoJsonPosition[][] };

export interface GeoJsonFeature {
  type: 'Feature';
  id?: string | number;
  geometry: GeoJsonGeometry;
  properties: Record<string, unknown>;
}

/**
 * Property -> short-form field, in order of preference: the first present wins and the others stay
 * extras (`callsign` over `name` over `title`).
 */
const PROPERTY_FIELDS: ReadonlyArray<readonly [string, keyof CotShortInput]> = [
  ['uid', 'uid'],
  ['how', 'how'],
  ['callsign', 'callsign'],
  ['name', 'callsign'],
  ['title', 'callsign'],
  ['remarks', 'remarks'],
  ['description', 'remarks'],
  ['team', 'team'],
  ['role', 'role'],
  ['course', 'course'],
  ['speed', 'speed'],
  ['battery', 'battery'],
  ['iconsetpath', 'iconsetpath'],
  ['hae', 'hae'],
  ['ce', 'ce'],
  ['le', 'le'],
  ['time', 'time'],
  ['start', 'start'],
  ['stale', 'stale'],
];

/** simplestyle-spec keys a shape's style is read from. */
const SHAPE_STYLE_KEYS = new Set([
  'stroke',
  'stroke-opacity',
  'stroke-width',
  'fill',
  'fill-opacity',
  'labels',
]);
const MARKER_STYLE_KEYS = new Set(['marker-color', 'marker-opacity']);

export const GEOJSON_GEOMETRY_TYPES = ['Point', 'LineString', 'Polygon'] as const;

function position(value: unknown, field: string): Vertex {
  if (!Array.isArray(value) || value.length < 2) {
    throw new CotError(
      CotErrorCode.INPUT,
      `${field} is ${describeValue(value)}; a GeoJSON position is [longitude, latitude] or [longitude, latitude, height]`,
      field,
      value,
    );
  }
  const lon = asNumber(value[0]);
  const lat = asNumber(value[1]);
  if (lon === undefined || lat === undefined) {
    throw new CotError(
      CotErrorCode.INPUT,
      `${field} is ${describeValue(value)}; longitude and latitude must be numbers`,
      field,
      value,
    );
  }
  const vertex: Vertex = { lat, lon };
  if (value.length > 2 && value[2] !== null && value[2] !== undefined) vertex.hae = Number(value[2]);
  checkVertex(vertex, field);
  return vertex;
}

function positions(value: unknown, field: string): Vertex[] {
  if (!Array.isArray(value)) {
    throw new CotError(
      CotErrorCode.INPUT,
      `${field} is ${describeValue(value)}; give an array of positions`,
      field,
      value,
    );
  }
  checkVertexCount(value.length, 2, field);
  return value.map((item, i) => position(item, `${field}[${i}]`));
}

function styleOf(properties: Record<string, unknown>): ShapeStyle {
  const style: ShapeStyle = {};
  const opacity = (key: string): number | undefined => asNumber(properties[key]);
  if (typeof properties.stroke === 'string') {
    const argb = cssToArgb(properties.stroke, opacity('stroke-opacity'));
    if (argb !== undefined) style.strokeArgb = argb;
  }
  const width = asNumber(properties['stroke-width']);
  if (width !== undefined) style.strokeWeight = width;
  if (typeof properties.fill === 'string') {
    const argb = cssToArgb(properties.fill, opacity('fill-opacity'));
    if (argb !== undefined) style.fillArgb = argb;
  }
  if (typeof properties.labels === 'boolean') style.labels = properties.labels;
  return style;
}

/** Properties -> short-form fields, returning the unused ones. */
function mapProperties(
  properties: Record<string, unknown>,
  input: CotShortInput,
  consumed: ReadonlySet<string>,
): Record<string, unknown> {
  const used = new Set<string>(consumed);
  const target = input as unknown as Record<string, unknown>;
  for (const [property, field] of PROPERTY_FIELDS) {
    const value = properties[property];
    if (value === undefined || value === null || target[field] !== undefined) continue;
    target[field] = value;
    used.add(property);
  }
  for (const key of ['cotType', 'type']) {
    const type = asCotType(properties[key]);
    if (type !== undefined && input.type === undefined) {
      input.type = type;
      used.add(key);
    }
  }
  // An iconset path has a folder: `COT_MAPPING_2525B/a-u/a-u-G`; a bare word is some other system's icon.
  if (
    input.iconsetpath === undefined &&
    typeof properties.icon === 'string' &&
    properties.icon.includes('/')
  ) {
    input.iconsetpath = properties.icon;
    used.add('icon');
  }
  const extras: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) if (!used.has(key)) extras[key] = value;
  return extras;
}

/**
 * A GeoJSON Feature (or a bare Point, LineString or Polygon geometry) as the short form of its event.
 * Coordinates are checked and a bad one named by its path (`geometry.coordinates[3]`). A Polygon's holes
 * are left out: TAK shapes have none.
 */
export function geoJsonToCot(value: unknown): Conversion {
  if (!isRecord(value)) {
    throw new CotError(
      CotErrorCode.INPUT,
      `a GeoJSON Feature is an object, not ${describeValue(value)}`,
      'payload',
      value,
    );
  }
  const feature = value.type === 'Feature' ? value : { type: 'Feature', geometry: value, properties: {} };
  const geometry = feature.geometry;
  if (!isRecord(geometry)) {
    throw new CotError(
      CotErrorCode.MISSING_POINT,
      `the Feature has no geometry (${describeValue(geometry)}); give a Point, LineString or Polygon`,
      'geometry',
      geometry,
    );
  }
  const properties = isRecord(feature.properties) ? feature.properties : {};
  const input = {} as CotShortInput;
  const id = asText(feature.id);
  const kind = geometry.type;
  const styleKeys = kind === 'Point' ? MARKER_STYLE_KEYS : SHAPE_STYLE_KEYS;
  const extras = mapProperties(properties, input, styleKeys);
  if (input.uid === undefined && id !== undefined) input.uid = id;

  if (kind === 'Point') {
    const vertex = position(geometry.coordinates, 'geometry.coordinates');
    input.lat = vertex.lat;
    input.lon = vertex.lon;
    if (vertex.hae !== undefined && input.hae === undefined) input.hae = vertex.hae;
    if (typeof properties['marker-color'] === 'string') {
      const argb = cssToArgb(properties['marker-color'], asNumber(properties['marker-opacity']));
      if (argb === undefined) extras['marker-color'] = properties['marker-color'];
      else input.color = argb;
    }
    return { input, extras };
  }
  if (kind !== 'LineString' && kind !== 'Polygon') {
    throw new CotError(
      CotErrorCode.INPUT,
      `geometry.type is ${describeValue(kind)}; give a Point, LineString or Polygon (send a Multi* geometry as one Feature per part)`,
      'geometry.type',
      kind,
    );
  }
  let vertices: Vertex[];
  if (kind === 'LineString') {
    vertices = positions(geometry.coordinates, 'geometry.coordinates');
  } else {
    const rings = geometry.coordinates;
    if (!Array.isArray(rings) || rings.length === 0) {
      throw new CotError(
        CotErrorCode.INPUT,
        `geometry.coordinates is ${describeValue(rings)}; a Polygon needs at least its outer ring`,
        'geometry.coordinates',
        rings,
      );
    }
    vertices = closeRing(positions(rings[0], 'geometry.coordinates[0]'));
    checkVertexCount(vertices.length, 4, 'geometry.coordinates[0]');
  }
  const centre = shapeCentre(vertices);
  input.lat = centre.lat;
  input.lon = centre.lon;
  input.type ??= DRAWN_SHAPE_TYPE;
  input.how ??= HUMAN_ENTERED;
  input.detail = shapeDetail(vertices, kind === 'Polygon', styleOf(properties));
  return { input, extras };
}

function coordinates(vertex: Vertex): GeoJsonPosition {
  return vertex.hae === undefined ? [vertex.lon, vertex.lat] : [vertex.lon, vertex.lat, vertex.hae];
}

/**
 * The event as a GeoJSON Feature: drawn lines and polygons (and routes) by their vertices, anything else
 * as a Point (a circle as its centre with `radius` in metres). `id` is the uid; the properties are the
 * short-form fields, the style in simplestyle-spec names, and any extras the event carries.
 */
export function cotToGeoJson(event: CotEvent): GeoJsonFeature {
  const summary = summarizeCot(event);
  const { uid, lat, lon, hae, color, ...fields } = summary;
  const properties: Record<string, unknown> = { ...fields };
  const shape = readShape(event);
  let geometry: GeoJsonGeometry;
  if (shape?.kind === 'line' || shape?.kind === 'polygon') {
    const ring = shape.vertices.map(coordinates);
    geometry =
      shape.kind === 'line'
        ? { type: 'LineString', coordinates: ring }
        : { type: 'Polygon', coordinates: [ring] };
    const style = readShapeStyle(event.detail);
    if (style.strokeArgb !== undefined) {
      const { color: stroke, opacity } = argbToCss(style.strokeArgb);
      properties.stroke = stroke;
      properties['stroke-opacity'] = opacity;
    }
    if (style.strokeWeight !== undefined) properties['stroke-width'] = style.strokeWeight;
    if (shape.kind === 'polygon' && style.fillArgb !== undefined) {
      const { color: fill, opacity } = argbToCss(style.fillArgb);
      properties.fill = fill;
      properties['fill-opacity'] = opacity;
    }
    if (style.labels !== undefined) properties.labels = style.labels;
  } else {
    geometry = { type: 'Point', coordinates: hae === undefined ? [lon, lat] : [lon, lat, hae] };
    if (shape?.kind === 'circle') properties.radius = shape.radius;
    if (color !== undefined) {
      const css = argbToCss(color);
      properties['marker-color'] = css.color;
      properties['marker-opacity'] = css.opacity;
    }
  }
  for (const [key, value] of Object.entries(readExtras(event.detail)))
    if (!(key in properties)) properties[key] = value;
  return { type: 'Feature', id: uid, geometry, properties };
}
