import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './paths';
import { freePort } from './ports';

export const EXAMPLES = path.join(REPO_ROOT, 'examples');

/** Deployed as imported, on a tab of its own; only ports change, so examples never fight over 8087. */
export async function asImported(file: string): Promise<Array<Record<string, unknown>>> {
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
