/**
 * The canonical JSON model of a CoT event.
 *
 * Event attributes are plain properties; `point` holds numbers; `detail` follows one rule at every depth:
 * a scalar is an attribute, an object is a child element, an array is a repeated child element, and
 * `_text` is the element's text.
 */

/** A value that becomes an XML attribute. Parsed models always hold strings. */
export type CotScalar = string | number | boolean;

/** One XML element inside `<detail>`. */
export interface CotElement {
  _text?: string;
  [name: string]: CotScalar | CotElement | CotElement[] | undefined;
}

/** `<detail>` itself: its attributes (rare) and its child elements. */
export type CotDetail = CotElement;

export interface CotPoint {
  lat: number;
  lon: number;
  /** Height above the WGS84 ellipsoid in metres; 9999999 means unknown. */
  hae: number;
  /** Circular error in metres; 9999999 means unknown. */
  ce: number;
  /** Linear (vertical) error in metres; 9999999 means unknown. */
  le: number;
}

export interface CotEvent {
  version: string;
  uid: string;
  type: string;
  how: string;
  /** ISO 8601 UTC, as written on the wire. */
  time: string;
  start: string;
  stale: string;
  access?: string;
  qos?: string;
  opex?: string;
  point: CotPoint;
  /** Absent when the event has no `<detail>` element. */
  detail?: CotDetail;
}

/** The attributes of `<event>`, in the order they are written. */
export const EVENT_ATTRIBUTES = [
  'version',
  'uid',
  'type',
  'how',
  'time',
  'start',
  'stale',
  'access',
  'qos',
  'opex',
] as const;

/** The detail children of the CoT protocol table, in nearly every event ATAK and TAK servers send. */
export const PROTOCOL_DETAIL_ELEMENTS = [
  'contact',
  '__group',
  'track',
  'status',
  'takv',
  'precisionlocation',
  'uid',
  'remarks',
  'link',
  'usericon',
  'color',
  'archive',
  '_flow-tags_',
] as const;

/** A point in time as a flow author may give it. */
export type TimeInput = string | number | Date;

/**
 * The short form a flow author writes. Anything not covered by a field goes in `detail`.
 */
export interface CotShortInput {
  lat: number;
  lon: number;
  hae?: number;
  ce?: number;
  le?: number;
  uid?: string;
  /** A stable identifier (device id, serial number) from which a name-based UUID is derived when `uid` is absent. */
  uidKey?: string;
  type?: string;
  how?: string;
  callsign?: string;
  team?: string;
  role?: string;
  /** Degrees from true north. */
  course?: number;
  /** Metres per second. */
  speed?: number;
  /** Percent, 0..100. */
  battery?: number;
  remarks?: string;
  iconsetpath?: string;
  /** A signed 32-bit ARGB integer as ATAK writes it, or `#RRGGBB` / `#AARRGGBB`. */
  color?: number | string;
  time?: TimeInput;
  start?: TimeInput;
  /** Seconds from now (a number below {@link STALE_SECONDS_LIMIT}), epoch milliseconds, a Date or an ISO string. */
  stale?: TimeInput;
  access?: string;
  qos?: string;
  opex?: string;
  detail?: CotDetail;
}

/** The canonical model as input: times may also be given as Date or epoch ms, and defaults fill gaps. */
export interface CotEventInput {
  version?: string;
  uid?: string;
  uidKey?: string;
  type?: string;
  how?: string;
  time?: TimeInput;
  start?: TimeInput;
  stale?: TimeInput;
  access?: string;
  qos?: string;
  opex?: string;
  point: Partial<CotPoint> & { lat: number; lon: number };
  detail?: CotDetail;
}

export type CotInput = CotEventInput | CotShortInput;
