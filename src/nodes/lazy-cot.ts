import type { CotEvent } from '../cot/model';
import type { NodeMessage } from './red';

/**
 * The msg of an event that arrived as TAK Protocol: msg.cot, its XML, is built on first read, so a flow
 * that never reads it never pays for it. The accessor is part of the literal, so every such msg has the
 * same shape (defining it on a built msg turned each msg into a dictionary, which the runtime and function
 * nodes then read slower). To a flow it is a plain property: listed, in JSON, copied by clones and spreads,
 * writable and deletable.
 */
export function messageWithLazyCot(payload: CotEvent, takproto: Buffer, buildXml: () => string): NodeMessage {
  let cot: unknown;
  let known = false;
  return {
    payload,
    topic: payload.type,
    get cot(): unknown {
      if (!known) {
        cot = buildXml();
        known = true;
      }
      return cot;
    },
    set cot(value: unknown) {
      cot = value;
      known = true;
    },
    takproto,
  };
}
