import { toCotEvent } from '../cot/build';
import type { EventTimes } from '../cot/time';
import { CotError, CotErrorCode } from '../cot/errors';
import type { CotEvent, CotInput } from '../cot/model';
import { quickCheckEvent } from '../cot/quick-check';
import { serializeEvent } from '../cot/serialize';
import { checkReceivedString } from '../cot/received-text';
import { assertXmlChars, escapeAttribute } from '../cot/xml-text';
import { StreamParser } from '../stream/stream-parser';
import { encodeValidatedStreamFrame } from '../takproto/codec';
import { coalescingFacts } from './coalesce';
import { MAX_SEND_EVENT_BYTES } from './defaults';
import { TakClientError, TakClientErrorCode } from './errors';
import type { OutgoingEvent } from './send-queue';

const LINE_BREAK = /[\r\n]/;

/** Reused between calls (a StreamParser is reusable after end()); dropped if it ever throws. */
let checker: StreamParser | undefined;

/**
 * One event from a string, checked to be exactly one well-formed CoT event. A single-line event goes out as
 * given; one spread over lines is written again on one line from its model, because several servers drop
 * multi-line events. A declaration in front is left out either way.
 */
function fromString(text: string): BuiltOutgoingEvent {
  const trimmed = text.trim();
  // Most strings are one plain event: proven in one pass, sent as they are. Anything else is parsed in full.
  const quick = quickCheckEvent(trimmed);
  if (quick !== undefined)
    return { xml: trimmed, uid: quick.uid, type: quick.type, dest: '', deletes: undefined };
  // Encoding would turn a lone surrogate into U+FFFD unseen; the stream check below sees only the bytes.
  const bad = checkReceivedString(trimmed);
  if (bad !== undefined) throw bad;
  const parser = checker ?? new StreamParser({ maxEventBytes: MAX_SEND_EVENT_BYTES });
  checker = undefined;
  const bytes = Buffer.from(trimmed, 'utf8');
  const items = [...parser.push(bytes), ...parser.end()];
  checker = parser;
  let found: BuiltOutgoingEvent | undefined;
  let events = 0;
  for (const item of items) {
    if (item.kind === 'error') {
      if (item.error.cause !== undefined) throw item.error.cause;
      throw new CotError(
        item.error.code === 'ERR_STREAM_OVERSIZE' ? CotErrorCode.INPUT : CotErrorCode.XML,
        `the event cannot be sent: ${item.error.message}`,
        undefined,
        item.error.preview,
      );
    }
    if (item.kind === 'skip') {
      throw new TakClientError(
        TakClientErrorCode.NOT_ONE_EVENT,
        `give one <event>; the text also holds something else: ${JSON.stringify(item.preview)}`,
        'xml',
        item.preview,
      );
    }
    events += 1;
    const xml = LINE_BREAK.test(item.xml) ? serializeEvent(item.event) : item.xml;
    found = {
      xml,
      uid: item.event.uid,
      type: item.event.type,
      ...coalescingFacts(item.event),
      event: item.event,
    };
  }
  if (events !== 1 || found === undefined) {
    throw new TakClientError(
      TakClientErrorCode.NOT_ONE_EVENT,
      events === 0 ? 'the text holds no <event>' : `give one <event> per send; the text holds ${events}`,
      'xml',
      trimmed.length > 80 ? `${trimmed.slice(0, 80)}...` : trimmed,
    );
  }
  return found;
}

/**
 * What send() puts on the queue: a model or short form is built as buildCot does (CotError on bad input);
 * a string must be exactly one event.
 */
export function toOutgoing(input: string | CotInput, now: number = Date.now()): BuiltOutgoingEvent {
  if (typeof input === 'string') return fromString(input);
  const event = toCotEvent(input, now);
  return { xml: serializeEvent(event), uid: event.uid, type: event.type, ...coalescingFacts(event), event };
}

/**
 * What send() puts on the queue when the connection speaks TAK Protocol: the event as a stream frame and
 * no XML (built only if it has to go out on an XML connection after all). Throws CotError for bad input as
 * toOutgoing does; undefined when TAK Protocol cannot carry the event, so the caller builds XML instead.
 */
export function toOutgoingFrame(input: CotInput, now: number = Date.now()): OutgoingEvent | undefined {
  const times: EventTimes = { time: 0, start: 0, stale: 0 };
  const event = toCotEvent(input, now, times);
  let frame: Buffer;
  try {
    frame = encodeValidatedStreamFrame(event, times);
  } catch (error) {
    // An event TAK Protocol cannot carry still goes out as XML; a protobuf connection reports it dropped.
    if (error instanceof CotError) return undefined;
    throw error;
  }
  return { frame, uid: event.uid, type: event.type, ...coalescingFacts(event) };
}

/** An outgoing event, and the model it was built from when there was one. */
export type BuiltOutgoingEvent = OutgoingEvent & { readonly xml: string; readonly event?: CotEvent };

export interface AuthOptions {
  username: string;
  password: string;
  /** The uid the server files the connection under; the client's own uid when not given. */
  uid?: string;
}

/** TAK Server's login for inputs with username/password auth: sent before anything else. */
export function authPreamble(auth: AuthOptions, uid: string): string {
  const fields: Array<[string, unknown]> = [
    ['username', auth.username],
    ['password', auth.password],
    ['uid', auth.uid ?? uid],
  ];
  const attributes = fields.map(([name, value]) => {
    if (typeof value !== 'string') {
      throw new TakClientError(
        TakClientErrorCode.OPTIONS,
        `auth.${name} is ${typeof value}; give text`,
        `auth.${name}`,
        name === 'password' ? '(hidden)' : value,
      );
    }
    try {
      assertXmlChars(value, `auth.${name}`);
    } catch (error) {
      if (name === 'password') {
        throw new CotError(
          CotErrorCode.XML_CHAR,
          'auth.password holds a character XML cannot carry',
          'auth.password',
        );
      }
      throw error;
    }
    return `${name}="${escapeAttribute(value)}"`;
  });
  return `<auth><cot ${attributes.join(' ')}/></auth>`;
}
