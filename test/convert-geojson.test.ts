import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { EXTRAS_ELEMENT, withExtras } from '../src/convert/extras';
import { cotToGeoJson, geoJsonToCot, type GeoJsonFeature } from '../src/convert/geojson';
import { readShape, MAX_SHAPE_VERTICES } from '../src/convert/shape';
import {
  buildCot,
  parseCot,
  CotError,
  type CotElement,
  type CotEvent,
  type CotShortInput,
} from '../src/index';
import { sharedFixtures, SHARED_FIXTURES } from './helpers/paths';

const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);

/** Through XML and back, as the nodes do. */
function viaXml(input: CotShortInput): CotEvent {
  return parseCot(buildCot({ type: 'a-f-G-U-C', ...input }, NOW));
}

function links(event: CotEvent): string[] {
  const link = event.detail?.link as CotElement | CotElement[] | undefined;
  return (Array.isArray(link) ? link : [link]).map((l) => String(l?.point));
}

function fails(fn: () => unknown, code: string, field: string, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CotError, `a CotError, not ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.field, field);
    assert.match(error.message, message);
    return true;
  });
}

describe('GeoJSON -> CoT', () => {
  it('puts a Point at its coordinates, with its height, and maps the properties to fields', () => {
    const { input, extras } = geoJsonToCot({
      type: 'Feature',
      id: 'sensor-9',
      geometry: { type: 'Point', coordinates: [-0.1276, 51.5072, 35.5] },
      properties: {
        name: 'Gate 3',
        description: 'north gate',
        course: 90,
        speed: 2,
        'marker-color': '#ff0000',
        temp: 21.5,
      },
    });
    assert.deepEqual(extras, { temp: 21.5 });
    const event = viaXml(input);
    assert.equal(event.uid, 'sensor-9');
    assert.deepEqual(event.point, { lat: 51.5072, lon: -0.1276, hae: 35.5, ce: 9999999, le: 9999999 });
    assert.deepEqual(event.detail?.contact, { callsign: 'Gate 3' });
    assert.deepEqual(event.detail?.track, { course: '90', speed: '2' });
    assert.deepEqual(event.detail?.remarks, { _text: 'north gate' });
    assert.deepEqual(event.detail?.color, { argb: '-65536' });
  });

  it('takes a bare geometry as a Feature without properties', () => {
    const { input } = geoJsonToCot({ type: 'Point', coordinates: [10, 20] });
    assert.equal(input.lat, 20);
    assert.equal(input.lon, 10);
  });

  it('makes a LineString the u-d-f polyline ATAK draws: a link point per vertex, centred, open', () => {
    const { input } = geoJsonToCot({
      type: 'Feature',
      geometry: {
        type: 'LineString',
        coordinates: [
          [-69.1699773, -33.7061632, 1053.18],
          [-69.1695589, -33.7058762],
          [-69.1695347, -33.7066056],
        ],
      },
      properties: { title: 'Path', stroke: '#ff00ff', 'stroke-width': 6 },
    });
    const event = parseCot(buildCot(input, NOW));
    assert.equal(event.type, 'u-d-f');
    assert.equal(event.how, 'h-e');
    assert.deepEqual(links(event), [
      '-33.7061632,-69.1699773,1053.18',
      '-33.7058762,-69.1695589',
      '-33.7066056,-69.1695347',
    ]);
    assert.equal(event.point.lat, (-33.7058762 + -33.7066056) / 2);
    assert.equal(event.point.lon, (-69.1699773 + -69.1695347) / 2);
    assert.deepEqual(event.detail?.strokeColor, { value: '-65281' });
    assert.deepEqual(event.detail?.strokeWeight, { value: '6' });
    assert.equal(event.detail?.fillColor, undefined, 'a line has no fill');
    assert.deepEqual(event.detail?.labels_on, { value: 'false' });
    assert.deepEqual(readShape(event), {
      kind: 'line',
      vertices: [
        { lat: -33.7061632, lon: -69.1699773, hae: 1053.18 },
        { lat: -33.7058762, lon: -69.1695589 },
        { lat: -33.7066056, lon: -69.1695347 },
      ],
    });
  });

  it('makes a Polygon a closed u-d-f (first vertex repeated) with a fill, and leaves holes out', () => {
    const ring = [
      [-104.6769122, 38.370053],
      [-104.6730388, 38.3700864],
      [-104.6730067, 38.3677968],
      [-104.6768801, 38.3677634],
    ];
    const { input } = geoJsonToCot({
      type: 'Feature',
      geometry: {
        type: 'Polygon',
        coordinates: [
          ring,
          [
            [-104.675, 38.369],
            [-104.674, 38.369],
            [-104.674, 38.368],
          ],
        ],
      },
      properties: { fill: '#00ff00', 'fill-opacity': 0.5 },
    });
    const event = parseCot(buildCot(input, NOW));
    assert.equal(event.type, 'u-d-f');
    assert.deepEqual(links(event), [
      '38.370053,-104.6769122',
      '38.3700864,-104.6730388',
      '38.3677968,-104.6730067',
      '38.3677634,-104.6768801',
      '38.370053,-104.6769122',
    ]);
    assert.deepEqual(event.detail?.fillColor, { value: String((0x80 << 24) | 0x00ff00) });
    assert.deepEqual(event.detail?.strokeColor, { value: '-1' }, 'ATAK default stroke');
    assert.equal(readShape(event)?.kind, 'polygon');
  });

  it('keeps an already closed ring as it is', () => {
    const ring = [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 0],
    ];
    const { input } = geoJsonToCot({ type: 'Polygon', coordinates: [ring] });
    assert.equal((input.detail?.link as unknown[]).length, 4);
  });

  it('uses a CoT type property, and leaves another system\'s "type" as an extra', () => {
    const route = geoJsonToCot({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [1, 2] },
      properties: { type: 'a-h-G', how: 'h-e' },
    });
    assert.equal(route.input.type, 'a-h-G');
    assert.equal(route.input.how, 'h-e');
    const building = geoJsonToCot({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [1, 2] },
      properties: { type: 'building', icon: 'COT_MAPPING_2525B/a-u/a-u-G' },
    });
    assert.equal(building.input.type, undefined);
    assert.equal(building.input.iconsetpath, 'COT_MAPPING_2525B/a-u/a-u-G');
    assert.deepEqual(building.extras, { type: 'building' });
  });

  it('names the bad coordinate and its value', () => {
    fails(
      () =>
        geoJsonToCot({ type: 'Feature', geometry: { type: 'Point', coordinates: [10, 95] }, properties: {} }),
      'ERR_COT_LAT',
      'geometry.coordinates',
      /geometry.coordinates has latitude 95; it must be a number from -90 to 90/,
    );
    fails(
      () =>
        geoJsonToCot({
          type: 'LineString',
          coordinates: [
            [0, 0],
            [181, 0],
          ],
        }),
      'ERR_COT_LON',
      'geometry.coordinates[1]',
      /longitude 181/,
    );
    fails(
      () =>
        geoJsonToCot({
          type: 'LineString',
          coordinates: [
            [0, 0],
            ['x', 0],
          ],
        }),
      'ERR_COT_INPUT',
      'geometry.coordinates[1]',
      /\["x",0\]; longitude and latitude must be numbers/,
    );
    fails(
      () => geoJsonToCot({ type: 'LineString', coordinates: [[0, 0]] }),
      'ERR_COT_INPUT',
      'geometry.coordinates',
      /1 points/,
    );
    fails(
      () =>
        geoJsonToCot({
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 1],
            ],
          ],
        }),
      'ERR_COT_INPUT',
      'geometry.coordinates[0]',
      /3 points; a shape needs 4/,
    );
    fails(
      () =>
        geoJsonToCot({
          type: 'Feature',
          geometry: { type: 'MultiPoint', coordinates: [[0, 0]] },
          properties: {},
        }),
      'ERR_COT_INPUT',
      'geometry.type',
      /"MultiPoint"; give a Point, LineString or Polygon/,
    );
    fails(
      () => geoJsonToCot({ type: 'Feature', geometry: null, properties: {} }),
      'ERR_COT_MISSING_POINT',
      'geometry',
      /no geometry/,
    );
    const tooMany = Array.from({ length: MAX_SHAPE_VERTICES + 1 }, (_, i) => [0, i / 1e5]);
    fails(
      () => geoJsonToCot({ type: 'LineString', coordinates: tooMany }),
      'ERR_COT_INPUT',
      'geometry.coordinates',
      /10001 points/,
    );
  });
});

describe('CoT -> GeoJSON', () => {
  it('round-trips a Point Feature: same coordinates, same properties', () => {
    const feature = {
      type: 'Feature',
      id: 'p-1',
      geometry: { type: 'Point', coordinates: [-0.12, 51.5, 20] },
      properties: {
        callsign: 'A',
        team: 'Red',
        role: 'Medic',
        course: 45,
        speed: 3,
        battery: 80,
        remarks: 'hi',
      },
    };
    const back = cotToGeoJson(viaXml(geoJsonToCot(feature).input));
    assert.equal(back.id, 'p-1');
    assert.deepEqual(back.geometry, feature.geometry);
    for (const [key, value] of Object.entries(feature.properties))
      assert.equal(back.properties[key], value, key);
    assert.equal(back.properties.type, 'a-f-G-U-C');
  });

  it('round-trips LineString and Polygon vertices exactly, with the style', () => {
    const line = {
      type: 'Feature',
      geometry: {
        type: 'LineString',
        coordinates: [
          [1.5, 2.25, 100],
          [3.125, 4.0625, 110],
        ],
      },
      properties: { stroke: '#123456', 'stroke-width': 4 },
    };
    const lineBack = cotToGeoJson(parseCot(buildCot(geoJsonToCot(line).input, NOW)));
    assert.deepEqual(lineBack.geometry, line.geometry);
    assert.equal(lineBack.properties.stroke, '#123456');
    assert.equal(lineBack.properties['stroke-width'], 4);
    const polygon = {
      type: 'Feature',
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [0.5, 0],
            [0.5, 0.5],
            [0, 0],
          ],
        ],
      },
      properties: { fill: '#00ff00', 'fill-opacity': 0.25 },
    };
    const polygonBack = cotToGeoJson(parseCot(buildCot(geoJsonToCot(polygon).input, NOW)));
    assert.deepEqual(polygonBack.geometry, polygon.geometry);
    assert.equal(polygonBack.properties.fill, '#00ff00');
    assert.equal(polygonBack.properties['fill-opacity'], 0.25);
  });

  it('hands extras kept in the detail back as properties', () => {
    const { input, extras } = geoJsonToCot({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [1, 2] },
      properties: { osm_id: 42, kind: 'bench' },
    });
    const event = viaXml(withExtras(input, extras, 'detail'));
    assert.deepEqual(event.detail?.[EXTRAS_ELEMENT], { osm_id: '42', kind: 'bench' });
    const back = cotToGeoJson(event);
    assert.equal(back.properties.osm_id, '42');
    assert.equal(back.properties.kind, 'bench');
  });

  const real = sharedFixtures('cot', '.xml');
  it('reads the shapes ATAK and FreeTAKServer captured', { skip: real.skip }, () => {
    const read = (name: string): GeoJsonFeature =>
      cotToGeoJson(parseCot(readFileSync(path.join(SHARED_FIXTURES, 'cot', name))));
    const polygon = read('polygon-user-drawn.xml');
    assert.equal(polygon.geometry.type, 'Polygon');
    const ring = polygon.geometry.coordinates[0] as number[][];
    assert.equal(ring.length, 5);
    assert.deepEqual(ring[0], [-104.6769122, 38.370053]);
    assert.deepEqual(ring[4], ring[0]);
    assert.equal(polygon.properties.stroke, '#ff4245');
    assert.equal(polygon.properties.callsign, 'Shape 338');

    const rectangle = read('ftt-shape-rectangle.xml');
    assert.equal(rectangle.geometry.type, 'Polygon', 'u-d-r is always closed');
    assert.equal((rectangle.geometry.coordinates[0] as number[][]).length, 5);
    assert.equal(rectangle.properties['fill-opacity'], 0.59);

    const route = read('route-atak54.xml');
    assert.equal(route.geometry.type, 'LineString');
    assert.equal(route.geometry.coordinates.length, 10);
    assert.deepEqual(route.geometry.coordinates[0], [-108.6214369, 39.739824, 2294.137]);

    const polyline = read('ftt-mission-polyline.xml');
    assert.equal(
      polyline.geometry.type,
      'Polygon',
      'closed: its last point is its first; the empty <link/>s are skipped',
    );
    assert.equal((polyline.geometry.coordinates[0] as number[][]).length, 6);

    const circle = read('ftt-geofence.xml');
    assert.deepEqual(circle.geometry, {
      type: 'Point',
      coordinates: [-77.06586686880725, 38.830898851915514],
    });
    assert.equal(circle.properties.radius, 297.72);

    const pli = read('itak-pli-1.xml');
    assert.deepEqual(pli.geometry.coordinates, [-107.72376567, 41.52309645, 1681.23725821]);
    assert.equal(pli.properties.team, 'Yellow');
    assert.equal(pli.properties.battery, 100);
  });
});
