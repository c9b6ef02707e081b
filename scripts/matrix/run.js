'use strict';
// The compatibility matrix: node-level tests on every Node-RED line, core tests on every Node major, and the
// packed tarball installed and started on every Node-RED line. `.ci/run` runs it after `npm test` (which
// builds). Jobs run two at a time (this is a 2-core machine); each failure names its combination, the log of
// each job is kept under test-artifacts/matrix/, and the last line counts what passed and failed.
// Usage: node scripts/matrix/run.js [--only <substring of a job name>]
const { spawn } = require('node:child_process');
const { setTimeout, clearTimeout } = require('node:timers');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { NODE_RED_LINES, REFUSED_NODE_RED, REFUSED_NODE, NODE_MAJORS } = require('./versions');
const { REPO_ROOT, ensureNode, ensureNodeRed, nodeVersion } = require('./toolchain');
const { classify } = require('./jobs');
const { packTarball } = require('./pack');
const { checkClaims } = require('./claims');

const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'matrix');
/** Each job takes one to three minutes alone; twenty means it hangs. */
const JOB_TIMEOUT_MS = 20 * 60_000;
/** Two jobs at once on two cores; TAKPAK_MATRIX_JOBS sets another count for a bigger machine. */
const PARALLEL_JOBS = Number(process.env.TAKPAK_MATRIX_JOBS) || Math.min(2, os.availableParallelism());

function slug(name) {
  return name.replace(/[^\w.]+/g, '-').replace(/^-|-$/g, '');
}

/** Runs one command with its output in the job's log; resolves with the exit code (or the signal). */
function runLogged(bin, args, env, logFile) {
  return new Promise((resolve) => {
    const log = fs.openSync(logFile, 'w');
    // A group of its own, so a timeout ends the test runner and every test process it started.
    const child = spawn(bin, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', log, log],
      detached: true,
    });
    const timer = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), JOB_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      fs.closeSync(log);
      resolve(code === 0 ? 'passed' : `exited with ${code ?? signal}`);
    });
  });
}

function tail(file, lines = 40) {
  if (!fs.existsSync(file)) return `(no log at ${file})`;
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

async function main() {
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : '';
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const started = Date.now();
  const { nodeLevel, core, soak } = classify();

  // Fetch every runtime first (in parallel: it is network-bound), so a registry problem fails early.
  const [reds, refusedRed, nodes, tarball] = await Promise.all([
    Promise.all(NODE_RED_LINES.map((l) => ensureNodeRed(l.line, l.range))),
    ensureNodeRed(REFUSED_NODE_RED.line, REFUSED_NODE_RED.range),
    Promise.all([...NODE_MAJORS, REFUSED_NODE.node].map((major) => ensureNode(major))),
    packTarball(path.join(ARTIFACTS, 'pack')),
  ]);
  const nodeBins = new Map([...NODE_MAJORS, REFUSED_NODE.node].map((major, i) => [major, nodes[i]]));
  for (const line of NODE_RED_LINES)
    if (!nodeBins.has(line.node)) nodeBins.set(line.node, await ensureNode(line.node));
  const nodeVersions = new Map();
  for (const [major, bin] of nodeBins) nodeVersions.set(major, await nodeVersion(bin));

  const jobs = [];
  NODE_RED_LINES.forEach((line, i) => {
    const red = reds[i];
    const on = `Node-RED ${red.version} on Node ${nodeVersions.get(line.node)}`;
    jobs.push({
      kind: 'node-level',
      name: `node-level tests, ${on}`,
      nodeRed: red.version,
      line: line.line,
      node: nodeVersions.get(line.node),
      bin: nodeBins.get(line.node),
      args: ['--test', '--test-reporter=spec', ...nodeLevel],
      env: { TAKPAK_NODE_RED: red.main },
    });
    jobs.push({
      kind: 'installed',
      name: `installed package, ${on}`,
      nodeRed: red.version,
      line: line.line,
      node: nodeVersions.get(line.node),
      bin: nodeBins.get(line.node),
      args: [path.join(__dirname, 'installed.js'), red.dir, tarball],
      env: {},
    });
  });
  jobs.push({
    kind: 'refused',
    name: `unsupported Node-RED ${refusedRed.version} refuses the package with the reason`,
    nodeRed: refusedRed.version,
    line: REFUSED_NODE_RED.line,
    node: nodeVersions.get(REFUSED_NODE_RED.node),
    bin: nodeBins.get(REFUSED_NODE_RED.node),
    args: [path.join(__dirname, 'installed.js'), refusedRed.dir, tarball, '--refused'],
    env: {},
  });
  const redOfRefusedNode = reds[NODE_RED_LINES.findIndex((l) => l.line === REFUSED_NODE.line)];
  jobs.push({
    kind: 'refused-node',
    name: `unsupported Node ${nodeVersions.get(REFUSED_NODE.node)} under Node-RED ${redOfRefusedNode.version} refuses the package with the reason`,
    nodeRed: redOfRefusedNode.version,
    line: REFUSED_NODE.line,
    node: nodeVersions.get(REFUSED_NODE.node),
    bin: nodeBins.get(REFUSED_NODE.node),
    args: [path.join(__dirname, 'installed.js'), redOfRefusedNode.dir, tarball, '--refused-node'],
    env: {},
  });
  for (const major of NODE_MAJORS) {
    jobs.push({
      kind: 'core',
      name: `core tests on Node ${nodeVersions.get(major)}`,
      node: nodeVersions.get(major),
      bin: nodeBins.get(major),
      args: ['--test', '--test-reporter=spec', ...core],
      env: {},
    });
    if (soak.length > 0) {
      jobs.push({
        kind: 'core',
        name: `soak tests on Node ${nodeVersions.get(major)}`,
        node: nodeVersions.get(major),
        bin: nodeBins.get(major),
        args: ['--test', '--test-reporter=spec', ...soak],
        env: {},
        // Timed outages on a real clock: alone on the machine, or a busy neighbour makes them miss.
        exclusive: true,
      });
    }
  }
  const selected = jobs.filter((job) => job.name.includes(only));
  const shared = selected.filter((job) => !job.exclusive);
  const alone = selected.filter((job) => job.exclusive);

  const results = [];
  async function runJob(job) {
    const logFile = path.join(ARTIFACTS, `${slug(job.name)}.log`);
    const t0 = Date.now();
    const outcome = await runLogged(job.bin, job.args, job.env, logFile);
    const seconds = Math.round((Date.now() - t0) / 1000);
    const { kind, name, nodeRed, line, node } = job;
    results.push({ kind, name, nodeRed, line, node, outcome, seconds });
    if (outcome === 'passed') console.log(`PASS ${job.name} (${seconds} s)`);
    else console.log(`FAIL ${job.name}: ${outcome} (${seconds} s); log ${logFile}\n${tail(logFile)}\n`);
  }
  let next = 0;
  async function worker() {
    while (next < shared.length) await runJob(shared[next++]);
  }
  await Promise.all(Array.from({ length: PARALLEL_JOBS }, worker));
  for (const job of alone) await runJob(job);
  fs.writeFileSync(path.join(ARTIFACTS, 'results.json'), JSON.stringify(results, null, 2) + '\n');

  const problems = only ? [] : checkClaims(results);
  for (const problem of problems) console.log(`FAIL claims: ${problem}`);
  const failed = results.filter((r) => r.outcome !== 'passed').length + problems.length;
  const passed =
    results.length -
    results.filter((r) => r.outcome !== 'passed').length +
    (only ? 0 : 1 - Math.min(1, problems.length));
  console.log(`matrix took ${Math.round((Date.now() - started) / 1000)} s`);
  // Not the bare "N passed, N failed" form: CI reads the test count from npm test's own summary, which comes last.
  console.log(`matrix jobs: ${passed} of ${passed + failed} passed, ${failed} failed`);
  process.exitCode = failed === 0 && selected.length > 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  console.log('matrix jobs: the matrix itself failed to run');
  process.exitCode = 1;
});
