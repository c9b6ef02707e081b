/** What the server has done since it started listening: counters only, read with a snapshot. */
export interface ServerMetrics {
  /** TCP connections accepted, the refused ones included. */
  connectionsReceived: number;
  /** Connections closed at once because maxClients were connected (ERR_SERVER_FULL). */
  connectionsRefused: number;
  /** Client sockets open now. */
  openSockets: number;
  /** Events read from clients, pings and control included (parse errors are not events). */
  messagesReceived: number;
  /** Events written to clients: routed events (one per recipient), pongs, replays, deletes, sends from the flow. */
  messagesSent: number;
  /** Writes not made because the recipient's queue was full; that recipient was then dropped. */
  dropped: number;
  /** Clients the server disconnected: too slow or idle. */
  clientsDropped: number;
  /** Problems in clients' byte streams (ERR_STREAM_* and ERR_COT_* codes). */
  parseErrors: number;
  /** Uids held for replay now. */
  tracked: number;
}

export type Counter = Exclude<keyof ServerMetrics, 'openSockets' | 'tracked'>;

export class MetricsCounter {
  private readonly counts: Record<Counter, number> = {
    connectionsReceived: 0,
    connectionsRefused: 0,
    messagesReceived: 0,
    messagesSent: 0,
    dropped: 0,
    clientsDropped: 0,
    parseErrors: 0,
  };

  add(counter: Counter, by = 1): void {
    this.counts[counter] += by;
  }

  snapshot(openSockets: number, tracked: number): ServerMetrics {
    return { ...this.counts, openSockets, tracked };
  }
}
