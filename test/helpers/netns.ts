import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';

/*
 * Network namespaces made by the tests: a hub namespace holding a bridge, and one namespace per "device"
 * with a veth into the bridge, an address 10.77.0.N/24 and a multicast route. Names carry the pid and a
 * counter so parallel runs never meet; everything is deleted whatever happens.
 */

let counter = 0;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Why namespaces cannot be made here (not root, no `ip`, a container without the rights), or false. */
export function netnsUnavailable(): string | false {
  const probe = `tpk-probe-${process.pid}`;
  try {
    ip('netns', 'add', probe);
  } catch (error) {
    const text = error instanceof Error ? error.message.split('\n').slice(0, 2).join(' ') : String(error);
    return `network namespaces cannot be made here (needs root and iproute2: ${text}); the mesh namespace tests are skipped`;
  }
  ip('netns', 'del', probe);
  return false;
}

export interface NetnsDevice {
  ns: string;
  iface: string;
  address: string;
}

export interface NetnsMesh {
  devices: NetnsDevice[];
  /** A namespace with only loopback and an unconnected veth-less interface list: for "missing interface". */
  cleanup(): void;
}

/** `count` device namespaces on one bridge. */
export function makeMesh(count: number): NetnsMesh {
  const run = `${process.pid}-${++counter}`;
  const hub = `tpk-h-${run}`;
  const made: string[] = [];
  const cleanup = (): void => {
    for (const ns of made.reverse()) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // already gone: nothing to clean
      }
    }
    made.length = 0;
  };
  try {
    ip('netns', 'add', hub);
    made.push(hub);
    ip('-n', hub, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
    ip('-n', hub, 'link', 'set', 'br0', 'up');
    const devices: NetnsDevice[] = [];
    for (let i = 0; i < count; i++) {
      const ns = `tpk-d${i}-${run}`;
      ip('netns', 'add', ns);
      made.push(ns);
      ip('link', 'add', 'name', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', hub);
      ip('-n', hub, 'link', 'set', `p${i}`, 'master', 'br0');
      ip('-n', hub, 'link', 'set', `p${i}`, 'up');
      const address = `10.77.0.${i + 1}`;
      ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0');
      devices.push({ ns, iface: 'eth0', address });
    }
    process.once('exit', cleanup);
    return { devices, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}

/** What a device process reports: one JSON object a line. */
export interface DeviceReport {
  t: string;
  [key: string]: unknown;
}

/** Upper bound for one device's life in a test: a hang fails instead of blocking CI. */
const DEVICE_LIFETIME_MS = 60_000;

/** A mesh client in its own process inside a namespace (test/helpers/mesh-device.ts). */
export class Device extends EventEmitter {
  readonly reports: DeviceReport[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly killer: NodeJS.Timeout;
  readonly exited: Promise<void>;
  stderr = '';

  /** `script`: the device program beside this file (mesh-device.js: a MeshClient; mesh-red-device.js: Node-RED). */
  constructor(ns: string, options: Record<string, unknown>, script = 'mesh-device.js') {
    super();
    this.child = spawn('ip', [
      'netns',
      'exec',
      ns,
      process.execPath,
      path.join(__dirname, script),
      JSON.stringify(options),
    ]);
    this.killer = setTimeout(() => this.child.kill('SIGKILL'), DEVICE_LIFETIME_MS);
    this.killer.unref();
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let report: DeviceReport;
      try {
        report = JSON.parse(line) as DeviceReport;
      } catch {
        this.stderr += `${line}\n`;
        return;
      }
      this.reports.push(report);
      this.emit('report', report);
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', () => {
        clearTimeout(this.killer);
        resolve();
      }),
    );
  }

  command(command: Record<string, unknown>): void {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  /** The first report (already come, or coming) that passes `accept`; rejects after timeoutMs. */
  waitReport(
    accept: (report: DeviceReport) => boolean,
    what: string,
    timeoutMs = 10_000,
  ): Promise<DeviceReport> {
    const found = this.reports.find(accept);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onReport = (report: DeviceReport): void => {
        if (!accept(report)) return;
        clearTimeout(timer);
        this.off('report', onReport);
        resolve(report);
      };
      const timer = setTimeout(() => {
        this.off('report', onReport);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; stderr: ${this.stderr}`));
      }, timeoutMs);
      this.on('report', onReport);
    });
  }

  /** Asks for the client's counters and info, and waits for the answer. */
  async query(): Promise<DeviceReport> {
    const id = Math.random().toString(36).slice(2);
    this.command({ cmd: 'info', id });
    return this.waitReport((r) => r.t === 'info' && r.id === id, 'info');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.command({ cmd: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}
