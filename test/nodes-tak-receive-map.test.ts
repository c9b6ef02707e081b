import assert from 'node:assert/strict';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { cotToGeoJson } from '../src/convert/geojson';
import { cotToWorldmap } from '../src/convert/worldmap';
import { buildCot, deleteEvent, parseCot, pongEvent, type CotEvent } from '../src/index';
import cotParse from '../src/nodes/cot-parse';
import takConfig from '../src/nodes/tak-config';
import takReceive from '../src/nodes/tak-receive';
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
import { catchCode } from './helpers/catch-code';

type Msg = Record<string, unknown>;

const T = 'time="2026-01-31T12:00:00Z" start="2026-01-31T12:00:00Z" stale="2099-01-31T12:05:00Z"';
/** A team member's position; every test sends its own uid, so a msg still on its way from another test is told apart. */
function track(uid: string): string {
  return `<event version="2.0" uid="${uid}" type="a-f-G-U-C" how="m-g" ${T}><point lat="51.5" lon="-0.12" hae="10" ce="5" le="5"/><detail><contact callsign="NINE"/><__group name="Red" role="HQ"/><track course="45" speed="3"/></detail></event>`;
}

/** The uid a msg is about, whichever output it left on: model, marker or Feature. */
function uidOf(msg: Msg | undefined): unknown {
  const payload = msg?.payload as Record<string, unknown> | undefined;
  return payload?.uid ?? payload?.name ?? payload?.id;
}

function helper(id: string, y: number): Record<string, unknown> {
  return { id, type: 'helper', z: 'tab', x: 500, y, wires: [] };
}

/**
 * One connection, three tak-receive nodes: one with both map outputs (and control events), one as an
 * older flow saved it (no map settings at all), and one wired straight into cot-parse, no change node.
 */
function flow(port: number): Array<Record<string, unknown>> {
  return [
    { id: 'tab', type: 'tab', label: 'tak-receive to a map' },
    {
      id: 'cfg',
      type: 'tak-config',
      host: '127.0.0.1',
      port,
      protocol: 'tcp',
      uid: 'takpak-map-test',
      identityGap: 0,
      reconnectMax: 1,
    },
    {
      id: 'mapped',
      type: 'tak-receive',
      z: 'tab',
      x: 100,
      y: 100,
      server: 'cfg',
      includeControl: true,
      emitErrors: true,
      worldmap: true,
      layer: 'team',
      geojson: true,
      outputs: 3,
      wires: [['m0'], ['m1'], ['m2']],
    },
    helper('m0', 50),
    helper('m1', 100),
    helper('m2', 150),
    // As an editor from before the map outputs saved it.
    { id: 'plain', type: 'tak-receive', z: 'tab', x: 100, y: 200, server: 'cfg', wires: [['p0']] },
    helper('p0', 200),
    { id: 'feeder', type: 'tak-receive', z: 'tab', x: 100, y: 300, server: 'cfg', wires: [['parse']] },
    {
      id: 'parse',
      type: 'cot-parse',
      z: 'tab',
      x: 300,
      y: 300,
      worldmap: true,
      geojson: true,
      outputs: 3,
      wires: [['c0'], ['c1'], ['c2']],
    },
    helper('c0', 250),
    helper('c1', 300),
    helper('c2', 350),
    {
      id: 'catcher',
      type: 'catch',
      z: 'tab',
      x: 100,
      y: 400,
      scope: null,
      uncaught: false,
      wires: [['caught']],
    },
    helper('caught', 400),
  ];
}

function withoutTtl(payload: unknown): Record<string, unknown> {
  const { ttl: _ttl, ...rest } = payload as Record<string, unknown>;
  return rest;
}

describe('tak-receive to a map', () => {
  let peer: CotPeer;
  let socket: net.Socket;
  const all: Record<string, Msg[]> = {};
  /** What output `id` got about `uid`. */
  const about = (id: string, uid: string): Msg[] => (all[id] ?? []).filter((m) => uidOf(m) === uid);

  before(async () => {
    peer = new CotPeer();
    const port = await peer.listen();
    const red = await startRed();
    const connected = waitFor<net.Socket>(peer, 'connection');
    await red.load([takConfig, takReceive, cotParse], flow(port));
    socket = await connected;
    await waitForConnectionStatus('cfg', isConnectedStatus);
    for (const id of ['m0', 'm1', 'm2', 'p0', 'c0', 'c1', 'c2', 'caught']) all[id] = collect(getNode(id));
  });
  after(async () => {
    await (await startRed()).unload();
    await peer.close();
    await stopRed();
  });

  it('emits a worldmap marker and a GeoJSON Feature beside the model, as cot-parse does', async () => {
    const xml = track('map-1');
    socket.write(xml);
    await eventually(() => about('m2', 'map-1').length === 1, 'the three outputs of one event');
    const event = parseCot(xml);
    const [model] = about('m0', 'map-1');
    assert.deepEqual(model?.payload, event);
    assert.equal(model?.cot, xml);
    const [marker] = about('m1', 'map-1');
    assert.deepEqual(withoutTtl(marker?.payload), withoutTtl(cotToWorldmap(event, { layer: 'team' })));
    assert.equal((marker?.payload as Msg).layer, 'team');
    assert.equal((marker?.payload as Msg).iconColor, '#ff0000', 'team Red');
    assert.equal((marker?.payload as Msg).hdg, 45);
    assert.equal(marker?.topic, 'a-f-G-U-C');
    assert.deepEqual(about('m2', 'map-1')[0]?.payload, cotToGeoJson(event));
  });

  it('a delete removes the marker; control events leave on the first output only', async () => {
    const pongs = (): Msg[] => (all.m0 ?? []).filter((m) => (m.payload as CotEvent).type === 't-x-c-t-r');
    const pongsBefore = pongs().length;
    const onMap = (all.m1?.length ?? 0) + (all.m2?.length ?? 0);
    socket.write(buildCot(pongEvent()));
    await eventually(() => pongs().length === pongsBefore + 1, 'the pong on the first output');
    const remove = deleteEvent({ uid: 'map-2' });
    socket.write(buildCot(remove));
    // The delete is an event of its own uid; on the map it becomes the removal of map-2.
    await eventually(() => about('m1', 'map-2').length === 1, 'the delete on the map');
    assert.deepEqual(about('m1', 'map-2')[0]?.payload, { name: 'map-2', deleted: true });
    await eventually(() => about('m0', remove.uid).length === 1, 'the delete as a model');
    await eventually(
      () => (all.m1?.length ?? 0) + (all.m2?.length ?? 0) === onMap + 2,
      'the delete as a marker and a Feature',
    );
    // Events leave in the order they came: the pong's map msgs, had there been any, would be here by now.
    const mapTopics = [...(all.m1 ?? []), ...(all.m2 ?? [])].map((m) => m.topic);
    assert.ok(!mapTopics.includes('t-x-c-t-r'), 'nothing on the map for the pong');
  });

  it('a parse error, emitted as a msg, leaves on the first output only', async () => {
    const errors = (): Msg[] => (all.m0 ?? []).filter((m) => m.topic === 'error');
    const before = errors().length;
    socket.write(`<event uid="map-bad" type="a-f-G" ${T}><point lat="north" lon="2"/></event>`);
    const next = track('map-after-bad');
    socket.write(next);
    await eventually(() => about('m2', 'map-after-bad').length === 1, 'the event after the bad one');
    assert.equal(errors().length, before + 1);
    assert.equal((errors().at(-1)?.error as { code: string }).code, 'ERR_COT_LAT');
    const mapTopics = [...(all.m1 ?? []), ...(all.m2 ?? [])].map((m) => m.topic);
    assert.ok(!mapTopics.includes('error'), 'no error msg on a map output');
  });

  it('without the map settings (a flow saved before they existed) it still sends one msg on one output', async () => {
    const sent: unknown[] = [];
    const plain = getNode('plain');
    const onSend = (call: { args: unknown[] }): void => void sent.push(call.args[0]);
    plain.on('call:send', onSend);
    try {
      const xml = track('map-3');
      socket.write(xml);
      await eventually(() => about('p0', 'map-3').length === 1, 'the model on the only output');
      const mine = sent.filter((msg) => Array.isArray(msg) || uidOf(msg as Msg) === 'map-3');
      assert.equal(mine.length, 1);
      assert.ok(!Array.isArray(mine[0]), 'a single msg, not one per output');
      assert.deepEqual(about('p0', 'map-3')[0]?.payload, parseCot(xml));
    } finally {
      plain.off('call:send', onSend);
    }
  });

  it('wired straight into cot-parse, no change node, gives the marker and the Feature', async () => {
    const caughtBefore = all.caught?.length ?? 0;
    const xml = track('map-4');
    socket.write(xml);
    await eventually(
      () => about('c2', 'map-4').length === 1 || (all.caught?.length ?? 0) > caughtBefore,
      'cot-parse output',
    );
    assert.equal(all.caught?.length, caughtBefore, JSON.stringify(all.caught?.at(-1)?.error));
    const event = parseCot(xml);
    assert.deepEqual(about('c0', 'map-4')[0]?.payload, event);
    assert.deepEqual(withoutTtl(about('c1', 'map-4')[0]?.payload), withoutTtl(cotToWorldmap(event, {})));
    assert.deepEqual(about('c2', 'map-4')[0]?.payload, cotToGeoJson(event));
  });

  it('a bad object into that cot-parse goes to Catch with a clear code', async () => {
    const caught = all.caught as Msg[];
    const before = caught.length;
    const { uid: _uid, ...noUid } = parseCot(track('map-5'));
    getNode('parse').receive({ payload: noUid, tag: 'no uid' });
    getNode('parse').receive({ payload: { lat: 1, lon: 2 }, tag: 'short form' });
    await eventually(() => caught.length === before + 2, 'both errors at the Catch node');
    const errors = caught.slice(before).map((m) => ({
      tag: m.tag,
      ...(m.error as { code: string; message: string; source: { id: string } }),
    }));
    assert.deepEqual(
      errors.map((e) => [e.tag, e.code, e.source.id]),
      [
        ['no uid', catchCode('ERR_COT_MISSING_UID'), 'parse'],
        ['short form', catchCode('ERR_COT_INPUT'), 'parse'],
      ],
    );
    assert.match(errors[0]?.message ?? '', /uid is undefined; every event needs a non-empty uid/);
    assert.ok(!all.c0?.some((m) => m.tag !== undefined), 'nothing bad came out');
  });
});
