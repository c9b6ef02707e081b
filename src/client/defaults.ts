/**
 * Every limit and timeout of the TAK client, with the reason for its value. Times are milliseconds.
 */

/** ATAK (commoncommo) gives up on a connect after 20 s; a server that slow is as good as down. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
/** First retry after about a second: a restarting server is usually back that fast. */
export const DEFAULT_RECONNECT_INITIAL_MS = 1_000;
/** Retries slow to once a minute at most, so a long outage costs the server almost nothing. */
export const DEFAULT_RECONNECT_MAX_MS = 60_000;
/** +/-20 % spread (as PyTAK does) so clients that lost the same server do not all come back at once. */
export const DEFAULT_RECONNECT_JITTER = 0.2;
/** A connection that lasted a minute was a real one: the next loss starts the backoff from the beginning. */
export const DEFAULT_HEALTHY_AFTER_MS = 60_000;
/** ATAK pings after 15 s with nothing received. */
export const DEFAULT_PING_AFTER_IDLE_MS = 15_000;
/**
 * A client that has written nothing for 15 s pings, however much it receives: servers drop clients silent for
 * 60 s (ours, FreeTAKServer's sessions), a receive-only flow would otherwise write only its presence once a minute,
 * and TAK Server accepts a ping every 5 s.
 */
export const DEFAULT_PING_AFTER_SEND_IDLE_MS = 15_000;
/** ATAK pings again every 4.5 s while the server stays silent. */
export const DEFAULT_PING_INTERVAL_MS = 4_500;
/** ATAK drops the connection and reconnects after 25 s with nothing received. */
export const DEFAULT_DEAD_AFTER_IDLE_MS = 25_000;
/** Servers forget a client whose presence went stale; once a minute keeps it well inside any stale time. */
export const DEFAULT_PRESENCE_INTERVAL_MS = 60_000;
/** FreeTAKServer throws away whatever shares the first read with the identity event; half a second apart is enough. */
export const DEFAULT_IDENTITY_GAP_MS = 500;
/** A thousand events is minutes of a busy feed, and a few MB at most: enough to ride out a reconnect. */
export const DEFAULT_MAX_QUEUE_EVENTS = 1_000;
/**
 * Queued events take at most this many bytes (their XML): a thousand events of up to 16 KiB, and always room for
 * the largest event send() accepts (8 MiB), while a backlog of big events cannot eat the process's memory.
 */
export const DEFAULT_MAX_SEND_QUEUE_BYTES = 16 * 1024 * 1024;
/**
 * No send rate limit unless one is set: what a server tolerates depends on the server and the feed, and
 * latest-wins coalescing already keeps a backlog to one event per uid.
 */
export const DEFAULT_MAX_EVENTS_PER_SECOND = 0;
/** With a rate limit, ten events may go at once (a flow's first flurry, a reconnect) before the pacing starts. */
export const DEFAULT_BURST_EVENTS = 10;
/** No minimum interval per uid unless one is set: some flows want every fix of a track on the map. */
export const DEFAULT_MIN_INTERVAL_PER_UID_MS = 0;
/**
 * Uids whose last send still holds back their next update (minIntervalPerUidMs). Beyond this the oldest is
 * forgotten (its next update goes out without waiting), so a feed of ever new uids cannot grow memory.
 */
export const MAX_PACED_UIDS = 10_000;
/**
 * Types never coalesced, whatever the options (whole segments: "b-a" covers "b-a-o-tbl"): each one is a
 * message or a command, where every event counts and the order matters.
 */
export const NEVER_COALESCE_TYPES: readonly string[] = Object.freeze([
  'b-t-f', // GeoChat, its delivery and read receipts: every message must arrive
  't-x-d-d', // deletes: a superseded delete would leave the item on the map
  't-x-c', // control: pings and the like
  't-x-takp', // TAK protocol negotiation
  'b-a', // alerts and emergencies (911, ring the bell, cancel): each one matters
  'b-f-t', // file transfer requests and acknowledgements
]);
/** stop() waits this long for the queue to drain: inside the 15 s Node-RED gives a node to close. */
export const DEFAULT_FLUSH_TIMEOUT_MS = 2_000;
/**
 * A written event counts as delivered once data arrives on the same connection this long after it went to the
 * kernel: TCP delivers within a few round trips, so a connection still talking 2 s later carried it.
 */
export const DEFAULT_CONFIRM_AFTER_MS = 2_000;
/** The largest event send() accepts: TAK Server refuses messages over 8 MB. */
export const MAX_SEND_EVENT_BYTES = 8 * 1024 * 1024;
/** Pings kept waiting for their pong; more than a silent spell can produce before the connection is dropped. */
export const MAX_OUTSTANDING_PINGS = 16;
/**
 * The server closing the connection this soon after an `<auth>` login, without a byte sent, is read as a
 * refused login: TAK Server closes at once on bad credentials and does not say why.
 */
export const AUTH_REJECT_WINDOW_MS = 5_000;

/** ATAK waits up to 60 s for TAK Server's answer to its protobuf request, then stays on XML. */
export const DEFAULT_NEGOTIATION_TIMEOUT_MS = 60_000;
/** The TAK Protocol version this client speaks (and asks for when a server offers it). */
export const TAK_PROTOCOL_VERSION = '1';
