/*
 * A real Node-RED runtime as one mesh "device", for the namespace tests: it deploys the nodes of
 * examples/07 (mesh tak-config, cot-build -> tak-send, tak-receive) on the given interface, reports what
 * tak-receive hands on and what the runtime logs as JSON lines on stdout, and takes cot-build inputs on stdin.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startEmbeddedRed } from './embedded-red';
import { REPO_ROOT } from './paths';

interface Args {
  iface: string;
  callsign: string;
  sendFormat?: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;

function report(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function main(): Promise<void> {
  const example = JSON.parse(
    readFileSync(path.join(REPO_ROOT, 'examples', '07-atak-mesh-no-server.json'), 'utf8'),
  ) as Array<Record<string, unknown>>;
  const byId = (id: string): Record<string, unknown> => {
    const node = example.find((n) => n.id === id);
    if (!node) throw new Error(`examples/07 has no node ${id}`);
    return { ...node, z: 'tab' };
  };
  const config = byId('ex7-mesh');
  delete config.z;
  const flow: Array<Record<string, unknown>> = [
    { id: 'tab', type: 'tab', label: 'mesh device' },
    {
      ...config,
      meshInterface: args.iface,
      callsign: args.callsign,
      uid: `rt-${args.callsign}`,
      sendFormat: args.sendFormat ?? 'auto',
    },
    { ...byId('ex7-build'), wires: [['ex7-send']] },
    byId('ex7-send'),
    { ...byId('ex7-receive'), wires: [['dev-out']] },
    {
      id: 'dev-out',
      type: 'function',
      z: 'tab',
      name: 'report',
      func: "global.get('report')({ t: 'event', uid: msg.payload.uid, type: msg.payload.type, cot: msg.cot }); return null;",
      outputs: 1,
      wires: [],
    },
    {
      id: 'dev-status',
      type: 'status',
      z: 'tab',
      x: 100,
      y: 300,
      scope: ['ex7-receive'],
      wires: [['dev-status-out']],
    },
    {
      id: 'dev-status-out',
      type: 'function',
      z: 'tab',
      name: 'report status',
      func: "global.get('report')({ t: 'status', text: msg.status.text, fill: msg.status.fill }); return null;",
      outputs: 1,
      wires: [],
    },
    {
      id: 'dev-catch',
      type: 'catch',
      z: 'tab',
      x: 100,
      y: 400,
      scope: null,
      uncaught: false,
      wires: [['dev-caught']],
    },
    {
      id: 'dev-caught',
      type: 'function',
      z: 'tab',
      name: 'report error',
      func: "global.get('report')({ t: 'error', code: msg.error.code, message: msg.error.message }); return null;",
      outputs: 1,
      wires: [],
    },
  ];
  const red = await startEmbeddedRed({
    globals: { report },
    onLog: (entry) => report({ t: 'log', level: entry.level, msg: String(entry.msg), type: entry.type }),
  });
  await red.deploy(flow);
  createInterface({ input: process.stdin }).on('line', (line) => {
    const command = JSON.parse(line) as { cmd: string; payload?: unknown; to?: string };
    if (command.cmd === 'build') {
      const msg: Record<string, unknown> = { payload: command.payload };
      if (command.to !== undefined) msg.to = command.to;
      red.nodes.getNode('ex7-build')?.receive(msg);
    }
    if (command.cmd === 'stop') void red.stop().then(() => process.exit(0));
  });
  process.stdin.on('end', () => void red.stop().then(() => process.exit(0)));
  report({ t: 'ready' });
}

main().catch((error: unknown) => {
  report({ t: 'fatal', message: String(error) });
  process.exit(1);
});
