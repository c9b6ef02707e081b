/**
 * Stable error codes. Flows and programs match on `code`; the message is for people and may change.
 */
export const CotErrorCode = {
  /** The bytes are not well-formed XML. */
  XML: 'ERR_COT_XML',
  /** A DOCTYPE was present: refused so no entity can ever be declared or expanded. */
  DOCTYPE: 'ERR_COT_DOCTYPE',
  /** The root element is not `<event>`. */
  NOT_EVENT: 'ERR_COT_NOT_EVENT',
  /** The input to buildCot is not an object of a known shape, or a field has the wrong JS type. */
  INPUT: 'ERR_COT_INPUT',
  MISSING_UID: 'ERR_COT_MISSING_UID',
  MISSING_TYPE: 'ERR_COT_MISSING_TYPE',
  MISSING_POINT: 'ERR_COT_MISSING_POINT',
  /** lat is not a finite number in [-90, 90]. */
  LAT: 'ERR_COT_LAT',
  /** lon is not a finite number in [-180, 180]. */
  LON: 'ERR_COT_LON',
  /** hae, ce or le is not a number. */
  POINT_VALUE: 'ERR_COT_POINT_VALUE',
  /** type does not match the CoT type pattern. */
  TYPE: 'ERR_COT_TYPE',
  /** how does not match the CoT how pattern. */
  HOW: 'ERR_COT_HOW',
  /** time, start or stale cannot be read as a point in time. */
  TIME: 'ERR_COT_TIME',
  STALE_BEFORE_START: 'ERR_COT_STALE_BEFORE_START',
  /** An element or attribute name in the detail is not a legal XML name. */
  XML_NAME: 'ERR_COT_XML_NAME',
  /** A value holds a character that XML 1.0 cannot carry. */
  XML_CHAR: 'ERR_COT_XML_CHAR',
  /** The XML uses the same name for an attribute and a child element, which the JSON model cannot hold apart. */
  MODEL_CONFLICT: 'ERR_COT_MODEL_CONFLICT',
  /** Elements nest deeper than the depth limit (maxDepth); such a message could not be copied safely. */
  TOO_DEEP: 'ERR_COT_TOO_DEEP',
  /** The bytes of an event received are not valid UTF-8 (or, given a string, it holds a lone surrogate). */
  BAD_UTF8: 'ERR_COT_BAD_UTF8',
  /** An event received holds a character XML 1.0 cannot carry (NUL, ESC and other controls, U+FFFE, U+FFFF). */
  BAD_CHAR: 'ERR_COT_BAD_CHAR',
  /** A TAK Protocol frame or message ends before its length says it does. */
  TAKPROTO_TRUNCATED: 'ERR_TAKPROTO_TRUNCATED',
  /** A TAK Protocol frame declares a length over the size cap. */
  TAKPROTO_TOO_LARGE: 'ERR_TAKPROTO_TOO_LARGE',
  /** A protobuf varint runs past 10 bytes, which no 64-bit value needs. */
  TAKPROTO_VARINT: 'ERR_TAKPROTO_VARINT',
  /** The bytes are not a TakMessage (bad framing byte, field of the wrong wire type, broken structure). */
  TAKPROTO_NOT_TAKMESSAGE: 'ERR_TAKPROTO_NOT_TAKMESSAGE',
  /** The TakMessage carries no CotEvent (a TakControl alone, say) where an event was expected. */
  TAKPROTO_NO_EVENT: 'ERR_TAKPROTO_NO_EVENT',
  /** The CotEvent has no uid. */
  TAKPROTO_MISSING_UID: 'ERR_TAKPROTO_MISSING_UID',
  /** The CotEvent has no type. */
  TAKPROTO_MISSING_TYPE: 'ERR_TAKPROTO_MISSING_TYPE',
  /** A time in the CotEvent is outside what an ISO 8601 CoT time can say (years 1970 to 9999). */
  TAKPROTO_TIME: 'ERR_TAKPROTO_TIME',
  /** detail.xmlDetail is not a sequence of well-formed XML elements and text. */
  TAKPROTO_XML_DETAIL: 'ERR_TAKPROTO_XML_DETAIL',
  /** The event holds something TAK Protocol cannot carry (attributes on `<detail>` itself). */
  TAKPROTO_UNREPRESENTABLE: 'ERR_TAKPROTO_UNREPRESENTABLE',
} as const;

export type CotErrorCode = (typeof CotErrorCode)[keyof typeof CotErrorCode];

export class CotError extends Error {
  readonly code: CotErrorCode;
  /** The model path of the offending field, e.g. `point.lat` or `detail.contact.callsign`. */
  readonly field: string | undefined;
  readonly value: unknown;

  constructor(code: CotErrorCode, message: string, field?: string, value?: unknown) {
    super(message);
    this.name = 'CotError';
    this.code = code;
    this.field = field;
    this.value = value;
  }
}

/** Shows a value in an error message without flooding it. */
export function describeValue(value: unknown): string {
  const MAX_SHOWN_CHARS = 80; // enough to recognise a value, short enough for a status line
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (value instanceof Date)
    text = `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  else if (typeof value === 'number' || typeof value === 'boolean' || value == null) text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}...` : text;
}
