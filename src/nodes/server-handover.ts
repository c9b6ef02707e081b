/**
 * Keeps a tak-server's listener and its clients across a deploy that replaces the node with one of the same
 * settings, as handover.ts does for tak-config's connection: the new node takes the running server over; a
 * node with other settings closes it first, so the new listener can have the port.
 */
import { HANDOVER_WAIT_MS, type RuntimeEvents } from './handover';

/** What a tak-server hands on: anything that can be closed. */
export interface Closable {
  close(): Promise<void>;
}

interface Parked<T extends Closable> {
  key: string;
  held: T;
  timer: NodeJS.Timeout;
  report: (message: string) => void;
}

const parked = new Map<string, Parked<Closable>>();
const watched = new WeakSet<RuntimeEvents>();

function release(id: string): Promise<void> {
  const entry = parked.get(id);
  if (!entry) return Promise.resolve();
  parked.delete(id);
  clearTimeout(entry.timer);
  return entry.held.close().catch((error: unknown) => {
    entry.report(`closing a TAK server no tak-server took over failed: ${String(error)}`);
  });
}

/** Holds a running server for the node with the same id that the deploy starts next. */
export function parkServer<T extends Closable>(
  id: string,
  key: string,
  held: T,
  report: (message: string) => void,
): void {
  void release(id);
  const timer = setTimeout(() => void release(id), HANDOVER_WAIT_MS);
  timer.unref();
  parked.set(id, { key, held, timer, report });
}

/**
 * The server to take over when the settings are the same; otherwise the old one is closed and `closed`
 * resolves when its port is free.
 */
export function adoptServer<T extends Closable>(
  id: string,
  key: string,
): { held?: T; closed?: Promise<void> } {
  const entry = parked.get(id);
  if (!entry) return {};
  if (entry.key !== key) return { closed: release(id) };
  parked.delete(id);
  clearTimeout(entry.timer);
  return { held: entry.held as T };
}

/** Once the new flows have started nobody will take a parked server over: close what is left. */
export function watchServerHandover(events: RuntimeEvents | undefined): void {
  if (!events || watched.has(events)) return;
  watched.add(events);
  events.on('flows:started', () => {
    for (const id of [...parked.keys()]) void release(id);
  });
}
