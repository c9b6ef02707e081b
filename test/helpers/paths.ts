import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot(__dirname);
/** Our own fixtures, committed in the repo. */
export const OWN_FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
/** Real captures from public projects, kept beside the repo and read in place, never copied in. */
export const SHARED_FIXTURES = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures');

/** The files of a shared fixture folder, or a skip reason when the folder is not beside the repo. */
export function sharedFixtures(folder: string, suffix: string): { files: string[]; skip: string | false } {
  const dir = path.join(SHARED_FIXTURES, folder);
  if (!existsSync(dir)) {
    return {
      files: [],
      skip: `shared fixtures not found at ${dir}: clone with ../shared beside the repo to run these`,
    };
  }
  const files = readdirSync(dir)
    .filter((name) => name.endsWith(suffix))
    .sort()
    .map((name) => path.join(dir, name));
  return { files, skip: false };
}

/**
 * The Node-RED the node-level tests run on: the dev dependency, or the main file of another version that the
 * compatibility matrix (scripts/matrix/run.js) installed outside node_modules and names in TAKPAK_NODE_RED.
 */
export const NODE_RED_MAIN = process.env.TAKPAK_NODE_RED || require.resolve('node-red');
