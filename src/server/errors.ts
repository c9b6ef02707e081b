/**
 * Stable error codes of the CoT server. Flows and programs match on `code`; the message is for people.
 * Problems inside a client's byte stream keep the StreamError / CotError codes the parser gives them.
 */
export const ServerErrorCode = {
  /**
   * The client's unsent bytes would pass maxQueueBytes and it was disconnected: it stopped reading, or reads
   * slower than it is sent to (the message says which).
   */
  SLOW_CLIENT: 'ERR_SERVER_SLOW_CLIENT',
  /** No complete event (pings count) came from the client for idleTimeoutMs and it was disconnected. */
  IDLE: 'ERR_SERVER_IDLE',
  /** A connection came while maxClients were connected, none of them silent, and was closed at once. */
  FULL: 'ERR_SERVER_FULL',
  /** A connection came while maxClientsPerAddress were connected from its address and was closed at once. */
  ADDRESS_FULL: 'ERR_SERVER_ADDRESS_FULL',
  /** The server was full: this connection had sent no complete event yet and was closed to admit a new one. */
  EVICTED: 'ERR_SERVER_EVICTED',
  /** A new connection sent no complete event within firstEventTimeoutMs and was closed. */
  FIRST_EVENT: 'ERR_SERVER_FIRST_EVENT',
  /** An event was not finished within eventTimeoutMs of its first byte and the client was closed. */
  EVENT_TIMEOUT: 'ERR_SERVER_EVENT_TIMEOUT',
  /** The client's socket failed (reset by the peer, broken pipe...); `cause` is the socket's error. */
  SOCKET: 'ERR_SERVER_SOCKET',
  /** An option is out of range or of the wrong type. */
  OPTION: 'ERR_SERVER_OPTION',
  /** send() was given something it cannot send. */
  INPUT: 'ERR_SERVER_INPUT',
  /** listen() was called twice, or after close(). */
  STATE: 'ERR_SERVER_STATE',
} as const;

export type ServerErrorCode = (typeof ServerErrorCode)[keyof typeof ServerErrorCode];

export class ServerError extends Error {
  readonly code: ServerErrorCode;

  constructor(code: ServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServerError';
    this.code = code;
  }
}
