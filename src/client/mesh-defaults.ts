/*
 * The mesh's numbers. Groups and ports are ATAK's defaults, so phones hear us with no setting changed.
 */

/** ATAK's situational-awareness group: every device's SA and most other events. */
export const DEFAULT_SA_GROUP = '239.2.3.1';
export const DEFAULT_SA_PORT = 6969;
/** ATAK's GeoChat group: All Chat Rooms and team chats. */
export const DEFAULT_CHAT_GROUP = '224.10.10.1';
export const DEFAULT_CHAT_PORT = 17012;
/** The TCP port ATAK listens on for direct messages, and writes into its contact endpoint. */
export const DEFAULT_DIRECT_PORT = 4242;
/** One hop, as ATAK: the mesh is the local network; routers do not carry it further unless asked. */
export const DEFAULT_MESH_TTL = 1;
/**
 * 65,507: the most an IPv4 UDP datagram can carry (65,535 less the IP and UDP headers). A bigger event
 * cannot go as one datagram and the mesh has no other way, so it is refused before sending.
 */
export const MAX_DATAGRAM_BYTES = 65_507;
/**
 * 30 s: ATAK rebuilds a receive socket that has heard nothing this long (a Wi-Fi roam or a membership the
 * switch forgot leaves a socket deaf without any error).
 */
export const DEFAULT_REBUILD_AFTER_SILENCE_MS = 30_000;
/** Two minutes: ATAK's window; a device not heard for this long no longer holds the mesh's version down. */
export const CONTACT_WINDOW_MS = 120_000;
/** ATAK announces its TAK Protocol support at least once a minute; we do the same. */
export const DEFAULT_ANNOUNCE_INTERVAL_MS = 60_000;
/** How soon a missing interface (Wi-Fi not up yet) is looked for again. */
export const DEFAULT_INTERFACE_RETRY_MS = 10_000;
/** Contacts kept: a mesh is a few dozen devices; a flood of forged uids cannot make us hold more. */
export const MAX_MESH_CONTACTS = 1_000;
/** A direct connection that has not finished sending its event in this long is closed (a slow or idle peer). */
export const DIRECT_READ_TIMEOUT_MS = 10_000;
/** Connecting and writing a direct message gives up after this long (the phone left the network). */
export const DIRECT_SEND_TIMEOUT_MS = 10_000;
/** Direct connections read at once: phones send one short event each; more is someone flooding the port. */
export const MAX_DIRECT_CONNECTIONS = 32;
/** The TAK Protocol versions we speak: 1 (protobuf); XML is version 0. */
export const TAK_PROTOCOL_MIN = 1;
export const TAK_PROTOCOL_MAX = 1;
/**
 * Events kept while the mesh is not open yet: a flow's first events come as it deploys, a moment before
 * the sockets are bound; a missing interface must not grow memory without end.
 */
export const DEFAULT_MAX_PENDING_EVENTS = 1_000;
