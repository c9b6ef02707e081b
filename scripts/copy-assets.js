'use strict';
// Node-RED looks for a node's editor .html, its icons/ and locales/ beside the node's .js file,
// so the build puts them next to the compiled node definitions.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const target = path.join(root, 'dist', 'src', 'nodes');

function copyDir(from, to) {
  if (!fs.existsSync(from)) return;
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyDir(src, dst);
    else fs.copyFileSync(src, dst);
  }
}

fs.mkdirSync(target, { recursive: true });
copyDir(path.join(root, 'nodes'), target);
copyDir(path.join(root, 'icons'), path.join(target, 'icons'));
