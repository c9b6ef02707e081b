import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CotServer } from '../src/index';
import { tlsServerFactory } from '../src/tls/server';
import { loadServerTls } from '../src/tls/settings';
import { startEmbeddedRed, type EmbeddedRed } from './helpers/embedded-red';
import { REPO_ROOT } from './helpers/paths';
import { P12_PASSWORD, SERVER_NAME, makeDataPackage, makePki, type TestPki } from './helpers/tls-pki';

/** Debian's chromium (.ci/run installs it); never a downloaded browser. */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(REPO_ROOT, 'test-artifacts', 'screenshots');
const UI_TIMEOUT_MS = 15_000;

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: apt-get install chromium`;

/**
 * The page's globals the steps touch (the tests compile without the DOM library). Written out in each
 * callback: a function handed to page.evaluate runs in the browser, without this module's scope.
 */
interface PageGlobals {
  RED: {
    view: { importNodes(nodes: Array<Record<string, unknown>>): void };
    workspaces: { active(): string };
    nodes: { createCompleteNodeSet(options: { credentials: boolean }): unknown };
  };
  document: {
    querySelector(selector: string): { textContent: string | null } | null;
    querySelectorAll(selector: string): Iterable<{ textContent: string | null }>;
  };
}

function text(page: Page, selector: string): Promise<string> {
  return page.evaluate(
    (s) => (globalThis as unknown as PageGlobals).document.querySelector(s)?.textContent ?? '',
    selector,
  );
}

describe(
  'the tak-config dialog imports a TAK Server data package and connects over mutual TLS',
  { skip },
  () => {
    let pki: TestPki;
    let server: CotServer;
    let port = 0;
    let red: EmbeddedRed;
    let browser: Browser;
    let page: Page;

    before(async () => {
      mkdirSync(SCREENSHOTS, { recursive: true });
      pki = makePki();
      const { options } = loadServerTls({
        serverCert: pki.p12.serverLegacy,
        serverPassword: P12_PASSWORD,
        clientCa: pki.p12.truststoreLegacy,
        clientCaPassword: P12_PASSWORD,
      });
      server = new CotServer({ host: '127.0.0.1', port: 0, createServer: tlsServerFactory(options) });
      port = (await server.listen()).port;
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
      page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
      page.setDefaultTimeout(UI_TIMEOUT_MS);
      await page.goto(red.url);
      await page.waitForSelector('.red-ui-palette-node[data-palette-type="tak-send"]');
    });

    after(async () => {
      await browser?.close();
      await red?.stop();
      await server?.close();
      pki?.cleanup();
    });

    it('fills the connection from the zip, checks the password, deploys connected, exports no secret', async () => {
      const zip = pki.file(
        'alpha-takpak.zip',
        makeDataPackage({
          connectString: `127.0.0.1:${port}:ssl`,
          client: pki.p12.alphaLegacy,
          trust: pki.p12.truststoreLegacy,
        }),
      );
      await page.evaluate(() => {
        const RED = (globalThis as unknown as PageGlobals).RED;
        RED.view.importNodes([
          { id: 'tls-send', type: 'tak-send', x: 300, y: 120, z: RED.workspaces.active() },
        ]);
      });
      await page.mouse.click(600, 400);
      await page.dblclick('g[id="tls-send"] .red-ui-flow-node');
      await page.click('#node-input-btn-server-add');
      await page.waitForSelector('#node-config-input-connectString');

      await page.selectOption('#node-config-input-protocol', 'tls');
      await page.setInputFiles('#node-config-package-file', zip);
      await page.waitForFunction(() =>
        /imported/.test(
          (globalThis as unknown as PageGlobals).document.querySelector('#node-config-package-result')
            ?.textContent ?? '',
        ),
      );
      assert.equal(await page.inputValue('#node-config-input-host'), '127.0.0.1');
      assert.equal(await page.inputValue('#node-config-input-port'), String(port));
      assert.equal(await page.inputValue('#node-config-input-protocol'), 'tls');
      assert.match(await text(page, '#node-config-clientCert-state'), /CN=alpha.*takpak test CA/);
      assert.match(await text(page, '#node-config-trustStore-state'), /takpak test CA/);

      await page.fill('#node-config-input-clientPassword', 'wrong');
      await page.dispatchEvent('#node-config-input-clientPassword', 'change');
      await page.waitForFunction(() =>
        /ERR_TLS_BAD_PASSWORD/.test(
          (globalThis as unknown as PageGlobals).document.querySelector('#node-config-clientCert-state')
            ?.textContent ?? '',
        ),
      );
      await page.fill('#node-config-input-clientPassword', P12_PASSWORD);
      await page.dispatchEvent('#node-config-input-clientPassword', 'change');
      await page.waitForFunction(() =>
        /CN=alpha/.test(
          (globalThis as unknown as PageGlobals).document.querySelector('#node-config-clientCert-state')
            ?.textContent ?? '',
        ),
      );
      await page.fill('#node-config-input-serverName', SERVER_NAME);
      await page.fill('#node-config-input-callsign', 'BROWSER-TLS');
      await page
        .locator('#node-config-tls-section')
        .screenshot({ path: path.join(SCREENSHOTS, 'tak-config-tls.png') });
      await page.click('#node-config-dialog-ok');
      await page.click('#node-dialog-ok');

      await page.click('#red-ui-header-button-deploy');
      await page.waitForFunction(() =>
        [
          ...(globalThis as unknown as PageGlobals).document.querySelectorAll(
            '.red-ui-flow-node-status-label',
          ),
        ].some((el) => /connected/.test(el.textContent ?? '')),
      );
      const identified = await new Promise<boolean>((resolve) => {
        const check = (): boolean => server.clients().some((c) => c.callsign === 'BROWSER-TLS');
        if (check()) resolve(true);
        else server.once('identified', () => resolve(check()));
      });
      assert.ok(identified, 'the TLS server saw the client');

      const exported = await page.evaluate(() =>
        JSON.stringify(
          (globalThis as unknown as PageGlobals).RED.nodes.createCompleteNodeSet({ credentials: false }),
        ),
      );
      assert.ok(
        !exported.includes(pki.p12.alphaLegacy.toString('base64').slice(0, 64)),
        'no certificate in the flow',
      );
      assert.ok(!exported.includes(P12_PASSWORD), 'no password in the flow');
    });
  },
);
