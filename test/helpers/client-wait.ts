import type { EventEmitter } from 'node:events';

/** Long enough for a loaded CI machine, short enough that a hang fails fast. */
export const WAIT_MS = 5_000;

/**
 * The next `event` from the emitter whose value passes `filter`; rejects after timeoutMs, naming what it
 * waited for. Leaves no listener and no timer behind either way.
 */
export function waitFor<T = unknown>(
  emitter: object,
  event: string,
  options: { filter?: (value: T) => boolean; timeoutMs?: number; what?: string } = {},
): Promise<T> {
  const source = emitter as EventEmitter;
  const timeoutMs = options.timeoutMs ?? WAIT_MS;
  return new Promise<T>((resolve, reject) => {
    const listener = (value: T): void => {
      if (options.filter && !options.filter(value)) return;
      clearTimeout(timer);
      source.removeListener(event, listener);
      resolve(value);
    };
    const timer = setTimeout(() => {
      source.removeListener(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? `'${event}'`}`));
    }, timeoutMs);
    source.on(event, listener);
  });
}

/**
 * Resolves as soon as `check()` holds: at once, or after one of `events` on `emitter` makes it true.
 * For conditions that have an event to re-check on, so nothing sleeps a fixed time.
 */
export function until(
  emitter: object,
  events: string | string[],
  check: () => boolean,
  what: string,
  timeoutMs: number = WAIT_MS,
): Promise<void> {
  if (check()) return Promise.resolve();
  const source = emitter as EventEmitter;
  const names = Array.isArray(events) ? events : [events];
  return new Promise<void>((resolve, reject) => {
    const listener = (): void => {
      if (!check()) return;
      done();
      resolve();
    };
    const done = (): void => {
      clearTimeout(timer);
      for (const name of names) source.removeListener(name, listener);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out after ${timeoutMs} ms waiting until ${what}`));
    }, timeoutMs);
    for (const name of names) source.on(name, listener);
  });
}

/** Runs fn after ms: for the few tests whose point is that nothing happens during a span of time. */
export function quietFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Timers alive in this process right now (the ones that keep it running). */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}
