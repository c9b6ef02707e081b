import { clientOptions, type TakConfigDef, type TakConfigNode } from './config-options';
import { SharedConnection, type StateChange } from './connection';
import type { NodeAPI, NodeStatus } from './red';

/** Status text is kept short enough to read under a node on the canvas. */
const MAX_STATUS_REASON_CHARS = 48;

function shorten(text: string): string {
  return text.length > MAX_STATUS_REASON_CHARS ? `${text.slice(0, MAX_STATUS_REASON_CHARS - 1)}…` : text;
}

export = function register(RED: NodeAPI): void {
  function formatStatus(endpoint: string): (change: StateChange) => NodeStatus {
    return (change) => {
      const seconds = change.delayMs === undefined ? 0 : Math.ceil(change.delayMs / 1000);
      switch (change.state) {
        case 'connecting':
          return { fill: 'yellow', shape: 'ring', text: RED._('tak-config.status.connecting', { endpoint }) };
        case 'connected':
          return { fill: 'green', shape: 'dot', text: RED._('tak-config.status.connected', { endpoint }) };
        case 'reconnecting':
          return change.error
            ? {
                fill: 'red',
                shape: 'ring',
                text: RED._('tak-config.status.error', { reason: shorten(change.error.message), seconds }),
              }
            : { fill: 'yellow', shape: 'ring', text: RED._('tak-config.status.reconnecting', { seconds }) };
        case 'stopped':
          return { fill: 'grey', shape: 'ring', text: RED._('tak-config.status.stopped') };
        default:
          return { fill: 'grey', shape: 'ring', text: RED._('tak-config.status.idle') };
      }
    };
  }

  function TakConfig(this: TakConfigNode, def: TakConfigDef): void {
    RED.nodes.createNode(this, def);
    this.endpoint = `${def.host ?? ''}:${def.port ?? ''}`;
    let connection: SharedConnection;
    try {
      const options = clientOptions(def, this.credentials?.password);
      this.endpoint = `${options.host}:${options.port}`;
      connection = new SharedConnection(options, formatStatus(this.endpoint));
    } catch (error) {
      // The nodes that use this config show the reason; the flow still deploys.
      this.configError = error instanceof Error ? error.message : String(error);
      this.error(this.configError);
      return;
    }
    this.connection = connection;
    this.on('close', (_removed: boolean, done: () => void) => {
      connection.stop().then(done, (error: unknown) => {
        this.error(`closing the connection to ${this.endpoint} failed: ${String(error)}`);
        done();
      });
    });
  }

  RED.nodes.registerType('tak-config', TakConfig, { credentials: { password: { type: 'password' } } });
};
