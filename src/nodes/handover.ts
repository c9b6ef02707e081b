import type { SharedConnection } from './connection';

/**
 * Longest wait of a connection a redeploy let go of, for the tak-config that replaces its node. A deploy
 * starts the new nodes within moments and then says so; this only bounds the wait should it never say.
 */
export const HANDOVER_WAIT_MS = 30_000;

/** The part of Node-RED's RED.events a handover listens to. */
export interface RuntimeEvents {
  on(event: string, listener: (payload: unknown) => void): unknown;
}

interface Parked {
  key: string;
  connection: SharedConnection;
  timer: NodeJS.Timeout;
  /** Where a failure to close it is told: the log of the node that let it go. */
  report: (message: string) => void;
}

const parked = new Map<string, Parked>();
const watched = new WeakSet<RuntimeEvents>();

function release(id: string): void {
  const entry = parked.get(id);
  if (!entry) return;
  parked.delete(id);
  clearTimeout(entry.timer);
  entry.connection.stop().catch((error: unknown) => {
    entry.report(`closing a connection no tak-config took over failed: ${String(error)}`);
  });
}

/** Stops every connection still waiting for a new owner. */
export function releaseAll(): void {
  for (const id of [...parked.keys()]) release(id);
}

/**
 * Keeps a tak-config's connection open while a redeploy replaces the node: the new node with the same
 * id and the same settings takes it over, so the socket, the queue of unsent events and what arrives in
 * between survive the deploy.
 */
export function park(
  id: string,
  key: string,
  connection: SharedConnection,
  report: (message: string) => void,
): void {
  release(id);
  const timer = setTimeout(() => release(id), HANDOVER_WAIT_MS);
  timer.unref();
  parked.set(id, { key, connection, timer, report });
}

/** The connection a redeploy left for this node, if its settings are the same; otherwise it is closed. */
export function adopt(id: string, key: string): SharedConnection | undefined {
  const entry = parked.get(id);
  if (!entry) return undefined;
  if (entry.key !== key) {
    release(id);
    return undefined;
  }
  parked.delete(id);
  clearTimeout(entry.timer);
  return entry.connection;
}

interface RuntimeState {
  id?: unknown;
  payload?: { state?: unknown; deploy?: unknown };
}

/**
 * Once per runtime: when the new flows have started, nobody else will take a waiting connection over;
 * when the runtime stops other than for a deploy, none will be taken over at all.
 */
export function watchRuntime(events: RuntimeEvents | undefined): void {
  if (!events || watched.has(events)) return;
  watched.add(events);
  events.on('flows:started', releaseAll);
  events.on('runtime-event', (event) => {
    const { id, payload } = (event ?? {}) as RuntimeState;
    if (id === 'runtime-state' && payload?.state === 'stop' && payload.deploy !== true) releaseAll();
  });
}
