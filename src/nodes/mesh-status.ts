import type { NodeAPI, NodeStatus } from './red';
import type { StateChange } from './connection';
import { statusReason } from './settings';

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
            reason: statusReason(change.error?.message ?? ''),
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
