/** What the server has done since it started listening: counters only, read with a snapshot. */
export interface ServerMetrics {
  /**
   * Connections that reached the CoT server (on TLS: after the handshake and the certificate check), and the
   * ones refused for maxClients or maxClientsPerAddress.
   */
  connectionsReceived: number;
  /** Connections closed at once because maxClients were connected (ERR_SERVER_FULL). */
  connectionsRefused: number;
  /** Client sockets open now. */
  openSockets: number;
  /** TCP connections open now, TLS handshakes included: what maxClients counts. */
  connections: number;
  /** Events read from clients, pings and control included (parse errors are not events). */
  messagesReceived: number;
  /**
   * Events written to clients: routed events (one per recipient), pongs, replays, deletes, sends from the flow
   * (the protocol offer and answer are not counted).
   */
  messagesSent: number;
  /** Writes not made because the recipient's queue was full; that recipient was then dropped. */
  dropped: number;
  /** Clients the server disconnected: too slow, idle, past a deadline, or evicted for a new connection. */
  clientsDropped: number;
  /** Times a client's socket was paused for sending faster than inputBytesPerSecond. */
  throttled: number;
  /** Problems in clients' byte streams (ERR_STREAM_* and ERR_COT_* codes). */
  parseErrors: number;
  /** Uids held for replay now. */
  tracked: number;
  /**
   * Every refusal, drop and stream problem by its code (ERR_SERVER_FULL, ERR_SERVER_IDLE, ERR_STREAM_OVERSIZE,
   * ERR_COT_XML...): the same kinds the tak-server node warns about.
   */
  errors: Record<string, number>;
}

export type Counter = Exclude<keyof ServerMetrics, 'openSockets' | 'connections' | 'tracked' | 'errors'>;

export class MetricsCounter {
  private readonly counts: Record<Counter, number> = {
    connectionsReceived: 0,
    connectionsRefused: 0,
    messagesReceived: 0,
    messagesSent: 0,
    dropped: 0,
    clientsDropped: 0,
    parseErrors: 0,
    throttled: 0,
  };
  private readonly codes = new Map<string, number>();

  add(counter: Counter, by = 1): void {
    this.counts[counter] += by;
  }

  /** Counts one error of this code. */
  addCode(code: string): void {
    this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
  }

  snapshot(openSockets: number, tracked: number, connections: number): ServerMetrics {
    return { ...this.counts, openSockets, connections, tracked, errors: Object.fromEntries(this.codes) };
  }
}
