import type { CotInput } from '../cot/model';
import { encodeFramed, type TakEncodeOptions } from './codec';
import { MESH_FRAMING, STREAM_FRAMING } from './frame';

export {
  encodeTakMessage,
  encodeTakControl,
  decodeTakMessage,
  decodeTakMessageParts,
  MAX_TAKPROTO_TIME_MS,
} from './codec';
export type { TakControl, TakMessageParts, TakDecodeOptions, TakEncodeOptions } from './codec';
export {
  frameStream,
  frameMesh,
  readStreamFrame,
  readFrameLength,
  isMeshFramed,
  unframeTakMessage,
  decodeTakFrame,
  DEFAULT_MAX_TAKPROTO_BYTES,
  TAKPROTO_MAGIC,
  TAKPROTO_MESH_VERSION,
} from './frame';
export type { StreamFrameBounds, TakFrameOptions } from './frame';
export { TYPED_DETAIL_ELEMENTS } from './detail';

/** One event as a TAK Protocol stream frame (0xbf, length, TakMessage), ready for a TCP/TLS socket. */
export function encodeTakStreamFrame(input: CotInput, options: TakEncodeOptions = {}): Buffer {
  return encodeFramed(input, options, STREAM_FRAMING);
}

/** One event as a TAK Protocol mesh datagram (0xbf 0x01 0xbf, TakMessage), ready for UDP. */
export function encodeTakMeshFrame(input: CotInput, options: TakEncodeOptions = {}): Buffer {
  return encodeFramed(input, options, MESH_FRAMING);
}
