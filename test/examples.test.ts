import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEmbeddedRed, type EmbeddedRed, type RedLogEntry } from './helpers/embedded-red';
import { REPO_ROOT } from './helpers/paths';
import { asImported, EXAMPLES } from './helpers/examples';

interface DemoFlowModule {
  demoFlow(env: Record<string, string | undefined>): Array<Record<string, unknown>>;
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
