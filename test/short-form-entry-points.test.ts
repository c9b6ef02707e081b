/**
 * One short form: the same input makes the same event, or the same error, whichever way it goes in:
 * buildCot, cotInputsFrom + buildCot, cot-build and tak-send (both in a real Node-RED runtime, tak-send
 * to a loopback server).
 */
import assert from 'node:assert/strict';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  buildCot,
  cotInputsFrom,
  CotError,
  parseCot,
  stableUid,
  type CotEvent,
  type CotInput,
} from '../src/index';
import cotBuild from '../src/nodes/cot-build';
import takConfig from '../src/nodes/tak-config';
import takSend from '../src/nodes/tak-send';
import { CotPeer } from './helpers/cot-peer';
import {
  collect,
  eventually,
  getNode,
  startRed,
  stopRed,
  waitFor,
  waitForConnectionStatus,
  isConnectedStatus,
} from './helpers/red';
import { CATCH_GETS_CODE } from './helpers/catch-code';

/** Stands for the code a Catch node on Node-RED before 4.1 does not get. */
const CODE_NOT_PASSED = 'no code from this Node-RED';

type Msg = Record<string, unknown>;
type Outcome = { event: CotEvent } | { code: string; message: string };

const GATEWAY_UID = 'takpak-short-form-gw';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FIVE_MINUTES_MS = 300_000;
const TIMES = {
  time: '2026-01-31T12:00:00.000Z',
  start: '2026-01-31T12:00:00.000Z',
  stale: '2099-01-01T00:00:00.000Z',
};

/** Valid inputs, most with fields left out for the defaults to fill. */
const VALID: Array<[string, Msg]> = [
  ['only a position', { lat: 51.5, lon: -0.12 }],
  ['a callsign and no uid: the callsign names the track', { lat: 51.5, lon: -0.12, callsign: 'Bus 7' }],
  ['a uid key and no uid', { lat: 1, lon: 2, uidKey: 'sensor-17', callsign: 'S17' }],
  [
    'numbers as text and a number as callsign (a CSV row)',
    {
      lat: '51.5',
      lon: '-0.12',
      hae: '30',
      callsign: 7,
      team: 'Red',
      course: '90',
      speed: '2.5',
      battery: '80',
    },
  ],
  ['empty strings for uid, type and how', { lat: 1, lon: 2, uid: '', type: '', how: '', remarks: '' }],
  ['missing uid (null) and type (null)', { lat: 1, lon: 2, uid: null, type: null, callsign: 'nulls' }],
  [
    'a callsign and remarks with &<>"\'',
    { lat: 1, lon: 2, uid: 'escape-1', callsign: `A&B <c> "d" 'e'`, remarks: `x < y & "z" > 'w'` },
  ],
  [
    'every field given',
    {
      ...TIMES,
      uid: 'full-1',
      type: 'a-h-G-U-C',
      how: 'h-e',
      lat: -33.86,
      lon: 151.21,
      hae: 12.5,
      ce: 5,
      le: 7,
      callsign: 'Full',
      team: 'Dark Blue',
      role: 'Team Lead',
      course: 271.5,
      speed: 12.25,
      battery: 87,
      remarks: 'two\nlines',
      iconsetpath: 'COT_MAPPING_2525B/a-h/a-h-G',
      color: '#ff0000',
    },
  ],
];

/** Invalid inputs and the one code every entry point must give for each. */
const INVALID: Array<[string, Msg, string]> = [
  ['a lat that is no number', { lat: 'north', lon: 2, uid: 'bad-1' }, 'ERR_COT_LAT'],
  ['a lat out of range', { lat: 95, lon: 2, uid: 'bad-2' }, 'ERR_COT_LAT'],
  ['a lon that is no number', { lat: 1, lon: 'east', uid: 'bad-3' }, 'ERR_COT_LON'],
  ['a lon out of range', { lat: 1, lon: -180.5, uid: 'bad-4' }, 'ERR_COT_LON'],
  ['no position', { callsign: 'lost' }, 'ERR_COT_MISSING_POINT'],
  ['an empty lat', { lat: '', lon: 2 }, 'ERR_COT_MISSING_POINT'],
  ['a time that is no time', { lat: 1, lon: 2, uid: 'bad-5', time: 'yesterday' }, 'ERR_COT_TIME'],
  ['a stale that is no time', { lat: 1, lon: 2, uid: 'bad-6', stale: 'soon' }, 'ERR_COT_TIME'],
  [
    'stale before start',
    { lat: 1, lon: 2, uid: 'bad-7', start: '2026-01-31T12:00:00Z', stale: '2026-01-31T11:00:00Z' },
    'ERR_COT_STALE_BEFORE_START',
  ],
  ['a uid that is no text', { lat: 1, lon: 2, uid: { id: 7 } }, 'ERR_COT_MISSING_UID'],
  ['a type that is no CoT type', { lat: 1, lon: 2, uid: 'bad-8', type: 'a f G' }, 'ERR_COT_TYPE'],
  ['a how that is no CoT how', { lat: 1, lon: 2, uid: 'bad-9', how: 'by hand' }, 'ERR_COT_HOW'],
  ['a hae that is no number', { lat: 1, lon: 2, uid: 'bad-10', hae: 'high' }, 'ERR_COT_POINT_VALUE'],
  ['a callsign that is an object', { lat: 1, lon: 2, uid: 'bad-11', callsign: { a: 1 } }, 'ERR_COT_INPUT'],
  ['a battery of 140 %', { lat: 1, lon: 2, uid: 'bad-12', battery: 140 }, 'ERR_COT_INPUT'],
  [
    'a control character in the callsign',
    { lat: 1, lon: 2, uid: 'bad-13', callsign: 'A\u0001' },
    'ERR_COT_XML_CHAR',
  ],
];

function flow(port: number): Array<Record<string, unknown>> {
  return [
    { id: 'tab', type: 'tab', label: 'short form' },
    {
      id: 'cfg',
      type: 'tak-config',
      host: '127.0.0.1',
      port,
      protocol: 'tcp',
      uid: GATEWAY_UID,
      identityGap: 0,
      reconnectMax: 1,
    },
    { id: 'send', type: 'tak-send', z: 'tab', x: 100, y: 100, server: 'cfg', wires: [] },
    { id: 'build', type: 'cot-build', z: 'tab', x: 100, y: 200, wires: [['built']] },
    { id: 'built', type: 'helper', z: 'tab', x: 300, y: 200, wires: [] },
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

function capture(run: () => CotEvent): Outcome {
  try {
    return { event: run() };
  } catch (error) {
    assert.ok(error instanceof CotError, `a CotError, got ${String(error)}`);
    return { code: error.code, message: error.message };
  }
}

/** True when the input names its uid, directly or through a key or callsign: then the uid is compared too. */
function namesUid(input: Msg): boolean {
  return [input.uid, input.uidKey, input.callsign].some((v) => v !== undefined && v !== null && v !== '');
}

/**
 * The event with what was generated (a random uid, times from "now") checked for its shape and taken out,
 * so events made at slightly different moments compare equal.
 */
function comparable(event: CotEvent, input: Msg, via: string): Partial<CotEvent> {
  const out: Partial<CotEvent> = structuredClone(event);
  if (!namesUid(input)) {
    assert.match(event.uid, UUID, `${via}: a random uid`);
    delete out.uid;
  }
  if (input.time === undefined) {
    assert.equal(event.start, event.time, `${via}: start is time`);
    assert.equal(Date.parse(event.stale) - Date.parse(event.time), FIVE_MINUTES_MS, `${via}: stale in 5 min`);
    delete out.time;
    delete out.start;
    delete out.stale;
  }
  return out;
}

describe('one short form, one set of defaults, at every entry point', () => {
  let peer: CotPeer;
  let built: Msg[];
  let caught: Msg[];
  const arrived: Array<{ event: CotEvent; xml: string }> = [];

  before(async () => {
    peer = new CotPeer();
    const port = await peer.listen();
    peer.on('event', (item: { event: CotEvent; xml: string }) => {
      // The gateway's presence and the connection's pings are not what the flow sent.
      if (item.event.uid !== GATEWAY_UID && !item.event.type.startsWith('t-x-c')) arrived.push(item);
    });
    const red = await startRed();
    const connected = waitFor<net.Socket>(peer, 'connection');
    await red.load([takConfig, takSend, cotBuild], flow(port));
    await connected;
    await waitForConnectionStatus('cfg', isConnectedStatus);
    built = collect(getNode('built'));
    caught = collect(getNode('caught'));
  });
  after(async () => {
    await (await startRed()).unload();
    await peer.close();
    await stopRed();
  });

  function caughtFrom(source: string): Msg[] {
    return caught.filter((m) => (m.error as { source: { id: string } }).source.id === source);
  }

  function caughtOutcome(msg: Msg | undefined): Outcome {
    const error = msg?.error as { code?: string; message: string };
    if (CATCH_GETS_CODE) return { code: String(error.code), message: error.message };
    // Node-RED before 4.1 passes no code to Catch: the message alone must match.
    assert.equal(error.code, undefined, 'this Node-RED passes the code: update CATCH_GETS_CODE');
    return { code: CODE_NOT_PASSED, message: error.message };
  }

  async function viaCotBuild(input: Msg): Promise<Outcome> {
    const builtBefore = built.length;
    const caughtBefore = caughtFrom('build').length;
    getNode('build').receive({ payload: structuredClone(input) });
    await eventually(
      () => built.length > builtBefore || caughtFrom('build').length > caughtBefore,
      'cot-build made an event or an error',
    );
    if (built.length > builtBefore) return { event: parseCot(built[builtBefore]?.payload as string) };
    return caughtOutcome(caughtFrom('build')[caughtBefore]);
  }

  async function viaTakSend(input: Msg): Promise<Outcome> {
    const arrivedBefore = arrived.length;
    const caughtBefore = caughtFrom('send').length;
    getNode('send').receive({ payload: structuredClone(input) });
    await eventually(
      () => arrived.length > arrivedBefore || caughtFrom('send').length > caughtBefore,
      'the server got an event from tak-send, or tak-send an error',
    );
    if (arrived.length > arrivedBefore)
      return { event: (arrived[arrivedBefore] as { event: CotEvent }).event };
    return caughtOutcome(caughtFrom('send')[caughtBefore]);
  }

  async function allWays(input: Msg): Promise<Array<[string, Outcome]>> {
    return [
      ['buildCot', capture(() => parseCot(buildCot(input as unknown as CotInput)))],
      [
        'cotInputsFrom',
        capture(() => parseCot(buildCot(cotInputsFrom(structuredClone(input))[0] as CotInput))),
      ],
      ['cot-build', await viaCotBuild(input)],
      ['tak-send', await viaTakSend(input)],
    ];
  }

  for (const [name, input] of VALID) {
    it(`${name}: the same event`, async () => {
      const outcomes = await allWays(input);
      const [, first] = outcomes[0] as [string, Outcome];
      assert.ok('event' in first, `buildCot: ${JSON.stringify(first)}`);
      const expected = comparable(first.event, input, 'buildCot');
      for (const [via, outcome] of outcomes) {
        assert.ok('event' in outcome, `${via}: ${JSON.stringify(outcome)}`);
        assert.deepEqual(comparable(outcome.event, input, via), expected, via);
      }
    });
  }

  it('the defaults themselves: type a-f-G-U-C, how m-g, the callsign as uid, unknown heights, text as given', async () => {
    // What reaches the server from tak-send: the wire is where the defaults matter.
    const onTheWire = async (input: Msg): Promise<CotEvent> => {
      const outcome = await viaTakSend(input);
      assert.ok('event' in outcome, JSON.stringify(outcome));
      return outcome.event;
    };
    const bare = await onTheWire({ lat: 51.5, lon: -0.12 });
    assert.equal(bare.type, 'a-f-G-U-C');
    assert.equal(bare.how, 'm-g');
    assert.deepEqual(bare.point, { lat: 51.5, lon: -0.12, hae: 9999999, ce: 9999999, le: 9999999 });
    const named = await onTheWire({ lat: 51.5, lon: -0.12, callsign: 'Bus 7' });
    assert.equal(named.uid, stableUid('Bus 7'));
    const escaped = await onTheWire({ lat: 1, lon: 2, uid: 'escape-2', callsign: `A&B <c> "d" 'e'` });
    assert.equal((escaped.detail?.contact as { callsign: string }).callsign, `A&B <c> "d" 'e'`);
    const row = await onTheWire({ lat: '1.5', lon: '2', callsign: 7, uid: '', type: '' });
    assert.deepEqual([row.uid, row.type, row.point.lat], [stableUid('7'), 'a-f-G-U-C', 1.5]);
  });

  for (const [name, input, code] of INVALID) {
    it(`${name}: ${code} everywhere`, async () => {
      for (const [via, outcome] of await allWays(input)) {
        assert.ok('code' in outcome, `${via} made an event from ${JSON.stringify(input)}`);
        if (outcome.code !== CODE_NOT_PASSED) assert.equal(outcome.code, code, `${via}: ${outcome.message}`);
      }
    });
  }

  it('after every refusal both nodes still work', async () => {
    for (const [via, outcome] of (await allWays({ lat: 3, lon: 4, uid: 'still-working' })).slice(2)) {
      assert.ok('event' in outcome, via);
      assert.equal(outcome.event.uid, 'still-working');
    }
  });
});
