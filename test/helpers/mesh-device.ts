/*
 * One mesh "device" for the namespace tests: a MeshClient in this process, driven by JSON lines on stdin
 * (send, advance the manual clock, info, stop), reporting states and received events on stdout.
 */
import dgram from 'node:dgram';
import { createInterface } from 'node:readline';
import { MeshClient, type MeshClientOptions } from '../../src/client/mesh-client';
import { ManualClock } from './client-clock';

type DeviceOptions = Omit<MeshClientOptions, 'clock'> & { manualClock?: boolean };

const options = JSON.parse(process.argv[2] ?? '{}') as DeviceOptions;
const clock = options.manualClock ? new ManualClock() : undefined;
const client = new MeshClient({ ...options, ...(clock ? { clock } : {}) });

function report(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

client.on('state', (change) => report({ t: 'state', ...change }));
client.on('event', (received: { event: { uid: string; type: string }; xml: string; format: string }) =>
  report({
    t: 'event',
    uid: received.event.uid,
    type: received.event.type,
    format: received.format,
    xml: received.xml,
  }),
);
client.on('parseError', (error: { code: string; message: string }) =>
  report({ t: 'parseError', code: error.code, message: error.message }),
);
client.on('problem', (error: { code: string; message: string }) =>
  report({ t: 'problem', code: error.code, message: error.message }),
);

client.on('contact', (address: string) =>
  report({ t: 'contact', address, contacts: client.contacts.list() }),
);

/** Bytes that are not ours to judge: sent from a plain socket on the device's interface. */
const raw = dgram.createSocket('udp4');
raw.bind(0);

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as {
    cmd: string;
    id?: string;
    xml?: string;
    to?: string;
    ms?: number;
    hex?: string;
    group?: string;
    port?: number;
  };
  try {
    switch (command.cmd) {
      case 'send':
        report({
          t: 'sent',
          id: command.id,
          outcome: client.send(command.xml as string, command.to === undefined ? {} : { to: command.to }),
        });
        break;
      case 'advance':
        clock?.advance(command.ms ?? 0);
        report({ t: 'advanced', id: command.id });
        break;
      case 'info':
        report({
          t: 'info',
          id: command.id,
          info: client.info,
          counters: client.counters,
          protocol: client.protocol,
          contacts: client.contacts.list(),
        });
        break;
      case 'raw':
        raw.setMulticastInterface(client.interfaceInUse?.address ?? '0.0.0.0');
        raw.send(
          Buffer.from(command.hex as string, 'hex'),
          command.port as number,
          command.group as string,
          () => report({ t: 'rawSent', id: command.id }),
        );
        break;
      case 'stop':
        raw.close();
        void client.stop().then(() => process.exit(0));
        break;
    }
  } catch (error) {
    const e = error as { code?: string; message?: string };
    report({ t: 'error', id: command.id, code: e.code, message: e.message });
  }
});
process.stdin.on('end', () => void client.stop().then(() => process.exit(0)));
client.start();
