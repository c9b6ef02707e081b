import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { withExtras } from '../src/convert/extras';
import { cotToWorldmap, worldmapToCot, WORLDMAP_MIN_TTL_SECONDS } from '../src/convert/worldmap';
import { buildCot, parseCot, CotError, type CotEvent, type CotInput, type CotShortInput } from '../src/index';
import { sharedFixtures, SHARED_FIXTURES } from './helpers/paths';

const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);

function near(actual: unknown, expected: number, what: string): void {
  assert.ok(
    typeof actual === 'number' && Math.abs(actual - expected) < 1e-9,
    `${what}: ${String(actual)} is not ${expected}`,
  );
}

function toEvent(marker: Record<string, unknown>): CotEvent {
  const { input, extras } = worldmapToCot(marker);
  const withType = { type: 'a-f-G-U-C', ...(input as CotShortInput) };
  return parseCot(buildCot(withExtras(withType, extras, 'remarks') as CotInput, NOW));
}

describe('worldmap marker -> CoT', () => {
  it('makes name the uid and the callsign, and keeps the position', () => {
    const event = toEvent({ name: 'Jason', lat: 51.05, lon: -1.35 });
    assert.equal(event.uid, 'Jason');
    assert.deepEqual(event.detail?.contact, { callsign: 'Jason' });
    assert.equal(event.point.lat, 51.05);
    assert.equal(event.point.lon, -1.35);
  });

  it('uses the label as callsign, the SIDC as type (kept in __milsym), heading, speed units and height', () => {
    const event = toEvent({
      name: 'uav-1',
      label: 'Raven',
      lat: 51,
      lon: -1.2,
      SIDC: 'SHAPMFQ---',
      hdg: 220,
      speed: '10 kt',
      altft: 1000,
      accuracy: 12,
      ttl: 60,
    });
    assert.equal(event.uid, 'uav-1');
    assert.equal(event.type, 'a-h-A-M-F-Q');
    assert.deepEqual(event.detail?.contact, { callsign: 'Raven' });
    assert.deepEqual(event.detail?.__milsym, { id: 'SHAPMFQ---' });
    assert.equal(event.detail?.track && (event.detail.track as { course: string }).course, '220');
    near(Number((event.detail?.track as { speed: string }).speed), 5.14444, '10 kt in m/s');
    near(event.point.hae, 304.8, '1000 ft in m');
    assert.equal(event.point.ce, 12);
    assert.equal(event.stale, new Date(NOW + 60_000).toISOString());
  });

  it('reads the heading from track, hdg, heading, bearing or COG, first found first', () => {
    assert.equal(
      (worldmapToCot({ name: 'a', lat: 0, lon: 0, heading: 10, bearing: 20 }).input as CotShortInput).course,
      10,
    );
    assert.equal(
      (worldmapToCot({ name: 'a', lat: 0, lon: 0, bearing: 20, COG: 30 }).input as CotShortInput).course,
      20,
    );
    assert.equal(
      (worldmapToCot({ name: 'a', lat: 0, lon: 0, COG: 30, SOG: 10 }).input as CotShortInput).course,
      30,
    );
    near(
      (worldmapToCot({ name: 'a', lat: 0, lon: 0, SOG: 10 }).input as CotShortInput).speed,
      5.14444,
      'SOG knots',
    );
    near(
      (worldmapToCot({ name: 'a', lat: 0, lon: 0, speed: '36 kmh' }).input as CotShortInput).speed,
      10,
      'km/h',
    );
  });

  it('turns an icon into a type and an iconColor into a team or a colour', () => {
    const plane = worldmapToCot({ name: 'p', lat: 0, lon: 0, icon: 'plane' }).input as CotShortInput;
    assert.equal(plane.type, 'a-n-A-C-F');
    const member = worldmapToCot({ name: 'm', lat: 0, lon: 0, icon: 'male', iconColor: 'cyan' });
    assert.equal((member.input as CotShortInput).team, 'Cyan');
    assert.equal(
      (member.input as CotShortInput).type,
      undefined,
      'an icon that says nothing leaves the type to the node',
    );
    const red = worldmapToCot({ name: 'r', lat: 0, lon: 0, iconColor: '#ff0000' }).input as CotShortInput;
    assert.equal(red.color, -65536);
    assert.equal(red.team, undefined);
    const odd = worldmapToCot({ name: 'o', lat: 0, lon: 0, iconColor: 'rebeccapurple' });
    assert.deepEqual(odd.extras, { iconColor: 'rebeccapurple' }, 'a colour it cannot read is kept, not lost');
  });

  it('keeps what TAK has no place for as extras, and drops what only steers the web map', () => {
    const { extras, input } = worldmapToCot({
      name: 'x',
      lat: 0,
      lon: 0,
      layer: 'gps',
      popup: '<b>hi</b>',
      draggable: true,
      weblink: 'https://example.com',
      extrainfo: 'Hello',
      tooltip: 'hover text',
    });
    assert.deepEqual(extras, { weblink: 'https://example.com', extrainfo: 'Hello' });
    assert.equal((input as CotShortInput).remarks, 'hover text');
  });

  it('draws line, area (and a two-corner rectangle) and radius as the shapes ATAK draws', () => {
    const line = toEvent({
      name: 'l',
      line: [[51, -1], [51.5, -1.5], { lat: 52, lng: -2 }],
      color: '#0000ff',
      weight: 5,
    });
    assert.equal(line.type, 'u-d-f');
    assert.equal(line.how, 'h-e');
    assert.deepEqual(
      (line.detail?.link as Array<{ point: string }>).map((l) => l.point),
      ['51,-1', '51.5,-1.5', '52,-2'],
    );
    assert.deepEqual(line.detail?.strokeColor, { value: String(0xff0000ff | 0) });
    assert.deepEqual(line.detail?.strokeWeight, { value: '5' });
    assert.equal(line.point.lat, 51.5);
    assert.equal(line.point.lon, -1.5);

    const area = toEvent({
      name: 'z',
      area: [
        [51.05, -0.08],
        [51.5, -1],
        [51.2, -0.047],
      ],
      fillColor: 'red',
      fillOpacity: 0.5,
    });
    assert.equal(area.type, 'u-d-f');
    assert.equal((area.detail?.link as unknown[]).length, 4, 'closed: the first point again');
    assert.deepEqual(area.detail?.fillColor, { value: String((0x80 << 24) | 0xff0000) });

    const box = toEvent({
      name: 'b',
      area: [
        [51, 0],
        [52, 1],
      ],
    });
    assert.equal(box.type, 'u-d-r');
    assert.deepEqual(
      (box.detail?.link as Array<{ point: string }>).map((l) => l.point),
      ['51,0', '51,1', '52,1', '52,0'],
    );

    const circle = toEvent({ name: 'c', lat: 51, lon: 0, radius: 3000 });
    assert.equal(circle.type, 'u-d-c-c');
    assert.deepEqual(circle.detail?.shape, { ellipse: { major: '3000', minor: '3000', angle: '360' } });
  });

  it('makes deleted: true the t-x-d-d event that removes that uid', () => {
    const { input } = worldmapToCot({ name: 'Jason', deleted: true });
    const event = parseCot(buildCot(input, NOW));
    assert.equal(event.type, 't-x-d-d');
    assert.deepEqual(event.detail?.link, { uid: 'Jason', relation: 'none', type: 'none' });
    assert.deepEqual(cotToWorldmap(event), { name: 'Jason', deleted: true });
  });

  it('names what is wrong', () => {
    assert.throws(
      () =>
        worldmapToCot({
          name: 'l',
          line: [
            [95, 0],
            [0, 0],
          ],
        }),
      (e: unknown) =>
        e instanceof CotError &&
        e.code === 'ERR_COT_LAT' &&
        e.field === 'line[0]' &&
        /latitude 95/.test(e.message),
    );
    assert.throws(
      () => worldmapToCot({ name: 'l', area: 'nowhere' }),
      (e: unknown) =>
        e instanceof CotError &&
        e.field === 'area' &&
        /"nowhere"; give \[\[lat, lon\], \.\.\.\]/.test(e.message),
    );
    assert.throws(
      () => worldmapToCot({ deleted: true }),
      (e: unknown) => e instanceof CotError && e.code === 'ERR_COT_MISSING_UID' && e.field === 'name',
    );
  });
});

describe('CoT -> worldmap marker', () => {
  it('shows a team member in the team colour with an arrow along its heading, labelled with the callsign', () => {
    const event = parseCot(
      buildCot(
        {
          uid: 'ANDROID-1',
          type: 'a-f-G-U-C',
          lat: 1,
          lon: 2,
          callsign: 'ALPHA',
          team: 'Dark Green',
          course: 270,
          speed: 4,
        },
        NOW,
      ),
    );
    const marker = cotToWorldmap(event, { now: NOW });
    assert.equal(marker.name, 'ANDROID-1');
    assert.equal(marker.label, 'ALPHA');
    assert.equal(marker.icon, 'arrow');
    assert.equal(marker.iconColor, '#007f00');
    assert.equal(marker.hdg, 270);
    assert.equal(marker.speed, 4);
    assert.equal(marker.layer, 'TAK');
    assert.equal(marker.ttl, 300, 'leaves the map when the event goes stale');
    assert.equal(marker.SIDC, undefined);
  });

  it('shows a unit by its 2525 symbol, from the type or from __milsym', () => {
    const unit = cotToWorldmap(parseCot(buildCot({ uid: 'u', type: 'a-h-G-U-C-I', lat: 1, lon: 2 }, NOW)), {
      now: NOW,
      layer: 'enemy',
    });
    assert.equal(unit.SIDC, 'SHGPUCI--------');
    assert.equal(unit.layer, 'enemy');
    assert.equal(unit.label, undefined, 'no callsign, no label');
    const milsym = cotToWorldmap(
      parseCot(
        buildCot(
          { uid: 'm', type: 'a-n-G', lat: 1, lon: 2, detail: { __milsym: { id: 'SNGPEVC---' } } },
          NOW,
        ),
      ),
    );
    assert.equal(milsym.SIDC, 'SNGPEVC---');
  });

  it("gives a stale event the worldmap minimum ttl, and leaves out iTAK's speed -1", () => {
    const event = parseCot(buildCot({ uid: 's', type: 'a-f-G', lat: 0, lon: 0, speed: -1, stale: 30 }, NOW));
    const marker = cotToWorldmap(event, { now: NOW + 3_600_000 });
    assert.equal(marker.ttl, WORLDMAP_MIN_TTL_SECONDS);
    assert.equal(marker.speed, undefined);
  });

  it('round-trips a marker: same name, label, position, symbol, heading and speed', () => {
    const marker = {
      name: 'Dave',
      label: 'Dave 1',
      lat: 51,
      lon: -1.2,
      SIDC: 'SFGPUCI----',
      hdg: 90,
      speed: 5,
      alt: 120,
    };
    const back = cotToWorldmap(toEvent(marker), { now: NOW });
    for (const [key, value] of Object.entries(marker)) assert.deepEqual(back[key], value, key);
  });

  it('round-trips line and area shapes at the same vertices', () => {
    const line = {
      name: 'l',
      line: [
        [51, -1],
        [51.5, -1.5],
      ],
      color: '#0000ff',
    };
    const area = {
      name: 'a',
      area: [
        [51, -1],
        [51.5, -1.5],
        [51, -1.5],
      ],
      fillColor: '#ff0000',
    };
    const lineBack = cotToWorldmap(toEvent(line));
    assert.deepEqual(lineBack.line, line.line);
    assert.equal(lineBack.color, '#0000ff');
    const areaBack = cotToWorldmap(toEvent(area));
    assert.deepEqual(areaBack.area, area.area);
    assert.equal(areaBack.fillColor, '#ff0000');
  });

  const real = sharedFixtures('cot', '.xml');
  it('shows the real captures with the right icon, label, heading and colour', { skip: real.skip }, () => {
    const read = (name: string): Record<string, unknown> => {
      const event = parseCot(readFileSync(path.join(SHARED_FIXTURES, 'cot', name)));
      return cotToWorldmap(event, { now: Date.parse(event.time) });
    };
    const itak = read('itak-pli-1.xml');
    assert.equal(itak.label, 'DFPC-iSchmidt');
    assert.equal(itak.icon, 'arrow');
    assert.equal(itak.iconColor, '#ffff00', 'team Yellow');
    assert.equal(itak.hdg, 137.23542786);
    assert.equal(itak.battery, 100);
    assert.equal(itak.ttl, 120);

    const marker2525 = read('ftt-marker-2525.xml');
    assert.equal(marker2525.SIDC, 'SUGP-----------');
    assert.equal(marker2525.label, 'U.16.135057');

    const spot = read('spot-marker.xml');
    assert.equal(spot.icon, 'fa-map-marker');
    assert.equal(spot.iconColor, '#ff0000', 'from <color argb="-65536">');

    const polygon = read('polygon-user-drawn.xml');
    assert.equal((polygon.area as unknown[]).length, 4, 'Leaflet closes the ring itself');
    assert.equal(polygon.color, '#ff4245');

    const milsym = read('milsym.xml');
    assert.equal(milsym.SIDC, 'SNGX-----------');
  });
});
