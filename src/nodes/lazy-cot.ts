import type { CotEvent } from '../cot/model';
import type { NodeMessage } from './red';

/** Where a msg keeps its cot: the XML, or how to build it. A symbol: JSON, Object.keys and the debug sidebar skip it. */
const COT = Symbol('takpak.cot');

/** msg.cot not built yet. */
class PendingXml {
  constructor(readonly build: () => string) {}
}

interface LazyCotMessage extends NodeMessage {
  [COT]: unknown;
}

function readCot(this: LazyCotMessage): unknown {
  const held = this[COT];
  if (!(held instanceof PendingXml)) return held;
  const xml = held.build();
  this[COT] = xml;
  return xml;
}

function writeCot(this: LazyCotMessage, value: unknown): void {
  this[COT] = value;
}

/**
 * One accessor pair, the same functions for every msg: V8 then gives all such msgs one hidden class. An accessor
 * made per msg (in a literal or by defineProperty with closures) leaves each msg a dictionary, which the runtime
 * then reads and extends slower: about 4 us per event in the e2e bench.
 */
const COT_PROPERTY: PropertyDescriptor = {
  get: readCot,
  set: writeCot,
  enumerable: true,
  configurable: true,
};

/**
 * The msg of an event that arrived as TAK Protocol: msg.cot, its XML, is built on first read, so a flow
 * that never reads it never pays for it. To a flow it is a plain property: listed, in JSON, copied by clones
 * and spreads, writable and deletable.
 */
export function messageWithLazyCot(payload: CotEvent, takproto: Buffer, buildXml: () => string): NodeMessage {
  const msg = { payload, topic: payload.type } as LazyCotMessage;
  Object.defineProperty(msg, 'cot', COT_PROPERTY);
  msg.takproto = takproto;
  msg[COT] = new PendingXml(buildXml);
  return msg;
}
