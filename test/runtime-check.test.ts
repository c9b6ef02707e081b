import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { judgeRuntime, packageClaims, UnsupportedRuntimeError } from '../src/nodes/runtime-check';
import { olderThanRange, satisfies } from '../src/nodes/version-range';
import { REPO_ROOT } from './helpers/paths';

const claims = { node: '^20.19.0 || ^22.0.0 || ^24.0.0', nodeRed: '>=3.1.0 <6.0.0' };

describe('version ranges as package.json writes them', () => {
  it('caret, lower and upper bounds, alternatives', () => {
    for (const [version, range, expected] of [
      ['20.19.0', '^20.19.0', true],
      ['20.18.3', '^20.19.0', false],
      ['21.0.0', '^20.19.0', false],
      ['v22.9.0', '^20.19.0 || ^22.0.0', true],
      ['3.1.15', '>=3.1.0 <6.0.0', true],
      ['3.0.2', '>=3.1.0 <6.0.0', false],
      ['6.0.0', '>=3.1.0 <6.0.0', false],
      ['5.0.0-beta.1', '>=3.1.0 <6.0.0', true],
      ['4.1.0', '>4.0.9 <=4.1.0', true],
      ['4.1.1', '=4.1.0', false],
    ] as const) {
      assert.equal(satisfies(version, range), expected, `${version} in ${range}`);
    }
  });

  it('tells older than everything from newer or in between', () => {
    assert.equal(olderThanRange('18.20.4', claims.node), true);
    assert.equal(olderThanRange('20.18.0', claims.node), true);
    assert.equal(olderThanRange('21.7.3', claims.node), false);
    assert.equal(olderThanRange('26.0.0', claims.node), false);
    assert.equal(olderThanRange('2.2.0', claims.nodeRed), true);
    assert.equal(olderThanRange('6.0.0', claims.nodeRed), false);
  });

  it('a comparator it cannot read is a mistake in package.json, not a silent pass', () => {
    assert.throws(() => satisfies('20.19.0', '~20.19'), /not a version/);
  });
});

describe('the runtime check every node module makes at load', () => {
  it('passes a tested pair without a word', () => {
    assert.deepEqual(judgeRuntime({ node: '22.23.3', nodeRed: '5.0.7' }, claims), { warnings: [] });
    assert.deepEqual(judgeRuntime({ node: '20.19.0', nodeRed: '3.1.0' }, claims), { warnings: [] });
  });

  it('refuses an older Node.js with what to do, not a stack trace later', () => {
    const { error } = judgeRuntime({ node: '18.20.4', nodeRed: '3.1.15' }, claims);
    assert.ok(error instanceof UnsupportedRuntimeError);
    assert.equal(error.code, 'ERR_TAKPAK_UNSUPPORTED_NODE');
    assert.match(error.message, /needs Node\.js \^20\.19\.0 .* runs on Node\.js 18\.20\.4: update Node\.js/);
  });

  it('refuses an older Node-RED with what to do', () => {
    const { error } = judgeRuntime({ node: '20.20.0', nodeRed: '2.2.3' }, claims);
    assert.equal(error?.code, 'ERR_TAKPAK_UNSUPPORTED_NODE_RED');
    assert.match(String(error?.message), /needs Node-RED >=3\.1\.0 <6\.0\.0, but this is Node-RED 2\.2\.3/);
  });

  it('warns, and loads, on an untested newer Node.js or Node-RED', () => {
    const { error, warnings } = judgeRuntime({ node: '26.1.0', nodeRed: '6.0.0' }, claims);
    assert.equal(error, undefined);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0], /not Node\.js 26\.1\.0/);
    assert.match(warnings[1], /not Node-RED 6\.0\.0/);
  });

  it('reads the claims from package.json, and this Node.js is one of them', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
      'node-red': { version: string };
    };
    assert.deepEqual(packageClaims(), { node: pkg.engines.node, nodeRed: pkg['node-red'].version });
    assert.ok(satisfies(process.versions.node, pkg.engines.node), process.versions.node);
  });

  it('every node module package.json lists refuses to register on Node-RED 2.x, with the reason', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      'node-red': { nodes: Record<string, string> };
    };
    const modules = Object.entries(pkg['node-red'].nodes);
    assert.ok(modules.length >= 7, 'every node is listed');
    for (const [type, file] of modules) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const register = require(path.join(REPO_ROOT, file)) as (RED: unknown) => void;
      const registered: string[] = [];
      const RED = { version: () => '2.2.3', nodes: { registerType: (t: string) => registered.push(t) } };
      assert.throws(() => register(RED), { code: 'ERR_TAKPAK_UNSUPPORTED_NODE_RED' }, type);
      assert.deepEqual(registered, [], `${type} registered nothing`);
    }
  });
});
