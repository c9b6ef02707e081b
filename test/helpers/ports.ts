import net from 'node:net';

/**
 * A port nothing listens on right now, for a node that needs a number in its settings (a tak-server, the
 * tak-configs pointing at it). Loopback only; the tiny window before it is used again is harmless in tests.
 * `preferred` is taken when it is free (a picture shows the usual port), else any free one.
 */
export async function freePort(preferred = 0): Promise<number> {
  const probe = net.createServer();
  const listening = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => resolve(true));
    });
  if (!(preferred !== 0 && (await listening(preferred)))) await listening(0);
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
