/**
 * TakClient's send path against a bare socket writing the same bytes, over loopback to a server that reads and
 * discards. Each call hands over a batch of events and waits until the socket has taken them (so memory stays
 * bounded and the socket's own speed is part of every row); rows are in events per second.
 *
 * - bare socket: `socket.write(xml)` per event, waiting for 'drain' whenever write() says so: the ceiling for a
 *   writer that respects backpressure.
 * - string: one ready-made event per send() (what tak-send does with XML from a flow).
 * - string with a declaration: the same event behind `<?xml ...?>`, which the quick check leaves to the full
 *   parse: what every string cost before the quick check.
 * - short form: an object built into XML by send().
 */
import net from 'node:net';
import { TakClient } from '../src/client/tak-client';
import { measureTogether, describeError, failedRow, rowFrom, type BenchContext, type Row } from './harness';
import { SA_SHORT, SA_XML } from './sa-event';

const CASE = 'client-send';
/** Events per timed call: enough that the per-call wait is small beside the work. */
const BATCH = 100;
/** What the issue asks of a string event on this machine. */
const TARGET_STRING_EVENTS_PER_SECOND = 100_000;

const EVENT = SA_XML.slice(SA_XML.indexOf('<event'));
const DECLARED = SA_XML;

function discardServer(): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((socket) => {
    socket.on('data', () => undefined);
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as net.AddressInfo).port }),
    ),
  );
}

function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => socket.once('drain', () => resolve()));
}

/** Resolves once the client has written everything it was given. */
async function caughtUp(client: TakClient): Promise<void> {
  while (client.queueLength > 0) await new Promise((resolve) => setImmediate(resolve));
}

async function connectedClient(port: number): Promise<TakClient> {
  const client = new TakClient({
    host: '127.0.0.1',
    port,
    identityGapMs: 0,
    // A discarding server confirms nothing: forget each event once written, as for TAK Server's 8087.
    resendUnconfirmed: false,
    maxQueueEvents: BATCH * 10,
  });
  const up = new Promise<void>((resolve) => client.once('connected', () => resolve()));
  client.start();
  await up;
  return client;
}

export async function runClientSendCase(context: BenchContext): Promise<Row[]> {
  const { server, port } = await discardServer();
  const bare = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => bare.once('connect', () => resolve()));
  const clients = await Promise.all([connectedClient(port), connectedClient(port), connectedClient(port)]);
  const [strings, declared, short] = clients as [TakClient, TakClient, TakClient];
  const bytes = Buffer.byteLength(EVENT);
  const variants = [
    {
      name: 'bare socket, write(xml)',
      fn: async () => {
        // As any correct writer (and TakClient) does: after write() says the buffer is full, wait for 'drain'.
        for (let i = 0; i < BATCH; i++) if (!bare.write(EVENT)) await drained(bare);
      },
    },
    {
      name: 'TakClient.send(string)',
      fn: async () => {
        for (let i = 0; i < BATCH; i++) strings.send(EVENT);
        await caughtUp(strings);
      },
    },
    {
      name: 'TakClient.send(string with <?xml?>: full parse)',
      fn: async () => {
        for (let i = 0; i < BATCH; i++) declared.send(DECLARED);
        await caughtUp(declared);
      },
    },
    {
      name: 'TakClient.send(short form)',
      fn: async () => {
        for (let i = 0; i < BATCH; i++) short.send(SA_SHORT);
        await caughtUp(short);
      },
    },
  ];
  try {
    const results = await measureTogether(variants, context.measure);
    const reference = variants[0]?.name as string;
    return variants.map((variant, i) => {
      const result = results[i];
      if (result === undefined || result instanceof Error) {
        return failedRow(CASE, variant.name, `did not run: ${describeError(result)}`);
      }
      const perEvent = { ...result, opsPerSec: result.opsPerSec * BATCH };
      const row = rowFrom(CASE, perEvent, { bytesPerOp: bytes, reference });
      if (variant.name === 'TakClient.send(string)') {
        row.checks = [
          {
            what: `>= ${TARGET_STRING_EVENTS_PER_SECOND / 1000}k events/s`,
            pass: perEvent.opsPerSec >= TARGET_STRING_EVENTS_PER_SECOND,
          },
        ];
      }
      return row;
    });
  } finally {
    for (const client of clients) {
      context.log(`client-send: ${client.counters.dropped} dropped by a client (expected 0)`);
      await client.stop();
    }
    bare.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
