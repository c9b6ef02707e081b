import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NODE_RED_MAIN } from './paths';

/** The version of the Node-RED the tests run on (the dev dependency or the matrix's, see NODE_RED_MAIN). */
export const NODE_RED_VERSION = (
  JSON.parse(readFileSync(path.join(path.dirname(NODE_RED_MAIN), '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

const [major = 0, minor = 0] = NODE_RED_VERSION.split('.').map(Number);

/**
 * Node-RED copies an error's `code` into a Catch node's msg.error from 4.1 on; 3.1 and 4.0 give only its
 * message and source (the README's compatibility section says so).
 */
export const CATCH_GETS_CODE = major > 4 || (major === 4 && minor >= 1);

/** The msg.error.code a Catch node sees for an error with `code` on this Node-RED. */
export function catchCode(code: string): string | undefined {
  return CATCH_GETS_CODE ? code : undefined;
}
