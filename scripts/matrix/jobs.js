'use strict';
// Sorts the compiled tests into the matrix's two kinds: node-level tests (they start a real Node-RED runtime)
// and core tests (no Node-RED, no browser). Editor tests drive Chromium and stay with `npm test` on Node 20.
// The soak tests run real outages on a real clock: they get the machine to themselves (see run.js).
const fs = require('node:fs');
const path = require('node:path');
const { REPO_ROOT } = require('./toolchain');

const TEST_ROOT = path.join(REPO_ROOT, 'dist', 'test');
const RUNTIME_HELPERS = /require\("\.\/helpers\/(red|embedded-red)"\)/;

function compiledTests() {
  if (!fs.existsSync(TEST_ROOT)) throw new Error(`no ${TEST_ROOT}: run "npm run build" first`);
  return fs
    .readdirSync(TEST_ROOT)
    .filter((name) => name.endsWith('.test.js'))
    .sort()
    .map((name) => path.join(TEST_ROOT, name));
}

function classify() {
  const nodeLevel = [];
  const core = [];
  const soak = [];
  for (const file of compiledTests()) {
    const name = path.basename(file);
    if (/editor/.test(name)) continue;
    if (RUNTIME_HELPERS.test(fs.readFileSync(file, 'utf8'))) nodeLevel.push(file);
    else if (name.startsWith('soak-')) soak.push(file);
    else core.push(file);
  }
  if (nodeLevel.length === 0 || core.length === 0) {
    throw new Error(
      `found ${nodeLevel.length} node-level and ${core.length} core tests: the build looks wrong`,
    );
  }
  return { nodeLevel, core, soak };
}

module.exports = { classify };
