import { readFileSync } from 'node:fs';
import path from 'node:path';
import { olderThanRange, satisfies } from './version-range';

/** What the package claims (package.json, kept equal to what the compatibility matrix ran). */
export interface Claims {
  node: string;
  nodeRed: string;
}

export class UnsupportedRuntimeError extends Error {
  constructor(
    message: string,
    readonly code: 'ERR_TAKPAK_UNSUPPORTED_NODE' | 'ERR_TAKPAK_UNSUPPORTED_NODE_RED',
  ) {
    super(message);
    this.name = 'UnsupportedRuntimeError';
  }
}

/** The claims in our package.json: dist/src/nodes/ is three folders below the package root. */
export function packageClaims(): Claims {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    engines: { node: string };
    'node-red': { version: string };
  };
  return { node: pkg.engines.node, nodeRed: pkg['node-red'].version };
}

/**
 * Judges the runtime against the claims. Older than anything tested: an error that stops the nodes loading,
 * saying what to upgrade (the alternative is an obscure failure later). Newer, or a line between tested ones:
 * a warning, because it most likely works and refusing would strand users on a fresh install.
 */
export function judgeRuntime(
  versions: { node: string; nodeRed?: string },
  claims: Claims,
): { error?: UnsupportedRuntimeError; warnings: string[] } {
  const warnings: string[] = [];
  const tested = `tested with Node.js ${claims.node} and Node-RED ${claims.nodeRed}`;
  if (olderThanRange(versions.node, claims.node)) {
    return {
      warnings,
      error: new UnsupportedRuntimeError(
        `node-red-contrib-takpak needs Node.js ${claims.node}, but this Node-RED runs on Node.js ${versions.node}: ` +
          'update Node.js (see "Compatibility" in the README), then restart Node-RED',
        'ERR_TAKPAK_UNSUPPORTED_NODE',
      ),
    };
  }
  if (versions.nodeRed !== undefined && olderThanRange(versions.nodeRed, claims.nodeRed)) {
    return {
      warnings,
      error: new UnsupportedRuntimeError(
        `node-red-contrib-takpak needs Node-RED ${claims.nodeRed}, but this is Node-RED ${versions.nodeRed}: ` +
          'update Node-RED (see "Compatibility" in the README), then restart it',
        'ERR_TAKPAK_UNSUPPORTED_NODE_RED',
      ),
    };
  }
  if (!satisfies(versions.node, claims.node)) {
    warnings.push(`node-red-contrib-takpak is ${tested}, not Node.js ${versions.node}: report any problem`);
  }
  if (versions.nodeRed !== undefined && !satisfies(versions.nodeRed, claims.nodeRed)) {
    warnings.push(
      `node-red-contrib-takpak is ${tested}, not Node-RED ${versions.nodeRed}: report any problem`,
    );
  }
  return { warnings };
}

let warned = false;

/** Called first by every node module: throws on a runtime too old, warns once on an untested newer one. */
export function checkRuntime(RED: { version?: () => string; log?: { warn(message: string): void } }): void {
  const { error, warnings } = judgeRuntime(
    { node: process.versions.node, nodeRed: RED.version?.() },
    packageClaims(),
  );
  if (error) throw error;
  if (!warned) for (const warning of warnings) RED.log?.warn(warning);
  warned = true;
}
