import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildCot,
  chatEvent,
  deleteEvent,
  parseCot,
  pingEvent,
  pongEvent,
  presenceEvent,
} from '../src/index';

const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

describe('typed helpers build the events TAK networks expect', () => {
  it('presence/SA carries contact with endpoint, __group, takv, precisionlocation, status, track and uid Droid', () => {
    const xml = buildCot(
      presenceEvent(
        { uid: 'takpak-gw-1', callsign: 'GATEWAY', team: 'Green', role: 'HQ', lat: 1, lon: 2, battery: 99 },
        NOW,
      ),
    );
    const event = parseCot(xml);
    assert.equal(event.uid, 'takpak-gw-1');
    assert.match(event.type, /^a-f-G/);
    const d = event.detail ?? {};
    assert.deepEqual(d.contact, { endpoint: '*:-1:stcp', callsign: 'GATEWAY' });
    assert.deepEqual(d.__group, { name: 'Green', role: 'HQ' });
    assert.deepEqual(d.uid, { Droid: 'GATEWAY' });
    assert.deepEqual(d.status, { battery: '99' });
    assert.ok(d.takv && d.precisionlocation && d.track);
    assert.equal((d.takv as { platform: string }).platform, 'takpak');
  });

  it('ping: t-x-c-t, uid <own>-ping, m-g, 0,0, stale +10 s, empty detail', () => {
    const event = parseCot(buildCot(pingEvent('ANDROID-1', NOW)));
    assert.equal(event.uid, 'ANDROID-1-ping');
    assert.equal(event.type, 't-x-c-t');
    assert.equal(event.how, 'm-g');
    assert.equal(event.point.lat, 0);
    assert.equal(seconds(event.start, event.stale), 10);
    assert.deepEqual(event.detail, {});
  });

  it('pong: takPong, t-x-c-t-r, h-g-i-g-o, stale +20 s, no detail', () => {
    const event = parseCot(buildCot(pongEvent(NOW)));
    assert.equal(event.uid, 'takPong');
    assert.equal(event.type, 't-x-c-t-r');
    assert.equal(event.how, 'h-g-i-g-o');
    assert.equal(seconds(event.start, event.stale), 20);
    assert.equal(event.detail, undefined);
  });

  it('delete: t-x-d-d with a link to the item that is gone', () => {
    const event = parseCot(buildCot(deleteEvent({ uid: 'gone-1', type: 'a-f-G-U-C', force: true }, NOW)));
    assert.equal(event.type, 't-x-d-d');
    assert.deepEqual(event.detail?.link, { uid: 'gone-1', relation: 'none', type: 'a-f-G-U-C' });
    assert.deepEqual(event.detail?.__forcedelete, {});
  });

  it('GeoChat: b-t-f, GeoChat.<sender>.<room>.<id> uid, __chat/chatgrp, link p-p and remarks as ATAK writes them', () => {
    const event = parseCot(
      buildCot(
        chatEvent(
          { senderUid: 'ANDROID-1', senderCallsign: 'ALPHA & <co>', text: 'hi "all"\nover', messageId: 'm1' },
          NOW,
        ),
      ),
    );
    assert.equal(event.type, 'b-t-f');
    assert.equal(event.uid, 'GeoChat.ANDROID-1.All Chat Rooms.m1');
    const chat = event.detail?.__chat as Record<string, unknown>;
    assert.equal(chat.chatroom, 'All Chat Rooms');
    assert.equal(chat.senderCallsign, 'ALPHA & <co>');
    assert.deepEqual(chat.chatgrp, { uid0: 'ANDROID-1', uid1: 'All Chat Rooms', id: 'All Chat Rooms' });
    assert.deepEqual(event.detail?.link, { uid: 'ANDROID-1', type: 'a-f-G-U-C', relation: 'p-p' });
    assert.deepEqual(event.detail?.remarks, {
      source: 'BAO.F.ATAK.ANDROID-1',
      to: 'All Chat Rooms',
      time: new Date(NOW).toISOString(),
      _text: 'hi "all"\nover',
    });
    assert.equal(event.detail?.marti, undefined);
  });

  it('a direct chat is addressed with marti/dest so servers deliver it only there', () => {
    const event = parseCot(
      buildCot(
        chatEvent(
          {
            senderUid: 'A',
            senderCallsign: 'A',
            text: 'psst',
            room: 'BRAVO',
            roomId: 'ANDROID-B',
            toCallsign: 'BRAVO',
          },
          NOW,
        ),
      ),
    );
    assert.deepEqual(event.detail?.marti, { dest: { callsign: 'BRAVO' } });
    assert.equal((event.detail?.__chat as { id: string }).id, 'ANDROID-B');
  });
});
