import type { TakConfigNode } from './config-options';
import type { ConnectionUser, SharedConnection } from './connection';
import type { Node, NodeAPI } from './red';
import { statusReason } from './settings';

/**
 * Joins a node to the connection of its tak-config, shows the connection's state on it, and leaves the
 * connection when the node closes (the socket stays for the nodes a deploy brings back).
 */
export function useConnection(
  RED: NodeAPI,
  node: Node,
  configId: string | undefined,
  user: Omit<ConnectionUser, 'id' | 'status'>,
): SharedConnection | undefined {
  const config = configId ? (RED.nodes.getNode(configId) as TakConfigNode | null) : null;
  if (!config) {
    node.status({ fill: 'red', shape: 'ring', text: RED._('tak-config.status.noConfig') });
    node.error(RED._('tak-config.errors.noConfig'));
    return undefined;
  }
  const connection = config.connection;
  if (!connection) {
    node.status({
      fill: 'red',
      shape: 'ring',
      text: RED._('tak-config.status.badConfig', { reason: statusReason(config.configError ?? '') }),
    });
    node.error(RED._('tak-config.errors.badConfig', { reason: config.configError ?? '' }));
    return undefined;
  }
  // A throw from a node's handler would otherwise travel up into the socket's data handler.
  const guarded = <A extends unknown[]>(handler: ((...args: A) => void) | undefined) =>
    handler &&
    ((...args: A): void => {
      try {
        handler(...args);
      } catch (error) {
        node.error(error instanceof Error ? error : new Error(String(error)));
      }
    });
  const registered: ConnectionUser = { id: node.id, status: (status) => node.status(status) };
  const onEvent = guarded(user.onEvent);
  const onParseError = guarded(user.onParseError);
  if (onEvent) registered.onEvent = onEvent;
  if (onParseError) registered.onParseError = onParseError;
  if (user.wantsControl !== undefined) registered.wantsControl = user.wantsControl;
  connection.register(registered);
  node.on('close', (_removed: boolean, done: () => void) => {
    connection.deregister(node.id).then(done, (error: unknown) => {
      node.error(`leaving the connection failed: ${String(error)}`);
      done();
    });
  });
  return connection;
}
