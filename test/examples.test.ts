import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEmbeddedRed, type EmbeddedRed, type RedLogEntry } from './helpers/embedded-red';
import { REPO_ROOT } from './helpers/paths';
import { freePort } from './helpers/ports';

const EXAMPLES = path.join(REPO_ROOT, 'examples');

/** Deployed as imported, on a tab of its own; only ports change, so examples never fight over 8087. */
async function asImported(file: string): Promise<Array<Record<string, unknown>>> {
  const nodes = JSON.parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as Array<Record<string, unknown>>;
  const port = await freePort();
  const tab = `tab-${file}`;
  return [
    { id: tab, type: 'tab', label: file },
    ...nodes.map((node) => {
      const placed: Record<string, unknown> = { ...node };
      if ('port' in placed) placed.port = node.type === 'tak-server' ? 0 : port;
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
