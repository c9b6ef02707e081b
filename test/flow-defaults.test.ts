import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { editorDefinition, missingDefaults } from './helpers/editor-defaults';
import { REPO_ROOT } from './helpers/paths';

interface DemoFlowModule {
  demoFlow(env: Record<string, string | undefined>): Array<Record<string, unknown>>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { demoFlow } = require(path.join(REPO_ROOT, 'scripts', 'demo-flow.js')) as DemoFlowModule;
const EXAMPLES = path.join(REPO_ROOT, 'examples');

/** The demo as `npm start` writes it, for each way the environment can shape it. */
const DEMO_ENVIRONMENTS: Record<string, Record<string, string>> = {
  'embedded server': {},
  'external TLS server': {
    TAKPAK_HOST: 'tak.example.com',
    TAKPAK_PORT: '8089',
    TAKPAK_PROTOCOL: 'tls',
    TAKPAK_CERT: '/certs/user.p12',
    TAKPAK_SERVER_NAME: 'tak.example.com',
  },
};

describe('every node of the demo and the examples carries every editor default', () => {
  it('the editor definitions are found (the check below cannot pass on nothing)', () => {
    for (const type of ['tak-config', 'tak-server', 'tak-send', 'cot-build', 'inject', 'debug', 'worldmap']) {
      const def = editorDefinition(type);
      assert.ok(def && Object.keys(def.defaults).length > 0, `defaults of ${type}`);
    }
    assert.deepEqual(missingDefaults([{ id: 'x', type: 'tak-send', name: '' }]), [
      'tak-send x: server',
      'tak-send x: outputs',
    ]);
  });

  for (const [name, env] of Object.entries(DEMO_ENVIRONMENTS)) {
    it(`the demo flow (${name})`, () => {
      assert.deepEqual(missingDefaults(demoFlow(env)), []);
    });
  }

  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))) {
    it(`examples/${file}`, () => {
      const flow = JSON.parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as Array<
        Record<string, unknown>
      >;
      assert.deepEqual(missingDefaults(flow), []);
    });
  }
});
