import { COT_VERSION } from './defaults';
import type { CotDetail, CotElement, CotEvent } from './model';
import { randomUid } from './uid';

/** ATAK pings after 15 s of silence and treats the ping as stale 10 s later. */
export const PING_STALE_SECONDS = 10;
/** TAK Server, taky and FreeTAKServer all give their pong 20 s. */
export const PONG_STALE_SECONDS = 20;
/** Chat lines and deletes are kept for a day, as ATAK does. */
export const MESSAGE_STALE_SECONDS = 86_400;
/** The room ATAK uses for a message to everyone. */
export const ALL_CHAT_ROOMS = 'All Chat Rooms';
/** Where clients of a TAK server stream say they can be reached: "through the server". */
export const SERVER_STREAM_ENDPOINT = '*:-1:stcp';

export const PING_TYPE = 't-x-c-t';
export const PONG_TYPE = 't-x-c-t-r';
export const PONG_UID = 'takPong';
export const DELETE_TYPE = 't-x-d-d';
export const CHAT_TYPE = 'b-t-f';

/** The identity software reports in `<takv>`. */
export interface Takv {
  device?: string;
  platform?: string;
  os?: string;
  version?: string;
}

export const TAKPAK_TAKV: Required<Takv> = {
  device: 'Node-RED',
  platform: 'takpak',
  os: `Node.js ${process.versions.node}`,
  version: '0.1.0',
};

interface Stamp {
  time: string;
  start: string;
  stale: string;
}

function stamp(now: number, staleSeconds: number): Stamp {
  const time = new Date(now).toISOString();
  return { time, start: time, stale: new Date(now + staleSeconds * 1000).toISOString() };
}

export interface PresenceOptions {
  uid: string;
  callsign: string;
  type?: string;
  team?: string;
  role?: string;
  lat?: number;
  lon?: number;
  hae?: number;
  /** `*:-1:stcp` (through a server) unless given. */
  endpoint?: string;
  takv?: Takv;
  battery?: number;
  course?: number;
  speed?: number;
  staleSeconds?: number;
  /** Where the position came from: GPS, USER, DTED0, ??? */
  geopointsrc?: string;
  altsrc?: string;
}

/** A presence/SA event as ATAK sends it, so servers register the connection and others see it. */
export function presenceEvent(options: PresenceOptions, now: number = Date.now()): CotEvent {
  const detail: CotDetail = {
    takv: { ...TAKPAK_TAKV, ...options.takv } as CotElement,
    contact: { endpoint: options.endpoint ?? SERVER_STREAM_ENDPOINT, callsign: options.callsign },
    uid: { Droid: options.callsign },
    precisionlocation: { geopointsrc: options.geopointsrc ?? 'USER', altsrc: options.altsrc ?? '???' },
    __group: { name: options.team ?? 'Cyan', role: options.role ?? 'Team Member' },
  };
  if (options.battery !== undefined) detail.status = { battery: Math.round(options.battery) };
  detail.track = { course: options.course ?? 0, speed: options.speed ?? 0 };
  return {
    version: COT_VERSION,
    uid: options.uid,
    type: options.type ?? 'a-f-G-U-C',
    how: 'h-e',
    ...stamp(now, options.staleSeconds ?? 300),
    point: {
      lat: options.lat ?? 0,
      lon: options.lon ?? 0,
      hae: options.hae ?? 9999999,
      ce: 9999999,
      le: 9999999,
    },
    detail,
  };
}

/** ATAK's keep-alive: uid `<own uid>-ping`, empty detail, at 0,0. */
export function pingEvent(ownUid: string, now: number = Date.now()): CotEvent {
  return {
    version: COT_VERSION,
    uid: `${ownUid}-ping`,
    type: PING_TYPE,
    how: 'm-g',
    ...stamp(now, PING_STALE_SECONDS),
    point: { lat: 0, lon: 0, hae: 0, ce: 9999999, le: 9999999 },
    detail: {},
  };
}

/** The servers' answer to a ping: no detail. */
export function pongEvent(now: number = Date.now()): CotEvent {
  return {
    version: COT_VERSION,
    uid: PONG_UID,
    type: PONG_TYPE,
    how: 'h-g-i-g-o',
    ...stamp(now, PONG_STALE_SECONDS),
    point: { lat: 0, lon: 0, hae: 0, ce: 9999999, le: 9999999 },
  };
}

export interface DeleteOptions {
  /** The uid of the item to remove from every map. */
  uid: string;
  /** Its type, when known (ATAK writes it on the link). */
  type?: string;
  /** Add `<__forcedelete/>` so clients drop it even when they think they own it. */
  force?: boolean;
}

/** `t-x-d-d` with a link to the item that is gone: what servers broadcast when a client leaves. */
export function deleteEvent(options: DeleteOptions, now: number = Date.now()): CotEvent {
  const detail: CotDetail = { link: { uid: options.uid, relation: 'none', type: options.type ?? 'none' } };
  if (options.force) detail.__forcedelete = {};
  return {
    version: COT_VERSION,
    uid: randomUid(),
    type: DELETE_TYPE,
    how: 'h-g-i-g-o',
    ...stamp(now, MESSAGE_STALE_SECONDS),
    point: { lat: 0, lon: 0, hae: 0, ce: 9999999, le: 9999999 },
    detail,
  };
}

export interface ChatOptions {
  senderUid: string;
  senderCallsign: string;
  text: string;
  /** Room name shown in ATAK; "All Chat Rooms" for everyone. */
  room?: string;
  /** Room id: the room name for All Chat Rooms and team rooms, the recipient's uid for a direct message. */
  roomId?: string;
  /** The recipient's callsign for a direct message: adds `<marti><dest callsign>` so servers deliver it only there. */
  toCallsign?: string;
  lat?: number;
  lon?: number;
  messageId?: string;
}

/** GeoChat as ATAK writes it: `__chat` with `chatgrp`, a `link` to the sender and the text in `remarks`. */
export function chatEvent(options: ChatOptions, now: number = Date.now()): CotEvent {
  const room = options.room ?? ALL_CHAT_ROOMS;
  const roomId = options.roomId ?? room;
  const messageId = options.messageId ?? randomUid();
  const time = new Date(now).toISOString();
  const detail: CotDetail = {
    __chat: {
      parent: 'RootContactGroup',
      groupOwner: 'false',
      messageId,
      chatroom: room,
      id: roomId,
      senderCallsign: options.senderCallsign,
      chatgrp: { uid0: options.senderUid, uid1: roomId, id: roomId },
    },
    link: { uid: options.senderUid, type: 'a-f-G-U-C', relation: 'p-p' },
    remarks: { source: `BAO.F.ATAK.${options.senderUid}`, to: roomId, time, _text: options.text },
  };
  if (options.toCallsign !== undefined) detail.marti = { dest: { callsign: options.toCallsign } };
  return {
    version: COT_VERSION,
    uid: `GeoChat.${options.senderUid}.${roomId}.${messageId}`,
    type: CHAT_TYPE,
    how: 'h-g-i-g-o',
    ...stamp(now, MESSAGE_STALE_SECONDS),
    point: { lat: options.lat ?? 0, lon: options.lon ?? 0, hae: 9999999, ce: 9999999, le: 9999999 },
    detail,
  };
}
