'use strict';
// What the package claims must be what the matrix proved: `engines.node` and `node-red.version` in
// package.json are derived from scripts/matrix/versions.js, and the README's compatibility table is generated
// from the matrix's results. `node scripts/matrix/claims.js --write` rewrites the table from the last results
// (test-artifacts/matrix/results.json); without --write it checks and lists what differs.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { NODE_RED_LINES, REFUSED_NODE_RED, REFUSED_NODE, NODE_MAJORS, NODE_20_MIN } = require('./versions');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const README = path.join(REPO_ROOT, 'README.md');
const RESULTS = path.join(REPO_ROOT, 'test-artifacts', 'matrix', 'results.json');
const START = '<!-- takpak:compat-table (made by scripts/matrix/claims.js from the matrix; do not edit) -->';
const END = '<!-- takpak:compat-table end -->';

/** The Node range the core tests prove: each tested major from its first release we support. */
function nodeRange() {
  return NODE_MAJORS.map((major) => (major === 20 ? `^${NODE_20_MIN}` : `^${major}.0.0`)).join(' || ');
}

/** The Node-RED range the matrix proves: the oldest line up to the next major after the newest. */
function nodeRedRange() {
  const first = NODE_RED_LINES[0].line;
  const lastMajor = Number(NODE_RED_LINES.at(-1).line.split('.')[0]);
  return `>=${first.includes('.') ? first : `${first}.0`}.0 <${lastMajor + 1}.0.0`.replace(/\.x\.0/, '.0');
}

function mark(results, accept) {
  const hits = results.filter(accept);
  if (hits.length === 0) return 'not run';
  return hits.every((r) => r.outcome === 'passed')
    ? `passed (${[...new Set(hits.map((r) => r.nodeRed ?? r.node))].join(', ')})`
    : 'FAILED';
}

/** The README's table, from the matrix's results. */
function compatTable(results) {
  const rows = [
    '| Node-RED | on Node.js | node-level tests | installed from the tarball |',
    '| --- | --- | --- | --- |',
    ...NODE_RED_LINES.map(
      (l) =>
        `| ${l.line} | ${l.node} | ${mark(results, (r) => r.kind === 'node-level' && r.line === l.line)} | ${mark(
          results,
          (r) => r.kind === 'installed' && r.line === l.line,
        )} |`,
    ),
    `| ${REFUSED_NODE_RED.line} (unsupported) | ${REFUSED_NODE_RED.node} | not loaded: the log names the versions needed | ${mark(
      results,
      (r) => r.kind === 'refused',
    )} |`,
    '',
    '| Node.js | core tests |',
    '| --- | --- |',
    ...NODE_MAJORS.map(
      (m) => `| ${m} | ${mark(results, (r) => r.kind === 'core' && r.node.split('.')[0] === String(m))} |`,
    ),
    `| ${REFUSED_NODE.node} (unsupported) | takpak's nodes refuse to load, naming the versions needed: ${mark(
      results,
      (r) => r.kind === 'refused-node',
    )} |`,
  ];
  return rows.join('\n');
}

/** Lines the table shows without the exact versions that ran, so a new patch release does not change it. */
function stable(table) {
  return table.replace(/passed \([^)]*\)/g, 'passed');
}

/** The table's cells, whatever padding prettier gave the columns in the README. */
function cells(table) {
  return table
    .trim()
    .split('\n')
    .map((row) =>
      row
        .split('|')
        .map((cell) => cell.trim().replace(/^-+$/, '-'))
        .join('|'),
    )
    .join('\n');
}

function readmeTable() {
  const text = fs.readFileSync(README, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) return null;
  return { text, start, end, table: text.slice(start + START.length, end).trim() };
}

/** Every way the claims differ from what ran; empty when they match. */
function checkClaims(results) {
  const problems = [];
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  if (pkg.engines?.node !== nodeRange()) {
    problems.push(`package.json engines.node is "${pkg.engines?.node}"; the matrix proves "${nodeRange()}"`);
  }
  if (pkg['node-red']?.version !== nodeRedRange()) {
    problems.push(
      `package.json node-red.version is "${pkg['node-red']?.version}"; the matrix proves "${nodeRedRange()}"`,
    );
  }
  const proved = (accept) => {
    const hits = results.filter(accept);
    return hits.length > 0 && hits.every((r) => r.outcome === 'passed');
  };
  for (const line of NODE_RED_LINES) {
    for (const kind of ['node-level', 'installed']) {
      if (!proved((r) => r.kind === kind && r.line === line.line)) {
        problems.push(`Node-RED ${line.line} is claimed but its ${kind} job did not pass`);
      }
    }
  }
  if (!proved((r) => r.kind === 'refused-node')) {
    problems.push(`Node ${REFUSED_NODE.node} is said to be refused at load, but that job did not pass`);
  }
  if (!proved((r) => r.kind === 'refused')) {
    problems.push(
      `Node-RED ${REFUSED_NODE_RED.line} is said to refuse the package, but that job did not pass`,
    );
  }
  for (const major of NODE_MAJORS) {
    if (!proved((r) => r.kind === 'core' && r.node.startsWith(`${major}.`))) {
      problems.push(`Node ${major} is claimed but its core tests did not pass`);
    }
  }
  const readme = readmeTable();
  const want = stable(compatTable(results));
  if (!readme) {
    problems.push(
      `README.md has no compatibility table between "${START}" and "${END}"; run: node scripts/matrix/claims.js --write`,
    );
  } else if (cells(readme.table) !== cells(want)) {
    problems.push(`README.md's compatibility table differs from what ran; it should read:\n${want}`);
  }
  return problems;
}

module.exports = { cells, checkClaims, compatTable, nodeRange, nodeRedRange, stable, START, END };

if (require.main === module) {
  const results = JSON.parse(fs.readFileSync(RESULTS, 'utf8'));
  if (process.argv.includes('--write')) {
    const readme = readmeTable();
    if (!readme) throw new Error(`README.md has no "${START}" ... "${END}" markers to write between`);
    const table = stable(compatTable(results));
    fs.writeFileSync(
      README,
      `${readme.text.slice(0, readme.start + START.length)}\n${table}\n${readme.text.slice(readme.end)}`,
    );
    // `npm run lint` checks the README's formatting: pad the table's columns as prettier does.
    execFileSync('npx', ['prettier', '--write', README], { cwd: REPO_ROOT, stdio: 'inherit' });
  }
  const problems = checkClaims(results);
  for (const problem of problems) console.log(`FAIL claims: ${problem}`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}
