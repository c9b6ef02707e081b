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

// Every node that uses a tak-config shows the connection's status and errors, and Node-RED looks a node's
// texts up in its own node set's catalog: give every catalog the tak-config section.
const localesDir = path.join(target, 'locales');
if (fs.existsSync(localesDir)) {
  for (const lang of fs.readdirSync(localesDir)) {
    const shared = path.join(localesDir, lang, 'tak-config.json');
    if (!fs.existsSync(shared)) continue;
    const section = JSON.parse(fs.readFileSync(shared, 'utf8'))['tak-config'];
    for (const file of fs.readdirSync(path.join(localesDir, lang))) {
      if (!file.endsWith('.json') || file === 'tak-config.json') continue;
      const catalogPath = path.join(localesDir, lang, file);
      const catalog = JSON.parse(fs.readFileSync(catalogPath, 'utf8'));
      catalog['tak-config'] = section;
      fs.writeFileSync(catalogPath, `${JSON.stringify(catalog, null, 2)}\n`);
    }
  }
}
