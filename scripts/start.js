'use strict';
// `npm start`: Node-RED from the devDependency, on 127.0.0.1:1880, with this package's nodes loaded from
// the working tree. The user directory is made fresh on every start and kept out of git.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { demoCredentials, demoFlow, demoSettings, nodeRedSettings } = require('./demo-flow');

const root = path.resolve(__dirname, '..');
const userDir = path.join(root, '.node-red-user');
const host = process.env.TAKPAK_EDITOR_HOST || '127.0.0.1';
const port = process.env.TAKPAK_EDITOR_PORT || '1880';

fs.rmSync(userDir, { recursive: true, force: true });
fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
// Node-RED finds installed node packages in <userDir>/node_modules: a link makes it load this working tree.
fs.symlinkSync(root, path.join(userDir, 'node_modules', 'node-red-contrib-takpak'), 'dir');
fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(demoFlow(process.env), null, 2));
// With credentialSecret false Node-RED reads credentials as plain JSON; the folder is made fresh and ignored by git.
fs.writeFileSync(
  path.join(userDir, 'flows_cred.json'),
  JSON.stringify(demoCredentials(process.env), null, 2),
);
const settings = nodeRedSettings(host, port);
fs.writeFileSync(
  path.join(userDir, 'settings.js'),
  `module.exports = ${JSON.stringify(settings, null, 2)};\n`,
);

const demo = demoSettings(process.env);
const redMain = require.resolve('node-red/red.js');
console.log(`takpak: starting Node-RED with the demo flow`);
console.log(`takpak:   editor  http://${host}:${port}/`);
console.log(`takpak:   live map http://${host}:${port}/worldmap`);
console.log(
  process.env.TAKPAK_HOST
    ? `takpak:   TAK server ${process.env.TAKPAK_HOST}:${process.env.TAKPAK_PORT || 8087} (${process.env.TAKPAK_PROTOCOL || 'tcp'})`
    : `takpak:   TAK server embedded on ${demo.listen}:${demo.serverPort}` +
        (demo.openToNetwork
          ? ' (open to the network: it asks no password)'
          : ' (this machine only; TAKPAK_LISTEN=0.0.0.0 lets a phone in)'),
);
const child = spawn(
  process.execPath,
  [redMain, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')],
  {
    stdio: 'inherit',
  },
);
const stop = () => child.kill('SIGINT');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
child.on('exit', (code) => process.exit(code ?? 0));
