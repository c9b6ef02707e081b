import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEmbeddedRed, type EmbeddedRed, type RedLogEntry } from './helpers/embedded-red';
import { REPO_ROOT } from './helpers/paths';
import { freePort } from './helpers/ports';

interface DemoFlowModule {
  demoFlow(env: Record<string, string | undefined>): Array<Record<string, unknown>>;
}

const EXAMPLES = path.join(REPO_ROOT, 'examples');

/**
 * Deployed as imported, on a tab of its own; only ports change, so examples never fight over 8087, and a
 * mesh is kept on loopback.
 */
async function asImported(file: string): Promise<Array<Record<string, unknown>>> {
  const nodes = JSON.parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as Array<Record<string, unknown>>;
  const port = await freePort();
  const tab = `tab-${file}`;
  return [
    { id: tab, type: 'tab', label: file },
    ...nodes.map((node) => {
      const placed: Record<string, unknown> = { ...node };
      if ('port' in placed) placed.port = node.type === 'tak-server' ? 0 : port;
      // A mesh stays on this host: loopback, and no direct-message port to clash with another run.
      if (node.type === 'tak-config' && node.protocol === 'mesh')
        Object.assign(placed, { meshInterface: 'lo', directPort: 0 });
      if ('wires' in placed) Object.assign(placed, { z: tab, x: placed.x ?? 100, y: placed.y ?? 100 });
      return placed;
    }),
  ];
}

describe('every flow in examples/ loads and deploys without errors in a real runtime', () => {
  let red: EmbeddedRed;
  const problems: RedLogEntry[] = [];

  before(async () => {
    red = await startEmbeddedRed({
      http: 'nodes',
      onLog: (entry) => {
        if (entry.level <= 20 || String(entry.msg).includes('Waiting for missing types'))
          problems.push(entry);
      },
    });
  });
  after(async () => {
    await red.stop();
  });

  const files = readdirSync(EXAMPLES)
    .filter((name) => name.endsWith('.json'))
    .sort();
  it('there are examples', () => assert.ok(files.length >= 5, files.join(', ')));
  for (const file of files) {
    it(file, async () => {
      problems.length = 0;
      const flow = await asImported(file);
      assert.ok(
        flow.some(
          (node) => node.type === 'comment' && typeof node.info === 'string' && node.info.length > 40,
        ),
        'a comment node explains the example',
      );
      await red.deploy(flow);
      await new Promise((resolve) => setTimeout(resolve, 300)); // errors raised while nodes start
      assert.deepEqual(
        problems.map((p) => `${p.type ?? ''} ${p.name ?? p.id ?? ''}: ${String(p.msg)}`),
        [],
      );
      await red.deploy([]);
    });
  }
});

describe('examples/01-sensor-to-tak.json answers the sensor', () => {
  let red: EmbeddedRed;

  before(async () => {
    red = await startEmbeddedRed({ http: 'editor' });
    await red.deploy(await asImported('01-sensor-to-tak.json'));
  });
  after(async () => {
    await red.stop();
  });

  async function post(body: string, type = 'application/json'): Promise<{ status: number; text: string }> {
    const response = await fetch(`${red.url}/sensor`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });
    return { status: response.status, text: await response.text() };
  }

  it('204 once a reading became a CoT event', async () => {
    const answer = await post(JSON.stringify({ id: 'pump-7', lat: 51.5, lon: -0.12, name: 'Pump 7' }));
    assert.equal(answer.status, 204);
  });

  it('400 with the reason and its code for a reading it cannot use, not 204 before it looked', async () => {
    const latitude = await post(JSON.stringify({ id: 'pump-7', lat: 95, lon: -0.12, name: 'Pump 7' }));
    assert.equal(latitude.status, 400);
    const body = JSON.parse(latitude.text) as { error?: string; code?: string };
    assert.match(String(body.error), /lat/);
    assert.match(String(body.code), /^ERR_/);

    const text = await post('pump 7 is at the gate', 'text/plain');
    assert.equal(text.status, 400);
    assert.ok((JSON.parse(text.text) as { error?: string }).error, text.text);
  });
});

describe('every example imports beside the demo without a clash', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { demoFlow } = require(path.join(REPO_ROOT, 'scripts', 'demo-flow.js')) as DemoFlowModule;
  const flows: Array<[string, Array<Record<string, unknown>>]> = [
    ['the demo', demoFlow({})],
    ...readdirSync(EXAMPLES)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name): [string, Array<Record<string, unknown>>] => [
        name,
        JSON.parse(readFileSync(path.join(EXAMPLES, name), 'utf8')) as Array<Record<string, unknown>>,
      ]),
  ];
  const all = flows.flatMap(([file, nodes]) => nodes.map((node) => ({ file, node })));

  /** Values of one property that two nodes share, as "value: file, file" lines. */
  function shared(type: string, property: string): string[] {
    const seen = new Map<string, string[]>();
    for (const { file, node } of all) {
      if (node.type !== type) continue;
      const value = String(node[property]);
      seen.set(value, [...(seen.get(value) ?? []), file]);
    }
    return [...seen].filter(([, files]) => files.length > 1).map(([v, files]) => `${v}: ${files.join(', ')}`);
  }

  it('the flows are there to compare', () => {
    assert.ok(all.filter(({ node }) => node.type === 'tak-config').length >= 6);
  });
  it('node ids are distinct', () => {
    const ids = all.map(({ node }) => String(node.id));
    assert.deepEqual(
      ids.filter((id, i) => ids.indexOf(id) !== i),
      [],
    );
  });
  it('tak-config names are distinct', () => assert.deepEqual(shared('tak-config', 'name'), []));
  it('tak-config uids are set and distinct (an empty one gets a random uid when its dialog opens)', () => {
    assert.deepEqual(shared('tak-config', 'uid'), []);
    for (const { file, node } of all) {
      if (node.type === 'tak-config') assert.notEqual(node.uid, '', `${file} ${String(node.id)}`);
    }
  });
  it("no second tak-server on a port another listens on (the demo's is 8087)", () =>
    assert.deepEqual(shared('tak-server', 'port'), []));
  it("no second map on a path another uses (the demo's is /worldmap)", () =>
    assert.deepEqual(shared('worldmap', 'path'), []));
});
