import type { NodeAPI, NodeStatus } from './red';
import type { StateChange } from './connection';

/** Status text is kept short enough to read under a node on the canvas. */
const MAX_STATUS_REASON_CHARS = 60;

function shorten(text: string): string {
  return text.length > MAX_STATUS_REASON_CHARS ? `${text.slice(0, MAX_STATUS_REASON_CHARS - 1)}…` : text;
}

/** The status of a mesh or udp tak-config: the interface, the devices heard and the format in use. */
export function meshStatus(RED: NodeAPI, protocol: 'mesh' | 'udp'): (change: StateChange) => NodeStatus {
  return (change) => {
    const mesh = change.mesh;
    switch (change.state) {
      case 'connecting':
        return { fill: 'yellow', shape: 'ring', text: RED._('tak-config.status.meshOpening') };
      case 'connected':
        if (!mesh) return { fill: 'green', shape: 'dot', text: protocol };
        return protocol === 'udp'
          ? {
              fill: 'green',
              shape: 'dot',
              text: RED._('tak-config.status.udp', { target: mesh.target ?? '', interface: mesh.interface }),
            }
          : {
              fill: 'green',
              shape: 'dot',
              text: RED._('tak-config.status.mesh', {
                interface: mesh.interface,
                address: mesh.address,
                contacts: mesh.contacts,
                protocol: mesh.protocol === 'xml' ? 'XML' : 'TAK Protocol',
              }),
            };
      case 'reconnecting':
        return {
          fill: 'red',
          shape: 'ring',
          text: RED._('tak-config.status.error', {
            reason: shorten(change.error?.message ?? ''),
            seconds: Math.ceil((change.delayMs ?? 0) / 1000),
          }),
        };
      case 'stopped':
        return { fill: 'grey', shape: 'ring', text: RED._('tak-config.status.stopped') };
      default:
        return { fill: 'grey', shape: 'ring', text: RED._('tak-config.status.idle') };
    }
  };
}
