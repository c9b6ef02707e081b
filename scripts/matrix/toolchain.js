'use strict';
// Fetches the Node binaries and Node-RED versions the matrix runs, into .matrix/ (gitignored), never into
// this package's node_modules. Everything comes from the npm registry through npm itself: Node binaries
// from the node-<platform>-<arch> packages the `node` package installs, Node-RED from `node-red`.
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CACHE_DIR = path.join(REPO_ROOT, '.matrix');
/** An install is a few tens of seconds; ten minutes means the registry is unreachable or stuck. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;

function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, ...options },
      (error, stdout, stderr) => {
        if (error) {
          const what = `${command} ${args.join(' ')}`;
          reject(new Error(`${what} failed: ${error.message}\n${stderr || stdout}`, { cause: error }));
        } else resolve({ stdout, stderr });
      },
    );
  });
}

/** npm install into `dir` (its own package.json), nothing else touched. */
async function npmInstallInto(dir, specs, extra = []) {
  fs.mkdirSync(dir, { recursive: true });
  const manifest = path.join(dir, 'package.json');
  if (!fs.existsSync(manifest)) fs.writeFileSync(manifest, '{"private": true}\n');
  await run('npm', [
    'install',
    '--no-audit',
    '--no-fund',
    '--no-save',
    '--loglevel=error',
    '--prefix',
    dir,
    ...extra,
    ...specs,
  ]);
}

/** The `node` binary of a major release: this process's own if it is that major, else from the registry. */
async function ensureNode(major) {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const pkg = `node-${process.platform}-${process.arch}`;
  const dir = path.join(CACHE_DIR, `node-${major}`);
  const bin = path.join(dir, 'node_modules', pkg, 'bin', 'node');
  if (!fs.existsSync(bin)) await npmInstallInto(dir, [`${pkg}@${major}`]);
  return bin;
}

/**
 * A Node-RED line in its own folder. Optional dependencies (bcrypt, a native build for one Node ABI) and
 * install scripts are left out: Node-RED falls back to bcryptjs and needs no build step.
 */
async function ensureNodeRed(line, range) {
  const dir = path.join(CACHE_DIR, `node-red-${line}`);
  const pkgDir = path.join(dir, 'node_modules', 'node-red');
  if (!fs.existsSync(path.join(pkgDir, 'package.json'))) {
    await npmInstallInto(dir, [`node-red@${range}`], ['--omit=optional', '--ignore-scripts']);
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  return { dir: pkgDir, main: path.join(pkgDir, pkg.main), version: pkg.version };
}

async function nodeVersion(bin) {
  return (await run(bin, ['--version'])).stdout.trim().replace(/^v/, '');
}

module.exports = { REPO_ROOT, CACHE_DIR, run, npmInstallInto, ensureNode, ensureNodeRed, nodeVersion };
