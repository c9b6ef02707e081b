/**
 * The library API of node-red-contrib-takpak: everything here works without Node-RED.
 */
export { buildCot, buildCotWithXmlbuilder2, toCotEvent } from './cot/build';
export { parseCot } from './cot/parse';
export { CotError, CotErrorCode } from './cot/errors';
export type {
  CotDetail,
  CotElement,
  CotEvent,
  CotEventInput,
  CotInput,
  CotPoint,
  CotScalar,
  CotShortInput,
  TimeInput,
} from './cot/model';
export {
  COT_VERSION,
  DEFAULT_HOW,
  DEFAULT_STALE_SECONDS,
  DEFAULT_TYPE,
  UNKNOWN_VALUE,
  STALE_SECONDS_LIMIT,
} from './cot/defaults';
export { randomUid, stableUid, TAKPAK_UID_NAMESPACE } from './cot/uid';
export { toArgb } from './cot/normalize';
export {
  presenceEvent,
  pingEvent,
  pongEvent,
  deleteEvent,
  chatEvent,
  PING_TYPE,
  PONG_TYPE,
  PONG_UID,
  DELETE_TYPE,
  CHAT_TYPE,
  ALL_CHAT_ROOMS,
  SERVER_STREAM_ENDPOINT,
} from './cot/helpers';
export type { PresenceOptions, DeleteOptions, ChatOptions, Takv } from './cot/helpers';
export { StreamParser, DEFAULT_MAX_EVENT_BYTES } from './stream/stream-parser';
export type { StreamItem, StreamParserOptions } from './stream/stream-parser';
export { StreamError, StreamErrorCode } from './stream/errors';
export * from './client';
export { CotServer } from './server/cot-server';
export type {
  ServerAddress,
  ServerEventPayload,
  DisconnectPayload,
  ClientErrorPayload,
  SendTarget,
} from './server/cot-server';
export type { ClientInfo, DisconnectReason } from './server/client-session';
export { ServerError, ServerErrorCode } from './server/errors';
export type { ServerMetrics } from './server/metrics';
export type { CotServerOptions } from './server/options';
export {
  DEFAULT_SERVER_HOST,
  DEFAULT_SERVER_PORT,
  DEFAULT_MAX_CLIENTS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_QUEUE_BYTES,
  DEFAULT_STALE_SWEEP_MS,
  DEFAULT_MAX_TRACKED,
  DEFAULT_MAX_TRACKED_BYTES,
} from './server/options';
