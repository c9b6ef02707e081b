import dgram from 'node:dgram';
import os from 'node:os';
import { MeshError, MeshErrorCode } from './mesh-errors';

/** A network interface the mesh can use: its name and the IPv4 address it sends and joins groups from. */
export interface MeshInterface {
  name: string;
  address: string;
  internal: boolean;
}

type Interfaces = ReturnType<typeof os.networkInterfaces>;

/** Every interface with an IPv4 address, loopback last (for the editor's list). */
export function listMeshInterfaces(interfaces: Interfaces = os.networkInterfaces()): MeshInterface[] {
  const out: MeshInterface[] = [];
  for (const [name, addresses] of Object.entries(interfaces)) {
    for (const info of addresses ?? []) {
      if (info.family === 'IPv4') out.push({ name, address: info.address, internal: info.internal });
    }
  }
  return out.sort((a, b) => Number(a.internal) - Number(b.internal));
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The interface named by `choice`: a name (`wlan0`) or one of its IPv4 addresses. Throws a MeshError:
 * ERR_MESH_NO_INTERFACE when nothing matches, ERR_MESH_NO_ADDRESS when it has no IPv4 address.
 */
export function findInterface(
  choice: string,
  interfaces: Interfaces = os.networkInterfaces(),
): MeshInterface {
  const all = listMeshInterfaces(interfaces);
  if (IPV4.test(choice)) {
    const match = all.find((item) => item.address === choice);
    if (match) return match;
    throw new MeshError(
      MeshErrorCode.NO_INTERFACE,
      `no interface has the address ${choice}; there are: ${describe(all)}`,
    );
  }
  const match = all.find((item) => item.name === choice);
  if (match) return match;
  if (interfaces[choice] !== undefined) {
    throw new MeshError(
      MeshErrorCode.NO_ADDRESS,
      `interface ${choice} has no IPv4 address (down, or not connected yet); the mesh waits for one`,
    );
  }
  throw new MeshError(
    MeshErrorCode.NO_INTERFACE,
    `no interface ${JSON.stringify(choice)} on this host; there are: ${describe(all)}`,
  );
}

function describe(all: MeshInterface[]): string {
  return all.length === 0
    ? '(none with an IPv4 address)'
    : all.map((i) => `${i.name} ${i.address}`).join(', ');
}

/**
 * The interface the OS routes `group` through (a connected UDP socket's own address says it, nothing is
 * sent), never loopback: with no route, or a route over loopback, the first other interface with an IPv4
 * address. ERR_MESH_NO_INTERFACE when there is none.
 */
export async function defaultInterface(group: string, port: number): Promise<MeshInterface> {
  const routed = await new Promise<string | undefined>((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.on('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.connect(port, group, () => {
      const address = socket.address().address;
      socket.close();
      resolve(address);
    });
  });
  const all = listMeshInterfaces();
  const match = all.find((item) => item.address === routed && !item.internal);
  if (match) return match;
  const first = all.find((item) => !item.internal);
  if (first) return first;
  throw new MeshError(
    MeshErrorCode.NO_INTERFACE,
    'no network interface other than loopback has an IPv4 address: connect to the network, or choose loopback (lo) on purpose',
  );
}
