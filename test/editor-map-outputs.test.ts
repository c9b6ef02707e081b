/**
 * tak-receive's map outputs in the real editor (Debian chromium): ticking them in the dialog gives the node
 * its extra ports, and a node that carries the defaults is not changed by opening and closing its dialog.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startEmbeddedRed, type EmbeddedRed } from './helpers/embedded-red';

/** Debian's chromium; never a downloaded browser. */
const CHROMIUM = '/usr/bin/chromium';
/** Editor steps wait at most this long for the page to catch up. */
const UI_TIMEOUT_MS = 15_000;

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: apt-get install chromium`;

interface EditorNode {
  id: string;
  outputs: number;
  changed?: boolean;
  worldmap?: boolean;
  geojson?: boolean;
  layer?: string;
}

interface Editor {
  RED: {
    view: { importNodes(nodes: Array<Record<string, unknown>>): void };
    workspaces: { active(): string };
    nodes: { node(id: string): EditorNode | null; dirty(): boolean };
  };
}

async function nodeState(page: Page, id: string): Promise<EditorNode & { dirty: boolean }> {
  return page.evaluate((nodeId) => {
    const RED = (globalThis as unknown as Editor).RED;
    const node = RED.nodes.node(nodeId) as EditorNode;
    return {
      id: node.id,
      outputs: node.outputs,
      changed: node.changed === true,
      worldmap: node.worldmap,
      geojson: node.geojson,
      layer: node.layer,
      dirty: RED.nodes.dirty(),
    };
  }, id);
}

async function openDialog(page: Page, id: string): Promise<void> {
  await page.dblclick(`g[id="${id}"] .red-ui-flow-node`);
  await page.waitForSelector('#node-input-worldmap');
}

describe('tak-receive map outputs in a real editor', { skip }, () => {
  let red: EmbeddedRed;
  let browser: Browser;
  let page: Page;

  before(async () => {
    red = await startEmbeddedRed({ http: 'editor' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    await page.goto(red.url);
    await page.waitForSelector('.red-ui-palette-node[data-palette-type="tak-receive"]');
    await page.evaluate(() => {
      const RED = (globalThis as unknown as Editor).RED;
      const z = RED.workspaces.active();
      RED.view.importNodes([
        { id: 'cfg-map', type: 'tak-config', name: 'map test', host: '127.0.0.1', port: 1, protocol: 'tcp' },
        {
          id: 'recv-defaults',
          type: 'tak-receive',
          z,
          x: 300,
          y: 120,
          server: 'cfg-map',
          name: '',
          types: '',
          uid: '',
          how: '',
          includeControl: false,
          emitErrors: false,
          worldmap: false,
          layer: 'TAK',
          geojson: false,
          outputs: 1,
          wires: [[]],
        },
        { id: 'recv-tick', type: 'tak-receive', z, x: 300, y: 220, server: 'cfg-map', wires: [[]] },
      ]);
    });
    await page.mouse.click(700, 500);
    // Imported nodes are new until deployed; a deployed flow is the one a user opens dialogs in.
    await page.click('#red-ui-header-button-deploy');
    await page.waitForSelector('#red-ui-header-button-deploy.disabled');
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
  });

  it('Done on a node that carries every default changes nothing', async () => {
    const before = await nodeState(page, 'recv-defaults');
    await openDialog(page, 'recv-defaults');
    assert.equal(
      await page.isVisible('.tak-receive-layer'),
      false,
      'the layer row hides while the map is off',
    );
    await page.click('#node-dialog-ok');
    const after = await nodeState(page, 'recv-defaults');
    assert.equal(after.changed, false, 'the node is not marked changed');
    assert.equal(after.outputs, 1);
    assert.equal(after.dirty, before.dirty);
  });

  it('ticking both map outputs gives three ports, the layer as typed', async () => {
    await openDialog(page, 'recv-tick');
    await page.check('#node-input-worldmap');
    await page.waitForSelector('.tak-receive-layer', { state: 'visible' });
    // A node from before the map outputs has no layer: the field shows the default the runtime uses.
    assert.equal(await page.inputValue('#node-input-layer'), '');
    assert.equal(await page.getAttribute('#node-input-layer', 'placeholder'), 'TAK');
    await page.fill('#node-input-layer', 'tracks');
    await page.check('#node-input-geojson');
    await page.click('#node-dialog-ok');
    const node = await nodeState(page, 'recv-tick');
    assert.deepEqual([node.outputs, node.worldmap, node.geojson, node.layer], [3, true, true, 'tracks']);
    // The canvas redraws after the dialog closes: wait for the ports to follow.
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }
        ).document.querySelectorAll('g[id="recv-tick"] .red-ui-flow-port-output').length === 3,
    );

    await openDialog(page, 'recv-tick');
    await page.uncheck('#node-input-worldmap');
    await page.click('#node-dialog-ok');
    assert.equal((await nodeState(page, 'recv-tick')).outputs, 2, 'the GeoJSON output alone');
  });
});
