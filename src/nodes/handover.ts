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
/** The flows configuration that last started, to tell a deploy from the runtime stopping. */
let startedConfig: unknown;
let deploying = false;

function release(id: string): Promise<void> {
  const entry = parked.get(id);
  if (!entry) return Promise.resolve();
  parked.delete(id);
  clearTimeout(entry.timer);
  return entry.connection.stop().catch((error: unknown) => {
    entry.report(`closing a connection no tak-config took over failed: ${String(error)}`);
  });
}

/** Stops every connection still waiting for a new owner. */
function releaseAll(): void {
  for (const id of [...parked.keys()]) void release(id);
}

/**
 * True while Node-RED stops flows in order to start others (a deploy), false when it stops them for good:
 * only then is a connection worth keeping for the next node.
 */
export function isDeploying(): boolean {
  return deploying;
}

/**
 * Keeps a tak-config's connection open while a deploy replaces the node: the new node with the same
 * id and the same settings takes it over, so the socket, the queue of unsent events and what arrives in
 * between survive the deploy.
 */
export function park(
  id: string,
  key: string,
  connection: SharedConnection,
  report: (message: string) => void,
): void {
  void release(id);
  const timer = setTimeout(() => void release(id), HANDOVER_WAIT_MS);
  timer.unref();
  parked.set(id, { key, connection, timer, report });
}

/**
 * What a new tak-config finds under its id: the connection to take over when the settings are the same;
 * otherwise the old one is closed and `closed` resolves when it is, so the new one does not connect
 * alongside it (two sessions of one uid, events out of order).
 */
export function adopt(id: string, key: string): { connection?: SharedConnection; closed?: Promise<void> } {
  const entry = parked.get(id);
  if (!entry) return {};
  if (entry.key !== key) return { closed: release(id) };
  parked.delete(id);
  clearTimeout(entry.timer);
  return { connection: entry.connection };
}

interface FlowsEvent {
  config?: unknown;
}

/**
 * Once per runtime. A deploy puts the new configuration in place before it stops the old flows; the
 * runtime stopping for good stops the configuration that started. Once new flows have started, nobody
 * else will take a waiting connection over.
 */
export function watchRuntime(events: RuntimeEvents | undefined): void {
  if (!events || watched.has(events)) return;
  watched.add(events);
  events.on('flows:started', (event) => {
    startedConfig = (event as FlowsEvent | undefined)?.config;
    deploying = false;
    releaseAll();
  });
  events.on('flows:stopping', (event) => {
    const config = (event as FlowsEvent | undefined)?.config;
    deploying = config !== undefined && config !== startedConfig;
  });
}
