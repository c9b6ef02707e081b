'use strict';
// Runs every compiled *.test.js under dist/test with Node's built-in runner. Node 20's `--test` takes no
// globs, and given the folder it would also run the helper modules as if they were tests.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const testRoot = path.resolve(__dirname, '..', 'dist', 'test');

function findTests(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return findTests(full);
    return entry.name.endsWith('.test.js') ? [full] : [];
  });
}

const files = findTests(testRoot).sort();
if (files.length === 0) {
  console.error(`no *.test.js under ${testRoot}: run "npm run build" first`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', ...process.argv.slice(2), ...files],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
