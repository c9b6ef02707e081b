import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectPayload, splitPayload, MAX_EVENTS_PER_MESSAGE } from '../src/convert/detect';
import { readExtras, withExtras } from '../src/convert/extras';
import { withFields } from '../src/convert/fields';
import { summarizeCot } from '../src/convert/summary';
import { cotInputsFrom } from '../src/convert/inputs';
import { payloadToCotInput } from '../src/convert/to-input';
import { withDefaultType, withUid } from '../src/convert/uid-mode';
import {
  buildCot,
  parseCot,
  stableUid,
  CotError,
  type CotEvent,
  type CotInput,
  type CotShortInput,
} from '../src/index';

const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);

function build(input: CotInput): CotEvent {
  return parseCot(buildCot(withDefaultType(input), NOW));
}

describe('detecting the payload shape', () => {
  it('tells every shape apart', () => {
    assert.equal(detectPayload('<event/>'), 'xml');
    assert.equal(detectPayload(Buffer.from('<event/>')), 'xml');
    assert.equal(detectPayload({ lat: 1, lon: 2, callsign: 'x' }), 'short-form');
    assert.equal(detectPayload({ temperature: 3 }), 'short-form', 'fields may come from elsewhere');
    assert.equal(detectPayload({ uid: 'a', type: 'a-f-G', point: { lat: 1, lon: 2 } }), 'cot-model');
    assert.equal(detectPayload({ type: 'Feature', geometry: null, properties: {} }), 'geojson');
    assert.equal(detectPayload({ type: 'LineString', coordinates: [] }), 'geojson');
    assert.equal(detectPayload({ name: 'Jason', lat: 1, lon: 2 }), 'worldmap');
    assert.equal(detectPayload({ callsign: 'Jason', SIDC: 'SFGP', lat: 1, lon: 2 }), 'worldmap');
    assert.equal(
      detectPayload({ name: 'n', callsign: 'c', lat: 1, lon: 2 }),
      'short-form',
      'a callsign makes it the short form',
    );
    assert.equal(detectPayload({ event: { _attributes: {} } }), 'legacy-tak');
    assert.equal(detectPayload(42), undefined);
    assert.equal(detectPayload([1]), undefined);
  });

  it('splits arrays and FeatureCollections into items, within a bound', () => {
    assert.deepEqual(splitPayload({ lat: 1 }), [{ lat: 1 }]);
    assert.deepEqual(splitPayload([{ a: 1 }, { b: 2 }]), [{ a: 1 }, { b: 2 }]);
    const features = [{ type: 'Feature' }, { type: 'Feature' }];
    assert.deepEqual(splitPayload({ type: 'FeatureCollection', features }), features);
    assert.throws(() => splitPayload({ type: 'FeatureCollection' }), /payload.features is undefined/);
    assert.throws(() => splitPayload([{}, [{}]]), /payload\[1\] is an array/);
    assert.throws(
      () => splitPayload(new Array(MAX_EVENTS_PER_MESSAGE + 1).fill({})),
      /holds 10001 items; one message may make at most 10000 events/,
    );
  });
});

describe('a payload as buildCot input', () => {
  it('keeps short-form fields and puts the rest in the remarks', () => {
    const { shape, input } = payloadToCotInput({
      lat: 1,
      lon: 2,
      callsign: 'S1',
      temperature: 21.5,
      tags: ['a', 'b'],
    });
    assert.equal(shape, 'short-form');
    const event = build(input);
    assert.equal(summarizeCot(event).remarks, 'temperature: 21.5\ntags: ["a","b"]');
  });

  it('appends extras after given remarks, keeps them in <__extras>, or drops them', () => {
    const payload = { lat: 1, lon: 2, remarks: 'first', rssi: -70 };
    assert.equal(summarizeCot(build(payloadToCotInput(payload).input)).remarks, 'first\nrssi: -70');
    const detail = build(payloadToCotInput(payload, { extras: 'detail' }).input);
    assert.deepEqual(readExtras(detail.detail), { rssi: '-70' });
    assert.equal(summarizeCot(detail).remarks, 'first');
    const dropped = build(payloadToCotInput(payload, { extras: 'drop' }).input);
    assert.equal(summarizeCot(dropped).remarks, 'first');
    assert.equal(dropped.detail?.__extras, undefined);
  });

  it('never keeps as extras what another setting reads', () => {
    const { input } = payloadToCotInput(
      { lat: 1, lon: 2, deviceId: 'd-1', v: 3 },
      { consumed: new Set(['deviceId']) },
    );
    assert.equal(summarizeCot(build(input)).remarks, 'v: 3');
  });

  it('refuses an extra that cannot be an XML name in detail mode, naming it', () => {
    assert.throws(
      () => withExtras({ lat: 0, lon: 0 }, { 'temp °C': 20 }, 'detail'),
      (e: unknown) => e instanceof CotError && e.code === 'ERR_COT_XML_NAME' && /"temp °C"/.test(e.message),
    );
  });

  it('takes numbers in text fields as text (device ids, unit numbers)', () => {
    const event = build(payloadToCotInput({ lat: 1, lon: 2, uid: 42, callsign: 7 }).input);
    assert.equal(event.uid, '42');
    assert.equal(summarizeCot(event).callsign, '7');
  });

  it('reads CoT XML and the canonical model as they are', () => {
    const xml = buildCot({ uid: 'x1', type: 'a-h-G', lat: 3, lon: 4 }, NOW);
    const fromXml = payloadToCotInput(xml);
    assert.equal(fromXml.shape, 'xml');
    assert.equal(build(fromXml.input).uid, 'x1');
    const model = parseCot(xml);
    const fromModel = payloadToCotInput(model);
    assert.equal(fromModel.shape, 'cot-model');
    assert.deepEqual(build(fromModel.input), model);
  });

  it('refuses what is not an object or XML', () => {
    assert.throws(
      () => payloadToCotInput(42),
      (e: unknown) =>
        e instanceof CotError && e.field === 'payload' && /msg.payload is 42; give an object/.test(e.message),
    );
    assert.deepEqual(payloadToCotInput(undefined).input, {}, 'nothing: every field from elsewhere');
  });
});

describe('setting fields on an input', () => {
  it('overrides the short form, keeping the other half of team and role', () => {
    const base: CotShortInput = { lat: 1, lon: 2, callsign: 'old', team: 'Red', role: 'HQ' };
    const event = build(withFields(base, { callsign: 'new', lat: 5, team: 'Blue', course: undefined }));
    const summary = summarizeCot(event);
    assert.equal(summary.callsign, 'new');
    assert.equal(summary.lat, 5);
    assert.equal(summary.lon, 2);
    assert.equal(summary.team, 'Blue');
    assert.equal(summary.role, 'HQ', 'not reset to Team Member');
  });

  it('overrides the canonical model in place: point, event attributes and detail, keeping the rest', () => {
    const model = parseCot(
      buildCot(
        {
          uid: 'm',
          type: 'a-f-G',
          lat: 1,
          lon: 2,
          callsign: 'A',
          team: 'Red',
          role: 'Medic',
          detail: { contact: { endpoint: '*:-1:stcp' }, keep: { me: 1 } },
        },
        NOW,
      ),
    );
    const changed = withFields(model, {
      callsign: 'B',
      team: 'Green',
      lat: 10,
      hae: 100,
      type: 'a-h-G',
      battery: 50,
    });
    const event = build(changed);
    assert.equal(event.type, 'a-h-G');
    assert.equal(event.uid, 'm');
    assert.deepEqual(event.point, { lat: 10, lon: 2, hae: 100, ce: 9999999, le: 9999999 });
    assert.deepEqual(event.detail?.contact, { endpoint: '*:-1:stcp', callsign: 'B' });
    assert.deepEqual(event.detail?.__group, { name: 'Green', role: 'Medic' });
    assert.deepEqual(event.detail?.status, { battery: '50' });
    assert.deepEqual(event.detail?.keep, { me: '1' });
    assert.equal((model.detail?.contact as { callsign: string }).callsign, 'A', 'the input is not changed');
  });
});

describe('uid modes', () => {
  const short: CotShortInput = { lat: 1, lon: 2, callsign: 'Bus 7' };

  it('auto: the input uid, else a name-based UUID of the callsign, else random', () => {
    assert.equal((withUid({ ...short, uid: 'given' }, { mode: 'auto' }) as CotShortInput).uid, 'given');
    assert.equal(
      (withUid({ ...short, uidKey: 'k' }, { mode: 'auto' }) as CotShortInput).uid,
      undefined,
      'the core resolves uidKey',
    );
    assert.equal((withUid(short, { mode: 'auto' }) as CotShortInput).uid, stableUid('Bus 7'));
    assert.equal((withUid({ lat: 1, lon: 2 }, { mode: 'auto' }) as CotShortInput).uid, undefined);
    const model = parseCot(buildCot({ ...short, type: 'a-f-G', uid: 'x' }, NOW));
    assert.equal(
      withUid({ ...model, uid: undefined } as unknown as CotInput, { mode: 'auto' }).uid,
      stableUid('Bus 7'),
    );
  });

  it('stable and prefix: from the key, whatever the input says', () => {
    assert.equal(
      (withUid({ ...short, uid: 'given' }, { mode: 'stable', key: 'dev-1' }) as CotShortInput).uid,
      stableUid('dev-1'),
    );
    assert.equal((withUid(short, { mode: 'stable', key: 17 }) as CotShortInput).uid, stableUid('17'));
    assert.equal(
      (withUid(short, { mode: 'prefix', key: '0042', prefix: 'lora-' }) as CotShortInput).uid,
      'lora-0042',
    );
    assert.throws(
      () => withUid(short, { mode: 'stable', key: undefined, keySource: 'msg.payload.id' }),
      (e: unknown) =>
        e instanceof CotError &&
        e.code === 'ERR_COT_MISSING_UID' &&
        /the uid key \(msg.payload.id\) is undefined/.test(e.message),
    );
  });

  it('random: new every time', () => {
    const a = (withUid(short, { mode: 'random' }) as CotShortInput).uid;
    const b = (withUid(short, { mode: 'random' }) as CotShortInput).uid;
    assert.notEqual(a, b);
  });

  it('a type default only when there is none', () => {
    assert.equal((withDefaultType({ lat: 0, lon: 0 }) as CotShortInput).type, 'a-f-G-U-C');
    assert.equal((withDefaultType({ lat: 0, lon: 0, type: 'a-h-G' }) as CotShortInput).type, 'a-h-G');
  });
});

describe('cotInputsFrom: any payload, in one call', () => {
  it('gives one ready input per event, with uids and a type', () => {
    const inputs = cotInputsFrom([
      { lat: 1, lon: 2, callsign: 'A' },
      { name: 'wm', lat: 3, lon: 4 },
      { type: 'Feature', geometry: { type: 'Point', coordinates: [5, 6] }, properties: { name: 'G' } },
    ]);
    const events = inputs.map((input) => parseCot(buildCot(input, NOW)));
    assert.deepEqual(
      events.map((e) => [e.uid, e.type, e.point.lat]),
      [
        [stableUid('A'), 'a-f-G-U-C', 1],
        ['wm', 'a-f-G-U-C', 3],
        [stableUid('G'), 'a-f-G-U-C', 6],
      ],
    );
    const [prefixed] = cotInputsFrom(
      { lat: 0, lon: 0 },
      { uid: { mode: 'prefix', prefix: 'x-', key: 7 }, type: 'a-n-G' },
    );
    assert.deepEqual([(prefixed as CotShortInput).uid, (prefixed as CotShortInput).type], ['x-7', 'a-n-G']);
  });

  it('names the item and the field of a bad one', () => {
    assert.throws(
      () =>
        cotInputsFrom({
          type: 'FeatureCollection',
          features: [
            { type: 'Point', coordinates: [0, 0] },
            { type: 'Point', coordinates: [0, 99] },
          ],
        }),
      (e: unknown) =>
        e instanceof CotError &&
        e.code === 'ERR_COT_LAT' &&
        e.field === 'payload[1].geometry.coordinates' &&
        /^payload\[1\]: geometry.coordinates has latitude 99/.test(e.message),
    );
    assert.throws(
      () => cotInputsFrom(42),
      (e: unknown) => e instanceof CotError && e.field === 'payload',
      'a single payload is not an item',
    );
  });
});
