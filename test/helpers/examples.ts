import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './paths';
import { freePort } from './ports';

export const EXAMPLES = path.join(REPO_ROOT, 'examples');

/**
 * Deployed as imported, on a tab of its own; only ports change, so examples never fight over 8087, and a
 * mesh is kept on loopback.
 */
export async function asImported(file: string): Promise<Array<Record<string, unknown>>> {
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
