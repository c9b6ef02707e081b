import { buildCot } from '../cot/build';
import { CotError, CotErrorCode, describeValue } from '../cot/errors';
import type { CotInput } from '../cot/model';
import { parseCot } from '../cot/parse';
import { quickCheckEvent } from '../cot/quick-check';
import { checkReceivedBytes } from '../cot/received-text';

const SINGLE_EVENT_LINE = /^<event[\s>][^\r\n]*<\/event>$|^<event[\s][^\r\n]*\/>$/;

/** A payload that is a model or short form (an object, not an array or a Buffer) rather than text. */
function isModelPayload(payload: unknown): payload is CotInput {
  return (
    typeof payload === 'object' && payload !== null && !Array.isArray(payload) && !Buffer.isBuffer(payload)
  );
}

/**
 * What a sending node hands its connection: a model or short form as it is (the connection builds what its
 * wire needs: the XML, or a TAK Protocol frame from the model without reading XML back), text as
 * {@link toWireXml} checks it.
 */
export function toWireInput(payload: unknown, now: number = Date.now()): string | CotInput {
  return isModelPayload(payload) ? payload : toWireXml(payload, now);
}

/**
 * One event as the single line of XML every TAK server accepts, from what a flow hands over: CoT XML
 * (a string or Buffer, validated; re-written when it is pretty-printed or has a declaration), the
 * canonical model or the short form. Throws a CotError naming what is wrong.
 */
export function toWireXml(payload: unknown, now: number = Date.now()): string {
  if (Buffer.isBuffer(payload)) {
    // Decoding would put U+FFFD for bytes that are not UTF-8 and send that: refuse them instead.
    const text = payload.toString('utf8');
    const bad = checkReceivedBytes(payload, text);
    if (bad !== undefined) throw bad;
    return toWireXml(text, now);
  }
  if (typeof payload === 'string') {
    const text = payload.trim();
    if (quickCheckEvent(text) !== undefined) return text; // one plain valid event, proven in one pass
    const event = parseCot(text); // refuses anything that is not one valid event
    return SINGLE_EVENT_LINE.test(text) ? text : buildCot(event, now);
  }
  if (isModelPayload(payload)) return buildCot(payload, now);
  throw new CotError(
    CotErrorCode.INPUT,
    `msg.payload is ${describeValue(payload)}; give CoT XML, a CoT model or an object with lat and lon`,
    'payload',
    payload,
  );
}
