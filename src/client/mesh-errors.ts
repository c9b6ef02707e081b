/** Stable error codes of the mesh (multicast/UDP) transport. Flows match on `code`; messages are for people. */
export const MeshErrorCode = {
  /** The interface chosen does not exist on this host (or none could be found): the mesh waits for it. */
  NO_INTERFACE: 'ERR_MESH_NO_INTERFACE',
  /** The interface exists but has no IPv4 address (down, or not configured yet): the mesh waits for one. */
  NO_ADDRESS: 'ERR_MESH_NO_ADDRESS',
  /** A socket could not be opened, bound or joined to its group (the system code is in the message). */
  SOCKET: 'ERR_MESH_SOCKET',
  /** An event larger than one datagram can carry: it was refused before sending. */
  EVENT_TOO_LARGE: 'ERR_MESH_EVENT_TOO_LARGE',
  /** msg.to names no contact heard on the mesh (by uid or callsign), or one with no usable endpoint. */
  UNKNOWN_CONTACT: 'ERR_MESH_UNKNOWN_CONTACT',
  /** A direct message could not be delivered to the contact's endpoint. */
  DIRECT_FAILED: 'ERR_MESH_DIRECT_FAILED',
  /** A datagram or direct connection that is not one CoT event (XML or TAK Protocol): counted and skipped. */
  BAD_DATAGRAM: 'ERR_MESH_BAD_DATAGRAM',
  /** msg.to on a protocol that has no contacts (udp), or send() on a client that is stopped. */
  NOT_AVAILABLE: 'ERR_MESH_NOT_AVAILABLE',
  /** An option out of range or of the wrong type. */
  OPTIONS: 'ERR_MESH_OPTIONS',
} as const;

export type MeshErrorCode = (typeof MeshErrorCode)[keyof typeof MeshErrorCode];

export class MeshError extends Error {
  readonly code: MeshErrorCode;
  /** The underlying problem (a CotError for a bad datagram, a system error for a socket). */
  override readonly cause: unknown;
  /** The start of what was received, for logs (bad datagrams); empty otherwise. */
  readonly preview: string;

  constructor(code: MeshErrorCode, message: string, cause?: unknown, preview = '') {
    super(message);
    this.preview = preview;
    this.name = 'MeshError';
    this.code = code;
    this.cause = cause;
  }
}
