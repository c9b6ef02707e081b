import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/paths';

type FlowNode = Record<string, unknown>;

interface DemoFlowModule {
  demoFlow(env: Record<string, string | undefined>): FlowNode[];
  nodeRedSettings(host: string, port: string): { editorTheme?: { tours?: unknown } };
  simulateSensors(
    msg: Record<string, unknown>,
    context: { get(key: string): unknown; set(key: string, value: unknown): void },
  ): { payload: Array<Record<string, number | string>> };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const demo = require(path.join(REPO_ROOT, 'scripts', 'demo-flow.js')) as DemoFlowModule;

function byId(flow: FlowNode[], id: string): FlowNode {
  const node = flow.find((n) => n.id === id);
  assert.ok(node, `${id} is in the demo flow`);
  return node;
}

function decimals(value: number): number {
  return (String(value).split('.')[1] ?? '').length;
}

describe('the demo flow of npm start', () => {
  it('the embedded server listens on loopback unless TAKPAK_LISTEN opens it, and the comment says so', () => {
    const local = demo.demoFlow({});
    assert.equal(byId(local, 'demo-server').host, '127.0.0.1');
    const localAbout = String(byId(local, 'demo-about').info);
    assert.match(localAbout, /127\.0\.0\.1:8087/);
    assert.match(localAbout, /TAKPAK_LISTEN=0\.0\.0\.0/, 'how to let a phone in');

    const open = demo.demoFlow({ TAKPAK_LISTEN: '0.0.0.0' });
    assert.equal(byId(open, 'demo-server').host, '0.0.0.0');
    assert.equal(byId(open, 'demo-cfg-sensors').host, '127.0.0.1', 'the demo reaches its server on loopback');
    assert.match(String(byId(open, 'demo-about').info), /asks no password/);

    const one = demo.demoFlow({ TAKPAK_LISTEN: '192.168.1.20', TAKPAK_DEMO_SERVER_PORT: '9000' });
    assert.equal(byId(one, 'demo-server').port, 9000);
    assert.equal(byId(one, 'demo-cfg-viewer').host, '192.168.1.20', 'the only address it listens on');
    assert.equal(byId(one, 'demo-cfg-viewer').port, 9000);
  });

  it("the demo's connections have a position near the trackers, not an empty one (0,0 on a map)", () => {
    for (const id of ['demo-cfg-sensors', 'demo-cfg-viewer']) {
      const cfg = byId(demo.demoFlow({}), id);
      const lat = Number(cfg.lat);
      const lon = Number(cfg.lon);
      assert.ok(cfg.lat !== '' && Math.abs(lat - 51.5033) < 0.01, `${id} lat ${String(cfg.lat)}`);
      assert.ok(cfg.lon !== '' && Math.abs(lon + 0.1196) < 0.01, `${id} lon ${String(cfg.lon)}`);
    }
  });

  it('the debug node is off until the user turns it on, and Node-RED shows no welcome tour', () => {
    assert.equal(byId(demo.demoFlow({}), 'demo-debug').active, false);
    assert.equal(demo.nodeRedSettings('127.0.0.1', '1880').editorTheme?.tours, false);
  });

  it('simulated values are rounded as a device reports them, at speeds that suit each kind', () => {
    const store = new Map<string, unknown>();
    const context = { get: (k: string) => store.get(k), set: (k: string, v: unknown) => store.set(k, v) };
    // Plausible top speeds in m/s by what the callsign says it is.
    const limits: Record<string, number> = { Walker: 2, Bike: 8, Van: 15, Drone: 20 };
    const reports = demo.simulateSensors({}, context).payload;
    assert.equal(reports.length, 4);
    for (const report of reports) {
      const kind = String(report.callsign).split(' ')[0] as string;
      const limit = limits[kind];
      assert.ok(limit, `a known kind: ${String(report.callsign)}`);
      assert.ok(Number(report.speed) > 0 && Number(report.speed) <= limit, `${kind} at ${report.speed} m/s`);
      assert.ok(Number.isInteger(report.course), `course ${report.course} in whole degrees`);
      assert.ok(Number(report.course) >= 0 && Number(report.course) < 360);
      assert.ok(decimals(Number(report.lat)) <= 6 && decimals(Number(report.lon)) <= 6, 'lat/lon to 0.1 m');
      assert.ok(decimals(Number(report.speed)) <= 1, `speed ${report.speed}`);
    }
  });
});
