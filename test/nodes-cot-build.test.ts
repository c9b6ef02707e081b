import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { summarizeCot } from '../src/convert/summary';
import { buildCot, parseCot, stableUid, type CotEvent } from '../src/index';
import cotBuild from '../src/nodes/cot-build';
import { collect, eventually, getNode, startRed, stopRed } from './helpers/red';
import { catchCode } from './helpers/catch-code';

type Msg = Record<string, unknown>;
interface CaughtError {
  message: string;
  code?: string;
  source: { id: string; type: string };
}

const T = 'time="2026-01-31T12:00:00Z" start="2026-01-31T12:00:00Z" stale="2099-01-31T12:05:00Z"';

/** A tab holding the node under test, an output helper, and a Catch node feeding another helper. */
function flow(settings: Record<string, unknown> = {}): Array<Record<string, unknown>> {
  return [
    { id: 'tab', type: 'tab', label: 'cot-build test' },
    { id: 'b', type: 'cot-build', z: 'tab', x: 100, y: 100, wires: [['out']], ...settings },
    { id: 'out', type: 'helper', z: 'tab', x: 300, y: 100, wires: [] },
    {
      id: 'catcher',
      type: 'catch',
      z: 'tab',
      x: 100,
      y: 200,
      scope: null,
      uncaught: false,
      wires: [['caught']],
    },
    { id: 'caught', type: 'helper', z: 'tab', x: 300, y: 200, wires: [] },
  ];
}

interface Harness {
  out: Msg[];
  caught: Msg[];
  send(msg: Msg): void;
  /** Sends and waits until the output has `count` more msgs. */
  build(msg: Msg, count?: number): Promise<Msg[]>;
  /** Sends and waits for the Catch node. */
  fail(msg: Msg): Promise<CaughtError & { msg: Msg }>;
}

async function deploy(settings: Record<string, unknown> = {}): Promise<Harness> {
  const red = await startRed();
  await red.load(cotBuild, flow(settings));
  const out = collect(getNode('out'));
  const caught = collect(getNode('caught'));
  const node = getNode('b');
  return {
    out,
    caught,
    send: (msg) => node.receive(msg),
    async build(msg, count = 1) {
      const before = out.length;
      const caughtBefore = caught.length;
      node.receive(msg);
      await eventually(
        () => out.length >= before + count || caught.length > caughtBefore,
        `${count} msg(s) out of cot-build`,
      );
      if (caught.length > caughtBefore) {
        throw new Error(`cot-build failed: ${(caught[caughtBefore]?.error as CaughtError).message}`);
      }
      return out.slice(before);
    },
    async fail(msg) {
      const before = caught.length;
      const outBefore = out.length;
      node.receive(msg);
      await eventually(() => caught.length > before, 'an error at the Catch node');
      assert.equal(out.length, outBefore, 'nothing is sent for a msg that failed');
      const m = caught[before] as Msg;
      return { ...(m.error as CaughtError), msg: m };
    },
  };
}

function eventOf(msg: Msg): CotEvent {
  return parseCot(msg.payload as string);
}

describe('cot-build in a Node-RED runtime', () => {
  before(async () => {
    await startRed();
  });
  after(async () => {
    await stopRed();
  });
  afterEach(async () => {
    await (await startRed()).unload();
  });

  describe('an unconfigured node', () => {
    it('turns {lat, lon, callsign} into CoT XML, the model and the type, keeping the rest of the msg', async () => {
      const h = await deploy();
      const [msg] = await h.build({
        payload: { lat: 51.5, lon: -0.12, callsign: 'Bus 7' },
        topic: 'in',
        route: 7,
      });
      assert.ok(msg);
      assert.equal(typeof msg.payload, 'string');
      const xml = msg.payload as string;
      assert.ok(xml.startsWith('<event ') && xml.endsWith('</event>') && !xml.includes('\n'));
      const event = eventOf(msg);
      assert.deepEqual(msg.cot, event, 'msg.cot is the model of the XML');
      assert.equal(msg.topic, 'a-f-G-U-C');
      assert.equal(msg.route, 7, 'the rest of the msg is kept');
      assert.equal(event.type, 'a-f-G-U-C');
      assert.equal(event.uid, stableUid('Bus 7'), 'one callsign, one track');
      assert.deepEqual([event.point.lat, event.point.lon], [51.5, -0.12]);
      assert.deepEqual(event.detail?.contact, { callsign: 'Bus 7' });
    });

    it('reads every short-form field from the payload', async () => {
      const h = await deploy();
      const [msg] = await h.build({
        payload: {
          uid: 'full-1',
          type: 'a-h-G',
          how: 'h-e',
          callsign: 'X',
          lat: 10,
          lon: 20,
          hae: 30,
          ce: 4,
          le: 5,
          course: 90,
          speed: 12.5,
          team: 'Red',
          role: 'HQ',
          battery: 87,
          remarks: 'two\nlines',
          iconsetpath: 'COT_MAPPING_2525B/a-h/a-h-G',
          stale: 60,
        },
      });
      const s = summarizeCot(eventOf(msg as Msg));
      assert.deepEqual(
        { ...s, time: undefined, start: undefined, stale: undefined },
        {
          uid: 'full-1',
          type: 'a-h-G',
          how: 'h-e',
          time: undefined,
          start: undefined,
          stale: undefined,
          lat: 10,
          lon: 20,
          hae: 30,
          ce: 4,
          le: 5,
          callsign: 'X',
          team: 'Red',
          role: 'HQ',
          course: 90,
          speed: 12.5,
          battery: 87,
          remarks: 'two\nlines',
          iconsetpath: 'COT_MAPPING_2525B/a-h/a-h-G',
        },
      );
      assert.equal(Date.parse(s.stale) - Date.parse(s.time), 60_000);
    });
  });

  describe('every input shape', () => {
    it('the canonical model and CoT XML, as they are', async () => {
      const h = await deploy();
      const xml = `<event version="2.0" uid="x-1" type="a-n-G" how="h-e" ${T}><point lat="1" lon="2" hae="3" ce="4" le="5"/><detail><contact callsign="Neutral"/></detail></event>`;
      const [fromXml] = await h.build({ payload: xml });
      assert.deepEqual(eventOf(fromXml as Msg), parseCot(xml));
      const [fromModel] = await h.build({ payload: parseCot(xml) });
      assert.deepEqual(eventOf(fromModel as Msg), parseCot(xml));
      const [fromBuffer] = await h.build({ payload: Buffer.from(xml) });
      assert.equal(eventOf(fromBuffer as Msg).uid, 'x-1');
    });

    it('a GeoJSON Point, LineString and Polygon, at the right coordinates with the right shape', async () => {
      const h = await deploy();
      const [point] = await h.build({
        payload: {
          type: 'Feature',
          id: 'g1',
          geometry: { type: 'Point', coordinates: [-0.1, 51.4, 12] },
          properties: { name: 'Pump' },
        },
      });
      const p = eventOf(point as Msg);
      assert.deepEqual([p.uid, p.point.lat, p.point.lon, p.point.hae], ['g1', 51.4, -0.1, 12]);
      assert.deepEqual(p.detail?.contact, { callsign: 'Pump' });

      const [line] = await h.build({
        payload: {
          type: 'Feature',
          geometry: {
            type: 'LineString',
            coordinates: [
              [0, 0],
              [1, 1],
              [2, 0],
            ],
          },
          properties: { name: 'Fence' },
        },
      });
      const l = eventOf(line as Msg);
      assert.equal(l.type, 'u-d-f');
      assert.deepEqual(
        (l.detail?.link as Array<{ point: string }>).map((x) => x.point),
        ['0,0', '1,1', '0,2'],
      );
      assert.equal(l.uid, stableUid('Fence'));

      const [polygon] = await h.build({
        payload: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
            ],
          ],
        },
      });
      const g = eventOf(polygon as Msg);
      assert.equal(g.type, 'u-d-f');
      assert.deepEqual(
        (g.detail?.link as Array<{ point: string }>).map((x) => x.point),
        ['0,0', '0,1', '1,1', '0,0'],
      );
      assert.ok(g.detail?.fillColor, 'a closed shape has a fill');
    });

    it('a FeatureCollection or an array: one msg per item, in order, each a copy of the msg', async () => {
      const h = await deploy();
      const features = [1, 2, 3].map((i) => ({
        type: 'Feature',
        id: `f${i}`,
        geometry: { type: 'Point', coordinates: [i, i] },
        properties: {},
      }));
      const msgs = await h.build({ payload: { type: 'FeatureCollection', features }, tag: { n: 1 } }, 3);
      assert.deepEqual(
        msgs.map((m) => eventOf(m).uid),
        ['f1', 'f2', 'f3'],
      );
      assert.deepEqual(msgs[2]?.tag, { n: 1 });
      assert.notEqual(msgs[1]?.tag, msgs[2]?.tag, 'separate objects, not one shared');
      const list = await h.build(
        {
          payload: [
            { lat: 1, lon: 1, callsign: 'a' },
            { name: 'b', lat: 2, lon: 2 },
          ],
        },
        2,
      );
      assert.deepEqual(
        list.map((m) => summarizeCot(eventOf(m)).callsign),
        ['a', 'b'],
      );
    });

    it('a worldmap marker, with its icon as type, heading and team colour', async () => {
      const h = await deploy();
      const [msg] = await h.build({
        payload: {
          name: 'Dave',
          lat: 51,
          lon: -1.2,
          SIDC: 'SFGPUCI-----',
          hdg: 220,
          speed: 4,
          iconColor: 'blue',
        },
      });
      const event = eventOf(msg as Msg);
      const s = summarizeCot(event);
      assert.deepEqual(
        [event.uid, s.callsign, event.type, s.course, s.speed, s.team],
        ['Dave', 'Dave', 'a-f-G-U-C-I', 220, 4, 'Blue'],
      );
      const [gone] = await h.build({ payload: { name: 'Dave', deleted: true } });
      assert.equal(eventOf(gone as Msg).type, 't-x-d-d');
    });

    it('the _attributes JSON of node-red-contrib-tak', async () => {
      const h = await deploy();
      const [msg] = await h.build({
        payload: {
          event: {
            _attributes: {
              version: '2.0',
              uid: 'UID-12345',
              type: 'a-u-G',
              how: 'm-r',
              time: '2026-01-31T12:00:00Z',
              start: '2026-01-31T12:00:00Z',
              stale: '2099-01-01T00:00:00Z',
            },
            point: {
              _attributes: { lat: '1.2', lon: '-2.3', hae: '999999.0', ce: '999999.0', le: '999999.0' },
            },
            detail: { contact: { _attributes: { callsign: 'Legacy' } } },
          },
        },
      });
      const event = eventOf(msg as Msg);
      assert.deepEqual(
        [event.uid, event.type, event.how, event.point.lat, event.point.lon],
        ['UID-12345', 'a-u-G', 'm-r', 1.2, -2.3],
      );
      assert.deepEqual(event.detail?.contact, { callsign: 'Legacy' });
    });
  });

  describe('every typed-input source', () => {
    it('str, num, msg, flow, global, env, JSONata and the team list', async () => {
      process.env.TAKPAK_TEST_ROLE = 'Medic';
      const h = await deploy({
        callsign: 'Fixed',
        callsignType: 'str',
        lat: '48.5',
        latType: 'num',
        lon: 'position.lon',
        lonType: 'msg',
        hae: 'altitude',
        haeType: 'flow',
        battery: 'level',
        batteryType: 'global',
        role: 'TAKPAK_TEST_ROLE',
        roleType: 'env',
        remarks: '"T=" & $string(payload.t) & " C"',
        remarksType: 'jsonata',
        team: 'Dark Green',
        teamType: 'team',
        stale: '90',
        staleType: 'num',
      });
      const node = getNode('b') as unknown as {
        context(): {
          flow: { set(k: string, v: unknown): void };
          global: { set(k: string, v: unknown): void };
        };
      };
      node.context().flow.set('altitude', 120);
      node.context().global.set('level', 55);
      const [msg] = await h.build({
        payload: { t: 21.5, callsign: 'ignored: the field is fixed' },
        position: { lon: 7.25 },
      });
      const s = summarizeCot(eventOf(msg as Msg));
      assert.equal(s.callsign, 'Fixed');
      assert.equal(s.lat, 48.5);
      assert.equal(s.lon, 7.25);
      assert.equal(s.hae, 120);
      assert.equal(s.battery, 55);
      assert.equal(s.role, 'Medic');
      assert.equal(s.team, 'Dark Green');
      assert.equal(s.remarks, 'T=21.5 C');
      assert.equal(Date.parse(s.stale) - Date.parse(s.time), 90_000);
    });

    it('a field set in the dialog wins over the payload; an empty source leaves the payload value', async () => {
      const h = await deploy({ callsign: 'name', callsignType: 'msg', course: 'heading', courseType: 'msg' });
      const [msg] = await h.build({
        payload: { lat: 1, lon: 2, callsign: 'payload', course: 10 },
        name: 'msg',
      });
      const s = summarizeCot(eventOf(msg as Msg));
      assert.equal(s.callsign, 'msg');
      assert.equal(s.course, 10, 'msg.heading is undefined: the payload course stays');
    });

    it('the type picker saves a plain string type', async () => {
      const h = await deploy({ cotType: 'a-h-A-M-F', cotTypeType: 'str' });
      const [msg] = await h.build({ payload: { lat: 1, lon: 2, type: 'a-f-G' } });
      assert.equal(eventOf(msg as Msg).type, 'a-h-A-M-F');
      assert.equal(msg?.topic, 'a-h-A-M-F');
    });

    it('reads a source relative to each item of an array', async () => {
      const h = await deploy({
        callsign: 'payload.label',
        callsignType: 'msg',
        uidMode: 'prefix',
        uidPrefix: 'dev-',
        uidKey: 'payload.id',
      });
      const msgs = await h.build(
        {
          payload: [
            { id: 1, label: 'one', lat: 1, lon: 1 },
            { id: 2, label: 'two', lat: 2, lon: 2 },
          ],
        },
        2,
      );
      assert.deepEqual(
        msgs.map((m) => [
          eventOf(m).uid,
          summarizeCot(eventOf(m)).callsign,
          summarizeCot(eventOf(m)).remarks,
        ]),
        [
          ['dev-1', 'one', undefined],
          ['dev-2', 'two', undefined],
        ],
        'label and id are read by settings, so they are not extras',
      );
    });
  });

  describe('options', () => {
    it('outputs the model in payload and the XML in cot', async () => {
      const h = await deploy({ output: 'model' });
      const [msg] = await h.build({ payload: { lat: 1, lon: 2 } });
      assert.equal(typeof msg?.cot, 'string');
      assert.deepEqual(msg?.payload, parseCot(msg?.cot as string));
    });

    it('derives one stable uid from a key, readable with a prefix, or random each time', async () => {
      let h = await deploy({ uidMode: 'stable', uidKey: 'payload.deviceId', uidKeyType: 'msg' });
      const [a] = await h.build({ payload: { deviceId: 'dev-1', lat: 1, lon: 1 } });
      const [b] = await h.build({ payload: { deviceId: 'dev-1', lat: 2, lon: 2, uid: 'ignored' } });
      assert.equal(eventOf(a as Msg).uid, stableUid('dev-1'));
      assert.equal(eventOf(b as Msg).uid, stableUid('dev-1'));
      assert.equal(summarizeCot(eventOf(a as Msg)).remarks, undefined, 'the key is not an extra');
      await (await startRed()).unload();

      h = await deploy({ uidMode: 'prefix', uidKey: 'sensor', uidKeyType: 'msg', uidPrefix: 'lora-' });
      const [c] = await h.build({ payload: { lat: 1, lon: 1 }, sensor: 42 });
      assert.equal(eventOf(c as Msg).uid, 'lora-42');
      await (await startRed()).unload();

      h = await deploy({ uidMode: 'random' });
      const [d] = await h.build({ payload: { lat: 1, lon: 1, callsign: 'same' } });
      const [e] = await h.build({ payload: { lat: 1, lon: 1, callsign: 'same' } });
      assert.notEqual(eventOf(d as Msg).uid, eventOf(e as Msg).uid);
    });

    it('keeps other payload properties in the remarks, in <__extras>, or nowhere', async () => {
      let h = await deploy();
      const [r] = await h.build({ payload: { lat: 1, lon: 1, temperature: 21.5 } });
      assert.equal(summarizeCot(eventOf(r as Msg)).remarks, 'temperature: 21.5');
      await (await startRed()).unload();
      h = await deploy({ extras: 'detail' });
      const [d] = await h.build({ payload: { lat: 1, lon: 1, temperature: 21.5 } });
      assert.deepEqual(eventOf(d as Msg).detail?.__extras, { temperature: '21.5' });
      await (await startRed()).unload();
      h = await deploy({ extras: 'drop' });
      const [n] = await h.build({ payload: { lat: 1, lon: 1, temperature: 21.5 } });
      assert.equal(eventOf(n as Msg).detail, undefined);
    });
  });

  describe('bad input goes to Catch with the field named, and the node keeps working', () => {
    it('reports each problem with its code, field and value', async () => {
      const h = await deploy({ battery: 'level', batteryType: 'msg' });
      const cases: Array<[Msg, string, RegExp]> = [
        [
          { payload: { callsign: 'lost' } },
          'ERR_COT_MISSING_POINT',
          /no position: give lat and lon \(got lat undefined/,
        ],
        [
          { payload: { lat: 95, lon: 0 } },
          'ERR_COT_LAT',
          /point.lat is 95; it must be a number from -90 to 90/,
        ],
        [{ payload: { lat: 1, lon: 'east' } }, 'ERR_COT_LON', /lon is "east"; give a number/],
        [
          { payload: { lat: 1, lon: 2, callsign: { a: 1 } } },
          'ERR_COT_INPUT',
          /callsign is \{"a":1\}; give a string/,
        ],
        [
          { payload: { lat: 1, lon: 2 }, level: 'full' },
          'ERR_COT_INPUT',
          /battery is "full"; give a number \(from msg.level\)/,
        ],
        [
          { payload: { lat: 1, lon: 2 }, level: 140 },
          'ERR_COT_INPUT',
          /battery is 140; give a percentage from 0 to 100 \(from msg.level\)/,
        ],
        [
          { payload: { lat: 1, lon: 2, type: 'not a type' } },
          'ERR_COT_TYPE',
          /type "not a type" is not a CoT type/,
        ],
        [{ payload: { lat: 1, lon: 2, stale: 'soon' } }, 'ERR_COT_TIME', /stale is "soon"/],
        [
          {
            payload: {
              type: 'Feature',
              geometry: {
                type: 'LineString',
                coordinates: [
                  [0, 0],
                  [0, -91],
                ],
              },
              properties: {},
            },
          },
          'ERR_COT_LAT',
          /geometry.coordinates\[1\] has latitude -91/,
        ],
        [{ payload: 42 }, 'ERR_COT_INPUT', /msg.payload is 42; give an object/],
        [{ payload: '<event uid="x"' }, 'ERR_COT_XML', /not well-formed XML/],
        [
          {
            payload: [
              { lat: 1, lon: 1 },
              { lat: 100, lon: 1 },
            ],
          },
          'ERR_COT_LAT',
          /^CotError: payload\[1\]: point.lat is 100/,
        ],
        [{ payload: { name: 'z', area: [[1, 1]] } }, 'ERR_COT_INPUT', /area has 2 points|area has 1 points/],
      ];
      for (const [msg, code, message] of cases) {
        const error = await h.fail({ ...msg, marker: 'kept' });
        assert.equal(error.code, catchCode(code), `${JSON.stringify(msg.payload)}: ${error.message}`);
        assert.match(error.message, message);
        assert.equal(error.source.id, 'b');
        assert.equal(error.msg.marker, 'kept', 'the Catch node gets the msg');
      }
      const [ok] = await h.build({ payload: { lat: 1, lon: 2 } });
      assert.equal(eventOf(ok as Msg).point.lat, 1, 'still working after every error');
    });

    it('reports a JSONata error and a missing uid key by the setting that failed', async () => {
      let h = await deploy({ callsign: '$error("no callsign today")', callsignType: 'jsonata' });
      let error = await h.fail({ payload: { lat: 1, lon: 2 } });
      assert.equal(error.code, catchCode('ERR_COT_INPUT'));
      assert.match(
        error.message,
        /callsign could not be read from JSONata \$error\("no callsign today"\): no callsign today/,
      );
      await (await startRed()).unload();

      h = await deploy({ callsign: 'payload.(', callsignType: 'jsonata' });
      error = await h.fail({ payload: { lat: 1, lon: 2 } });
      assert.match(error.message, /the JSONata expression for callsign is invalid/);
      await (await startRed()).unload();

      h = await deploy({ uidMode: 'stable', uidKey: 'payload.deviceId', uidKeyType: 'msg' });
      error = await h.fail({ payload: { lat: 1, lon: 2 } });
      assert.equal(error.code, catchCode('ERR_COT_MISSING_UID'));
      assert.match(error.message, /the uid key \(msg.payload.deviceId\) is undefined/);
    });
  });

  it('loads and deploys the flow JSON the editor saves', async () => {
    // As exported from the editor: every field at its default source, the UID and output tabs at their defaults.
    const saved = JSON.parse(`[
      {"id":"tab","type":"tab","label":"saved","disabled":false,"info":"","env":[]},
      {"id":"b","type":"cot-build","z":"tab","name":"sensor to CoT",
       "uid":"","uidType":"payload","cotType":"a-f-G-E-V-C","cotTypeType":"str","how":"","howType":"payload",
       "callsign":"","callsignType":"payload","lat":"","latType":"payload","lon":"","lonType":"payload",
       "hae":"","haeType":"payload","ce":"","ceType":"payload","le":"","leType":"payload",
       "course":"","courseType":"payload","speed":"","speedType":"payload","team":"Cyan","teamType":"team",
       "role":"","roleType":"payload","battery":"","batteryType":"payload","remarks":"","remarksType":"payload",
       "icon":"","iconType":"payload","stale":"120","staleType":"num",
       "uidMode":"auto","uidKey":"payload.id","uidKeyType":"msg","uidPrefix":"","extras":"remarks","output":"xml",
       "x":300,"y":120,"wires":[["out"]]},
      {"id":"out","type":"helper","z":"tab","x":500,"y":120,"wires":[]}
    ]`) as Array<Record<string, unknown>>;
    const red = await startRed();
    await red.load(cotBuild, saved);
    const out = collect(getNode('out'));
    getNode('b').receive({ payload: { lat: 1, lon: 2, callsign: 'Saved' } });
    await eventually(() => out.length === 1, 'a msg from the saved flow');
    const event = parseCot(out[0]?.payload as string);
    assert.equal(event.type, 'a-f-G-E-V-C');
    assert.deepEqual(event.detail?.__group, { name: 'Cyan', role: 'Team Member' });
    assert.equal(Date.parse(event.stale) - Date.parse(event.time), 120_000);
  });

  it('builds the same event buildCot does for the short form', async () => {
    const h = await deploy();
    const input = {
      uid: 'same',
      type: 'a-f-G',
      lat: 3,
      lon: 4,
      callsign: 'S',
      remarks: 'r',
      stale: '2099-01-01T00:00:00.000Z',
      time: '2026-01-31T12:00:00.000Z',
    };
    const [msg] = await h.build({ payload: input });
    assert.equal(msg?.payload, buildCot(input));
  });
});
