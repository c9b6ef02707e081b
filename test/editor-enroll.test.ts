/**
 * Enrollment from the tak-config dialog in a real browser (Debian's chromium) against a TAK Server-like
 * enrollment port on 127.0.0.1: a pasted link fills the fields, Enroll loads the certificate, key and CA chain
 * into the credential fields, and without a truststore the dialog shows the fingerprint it trusted.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PASSWORD, startEnrollServer, USERNAME, type EnrollServer } from './helpers/enroll-server';
import { startEmbeddedRed, type EmbeddedRed } from './helpers/embedded-red';
import { makePki, type TestPki } from './helpers/tls-pki';

const CHROMIUM = '/usr/bin/chromium';
const UI_TIMEOUT_MS = 15_000;
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`;

interface PageGlobals {
  RED: {
    view: { importNodes(nodes: unknown[], options: { notify: boolean }): void };
    workspaces: { active(): string };
  };
  document: { querySelector(selector: string): { value?: string; textContent?: string | null } | null };
}

describe('enrollment from the tak-config dialog in a real browser', { skip }, () => {
  let pki: TestPki;
  let red: EmbeddedRed;
  let browser: Browser;
  let page: Page;
  let enrollServer: EnrollServer;

  before(async () => {
    pki = makePki();
    enrollServer = await startEnrollServer(pki);
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
    await page.waitForSelector('.red-ui-palette-node[data-palette-type="tak-send"]');
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
    await enrollServer?.close();
    pki?.cleanup();
  });

  const value = (selector: string): Promise<string> => page.inputValue(selector);

  it('a pasted link fills the fields; Enroll loads the certificate and shows the fingerprint it trusted', async () => {
    await page.evaluate(() => {
      const RED = (globalThis as unknown as PageGlobals).RED;
      RED.view.importNodes(
        [{ id: 'ui-send', type: 'tak-send', x: 300, y: 120, z: RED.workspaces.active(), wires: [] }],
        {
          notify: false,
        },
      );
    });
    await page.mouse.move(600, 400);
    await page.mouse.click(600, 400);
    await page.dblclick('g[id="ui-send"] .red-ui-flow-node');
    await page.click('#node-input-btn-server-add');
    await page.waitForSelector('#node-config-input-connectString');
    await page.selectOption('#node-config-input-protocol', 'tls');

    await page.fill(
      '#node-config-enroll-link',
      `tak://com.atakmap.app/enroll?host=127.0.0.1:${enrollServer.port}&username=${USERNAME}&token=wrong`,
    );
    await page.dispatchEvent('#node-config-enroll-link', 'change');
    await page.waitForFunction(
      (port) =>
        (globalThis as unknown as PageGlobals).document.querySelector('#node-config-input-enrollPort')
          ?.value === port,
      String(enrollServer.port),
    );
    assert.equal(await value('#node-config-input-host'), '127.0.0.1');
    assert.equal(await value('#node-config-input-enrollUser'), USERNAME);
    assert.equal(await value('#node-config-input-enrollPassword'), 'wrong');

    await page.click('#node-config-enroll-button');
    await page.waitForFunction(() =>
      /ERR_ENROLL_UNAUTHORIZED/.test(
        (globalThis as unknown as PageGlobals).document.querySelector('#node-config-enroll-result')
          ?.textContent ?? '',
      ),
    );

    await page.fill('#node-config-input-enrollPassword', PASSWORD);
    await page.click('#node-config-enroll-button');
    await page.waitForFunction(() =>
      /renewal due/.test(
        (globalThis as unknown as PageGlobals).document.querySelector('#node-config-enroll-result')
          ?.textContent ?? '',
      ),
    );
    const fingerprint = new X509Certificate(pki.server.cert).fingerprint256;
    const result = (await page.textContent('#node-config-enroll-result')) ?? '';
    assert.match(result, /first connection trusted/);
    assert.ok(result.includes(fingerprint), `the dialog shows the fingerprint: ${result}`);
    assert.equal(await value('#node-config-input-enrollFingerprint'), fingerprint);
    assert.match(await value('#node-config-input-clientCert'), /BEGIN CERTIFICATE/);
    assert.match(await value('#node-config-input-clientKey'), /BEGIN PRIVATE KEY/);
    assert.match(await value('#node-config-input-trustStore'), /BEGIN CERTIFICATE/);
    assert.equal(await value('#node-config-input-port'), '8089', 'the CoT port follows TLS');
    assert.match((await page.textContent('#node-config-clientCert-state')) ?? '', /CN=alice/);
  });
});
