import net from 'node:net';

/**
 * A port nothing listens on right now, for a node that needs a number in its settings (a tak-server, the
 * tak-configs pointing at it). Loopback only; the tiny window before it is used again is harmless in tests.
 */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
