'use strict';
// Packs the package as `npm publish` would (prepare builds it) and checks the tarball's file list: nothing a
// user does not need (tests, bench, TypeScript source, source maps that point at source we do not ship) and
// nothing missing (every node's .js and .html, icons, message catalogs, examples, every file a shipped
// module requires, and every package it requires declared as a dependency).
const fs = require('node:fs');
const { builtinModules } = require('node:module');
const path = require('node:path');
const { REPO_ROOT, run } = require('./toolchain');

const CLUTTER = [
  [/^dist\/(test|bench)\//, 'compiled tests or bench'],
  [/^(test|bench|src|scripts|docs|\.ci|\.matrix)\//, 'a folder only the repo needs'],
  [/\.map$/, 'a source map (it points at TypeScript source the tarball does not hold)'],
  [/\.ts$/, 'TypeScript source'].map((x, i) => (i === 0 ? /(?<!\.d)\.ts$/ : x)),
  [/\.tsbuildinfo$|(^|\/)\.DS_Store$|\.log$|\.tgz$/, 'a build or system leftover'],
];

/** Problems with the tarball's file list, given package.json and the list of paths in the tarball. */
function tarballProblems(pkg, files, readFile) {
  const have = new Set(files);
  const problems = [];
  for (const file of files) {
    const hit = CLUTTER.find(([pattern]) => pattern.test(file));
    if (hit) problems.push(`${file} is ${hit[1]}: leave it out of "files" in package.json`);
  }
  const need = (file, why) => {
    if (!have.has(file)) problems.push(`${file} is missing from the tarball (${why})`);
  };
  for (const file of ['package.json', 'README.md', 'LICENSE']) need(file, 'the Flow Library shows it');
  need(path.posix.normalize(pkg.main), '"main"');
  if (pkg.types) need(path.posix.normalize(pkg.types), '"types"');
  const examples = files.filter((f) => /^examples\/[^/]+\.json$/.test(f));
  if (examples.length === 0) problems.push('no examples/*.json: the Import menu would show no examples');
  for (const [type, js] of Object.entries(pkg['node-red'].nodes)) {
    const base = path.posix.normalize(js).replace(/\.js$/, '');
    need(`${base}.js`, `node ${type}`);
    need(`${base}.html`, `the editor side of ${type}`);
    const dir = path.posix.dirname(base);
    need(`${dir}/locales/en-US/${path.posix.basename(base)}.json`, `the messages of ${type}`);
    if (have.has(`${base}.html`)) {
      for (const [, icon] of readFile(`${base}.html`).matchAll(/\bicon:\s*'([^']+\.(?:svg|png))'/g)) {
        need(`${dir}/icons/${icon}`, `the palette icon of ${type}`);
      }
    }
  }
  const deps = new Set(Object.keys(pkg.dependencies ?? {}));
  const builtins = new Set(builtinModules);
  for (const file of files.filter((f) => f.endsWith('.js'))) {
    for (const [, spec] of readFile(file).matchAll(/\brequire\("([^"]+)"\)/g)) {
      if (spec.startsWith('.')) {
        const target = path.posix.join(path.posix.dirname(file), spec);
        if (![target, `${target}.js`, `${target}.json`, `${target}/index.js`].some((t) => have.has(t))) {
          problems.push(`${file} requires ${spec}, which is not in the tarball`);
        }
      } else {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!builtins.has(name.replace(/^node:/, '')) && !deps.has(name)) {
          problems.push(`${file} requires ${name}, which is not in "dependencies"`);
        }
      }
    }
  }
  return problems;
}

/** Packs into `dir` and returns the tarball's path; throws listing every problem with its contents. */
async function packTarball(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const { stdout } = await run('npm', ['pack', '--json', '--loglevel=error', '--pack-destination', dir], {
    cwd: REPO_ROOT,
  });
  // prepare's build output comes before the JSON on stdout.
  const [report] = JSON.parse(stdout.slice(stdout.indexOf('\n[') + 1 || 0));
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const files = report.files.map((f) => f.path);
  const problems = tarballProblems(pkg, files, (file) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'));
  if (problems.length > 0) throw new Error(`the packed tarball is wrong:\n- ${problems.join('\n- ')}`);
  return path.join(dir, report.filename);
}

module.exports = { packTarball, tarballProblems };
