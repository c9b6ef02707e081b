'use strict';
// The package as a user installs it: the packed tarball goes into a fresh Node-RED user directory with npm
// (as the palette manager does), that Node-RED starts, and its editor API must show every node loaded with
// no error, our examples under Import > Examples, our icons and help, and a flow with every one of our nodes
// must deploy and carry an event end to end (inject -> cot-build -> tak-send -> tak-server -> tak-receive).
// With --refused (--refused-node), the Node-RED (Node.js) is one the package does not support: it must load
// none of our nodes and say which versions the package needs, in the log, with no stack trace.
// Usage (with the Node binary under test): node installed.js <node-red package dir> <tarball> [--refused]
/* global fetch */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { EDITOR_DEFAULTS } = require('../demo-flow');
const { npmInstallInto } = require('./toolchain');

const MODULE = 'node-red-contrib-takpak';
/** A deploy and one event through a loopback server take well under a second; thirty means it failed. */
const FLOW_TIMEOUT_MS = 30_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

/** Every node of ours with the editor's defaults, wired so that one event goes all the way round. */
function everyNodeFlow(port) {
  const node = (id, type, props, wires = []) =>
    Object.assign({}, EDITOR_DEFAULTS[type] ?? {}, { id, type, z: 'tab', x: 100, y: 100, wires }, props);
  return [
    { id: 'tab', type: 'tab', label: 'every takpak node' },
    node('cfg', 'tak-config', { host: '127.0.0.1', port, callsign: 'matrix sender' }),
    // A TAK server sends an event on to every client but its sender: the receiver has its own connection.
    node('cfg2', 'tak-config', { host: '127.0.0.1', port, callsign: 'matrix receiver' }),
    node('server', 'tak-server', { host: '127.0.0.1', port }),
    node(
      'inject',
      'inject',
      {
        props: [{ p: 'payload' }],
        payload: '{"uid":"matrix-1","lat":51.5,"lon":-0.12}',
        payloadType: 'json',
      },
      [['build']],
    ),
    node('build', 'cot-build', {}, [['send', 'parse']]),
    node('send', 'tak-send', { server: 'cfg' }),
    node('parse', 'cot-parse', {}, [['parsed']]),
    node('receive', 'tak-receive', { server: 'cfg2' }, [['received']]),
    // console: true puts each msg in the runtime log, where this script sees it.
    node('parsed', 'debug', { active: true, console: true, complete: 'payload.uid', tosidebar: false }),
    node('received', 'debug', { active: true, console: true, complete: 'payload.uid', tosidebar: false }),
  ];
}

async function getJson(base, route) {
  const res = await fetch(base + route, { headers: { accept: 'application/json' } });
  assert.equal(res.status, 200, `GET ${route} answered ${res.status}`);
  return res.json();
}

/** On an unsupported Node-RED or Node.js none of our nodes loads, and the log says which versions we need. */
async function checkRefused(base, needed, log) {
  const sets = (await getJson(base, '/nodes')).filter(
    (set) => set.module === MODULE && set.enabled && !set.err,
  );
  assert.deepEqual(sets, [], 'no node of ours loaded');
  const lines = log.map((e) => String(e.msg)).filter((msg) => msg.includes(MODULE));
  assert.ok(
    lines.some((msg) => msg.includes(needed)),
    `the log names the versions the package needs (${needed}); it says:\n${lines.join('\n')}`,
  );
  assert.ok(!lines.some((msg) => /\n\s+at /.test(msg)), `no stack trace:\n${lines.join('\n')}`);
  return lines.find((msg) => msg.includes(needed));
}

async function main() {
  const [redDir, tarball, mode] = process.argv.slice(2);
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'takpak-installed-'));
  const log = [];
  let server;
  let RED;
  try {
    await npmInstallInto(userDir, [tarball]);
    RED = require(redDir);
    const express = require(require.resolve('express', { paths: [redDir] }));
    const app = express();
    server = http.createServer(app);
    RED.init(server, {
      userDir,
      flowFile: 'flows.json',
      httpAdminRoot: '/',
      httpNodeRoot: '/',
      credentialSecret: false,
      telemetry: { enabled: false },
      editorTheme: { tours: false, projects: { enabled: false } },
      logging: {
        console: { level: 'off', metrics: false, audit: false },
        capture: { level: 'info', metrics: false, audit: false, handler: () => (entry) => log.push(entry) },
      },
    });
    app.use('/', RED.httpAdmin);
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${server.address().port}`;
    await RED.start();
    const pkg = JSON.parse(
      fs.readFileSync(path.join(userDir, 'node_modules', MODULE, 'package.json'), 'utf8'),
    );
    const types = Object.keys(pkg['node-red'].nodes);
    if (mode === '--refused' || mode === '--refused-node') {
      const line = await checkRefused(
        base,
        mode === '--refused' ? pkg['node-red'].version : pkg.engines.node,
        log,
      );
      console.log(
        `Node-RED ${RED.version()} on Node ${process.version} refuses ${MODULE}, saying:\n  ${line}`,
      );
      return;
    }

    // Every node set loaded, enabled, without error.
    const sets = (await getJson(base, '/nodes')).filter((set) => set.module === MODULE);
    assert.deepEqual(sets.map((s) => s.name).sort(), [...types].sort(), 'our node sets in the palette');
    for (const set of sets) {
      assert.ok(set.enabled && !set.err, `${set.name} failed to load: ${set.err}`);
      assert.deepEqual(set.types, [set.name], `${set.name} registers its type`);
    }

    // Editor side: each node's dialog and help, each icon it names, its message catalog.
    const htmlRes = await fetch(base + '/nodes', { headers: { accept: 'text/html' } });
    const html = await htmlRes.text();
    for (const type of types) {
      assert.ok(html.includes(`data-template-name="${type}"`), `the editor gets the dialog of ${type}`);
      assert.ok(html.includes(`data-help-name="${type}"`), `the editor gets the help of ${type}`);
    }
    const icons = new Set([...html.matchAll(/\bicon:\s*'([\w.-]+\.svg)'/g)].map((m) => m[1]));
    assert.ok(icons.size >= 4, `the dialogs name our icons (found ${[...icons]})`);
    for (const icon of icons) {
      const res = await fetch(`${base}/icons/${MODULE}/${icon}`);
      const body = await res.text();
      assert.ok(res.status === 200 && body.includes('<svg'), `icon ${icon} is served (${res.status})`);
    }
    for (const type of types) {
      const catalog = await getJson(base, `/locales/${MODULE}/${type}?lng=en-US`);
      assert.ok(catalog[type], `the message catalog of ${type} is served`);
    }

    // Import > Examples lists our package and serves each flow as it is in the package.
    const modules = await getJson(base, '/library/examples/flows/');
    assert.ok(JSON.stringify(modules).includes(MODULE), `Import > Examples lists ${MODULE}`);
    const listed = await getJson(base, `/library/examples/flows/${MODULE}`);
    const wanted = fs.readdirSync(path.join(userDir, 'node_modules', MODULE, 'examples'));
    const names = listed.map((entry) => entry.fn ?? entry).sort();
    assert.deepEqual(names, wanted.map((f) => f.replace(/\.json$/, '')).sort(), 'every example is listed');
    for (const name of names) {
      const flow = await getJson(base, `/library/examples/flows/${MODULE}/${name}`);
      assert.ok(Array.isArray(flow) && flow.length > 0, `example ${name} is a flow`);
    }

    // A flow with every node deploys through the admin API, and an event goes all the way round.
    const before = log.length;
    const port = await freePort();
    const deploy = await fetch(base + '/flows', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'node-red-deployment-type': 'full' },
      body: JSON.stringify(everyNodeFlow(port)),
    });
    assert.equal(deploy.status, 204, `deploy answered ${deploy.status}: ${await deploy.text()}`);
    const until = Date.now() + FLOW_TIMEOUT_MS;
    const seen = (id) => log.slice(before).some((e) => e.id === id && String(e.msg).includes('matrix-1'));
    let injected = false;
    const connected = (id) =>
      /^connected to/.test(RED.nodes.getNode(id)?.connection?.currentStatus?.text ?? '');
    while (!(seen('parsed') && seen('received'))) {
      assert.ok(
        Date.now() < until,
        `the event did not go round within ${FLOW_TIMEOUT_MS} ms; the runtime logged:\n` +
          log
            .slice(before)
            .map((e) => `  ${e.level} ${e.type ?? ''}:${e.id ?? ''} ${e.msg}`)
            .join('\n'),
      );
      if (!injected && ['cfg', 'cfg2'].every(connected)) {
        const res = await fetch(base + '/inject/inject', { method: 'POST' });
        assert.equal(res.status, 200, 'the inject button works');
        injected = true;
      }
      await sleep(50);
    }
    // Every error counts; of the warnings, those from a node or about our package (the runtime's own
    // start-up notes, such as unencrypted credentials in a throwaway user directory, are not ours).
    const problems = log.filter(
      (e) => e.level <= 20 || (e.level === 30 && (e.type || String(e.msg).includes(MODULE))),
    );
    assert.deepEqual(
      problems.map((e) => `[${e.level === 20 ? 'error' : 'warn'}] ${e.type ?? ''} ${e.msg}`),
      [],
      'no errors or warnings from the runtime',
    );
    console.log(
      `installed ${path.basename(tarball)} into Node-RED ${RED.version()} on Node ${process.version}:`,
    );
    console.log(
      `  ${types.length} nodes loaded, ${icons.size} icons, ${names.length} examples, flow round trip ok`,
    );
  } finally {
    if (RED) await RED.stop().catch(() => {});
    if (server?.listening) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
