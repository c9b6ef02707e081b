import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { summarizeCot } from '../src/convert/summary';
import { buildCot, parseCot, type CotEvent } from '../src/index';
import cotBuild from '../src/nodes/cot-build';
import cotParse from '../src/nodes/cot-parse';
import { SHARED_FIXTURES, sharedFixtures } from './helpers/paths';
import { collect, eventually, getNode, startRed, stopRed } from './helpers/red';
import { catchCode } from './helpers/catch-code';

type Msg = Record<string, unknown>;
interface CaughtError {
  message: string;
  code?: string;
  source: { id: string };
}

const T = 'time="2026-01-31T12:00:00Z" start="2026-01-31T12:00:00Z" stale="2099-01-31T12:05:00Z"';

function event(uid: string, extra = '', point = 'lat="51.5" lon="-0.12"'): string {
  return `<event version="2.0" uid="${uid}" type="a-f-G-U-C" how="m-g" ${T}><point ${point} hae="10" ce="5" le="5"/><detail><contact callsign="${uid.toUpperCase()}"/>${extra}</detail></event>`;
}

/** cot-parse with its outputs wired to helpers o0..o2, and a Catch node. */
function flow(settings: Record<string, unknown> = {}): Array<Record<string, unknown>> {
  const outputs = 1 + (settings.worldmap ? 1 : 0) + (settings.geojson ? 1 : 0);
  const wires = Array.from({ length: outputs }, (_, i) => [`o${i}`]);
  return [
    { id: 'tab', type: 'tab', label: 'cot-parse test' },
    { id: 'p', type: 'cot-parse', z: 'tab', x: 100, y: 100, outputs, wires, ...settings },
    ...wires.map(([id], i) => ({ id, type: 'helper', z: 'tab', x: 300, y: 100 + 50 * i, wires: [] })),
    {
      id: 'catcher',
      type: 'catch',
      z: 'tab',
      x: 100,
      y: 300,
      scope: null,
      uncaught: false,
      wires: [['caught']],
    },
    { id: 'caught', type: 'helper', z: 'tab', x: 300, y: 300, wires: [] },
  ];
}

interface Harness {
  outs: Msg[][];
  caught: Msg[];
  send(msg: Msg): void;
  /** Sends and waits until output 0 has `count` more msgs. */
  parse(msg: Msg, count?: number): Promise<Msg[]>;
  fail(msg: Msg): Promise<CaughtError & { msg: Msg }>;
}

async function deploy(settings: Record<string, unknown> = {}): Promise<Harness> {
  const red = await startRed();
  const nodes = flow(settings);
  await red.load(cotParse, nodes);
  const outs = nodes.filter((n) => /^o\d$/.test(String(n.id))).map((n) => collect(getNode(String(n.id))));
  const caught = collect(getNode('caught'));
  const node = getNode('p');
  const main = outs[0] as Msg[];
  return {
    outs,
    caught,
    send: (msg) => node.receive(msg),
    async parse(msg, count = 1) {
      const before = main.length;
      const caughtBefore = caught.length;
      node.receive(msg);
      await eventually(
        () => main.length >= before + count || caught.length > caughtBefore,
        `${count} msg(s) from cot-parse`,
      );
      if (caught.length > caughtBefore) throw new Error((caught[caughtBefore]?.error as CaughtError).message);
      return main.slice(before);
    },
    async fail(msg) {
      const before = caught.length;
      node.receive(msg);
      await eventually(() => caught.length > before, 'an error at the Catch node');
      const m = caught[before] as Msg;
      return { ...(m.error as CaughtError), msg: m };
    },
  };
}

describe('cot-parse in a Node-RED runtime', () => {
  before(async () => {
    await startRed();
  });
  after(async () => {
    await stopRed();
  });
  afterEach(async () => {
    await (await startRed()).unload();
  });

  it('reads one event from a string: the model in payload, the XML in cot, the type in topic, the rest kept', async () => {
    const h = await deploy();
    const xml = event('alpha', '<__group name="Red" role="HQ"/>');
    const [msg] = await h.parse({ payload: xml, topic: 'udp', ip: '10.0.0.9' });
    assert.deepEqual(msg?.payload, parseCot(xml));
    assert.equal(msg?.cot, xml);
    assert.equal(msg?.topic, 'a-f-G-U-C');
    assert.equal(msg?.ip, '10.0.0.9');
  });

  it('emits one msg per event of a Buffer, in order, each its own object', async () => {
    const h = await deploy();
    const bytes = Buffer.from(`<?xml version="1.0"?>\n${event('a')}\n${event('b')}${event('c')}`);
    const msgs = await h.parse({ payload: bytes, meta: { n: 1 } }, 3);
    assert.deepEqual(
      msgs.map((m) => (m.payload as CotEvent).uid),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(msgs[2]?.meta, { n: 1 });
    assert.notEqual(msgs[1]?.meta, msgs[2]?.meta);
  });

  it('in stream mode, joins an event split across msgs, one stream per topic or per session', async () => {
    let h = await deploy({ mode: 'stream', streamKey: 'topic' });
    const a = event('split-a');
    const b = event('split-b');
    h.send({ payload: Buffer.from(a.slice(0, 40)), topic: 'A' });
    h.send({ payload: Buffer.from(b.slice(0, 70)), topic: 'B' });
    h.send({ payload: Buffer.from(a.slice(40, 100)), topic: 'A' });
    const fromB = await h.parse({ payload: Buffer.from(b.slice(70)), topic: 'B' });
    const fromA = await h.parse({ payload: Buffer.from(a.slice(100)), topic: 'A' });
    assert.equal((fromB[0]?.payload as CotEvent).uid, 'split-b');
    assert.equal((fromA[0]?.payload as CotEvent).uid, 'split-a');
    assert.equal(fromA[0]?.cot, a);
    assert.equal(h.caught.length, 0);
    await (await startRed()).unload();

    h = await deploy({ mode: 'stream', streamKey: 'session' });
    h.send({ payload: a.slice(0, 50), _session: { type: 'tcp', id: 's1' } });
    h.send({ payload: b.slice(0, 50), _session: { type: 'tcp', id: 's2' } });
    const s2 = await h.parse({ payload: b.slice(50), _session: { type: 'tcp', id: 's2' } });
    assert.equal((s2[0]?.payload as CotEvent).uid, 'split-b');
  });

  it('in message mode, an unfinished event is an error, not held for the next msg', async () => {
    const h = await deploy();
    const a = event('half');
    const error = await h.fail({ payload: a.slice(0, 60) });
    assert.equal(error.code, catchCode('ERR_STREAM_TRUNCATED'));
    const [next] = await h.parse({ payload: event('whole') });
    assert.equal((next?.payload as CotEvent).uid, 'whole');
  });

  it('also emits a worldmap marker and a GeoJSON Feature', async () => {
    const h = await deploy({ worldmap: true, geojson: true, layer: 'team' });
    const xml = event('ANDROID-7', '<__group name="Cyan" role="Team Member"/><track course="45" speed="3"/>');
    await h.parse({ payload: xml });
    const [marker] = h.outs[1] as Msg[];
    assert.deepEqual(marker?.payload, {
      name: 'ANDROID-7',
      layer: 'team',
      label: 'ANDROID-7'.toUpperCase(),
      lat: 51.5,
      lon: -0.12,
      icon: 'arrow',
      iconColor: '#00ffff',
      alt: 10,
      hdg: 45,
      speed: 3,
      accuracy: 5,
      ttl: (marker?.payload as { ttl: number }).ttl,
      cotType: 'a-f-G-U-C',
      team: 'Cyan',
      role: 'Team Member',
    });
    assert.ok((marker?.payload as { ttl: number }).ttl > 1e6, 'stale in 2099');
    assert.equal(marker?.topic, 'a-f-G-U-C');
    const [feature] = h.outs[2] as Msg[];
    assert.deepEqual((feature?.payload as { geometry: unknown }).geometry, {
      type: 'Point',
      coordinates: [-0.12, 51.5, 10],
    });
    assert.equal((feature?.payload as { id: string }).id, 'ANDROID-7');

    const ping = `<event version="2.0" uid="x-ping" type="t-x-c-t" how="m-g" ${T}><point lat="0" lon="0" hae="0" ce="9999999" le="9999999"/><detail/></event>`;
    await h.parse({ payload: ping });
    assert.equal((h.outs[1] as Msg[]).length, 1, 'a ping is not put on the map');
    assert.equal((h.outs[2] as Msg[]).length, 1);
  });

  it('takes the CoT model as an object (what tak-receive emits) and gives the same outputs as its XML', async () => {
    const h = await deploy({ worldmap: true, geojson: true });
    const xml = event('model-in', '<__group name="Red" role="HQ"/><track course="10" speed="2"/>');
    const [fromXml] = await h.parse({ payload: xml });
    const model = parseCot(xml);
    const given = structuredClone(model);
    const [fromModel] = await h.parse({ payload: model, cot: 'stale text', ip: '10.0.0.9' });
    assert.deepEqual(fromModel?.payload, fromXml?.payload);
    assert.notEqual(fromModel?.payload, model, 'a new object, as for XML');
    assert.deepEqual(model, given, 'the msg.payload given is not changed');
    assert.equal(fromModel?.cot, buildCot(model), 'msg.cot is the XML written from the model');
    assert.equal(fromModel?.topic, 'a-f-G-U-C');
    assert.equal(fromModel?.ip, '10.0.0.9', 'the other msg properties are kept');
    const [markerFromXml, markerFromModel] = h.outs[1] as Msg[];
    const [featureFromXml, featureFromModel] = h.outs[2] as Msg[];
    const { ttl: _a, ...marker } = markerFromModel?.payload as Record<string, unknown>;
    const { ttl: _b, ...expected } = markerFromXml?.payload as Record<string, unknown>;
    assert.deepEqual(marker, expected);
    assert.equal(marker.iconColor, '#ff0000', 'team Red');
    assert.deepEqual(featureFromModel?.payload, featureFromXml?.payload);

    // A model built by hand, with numbers where XML has text, reads back as the XML would.
    const [built] = await h.parse({
      payload: { ...model, uid: 'by-hand', detail: { track: { course: 90, speed: 1.5 } } },
    });
    assert.deepEqual((built?.payload as CotEvent).detail, { track: { course: '90', speed: '1.5' } });
    assert.equal(h.caught.length, 0);
  });

  it('refuses a model that is not a whole, valid event, with the code parsing its XML would give', async () => {
    const h = await deploy();
    const model = parseCot(event('whole'));
    const { uid: _uid, ...noUid } = model;
    const { time: _time, ...noTime } = model;
    const cases: Array<[string, unknown, string, RegExp]> = [
      ['no uid', noUid, 'ERR_COT_MISSING_UID', /uid is undefined/],
      ['no time', noTime, 'ERR_COT_TIME', /time is undefined, not a time/],
      ['a lat that is text', { ...model, point: { ...model.point, lat: '51.5' } }, 'ERR_COT_LAT', /"51.5"/],
      ['a lon out of range', { ...model, point: { ...model.point, lon: 200 } }, 'ERR_COT_LON', /200/],
      ['no hae', { ...model, point: { lat: 1, lon: 2 } }, 'ERR_COT_POINT_VALUE', /point.hae is undefined/],
      ['a bad type', { ...model, type: 'a f' }, 'ERR_COT_TYPE', /"a f"/],
      ['a detail name XML cannot carry', { ...model, detail: { 'a b': {} } }, 'ERR_COT_XML_NAME', /"a b"/],
      [
        'the short form',
        { lat: 1, lon: 2, callsign: 'x' },
        'ERR_COT_INPUT',
        /give CoT XML as a string or Buffer, or the CoT model tak-receive emits .*use cot-build/,
      ],
    ];
    for (const [name, payload, code, message] of cases) {
      const error = await h.fail({ payload, tag: name });
      assert.equal(error.code, catchCode(code), `${name}: ${error.message}`);
      assert.match(error.message, message, name);
      assert.equal(error.msg.tag, name, 'the Catch node gets the msg');
    }
    const [ok] = await h.parse({ payload: model });
    assert.equal((ok?.payload as CotEvent).uid, 'whole', 'still working');
  });

  describe('errors go to Catch and the node keeps working', () => {
    it('a broken event costs only itself', async () => {
      const h = await deploy();
      const bad = event('bad', '', 'lat="95" lon="0"');
      const before = h.caught.length;
      const main = h.outs[0] as Msg[];
      h.send({ payload: `${event('one')}${bad}${event('two')}`, tag: 'x' });
      await eventually(() => main.length === 2, 'the two good events');
      assert.deepEqual(
        main.map((m) => (m.payload as CotEvent).uid),
        ['one', 'two'],
      );
      await eventually(() => h.caught.length > before, 'the error for the bad event');
      const error = h.caught[before]?.error as CaughtError;
      assert.equal(error.code, catchCode('ERR_COT_LAT'));
      assert.match(error.message, /point.lat is 95; it must be a number from -90 to 90/);
      assert.equal(h.caught[before]?.tag, 'x');
    });

    it('names what is wrong', async () => {
      const h = await deploy({ maxEventKb: 1 });
      const cases: Array<[Msg, string, RegExp]> = [
        [
          { payload: { lat: 1 } },
          'ERR_COT_INPUT',
          /msg.payload is \{"lat":1\}; give CoT XML as a string or Buffer/,
        ],
        [
          { payload: 'hello there' },
          'ERR_COT_XML',
          /msg.payload holds no CoT event \(11 bytes starting "hello there"\)/,
        ],
        [
          { payload: `<event uid="u" ${T}><point lat="1" lon="2"/></event>` },
          'ERR_COT_MISSING_TYPE',
          /no type/,
        ],
        [{ payload: event('big', `<remarks>${'x'.repeat(2000)}</remarks>`) }, 'ERR_STREAM_OVERSIZE', /./],
        [
          { payload: `${event('b1', '', 'lat="x" lon="0"')}${event('b2', '', 'lat="0" lon="200"')}` },
          'ERR_COT_LAT',
          /^StreamError: 2 problems in msg.payload; the first: .*point.lat/,
        ],
      ];
      for (const [msg, code, message] of cases) {
        const error = await h.fail(msg);
        assert.equal(error.code, catchCode(code), error.message);
        assert.match(error.message, message);
        assert.equal(error.source.id, 'p');
      }
      const [ok] = await h.parse({ payload: event('fine') });
      assert.equal((ok?.payload as CotEvent).uid, 'fine');
    });
  });

  const streams = sharedFixtures('streams', '.stream');
  it('reads recorded TCP streams fed in small chunks', { skip: streams.skip }, async () => {
    const h = await deploy({ mode: 'stream' });
    for (const name of ['pytak-client-1.stream', 'sender-lf-separated.stream']) {
      const bytes = readFileSync(path.join(SHARED_FIXTURES, 'streams', name));
      const sidecar = JSON.parse(
        readFileSync(path.join(SHARED_FIXTURES, 'streams', `${name}.json`), 'utf8'),
      ) as {
        uids: string[];
      };
      const main = h.outs[0] as Msg[];
      const before = main.length;
      for (let at = 0; at < bytes.length; at += 97) h.send({ payload: bytes.subarray(at, at + 97) });
      await eventually(
        () => main.length === before + sidecar.uids.length,
        `${sidecar.uids.length} events from ${name}`,
      );
      assert.deepEqual(
        main.slice(before).map((m) => (m.payload as CotEvent).uid),
        sidecar.uids,
        name,
      );
    }
    assert.equal(h.caught.length, 0);
  });

  it('loads and deploys the flow JSON the editor saves', async () => {
    const saved = JSON.parse(`[
      {"id":"tab","type":"tab","label":"saved","disabled":false,"info":"","env":[]},
      {"id":"p","type":"cot-parse","z":"tab","name":"udp to map","mode":"message","streamKey":"node","maxEventKb":1024,
       "worldmap":true,"layer":"TAK","geojson":false,"outputs":2,"x":300,"y":120,"wires":[["o0"],["o1"]]},
      {"id":"o0","type":"helper","z":"tab","x":500,"y":100,"wires":[]},
      {"id":"o1","type":"helper","z":"tab","x":500,"y":140,"wires":[]}
    ]`) as Array<Record<string, unknown>>;
    const red = await startRed();
    await red.load(cotParse, saved);
    const o0 = collect(getNode('o0'));
    const o1 = collect(getNode('o1'));
    getNode('p').receive({ payload: event('saved') });
    await eventually(() => o0.length === 1 && o1.length === 1, 'a model and a marker');
    assert.equal((o1[0]?.payload as { name: string }).name, 'saved');
    assert.equal((o1[0]?.payload as { layer: string }).layer, 'TAK');
  });
});

describe('cot-build -> cot-parse round trip', () => {
  before(async () => {
    await startRed();
  });
  after(async () => {
    await stopRed();
  });

  const EXAMPLES: Array<[string, unknown]> = [
    [
      'short form',
      {
        lat: 51.5,
        lon: -0.12,
        callsign: 'Bus 7',
        team: 'Red',
        role: 'HQ',
        course: 90,
        speed: 12.5,
        battery: 80,
        remarks: 'hi',
        hae: 30,
      },
    ],
    [
      'canonical model',
      parseCot(event('model', '<__group name="Blue" role="Medic"/><track course="1" speed="2"/>')),
    ],
    ['CoT XML', event('xml-in', '<status battery="50"/>')],
    [
      'GeoJSON Point',
      {
        type: 'Feature',
        id: 'gp',
        geometry: { type: 'Point', coordinates: [10, 20, 5] },
        properties: { name: 'P', course: 45 },
      },
    ],
    [
      'GeoJSON LineString',
      {
        type: 'Feature',
        id: 'gl',
        geometry: {
          type: 'LineString',
          coordinates: [
            [0, 0],
            [1, 1],
            [2, 0.5],
          ],
        },
        properties: { name: 'L', stroke: '#ff0000' },
      },
    ],
    [
      'GeoJSON Polygon',
      {
        type: 'Feature',
        id: 'gy',
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 0],
            ],
          ],
        },
        properties: { name: 'Y', fill: '#00ff00' },
      },
    ],
    ['worldmap marker', { name: 'Dave', lat: 51, lon: -1.2, SIDC: 'SHGPUCI-----', hdg: 220, speed: 4 }],
    [
      'worldmap area',
      {
        name: 'zone',
        area: [
          [51, -1],
          [51.5, -1.5],
          [51, -1.5],
        ],
        color: '#0000ff',
      },
    ],
    [
      'legacy _attributes',
      {
        event: {
          _attributes: {
            version: '2.0',
            uid: 'legacy-1',
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
    ],
  ];

  it('returns the same fields for every example input, and the maps get the same places and shapes', async () => {
    const red = await startRed();
    await red.load(
      [cotBuild, cotParse],
      [
        { id: 'tab', type: 'tab', label: 'round trip' },
        { id: 'b', type: 'cot-build', z: 'tab', x: 100, y: 100, wires: [['built', 'p']] },
        { id: 'built', type: 'helper', z: 'tab', x: 300, y: 50, wires: [] },
        {
          id: 'p',
          type: 'cot-parse',
          z: 'tab',
          x: 300,
          y: 100,
          worldmap: true,
          geojson: true,
          outputs: 3,
          wires: [['model'], ['marker'], ['feature']],
        },
        { id: 'model', type: 'helper', z: 'tab', x: 500, y: 50, wires: [] },
        { id: 'marker', type: 'helper', z: 'tab', x: 500, y: 100, wires: [] },
        { id: 'feature', type: 'helper', z: 'tab', x: 500, y: 150, wires: [] },
        {
          id: 'catcher',
          type: 'catch',
          z: 'tab',
          x: 100,
          y: 300,
          scope: null,
          uncaught: false,
          wires: [['caught']],
        },
        { id: 'caught', type: 'helper', z: 'tab', x: 300, y: 300, wires: [] },
      ],
    );
    const built = collect(getNode('built'));
    const models = collect(getNode('model'));
    const markers = collect(getNode('marker'));
    const features = collect(getNode('feature'));
    const caught = collect(getNode('caught'));
    for (const [name, payload] of EXAMPLES) {
      const i = models.length;
      getNode('b').receive({ payload });
      await eventually(() => features.length > i || caught.length > 0, `${name} through both nodes`);
      assert.equal(caught.length, 0, `${name}: ${JSON.stringify(caught[0]?.error)}`);
      const sent = built[i]?.cot as CotEvent;
      const received = models[i]?.payload as CotEvent;
      assert.equal(models[i]?.cot, built[i]?.payload, `${name}: cot-parse hands on the XML cot-build wrote`);
      assert.deepEqual(summarizeCot(received), summarizeCot(sent), `${name}: same fields`);
      assert.equal(JSON.stringify(received.detail ?? {}).length > 0, true);

      const marker = markers[i]?.payload as Record<string, unknown>;
      const feature = features[i]?.payload as { geometry: { type: string; coordinates: unknown } };
      if (name === 'GeoJSON LineString' || name === 'GeoJSON Polygon' || name === 'GeoJSON Point') {
        assert.deepEqual(
          feature.geometry,
          (payload as { geometry: unknown }).geometry,
          `${name}: same geometry`,
        );
      }
      if (name === 'worldmap marker') {
        for (const key of ['name', 'lat', 'lon', 'SIDC', 'hdg', 'speed'])
          assert.deepEqual(marker[key], (payload as Msg)[key], key);
      }
      if (name === 'worldmap area') {
        assert.deepEqual(marker.area, (payload as Msg).area);
        assert.equal(marker.color, '#0000ff');
      }
      if (name === 'short form') {
        assert.equal(marker.label, 'Bus 7');
        assert.equal(marker.iconColor, '#ff0000', 'team Red');
        assert.equal(marker.hdg, 90);
      }
    }
    assert.equal(models.length, EXAMPLES.length);
    // The same input twice is the same track.
    getNode('b').receive({ payload: EXAMPLES[0]?.[1] });
    await eventually(() => models.length === EXAMPLES.length + 1, 'the short form again');
    assert.equal((models.at(-1)?.payload as CotEvent).uid, (models[0]?.payload as CotEvent).uid);
    assert.equal(
      buildCot(models[0]?.payload as CotEvent),
      models[0]?.cot,
      'the parsed model builds the same XML',
    );
  });
});
