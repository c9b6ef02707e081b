/**
 * node-red-contrib-web-worldmap markers <-> CoT. A marker is `{ name, lat, lon }` plus optional `icon` or
 * `SIDC`, `label`, `layer`, `iconColor`, heading (`track`, `hdg`, `heading`, `bearing` or `COG`), `speed`,
 * `accuracy`, `ttl`, and shapes as `line`, `area` (lat-first pairs) or `radius`. `name` is the marker's
 * identity on the map, so it is the CoT uid; the label is the callsign.
 */
import { CotError, CotErrorCode, describeValue } from '../cot/errors';
import { deleteEvent, DELETE_TYPE } from '../cot/helpers';
import { parseTime } from '../cot/time';
import type { CotEvent, CotEventInput, CotShortInput } from '../cot/model';
import { argbToCss, cssToArgb, TEAM_COLORS, teamName } from './colors';
import { readExtras, type Conversion } from './extras';
import { asCotType, asNumber, asText, isRecord } from './read';
import {
  checkVertex,
  checkVertexCount,
  circleDetail,
  closeRing,
  DRAWN_CIRCLE_TYPE,
  DRAWN_RECTANGLE_TYPE,
  DRAWN_SHAPE_TYPE,
  HUMAN_ENTERED,
  readShape,
  readShapeStyle,
  shapeCentre,
  shapeDetail,
  type ShapeStyle,
  type Vertex,
} from './shape';
import { cotTypeToSidc, sidcToCotType } from './sidc';
import { firstChild, summarizeCot } from './summary';

/** What a marker for the worldmap node holds; other properties show in its popup. */
export interface WorldmapMarker {
  name: string;
  lat?: number;
  lon?: number;
  [property: string]: unknown;
}

/** The layer received CoT goes on unless told otherwise. */
export const DEFAULT_WORLDMAP_LAYER = 'TAK';
/** The worldmap node ignores a `ttl` below 20 s (its own minimum). */
export const WORLDMAP_MIN_TTL_SECONDS = 20;

const METRES_PER_FOOT = 0.3048;
/** The units the worldmap accepts in a speed given as text (`"12 kt"`); a bare number is m/s. */
const METRES_PER_SECOND = {
  kt: 0.514444,
  kn: 0.514444,
  knots: 0.514444,
  mph: 0.44704,
  kmh: 1 / 3.6,
  kph: 1 / 3.6,
  'm/s': 1,
  mps: 1,
};

/** The worldmap's heading properties, in the order it reads them. */
const HEADING_KEYS = ['track', 'hdg', 'heading', 'bearing', 'COG'] as const;

/** Marker properties that only steer how the web map draws it: meaningless on a TAK map. */
const DISPLAY_ONLY = new Set([
  'icon',
  'layer',
  'iconSize',
  'popup',
  'contextmenu',
  'draggable',
  'clickable',
  'popped',
  'addtoheatmap',
  'intensity',
  'fit',
  'fly',
  'options',
  'editable',
  'dashArray',
  'opacity',
  'fillOpacity',
  'weight',
]);

/** Worldmap icon names that say what a thing is. Civil things are neutral, as ADS-B and AIS bridges send them. */
const ICON_TYPES: Readonly<Record<string, string>> = {
  plane: 'a-n-A-C-F',
  smallplane: 'a-n-A-C-F',
  helicopter: 'a-n-A-C-H',
  uav: 'a-f-A-M-F-Q',
  quad: 'a-f-A-M-H-Q',
  ship: 'a-n-S-X',
  car: 'a-n-G-E-V-C',
  bus: 'a-n-G-E-V-C',
  satellite: 'a-n-P-S',
  iss: 'a-n-P-S',
  friend: 'a-f-G',
  hostile: 'a-h-G',
  neutral: 'a-n-G',
  unknown: 'a-u-G',
};

/** Speed as the worldmap takes it: m/s, or text with a unit (`"12 kt"`, `"40 kmh"`). */
function readSpeed(value: unknown): number | undefined {
  const plain = asNumber(value);
  if (plain !== undefined) return plain;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(-?[\d.]+)\s*([a-z/]+)\s*$/i.exec(value);
  const factor = m
    ? METRES_PER_SECOND[(m[2] as string).toLowerCase() as keyof typeof METRES_PER_SECOND]
    : undefined;
  const n = m ? Number(m[1]) : NaN;
  return factor !== undefined && Number.isFinite(n) ? n * factor : undefined;
}

/** `[[lat, lon], ...]` or `[{lat, lng|lon}, ...]`, the two forms the worldmap draws. */
function latLngs(value: unknown, field: string): Vertex[] {
  if (!Array.isArray(value)) {
    throw new CotError(
      CotErrorCode.INPUT,
      `${field} is ${describeValue(value)}; give [[lat, lon], ...]`,
      field,
      value,
    );
  }
  return value.map((item, i) => {
    const path = `${field}[${i}]`;
    let lat: number | undefined;
    let lon: number | undefined;
    if (Array.isArray(item)) {
      lat = asNumber(item[0]);
      lon = asNumber(item[1]);
    } else if (isRecord(item)) {
      lat = asNumber(item.lat);
      lon = asNumber(item.lng ?? item.lon);
    }
    if (lat === undefined || lon === undefined) {
      throw new CotError(
        CotErrorCode.INPUT,
        `${path} is ${describeValue(item)}; give [lat, lon]`,
        path,
        item,
      );
    }
    const vertex = { lat, lon };
    checkVertex(vertex, path);
    return vertex;
  });
}

function shapeStyle(marker: Record<string, unknown>): ShapeStyle {
  const style: ShapeStyle = {};
  if (typeof marker.color === 'string') {
    const argb = cssToArgb(marker.color, asNumber(marker.opacity));
    if (argb !== undefined) style.strokeArgb = argb;
  }
  const weight = asNumber(marker.weight);
  if (weight !== undefined) style.strokeWeight = weight;
  if (typeof marker.fillColor === 'string') {
    const argb = cssToArgb(marker.fillColor, asNumber(marker.fillOpacity));
    if (argb !== undefined) style.fillArgb = argb;
  }
  return style;
}

/** A worldmap rectangle is its two opposite corners; ATAK's `u-d-r` lists all four. */
function rectangleCorners(a: Vertex, b: Vertex): Vertex[] {
  return [
    { lat: a.lat, lon: a.lon },
    { lat: a.lat, lon: b.lon },
    { lat: b.lat, lon: b.lon },
    { lat: b.lat, lon: a.lon },
  ];
}

/**
 * A marker's colour: `iconColor` naming a TAK team makes it a member of that team, any other colour is its
 * `<color>`. On a marker, `color` is the heading vector's colour; it stands in only when there is no iconColor.
 */
function markerColour(marker: Record<string, unknown>, input: CotShortInput, used: Set<string>): void {
  const key = marker.iconColor !== undefined ? 'iconColor' : 'color';
  if (key === 'iconColor') used.add('color');
  const colour = asText(marker[key]);
  if (colour === undefined) return;
  const team = input.team === undefined ? teamName(colour) : undefined;
  if (team !== undefined) {
    input.team = team;
    used.add(key);
    return;
  }
  const argb = cssToArgb(colour);
  if (argb !== undefined) {
    input.color = argb;
    used.add(key);
  }
}

/** `line`, `area` or `radius`: the shape's type and detail, with the event's point at its centre. */
function shapeOf(marker: Record<string, unknown>, input: CotShortInput, used: Set<string>): void {
  const style = shapeStyle(marker);
  for (const key of ['color', 'fillColor']) used.add(key);
  if (marker.line !== undefined) {
    const vertices = latLngs(marker.line, 'line');
    checkVertexCount(vertices.length, 2, 'line');
    Object.assign(input, shapeCentre(vertices));
    input.type ??= DRAWN_SHAPE_TYPE;
    input.how ??= HUMAN_ENTERED;
    input.detail = { ...input.detail, ...shapeDetail(vertices, false, style) };
    used.add('line');
    return;
  }
  if (marker.area !== undefined) {
    let vertices = latLngs(marker.area, 'area');
    const rectangle = vertices.length === 2;
    vertices = rectangle
      ? rectangleCorners(vertices[0] as Vertex, vertices[1] as Vertex)
      : closeRing(vertices);
    checkVertexCount(vertices.length, 4, 'area');
    Object.assign(input, shapeCentre(vertices));
    input.type ??= rectangle ? DRAWN_RECTANGLE_TYPE : DRAWN_SHAPE_TYPE;
    input.how ??= HUMAN_ENTERED;
    input.detail = { ...input.detail, ...shapeDetail(vertices, true, style) };
    used.add('area');
    return;
  }
  const radius = asNumber(marker.radius);
  if (radius !== undefined) {
    input.type ??= DRAWN_CIRCLE_TYPE;
    input.how ??= HUMAN_ENTERED;
    input.detail = { ...input.detail, ...circleDetail(radius, style) };
    used.add('radius');
  }
}

/**
 * A worldmap marker as the short form of its event. `deleted: true` becomes the `t-x-d-d` event that
 * removes that uid from every TAK map. Unused properties are returned as extras.
 */
export function worldmapToCot(value: unknown): Conversion<CotShortInput | CotEventInput> {
  if (!isRecord(value)) {
    throw new CotError(
      CotErrorCode.INPUT,
      `a worldmap marker is an object, not ${describeValue(value)}`,
      'payload',
      value,
    );
  }
  const marker = value;
  const name = asText(marker.name);
  if (marker.deleted === true || marker.deleted === 'true') {
    const uid = asText(marker.uid) ?? name;
    if (uid === undefined) {
      throw new CotError(
        CotErrorCode.MISSING_UID,
        'a deleted marker needs the name of the marker to remove',
        'name',
        marker.name,
      );
    }
    return { input: deleteEvent({ uid }), extras: {} };
  }
  const used = new Set<string>(['name', 'label', 'deleted', 'SIDC', ...DISPLAY_ONLY]);
  const input = {} as CotShortInput;
  const uid = asText(marker.uid);
  if (uid !== undefined) {
    input.uid = uid;
    used.add('uid');
  } else if (name !== undefined) {
    input.uid = name;
  }
  const callsign = asText(marker.callsign) ?? asText(marker.label) ?? name;
  if (callsign !== undefined) input.callsign = callsign;
  used.add('callsign');

  for (const key of [
    'lat',
    'lon',
    'remarks',
    'battery',
    'team',
    'role',
    'how',
    'iconsetpath',
    'ce',
    'le',
    'stale',
  ]) {
    if (marker[key] === undefined || marker[key] === null) continue;
    (input as unknown as Record<string, unknown>)[key] = marker[key];
    used.add(key);
  }
  const altKey = (['alt', 'altm', 'altft'] as const).find((key) => asNumber(marker[key]) !== undefined);
  if (altKey !== undefined) {
    const alt = asNumber(marker[altKey]) as number;
    input.hae = altKey === 'altft' ? alt * METRES_PER_FOOT : alt;
    used.add(altKey);
  }
  const headingKey = HEADING_KEYS.find((key) => asNumber(marker[key]) !== undefined);
  if (headingKey !== undefined) {
    input.course = asNumber(marker[headingKey]);
    used.add(headingKey);
  }
  const speed = readSpeed(marker.speed);
  const sog = asNumber(marker.SOG); // speed over ground, in knots
  if (speed !== undefined) {
    input.speed = speed;
    used.add('speed');
  } else if (sog !== undefined) {
    input.speed = sog * METRES_PER_SECOND.kt;
    used.add('SOG');
  }
  const accuracy = asNumber(marker.accuracy);
  if (accuracy !== undefined && input.ce === undefined) {
    input.ce = accuracy;
    used.add('accuracy');
  }
  const ttl = asNumber(marker.ttl);
  if (ttl !== undefined && input.stale === undefined) {
    input.stale = ttl;
    used.add('ttl');
  }

  const explicitType = asCotType(marker.type) ?? asCotType(marker.cotType);
  if (explicitType !== undefined) {
    input.type = explicitType;
    used.add(asCotType(marker.type) !== undefined ? 'type' : 'cotType');
  }
  const sidc = asText(marker.SIDC);
  if (sidc !== undefined) {
    input.type ??= sidcToCotType(sidc);
    input.detail = { __milsym: { id: sidc } };
  } else if (typeof marker.icon === 'string' && input.type === undefined) {
    input.type = ICON_TYPES[marker.icon.replace(/^fa-/, '')];
    if (input.type === undefined) delete input.type;
  }

  if (marker.line !== undefined || marker.area !== undefined || marker.radius !== undefined) {
    shapeOf(marker, input, used);
  } else {
    markerColour(marker, input, used);
  }
  if (marker.tooltip !== undefined && input.remarks === undefined) {
    input.remarks = String(marker.tooltip);
    used.add('tooltip');
  }

  const extras: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(marker)) if (!used.has(key)) extras[key] = v;
  return { input, extras };
}

export interface WorldmapOptions {
  /** The map layer; {@link DEFAULT_WORLDMAP_LAYER} unless given. */
  layer?: string;
  /** For `ttl`: now in epoch ms. */
  now?: number;
}

/**
 * The marker that shows a received event on the worldmap: named by uid and labelled with the callsign;
 * team members in their team colour with a heading arrow, other units by their 2525 symbol (from
 * `__milsym` or the type), drawn shapes as `line`, `area` or `radius`; `ttl` makes it leave the map when
 * the event goes stale. A `t-x-d-d` delete becomes `{ name, deleted: true }`.
 */
export function cotToWorldmap(event: CotEvent, options: WorldmapOptions = {}): WorldmapMarker {
  if (event.type === DELETE_TYPE) {
    const target = asText(firstChild(event.detail, 'link')?.uid) ?? event.uid;
    return { name: target, deleted: true };
  }
  const summary = summarizeCot(event);
  const now = options.now ?? Date.now();
  const marker: WorldmapMarker = { name: summary.uid, layer: options.layer ?? DEFAULT_WORLDMAP_LAYER };
  if (summary.callsign !== undefined) marker.label = summary.callsign;
  const shape = readShape(event);
  if (shape?.kind === 'line' || shape?.kind === 'polygon') {
    // Leaflet closes a polygon itself: the repeated first vertex is left out.
    const vertices = shape.kind === 'polygon' ? shape.vertices.slice(0, -1) : shape.vertices;
    marker[shape.kind === 'line' ? 'line' : 'area'] = vertices.map((v) => [v.lat, v.lon]);
  } else {
    marker.lat = summary.lat;
    marker.lon = summary.lon;
    if (shape?.kind === 'circle') marker.radius = shape.radius;
  }
  if (shape) {
    const style = readShapeStyle(event.detail);
    if (style.strokeArgb !== undefined) marker.color = argbToCss(style.strokeArgb).color;
    if (style.strokeWeight !== undefined) marker.weight = style.strokeWeight;
    if (style.fillArgb !== undefined && shape.kind !== 'line') {
      const fill = argbToCss(style.fillArgb);
      marker.fillColor = fill.color;
      marker.fillOpacity = fill.opacity;
    }
  } else if (summary.team !== undefined && TEAM_COLORS[summary.team] !== undefined) {
    marker.icon = summary.course === undefined ? 'fa-circle' : 'arrow';
    marker.iconColor = TEAM_COLORS[summary.team];
  } else {
    const milsym = asText(firstChild(event.detail, '__milsym')?.id);
    const sidc = milsym ?? cotTypeToSidc(summary.type);
    if (sidc !== undefined) {
      marker.SIDC = sidc; // the symbol carries the affiliation's own colour
    } else {
      marker.icon = 'fa-map-marker';
      if (summary.color !== undefined) marker.iconColor = argbToCss(summary.color).color;
    }
  }
  if (summary.hae !== undefined) marker.alt = summary.hae;
  if (summary.course !== undefined) marker.hdg = summary.course;
  // iTAK writes speed -1 for "unknown".
  if (summary.speed !== undefined && summary.speed >= 0) marker.speed = summary.speed;
  if (summary.ce !== undefined) marker.accuracy = summary.ce;
  const staleMs = parseTime(summary.stale);
  if (Number.isFinite(staleMs))
    marker.ttl = Math.max(WORLDMAP_MIN_TTL_SECONDS, Math.ceil((staleMs - now) / 1000));
  marker.cotType = summary.type;
  for (const key of ['team', 'role', 'battery', 'remarks', 'iconsetpath'] as const) {
    if (summary[key] !== undefined) marker[key] = summary[key];
  }
  for (const [key, value] of Object.entries(readExtras(event.detail)))
    if (!(key in marker)) marker[key] = value;
  return marker;
}
