/**
 * Stable error codes of the CoT server. Flows and programs match on `code`; the message is for people.
 * Problems inside a client's byte stream keep the StreamError / CotError codes the parser gives them.
 */
export const ServerErrorCode = {
  /** The client stopped reading: its unsent bytes passed maxQueueBytes and it was disconnected. */
  SLOW_CLIENT: 'ERR_SERVER_SLOW_CLIENT',
  /** Nothing was received from the client for idleTimeoutMs and it was disconnected. */
  IDLE: 'ERR_SERVER_IDLE',
  /** A connection came while maxClients were connected and was closed at once. */
  FULL: 'ERR_SERVER_FULL',
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
