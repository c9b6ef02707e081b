import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/paths';

/* eslint-disable @typescript-eslint/no-require-imports */
const { tarballProblems } = require(path.join(REPO_ROOT, 'scripts', 'matrix', 'pack.js')) as {
  tarballProblems(pkg: unknown, files: string[], readFile: (file: string) => string): string[];
};
const claims = require(path.join(REPO_ROOT, 'scripts', 'matrix', 'claims.js')) as {
  compatTable(results: unknown[]): string;
  stable(table: string): string;
  cells(table: string): string;
  nodeRange(): string;
  nodeRedRange(): string;
};
const { scorecard } = require(path.join(REPO_ROOT, 'scripts', 'scorecard.js')) as {
  scorecard(options: {
    pkg?: unknown;
    readme?: string;
    exists?: (file: string) => boolean;
  }): Array<{ check: string; pass: boolean; detail: string }>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const pkg = {
  name: 'node-red-contrib-x',
  main: 'dist/src/index.js',
  types: 'dist/src/index.d.ts',
  license: 'Apache-2.0',
  keywords: ['node-red'],
  engines: { node: '^20.19.0' },
  files: ['dist/src', 'examples'],
  dependencies: { sax: '^1.0.0' },
  'node-red': { version: '>=3.1.0', nodes: { 'x-node': 'dist/src/nodes/x-node.js' } },
};
const goodFiles = [
  'package.json',
  'README.md',
  'LICENSE',
  'dist/src/index.js',
  'dist/src/index.d.ts',
  'dist/src/nodes/x-node.js',
  'dist/src/nodes/x-node.html',
  'dist/src/nodes/icons/x.svg',
  'dist/src/nodes/locales/en-US/x-node.json',
  'examples/01-x.json',
];
const sources: Record<string, string> = {
  'dist/src/index.js':
    'const sax = require("sax"); const fs = require("node:fs"); require("./nodes/x-node");',
  'dist/src/nodes/x-node.js': 'require("../index")',
  'dist/src/nodes/x-node.html': "RED.nodes.registerType('x-node', { icon: 'x.svg' })",
};
const read = (file: string): string => sources[file] ?? '';

describe('the packed tarball check', () => {
  it('passes a tarball with what a user needs and nothing else', () => {
    assert.deepEqual(tarballProblems(pkg, goodFiles, read), []);
  });

  it('names clutter: source maps, compiled tests, TypeScript source', () => {
    const problems = tarballProblems(
      pkg,
      [...goodFiles, 'dist/src/index.js.map', 'dist/test/a.test.js', 'src/index.ts'],
      read,
    );
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.match(problems.join('\n'), /index\.js\.map is a source map/);
    assert.match(problems.join('\n'), /dist\/test\/a\.test\.js is compiled tests/);
    assert.match(problems.join('\n'), /src\/index\.ts is a folder only the repo needs/);
  });

  it('names what is missing: an editor file, an icon, a catalog, a required file or dependency', () => {
    const files = goodFiles.filter((f) => !/x-node\.html|icons|locales|examples/.test(f));
    const problems = tarballProblems(pkg, files, (file) =>
      file === 'dist/src/index.js' ? 'require("fflate"); require("./gone")' : read(file),
    );
    const text = problems.join('\n');
    assert.match(text, /x-node\.html is missing .*editor side of x-node/);
    assert.match(text, /locales\/en-US\/x-node\.json is missing/);
    assert.match(text, /no examples/);
    assert.match(text, /requires fflate, which is not in "dependencies"/);
    assert.match(text, /requires \.\/gone, which is not in the tarball/);
  });
});

describe('the claims the matrix checks', () => {
  const passed = (extra: Record<string, string>) => ({ outcome: 'passed', ...extra });
  it('derives package.json ranges from the matrix lines', () => {
    assert.equal(claims.nodeRange(), '^20.19.0 || ^22.0.0 || ^24.0.0');
    assert.equal(claims.nodeRedRange(), '>=3.1.0 <6.0.0');
  });

  it('the README table says what ran, and a failure shows as FAILED', () => {
    const results = [
      passed({ kind: 'node-level', line: '3.1', nodeRed: '3.1.15', node: '20.20.2' }),
      { kind: 'installed', line: '3.1', nodeRed: '3.1.15', node: '20.20.2', outcome: 'exited with 1' },
      passed({ kind: 'core', node: '22.23.3' }),
    ];
    const table = claims.compatTable(results);
    assert.match(table, /\| 3\.1 \| 20 \| passed \(3\.1\.15\) \| FAILED \|/);
    assert.match(table, /\| 4\.0 \| 20 \| not run \| not run \|/);
    assert.match(table, /\| 22 \| passed \(22\.23\.3\) \|/);
    assert.doesNotMatch(claims.stable(table), /3\.1\.15/, 'a patch release does not change the README');
  });

  it('compares the README table by its cells, whatever padding prettier gave the columns', () => {
    const made = '| Node.js | core tests |\n| --- | --- |\n| 20 | passed |';
    const padded = '| Node.js | core tests |\n| ------- | ---------- |\n| 20      | passed     |';
    assert.equal(claims.cells(padded), claims.cells(made));
    assert.notEqual(claims.cells(padded.replace('passed', 'FAILED')), claims.cells(made));
  });
});

describe('the offline Flow Library scorecard', () => {
  const readme = [
    '# node-red-contrib-x',
    'x'.repeat(600),
    '## Install',
    '## The nodes',
    'x-node does things',
    '### Examples',
    '## Compatibility',
    '## License',
  ].join('\n');
  const failing = (options: Parameters<typeof scorecard>[0]) =>
    scorecard({ exists: () => true, readme, ...options })
      .filter((r) => !r.pass)
      .map((r) => r.check);

  it('passes a package that follows the rules', () => {
    assert.deepEqual(failing({ pkg: { ...pkg, repository: 'github:x/y' } }), []);
  });

  it('fails each rule broken', () => {
    const bad = {
      ...pkg,
      name: 'node-red-x',
      keywords: ['tak'],
      dependencies: { 'node-red': '^4.0.0' },
      'node-red': { nodes: { inject: 'inject.js' } },
    };
    assert.deepEqual(failing({ pkg: bad, readme: '# x' }).sort(), [
      'README',
      'README names node inject',
      'README section: compatibility',
      'README section: examples',
      'README section: install',
      'README section: licence',
      'README section: the nodes',
      'keywords',
      'no node-red runtime dependency',
      'node type inject is unique',
      'node-red version',
      'package name',
      'repository',
    ]);
  });

  it('a package with no repository passes only when the README says why', () => {
    assert.deepEqual(failing({ pkg }), ['repository']);
    const why = `${readme}\n## On the Flow Library\nThere is no public repository yet.`;
    assert.deepEqual(failing({ pkg, readme: why }), []);
  });
});
