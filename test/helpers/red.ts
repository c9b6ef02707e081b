import type { EventEmitter } from 'node:events';
import helper from 'node-red-node-test-helper';
import { NODE_RED_MAIN } from './paths';

let started = false;

/** A real Node-RED runtime (node-red-node-test-helper), started once per test file. */
export async function startRed(): Promise<typeof helper> {
  if (!started) {
    helper.init(NODE_RED_MAIN);
    await new Promise<void>((resolve, reject) =>
      helper.startServer((error) => (error ? reject(error) : resolve())),
    );
    started = true;
  }
  return helper;
}

export async function stopRed(): Promise<void> {
  if (!started) return;
  await helper.unload();
  await new Promise<void>((resolve, reject) =>
    helper.stopServer((error) => (error ? reject(error) : resolve())),
  );
  started = false;
}

export function getNode(id: string): EventEmitter & { receive(msg: Record<string, unknown>): void } {
  const node = helper.getNode(id);
  if (!node) throw new Error(`no node ${id} in the test flow`);
  return node;
}

/** Resolves with the first `event` whose value passes `accept`; rejects after `timeoutMs` saying what it waited for. */
export function waitFor<T>(
  emitter: EventEmitter,
  event: string,
  accept: (value: T) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`));
    }, timeoutMs);
    const listener = (value: T): void => {
      if (!accept(value)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(value);
    };
    emitter.on(event, listener);
  });
}

interface StatusCall {
  args: [{ fill?: string; shape?: string; text?: string }];
}

/** The next status a node shows whose text passes `accept`. */
export async function waitForStatus(
  node: EventEmitter,
  accept: (text: string) => boolean,
  timeoutMs = 5_000,
): Promise<{ fill?: string; shape?: string; text?: string }> {
  const call = await waitFor<StatusCall>(
    node,
    'call:status',
    (c) => accept(c.args[0]?.text ?? ''),
    timeoutMs,
  );
  return call.args[0];
}

/** Collects every msg a helper node receives. */
export function collect(node: EventEmitter): Array<Record<string, unknown>> {
  const messages: Array<Record<string, unknown>> = [];
  node.on('input', (msg: Record<string, unknown>) => messages.push(msg));
  return messages;
}

/** Polls until `check` is true: for state that has no event to wait on. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until the tak-config `configId` reports a status whose text passes `accept`. */
export async function waitForConnectionStatus(
  configId: string,
  accept: (text: string) => boolean,
  timeoutMs = 5_000,
): Promise<void> {
  const config = helper.getNode(configId) as unknown as {
    connection?: { currentStatus: { text?: string } };
  } | null;
  if (!config?.connection) throw new Error(`${configId} is not a working tak-config`);
  const connection = config.connection;
  try {
    await eventually(
      () => accept(connection.currentStatus.text ?? ''),
      `${configId} shows the status asked for`,
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (it shows ${JSON.stringify(connection.currentStatus)})`, {
      cause: error,
    });
  }
}

/**
 * A tak-config's status says it is connected: plain, or with the wire format named once TAK Protocol was
 * agreed (a tak-server offers it, so which one shows first depends on timing).
 */
export function isConnectedStatus(text: string): boolean {
  return text === 'tak-config.status.connected' || text === 'tak-config.status.connectedWire';
}
