/**
 * The library API of node-red-contrib-takpak: everything here works without Node-RED.
 */
export { buildCot, buildCotWithXmlbuilder2, toCotEvent } from './cot/build';
export { parseCot } from './cot/parse';
export type { ParseOptions } from './cot/parse';
export { DEFAULT_MAX_DEPTH, MAX_DEPTH_LIMIT } from './cot/limits';
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
export * from './takproto';
export { StreamParser, DEFAULT_MAX_EVENT_BYTES } from './stream/stream-parser';
export type { StreamItem, StreamMode, StreamParserOptions } from './stream/stream-parser';
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
export { cotInputsFrom } from './convert/inputs';
export type { CotInputsOptions } from './convert/inputs';
export { cotTypeFrom, describeCotType, AFFILIATIONS, DIMENSIONS, FUNCTIONS } from './convert/cot-type';
export type {
  Affiliation,
  Dimension,
  CotFunction,
  CotTypeParts,
  CotTypeDescription,
} from './convert/cot-type';
export { sidcToCotType, cotTypeToSidc } from './convert/sidc';
export { TEAM_COLORS, TEAM_ROLES, teamName, cssToArgb, argbToCss } from './convert/colors';
export { geoJsonToCot, cotToGeoJson } from './convert/geojson';
export type { GeoJsonFeature, GeoJsonGeometry, GeoJsonPosition } from './convert/geojson';
export { worldmapToCot, cotToWorldmap, DEFAULT_WORLDMAP_LAYER } from './convert/worldmap';
export type { WorldmapMarker, WorldmapOptions } from './convert/worldmap';
export { legacyTakToCot, cotToLegacyTak, isLegacyTak } from './convert/legacy-tak';
export type { LegacyTakEvent, LegacyElement } from './convert/legacy-tak';
export { detectPayload, splitPayload, MAX_EVENTS_PER_MESSAGE } from './convert/detect';
export type { PayloadShape } from './convert/detect';
export { payloadToCotInput } from './convert/to-input';
export type { ToInputOptions, ItemInput } from './convert/to-input';
export { withExtras, readExtras, EXTRAS_ELEMENT } from './convert/extras';
export type { ExtrasMode, Conversion } from './convert/extras';
export { withFields } from './convert/fields';
export type { CotFieldValues } from './convert/fields';
export { withUid, withDefaultType } from './convert/uid-mode';
export type { UidMode, UidOptions } from './convert/uid-mode';
export { summarizeCot } from './convert/summary';
export type { CotSummary } from './convert/summary';
export { readShape, MAX_SHAPE_VERTICES } from './convert/shape';
export type { ShapeGeometry, Vertex } from './convert/shape';
export * from './tls';
export * from './web';
