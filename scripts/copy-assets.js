'use strict';
// Node-RED looks for a node's editor .html, its icons/ and locales/ beside the node's .js file,
// so the build puts them next to the compiled node definitions.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const target = path.join(root, 'dist', 'src', 'nodes');

function copyDir(from, to, skip = []) {
  if (!fs.existsSync(from)) return;
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (skip.includes(entry.name)) continue;
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyDir(src, dst);
    else fs.copyFileSync(src, dst);
  }
}

// Pieces two dialogs share live once in nodes/shared/ and are put into each dialog here, so they cannot
// drift: `/* takpak:editor-common */` in a dialog's script takes the shared script's body, and
// `<!-- takpak:PIECE {"name": "value", ...} -->` in its template takes nodes/shared/PIECE.html (the certificate
// fields, the map outputs) with each {{name}} filled in.
const sharedDir = path.join(root, 'nodes', 'shared');

function sharedPiece(file) {
  return fs
    .readFileSync(path.join(sharedDir, file), 'utf8')
    .replace(/^<!--[\s\S]*?-->\s*/, '')
    .trimEnd();
}

function withSharedPieces(html, name) {
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(
    sharedPiece('editor-common.html'),
  );
  const out = html
    .replace(/\/\* takpak:editor-common \*\//g, () => script[1].trim())
    .replace(/<!-- takpak:([\w-]+) (\{[\s\S]*?\}) -->/g, (_marker, piece, json) => {
      const names = JSON.parse(json);
      return sharedPiece(`${piece}.html`).replace(/\{\{(\w+)\}\}/g, (_m, key) => {
        if (!(key in names)) throw new Error(`${name}: the takpak:${piece} marker gives no "${key}"`);
        return names[key];
      });
    });
  const left = /takpak:[\w-]+|\{\{\w+\}\}/.exec(out);
  if (left) throw new Error(`${name}: "${left[0]}" was not filled in from nodes/shared/`);
  return out;
}

fs.mkdirSync(target, { recursive: true });
copyDir(path.join(root, 'nodes'), target, ['shared']);
for (const name of fs.readdirSync(target)) {
  if (!name.endsWith('.html')) continue;
  const file = path.join(target, name);
  fs.writeFileSync(file, withSharedPieces(fs.readFileSync(file, 'utf8'), name));
}
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
