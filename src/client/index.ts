/**
 * The TAK client: its public surface, for src/index.ts to re-export.
 */
export { TakClient, isControlType } from './tak-client';
export type {
  TakClientCounters,
  TakClientEvents,
  TakClientState,
  TakClientStateChange,
  TakDisconnected,
  TakDropped,
  TakProtocolChange,
  TakReceivedEvent,
  TakThrottle,
  SendOptions,
} from './tak-client';
export type { SocketFactory, SocketTarget, TakClientOptions, TakProtocolSetting } from './options';
export { DEFAULT_NEGOTIATION_TIMEOUT_MS } from './defaults';
export { parseConnectString, formatConnectString } from './connect-string';
export type { ConnectTarget, TakProtocol } from './connect-string';
export { TakClientError, TakClientErrorCode, classifySocketError } from './errors';
export type { TakClientErrorInfo, ConnectionPhase } from './errors';
export { Backoff } from './backoff';
export type { BackoffOptions } from './backoff';
export { Keepalive } from './keepalive';
export type { KeepaliveOptions } from './keepalive';
export { SendQueue } from './send-queue';
export type {
  OutgoingEvent,
  PushOptions,
  PushResult,
  QueueEntry,
  QueuePlace,
  RequeueResult,
  SendQueueOptions,
} from './send-queue';
export { TokenBucket } from './rate-limiter';
export { realClock } from './clock';
export type { PacingClock } from './clock';
export { isCoalescableType, typeHasPrefix } from './coalesce';
export type { AuthOptions } from './outgoing';
export {
  AUTH_REJECT_WINDOW_MS,
  DEFAULT_BURST_EVENTS,
  DEFAULT_CONFIRM_AFTER_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DEAD_AFTER_IDLE_MS,
  DEFAULT_FLUSH_TIMEOUT_MS,
  DEFAULT_HEALTHY_AFTER_MS,
  DEFAULT_IDENTITY_GAP_MS,
  DEFAULT_MAX_EVENTS_PER_SECOND,
  DEFAULT_MAX_SEND_QUEUE_BYTES,
  DEFAULT_MAX_QUEUE_EVENTS,
  DEFAULT_MIN_INTERVAL_PER_UID_MS,
  DEFAULT_PING_AFTER_IDLE_MS,
  DEFAULT_PING_INTERVAL_MS,
  DEFAULT_PRESENCE_INTERVAL_MS,
  DEFAULT_RECONNECT_INITIAL_MS,
  DEFAULT_RECONNECT_JITTER,
  DEFAULT_RECONNECT_MAX_MS,
  MAX_OUTSTANDING_PINGS,
  MAX_PACED_UIDS,
  MAX_SEND_EVENT_BYTES,
  NEVER_COALESCE_TYPES,
} from './defaults';
export { MAX_TIMER_MS } from './options';
export { MeshClient } from './mesh-client';
export type {
  MeshClientOptions,
  MeshCounters,
  MeshGroup,
  MeshInfo,
  MeshSendFormat,
  MeshSendOptions,
  MeshState,
  MeshStateChange,
} from './mesh-client';
export { MeshContacts } from './mesh-contacts';
export type { MeshContact } from './mesh-contacts';
export type { MeshReceived } from './mesh-datagram';
export { MeshError, MeshErrorCode } from './mesh-errors';
export { listMeshInterfaces, findInterface, defaultInterface } from './mesh-interface';
export type { MeshInterface } from './mesh-interface';
export * from './mesh-defaults';
