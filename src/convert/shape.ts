/**
 * The shapes ATAK draws, as CoT carries them: one `<link point="lat,lon[,hae]"/>` per vertex, a closed
 * shape repeating its first vertex at the end, and the style in `strokeColor`, `strokeWeight`,
 * `fillColor` and `labels_on` (see the polygon-user-drawn, ftt-shape-rectangle and ftt-mission-polyline
 * captures). Circles are `u-d-c-c` with `<shape><ellipse major minor angle/></shape>`.
 */
import { CotError, CotErrorCode, describeValue } from '../cot/errors';
import { formatNumber } from '../cot/format';
import type { CotDetail, CotElement, CotEvent } from '../cot/model';

/** A user-drawn freehand line, polyline or polygon. */
export const DRAWN_SHAPE_TYPE = 'u-d-f';
export const DRAWN_RECTANGLE_TYPE = 'u-d-r';
export const DRAWN_CIRCLE_TYPE = 'u-d-c-c';
export const ROUTE_TYPE = 'b-m-r';

/** `h-e`, "human entered": the how ATAK writes on every shape a user draws. */
export const HUMAN_ENTERED = 'h-e';

/** Types whose geometry is their link points. */
const LINK_POINT_TYPES = new Set([DRAWN_SHAPE_TYPE, DRAWN_RECTANGLE_TYPE, ROUTE_TYPE]);

/**
 * 10 000 vertices: at about 40 bytes a link that is 400 KB, well inside the 1 MiB a StreamParser accepts
 * by default, and far beyond anything drawn by hand.
 */
export const MAX_SHAPE_VERTICES = 10_000;

/** ATAK's own defaults for a drawn shape: opaque white, 3 px, a white fill at alpha 0x96. */
export const DEFAULT_STROKE_ARGB = -1;
export const DEFAULT_STROKE_WEIGHT = 3;
export const DEFAULT_FILL_ARGB = -1761607681;

export interface Vertex {
  lat: number;
  lon: number;
  /** Metres above the ellipsoid, when known. */
  hae?: number;
}

export interface ShapeStyle {
  strokeArgb?: number;
  strokeWeight?: number;
  /** Only for closed shapes. */
  fillArgb?: number;
  labels?: boolean;
}

/** Refuses a vertex that is not a finite lat/lon in range, naming where it was (`geometry.coordinates[2]`). */
export function checkVertex(vertex: Vertex, field: string): void {
  if (!Number.isFinite(vertex.lat) || vertex.lat < -90 || vertex.lat > 90) {
    throw new CotError(
      CotErrorCode.LAT,
      `${field} has latitude ${describeValue(vertex.lat)}; it must be a number from -90 to 90`,
      field,
      vertex.lat,
    );
  }
  if (!Number.isFinite(vertex.lon) || vertex.lon < -180 || vertex.lon > 180) {
    throw new CotError(
      CotErrorCode.LON,
      `${field} has longitude ${describeValue(vertex.lon)}; it must be a number from -180 to 180`,
      field,
      vertex.lon,
    );
  }
  if (vertex.hae !== undefined && !Number.isFinite(vertex.hae)) {
    throw new CotError(
      CotErrorCode.POINT_VALUE,
      `${field} has height ${describeValue(vertex.hae)}; give metres as a number`,
      field,
      vertex.hae,
    );
  }
}

/** Refuses a shape with too few or too many vertices. */
export function checkVertexCount(count: number, min: number, field: string): void {
  if (count < min || count > MAX_SHAPE_VERTICES) {
    throw new CotError(
      CotErrorCode.INPUT,
      `${field} has ${count} points; a shape needs ${min} to ${MAX_SHAPE_VERTICES}`,
      field,
      count,
    );
  }
}

/** The middle of the vertices' bounding box: where ATAK puts a shape's event point and label. */
export function shapeCentre(vertices: readonly Vertex[]): Vertex {
  let south = Infinity;
  let north = -Infinity;
  let west = Infinity;
  let east = -Infinity;
  for (const v of vertices) {
    south = Math.min(south, v.lat);
    north = Math.max(north, v.lat);
    west = Math.min(west, v.lon);
    east = Math.max(east, v.lon);
  }
  return { lat: (south + north) / 2, lon: (west + east) / 2 };
}

function samePlace(a: Vertex, b: Vertex): boolean {
  return a.lat === b.lat && a.lon === b.lon;
}

/** A closed ring repeats its first vertex at the end, as ATAK writes a closed shape. */
export function closeRing(vertices: readonly Vertex[]): Vertex[] {
  const first = vertices[0];
  const last = vertices[vertices.length - 1];
  if (!first || !last || samePlace(first, last)) return [...vertices];
  return [...vertices, first];
}

/** The detail children of a drawn line or polygon: link points and style. */
export function shapeDetail(vertices: readonly Vertex[], closed: boolean, style: ShapeStyle): CotDetail {
  const link: CotElement[] = vertices.map((v) => ({
    point:
      v.hae === undefined
        ? `${formatNumber(v.lat)},${formatNumber(v.lon)}`
        : `${formatNumber(v.lat)},${formatNumber(v.lon)},${formatNumber(v.hae)}`,
  }));
  const detail: CotDetail = {
    link,
    strokeColor: { value: style.strokeArgb ?? DEFAULT_STROKE_ARGB },
    strokeWeight: { value: style.strokeWeight ?? DEFAULT_STROKE_WEIGHT },
    strokeStyle: { value: 'solid' },
  };
  if (closed) detail.fillColor = { value: style.fillArgb ?? DEFAULT_FILL_ARGB };
  detail.labels_on = { value: style.labels ?? false };
  return detail;
}

/** The detail of a drawn circle: ATAK's `<shape><ellipse/></shape>` plus the shape style. */
export function circleDetail(radius: number, style: ShapeStyle): CotDetail {
  return {
    shape: { ellipse: { major: radius, minor: radius, angle: 360 } },
    strokeColor: { value: style.strokeArgb ?? DEFAULT_STROKE_ARGB },
    strokeWeight: { value: style.strokeWeight ?? DEFAULT_STROKE_WEIGHT },
    strokeStyle: { value: 'solid' },
    fillColor: { value: style.fillArgb ?? DEFAULT_FILL_ARGB },
    labels_on: { value: style.labels ?? false },
  };
}

export type ShapeGeometry =
  | { kind: 'line'; vertices: Vertex[] }
  | { kind: 'polygon'; vertices: Vertex[] }
  | { kind: 'circle'; centre: Vertex; radius: number };

function children(value: unknown): CotElement[] {
  if (Array.isArray(value)) return value as CotElement[];
  return typeof value === 'object' && value !== null ? [value as CotElement] : [];
}

function readVertex(text: string): Vertex | undefined {
  const parts = text.split(',').map((part) => Number(part.trim()));
  const [lat, lon, hae] = parts;
  if (lat === undefined || lon === undefined || !Number.isFinite(lat) || !Number.isFinite(lon))
    return undefined;
  return hae !== undefined && Number.isFinite(hae) ? { lat, lon, hae } : { lat, lon };
}

function readNumberAttribute(element: unknown, name: string): number | undefined {
  const value = children(element)[0]?.[name];
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && String(value).trim() !== '' ? n : undefined;
}

/**
 * The geometry of a drawn shape, route or circle event; undefined for anything else. A `u-d-f` whose last
 * point repeats its first is a polygon, a `u-d-r` always is one (ATAK writes its four corners).
 */
export function readShape(event: CotEvent): ShapeGeometry | undefined {
  const type = event.type;
  const detail = event.detail ?? {};
  if (LINK_POINT_TYPES.has(type)) {
    const vertices: Vertex[] = [];
    for (const link of children(detail.link)) {
      if (typeof link.point !== 'string') continue;
      const vertex = readVertex(link.point);
      if (vertex) vertices.push(vertex);
    }
    if (vertices.length < 2) return undefined;
    const first = vertices[0] as Vertex;
    const last = vertices[vertices.length - 1] as Vertex;
    if (type === DRAWN_RECTANGLE_TYPE) return { kind: 'polygon', vertices: closeRing(vertices) };
    if (type === DRAWN_SHAPE_TYPE && vertices.length > 3 && samePlace(first, last)) {
      return { kind: 'polygon', vertices };
    }
    return { kind: 'line', vertices };
  }
  if (type.startsWith(DRAWN_CIRCLE_TYPE)) {
    const shape = children(detail.shape)[0];
    const radius = readNumberAttribute(shape?.ellipse, 'major');
    if (radius === undefined) return undefined;
    return { kind: 'circle', centre: { lat: event.point.lat, lon: event.point.lon }, radius };
  }
  return undefined;
}

/** The style a drawn shape carries, as ARGB integers. */
export function readShapeStyle(detail: CotDetail | undefined): ShapeStyle {
  const style: ShapeStyle = {};
  if (!detail) return style;
  const stroke = readNumberAttribute(detail.strokeColor, 'value');
  const weight = readNumberAttribute(detail.strokeWeight, 'value');
  const fill = readNumberAttribute(detail.fillColor, 'value');
  if (stroke !== undefined) style.strokeArgb = stroke | 0;
  if (weight !== undefined) style.strokeWeight = weight;
  if (fill !== undefined) style.fillArgb = fill | 0;
  const labels = children(detail.labels_on)[0]?.value;
  if (labels !== undefined) style.labels = String(labels).toLowerCase() === 'true';
  return style;
}
