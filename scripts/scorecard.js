'use strict';
// The Flow Library's scorecard checks, offline: what flows.nodered.org and `node-red-dev validate` look at
// when a package is added (package name and keywords, the node-red section, examples, README sections,
// licence, no node-red runtime dependency, node types that do not clash with core or installed packages).
// Nothing here needs the network: node types are compared with core Node-RED's and with every package in
// node_modules that registers Node-RED nodes. Usage: node scripts/scorecard.js  (exit 1 when a check fails).
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/** Headings a user looks for in a node package's README (each a pattern over the README's headings). */
const README_SECTIONS = [
  ['install', /install/i],
  ['the nodes', /\bnodes?\b/i],
  ['examples', /example/i],
  ['compatibility', /compatib/i],
  ['licence', /licen[cs]e/i],
];

/** Core and installed node types, from the HTML files Node-RED loads for them. */
function knownTypes(root) {
  const types = new Map();
  const scanHtml = (dir, owner) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) scanHtml(full, owner);
      else if (entry.name.endsWith('.html')) {
        for (const [, type] of fs
          .readFileSync(full, 'utf8')
          .matchAll(/RED\.nodes\.registerType\(\s*['"]([^'"]+)['"]/g)) {
          types.set(type, owner);
        }
      }
    }
  };
  const modules = path.join(root, 'node_modules');
  scanHtml(path.join(modules, '@node-red', 'nodes', 'core'), 'Node-RED core');
  const packages = fs.existsSync(modules)
    ? fs
        .readdirSync(modules)
        .flatMap((name) =>
          name.startsWith('@') ? fs.readdirSync(path.join(modules, name)).map((n) => `${name}/${n}`) : [name],
        )
    : [];
  for (const name of packages) {
    const manifest = path.join(modules, name, 'package.json');
    if (!fs.existsSync(manifest)) continue;
    const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    if (!pkg['node-red']?.nodes || name === '@node-red/nodes') continue;
    for (const file of Object.values(pkg['node-red'].nodes)) {
      const html = path.join(modules, name, String(file).replace(/\.js$/, '.html'));
      if (fs.existsSync(html)) scanHtml(path.dirname(html), name);
    }
  }
  return types;
}

/** Every check, each { check, pass, detail }. `pkg`, `readme` and `files` can be given to check others. */
function scorecard({ root = ROOT, pkg, readme, exists } = {}) {
  pkg = pkg ?? JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  readme =
    readme ??
    (fs.existsSync(path.join(root, 'README.md'))
      ? fs.readFileSync(path.join(root, 'README.md'), 'utf8')
      : '');
  exists = exists ?? ((file) => fs.existsSync(path.join(root, file)));
  const results = [];
  const check = (name, pass, detail) => results.push({ check: name, pass: Boolean(pass), detail });
  const red = pkg['node-red'] ?? {};
  const nodes = red.nodes ?? {};

  check(
    'package name',
    /^(@[a-z0-9-~][a-z0-9-._~]*\/)?node-red-contrib-[a-z0-9-._~]+$/.test(pkg.name) ||
      /^@[a-z0-9-~][a-z0-9-._~]*\/node-red-[a-z0-9-._~]+$/.test(pkg.name),
    `"${pkg.name}": unscoped packages are named node-red-contrib-*; node-red-* is for the Node-RED project`,
  );
  check(
    'keywords',
    (pkg.keywords ?? []).includes('node-red'),
    'keywords must include "node-red" for the Flow Library to list it',
  );
  check(
    'node-red section',
    Object.keys(nodes).length > 0 && Object.values(nodes).every((file) => exists(file) || exists(`${file}`)),
    `"node-red".nodes names ${Object.keys(nodes).length} nodes; each file must exist (build first)`,
  );
  check(
    'node-red version',
    typeof red.version === 'string' && red.version.length > 0,
    '"node-red".version says which Node-RED it supports',
  );
  check('engines', typeof pkg.engines?.node === 'string', 'engines.node says which Node.js it needs');
  check(
    'licence',
    typeof pkg.license === 'string' && pkg.license !== 'UNLICENSED' && exists('LICENSE'),
    `license "${pkg.license}" and a LICENSE file`,
  );
  const redDeps = ['node-red', '@node-red/runtime', '@node-red/registry', '@node-red/util'].filter(
    (name) => (pkg.dependencies ?? {})[name],
  );
  check(
    'no node-red runtime dependency',
    redDeps.length === 0,
    `${redDeps.join(', ')} in "dependencies": the user's Node-RED loads the package, it must not bring its own`,
  );
  // The Flow Library links the package's source from "repository". Where there is none yet, the README
  // must say why (a heading about the Flow Library that mentions the repository).
  const explained = /^#{1,3} .*flow library[\s\S]*?\brepository\b/im.test(readme);
  check(
    'repository',
    Boolean(pkg.repository) || explained,
    'no "repository" in package.json, and no README section about the Flow Library saying why',
  );
  check(
    'examples',
    exists('examples') &&
      (pkg.files ?? ['examples']).some((f) => f === 'examples' || f.startsWith('examples/')),
    'examples/ holds flows for Import > Examples and is in "files"',
  );
  check('README', readme.length > 500, 'a README the Flow Library can show');
  const headings = [...readme.matchAll(/^#{1,3} (.+)$/gm)].map((m) => m[1]);
  for (const [section, pattern] of README_SECTIONS) {
    check(
      `README section: ${section}`,
      headings.some((h) => pattern.test(h)),
      `a heading about ${section}`,
    );
  }
  for (const type of Object.keys(nodes)) {
    check(`README names node ${type}`, readme.includes(type), `the README describes ${type}`);
  }
  const known = knownTypes(root);
  for (const type of Object.keys(nodes)) {
    const owner = known.get(type);
    check(
      `node type ${type} is unique`,
      !owner || owner === pkg.name,
      owner ? `${owner} already registers "${type}"` : `not registered by core or any installed package`,
    );
  }
  return results;
}

module.exports = { scorecard, knownTypes };

if (require.main === module) {
  const results = scorecard();
  for (const r of results)
    console.log(`${r.pass ? 'PASS' : 'FAIL'} ${r.check}${r.pass ? '' : `: ${r.detail}`}`);
  const failed = results.filter((r) => !r.pass).length;
  console.log(`scorecard checks: ${results.length - failed} of ${results.length} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}
