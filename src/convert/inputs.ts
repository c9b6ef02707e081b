/**
 * The one-call conversion for programs and function nodes: every event a payload describes, whatever its
 * shape (short form, model, XML, GeoJSON, worldmap, legacy JSON, or an array / FeatureCollection of them),
 * ready for buildCot, with uids decided and a type when none was given.
 */
import type { CotInput } from '../cot/model';
import { itemError, splitPayload } from './detect';
import { payloadToCotInput, type ToInputOptions } from './to-input';
import { withDefaultType, withUid, type UidOptions } from './uid-mode';

export interface CotInputsOptions extends ToInputOptions {
  /** How uids are decided; `auto` (the input's, else from the callsign) unless given. */
  uid?: UidOptions;
  /** The type of an input that has none; `a-f-G-U-C` unless given. */
  type?: string;
}

/**
 * `cotInputsFrom(msg.payload).map((input) => buildCot(input))`. Throws a CotError naming the field and,
 * for an array or FeatureCollection, the item (`payload[2]: ...`).
 */
export function cotInputsFrom(payload: unknown, options: CotInputsOptions = {}): CotInput[] {
  const items = splitPayload(payload);
  const several = items.length !== 1 || items[0] !== payload;
  return items.map((item, i) => {
    try {
      const { input } = payloadToCotInput(item, options);
      return withDefaultType(withUid(input, options.uid ?? { mode: 'auto' }), options.type);
    } catch (error) {
      throw several ? itemError(error, i) : error;
    }
  });
}
