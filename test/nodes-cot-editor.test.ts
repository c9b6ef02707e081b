import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import vm from 'node:vm';
import { DEFAULT_WORLDMAP_LAYER } from '../src/convert/worldmap';
import { FIELD_SETTINGS } from '../src/nodes/cot-build-settings';
import { readMapOutputs } from '../src/nodes/map-outputs';
import { REPO_ROOT } from './helpers/paths';

interface NodeDefinition {
  category: string;
  defaults: Record<string, { value: unknown }>;
  inputs: number;
  outputs: number;
  icon: string;
  label: () => string;
}

function read(...parts: string[]): string {
  return readFileSync(path.join(REPO_ROOT, ...parts), 'utf8');
}

/** Runs the editor script of a node's .html with a stand-in RED and returns what it registers. */
function definition(type: string): NodeDefinition {
  const html = read('nodes', `${type}.html`);
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)?.[1];
  assert.ok(script, `${type}.html has an editor script`);
  const registered: Record<string, NodeDefinition> = {};
  const RED = {
    nodes: { registerType: (name: string, def: NodeDefinition) => (registered[name] = def) },
    validators: { typedInput: () => () => true, number: () => () => true },
  };
  vm.runInNewContext(script, { RED });
  const def = registered[type];
  assert.ok(def, `${type}.html registers ${type}`);
  return def;
}

/**
 * Every message-catalog key the dialog uses, from data-i18n attributes and node._() calls: in the built
 * dialog, where the pieces shared from nodes/shared/ are filled in.
 */
function catalogKeys(type: string): string[] {
  const html = read('dist', 'src', 'nodes', `${type}.html`);
  const keys = new Set<string>();
  for (const m of html.matchAll(/data-i18n="(?:\[[a-z]+\])?([^"]+)"/g)) keys.add(m[1] as string);
  for (const m of html.matchAll(/_\('([^']+)'\)/g)) keys.add(m[1] as string);
  return [...keys];
}

function lookup(catalog: unknown, key: string): unknown {
  return key
    .split('.')
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], catalog);
}

for (const type of ['cot-build', 'cot-parse']) {
  describe(`the ${type} editor files`, () => {
    const catalog = JSON.parse(read('nodes', 'locales', 'en-US', `${type}.json`)) as Record<string, unknown>;

    it('registers the node in the TAK category with its icon, and the icon exists', () => {
      const def = definition(type);
      assert.equal(def.category, 'TAK');
      assert.equal(def.inputs, 1);
      assert.equal(def.icon, `${type}.svg`);
      assert.equal(def.label.call({ name: '' }), type.replace('-', ' '));
      const svg = read('icons', `${type}.svg`);
      assert.match(svg, /width="40" height="60"/);
      assert.match(svg, /stroke="#fff"/);
      assert.ok(!/fill="#(?!fff)[0-9a-f]{3,6}"/i.test(svg), 'a white glyph');
    });

    it('has every catalog key its dialog uses', () => {
      const keys = catalogKeys(type);
      assert.ok(keys.length > 5);
      for (const key of keys) assert.equal(typeof lookup(catalog, key), 'string', `${key} in ${type}.json`);
    });

    it('has help text with Inputs, Outputs, Details and message properties', () => {
      const html = read('nodes', `${type}.html`);
      const help = new RegExp(`data-help-name="${type}">([\\s\\S]*?)</script>`).exec(html)?.[1] ?? '';
      for (const section of [
        '<h3>Inputs</h3>',
        '<h3>Outputs</h3>',
        '<h3>Details</h3>',
        'class="message-properties"',
        'Example',
      ]) {
        assert.ok(help.includes(section), `${type} help has ${section}`);
      }
    });
  });
}

describe('the cot-build dialog saves what the runtime reads', () => {
  it('a typed input per field, defaulting to the payload, plus the UID and output settings', () => {
    const { defaults } = definition('cot-build');
    for (const setting of Object.keys(FIELD_SETTINGS)) {
      assert.deepEqual(defaults[setting]?.value, '', setting);
      assert.equal(defaults[`${setting}Type`]?.value, 'payload', `${setting}Type`);
    }
    assert.equal(defaults.uidMode?.value, 'auto');
    assert.equal(defaults.uidKey?.value, 'payload.id');
    assert.equal(defaults.uidKeyType?.value, 'msg');
    assert.equal(defaults.extras?.value, 'remarks');
    assert.equal(defaults.output?.value, 'xml');
    assert.equal(defaults.type, undefined, "a setting named type would clash with the node's own type");
    const expected = ['name', 'uidMode', 'uidKey', 'uidKeyType', 'uidPrefix', 'extras', 'output'];
    for (const setting of Object.keys(FIELD_SETTINGS)) expected.push(setting, `${setting}Type`);
    assert.deepEqual(Object.keys(defaults).sort(), expected.sort());
  });

  it('the cot-parse outputs follow the worldmap and GeoJSON options', () => {
    const { defaults } = definition('cot-parse');
    assert.deepEqual(Object.keys(defaults).sort(), [
      'geojson',
      'layer',
      'maxEventKb',
      'mode',
      'name',
      'outputs',
      'streamKey',
      'worldmap',
    ]);
    assert.equal(defaults.mode?.value, 'message');
    assert.equal(defaults.maxEventKb?.value, 1024);
  });
});

describe('tak-receive offers the map outputs cot-parse has', () => {
  const MAP_SETTINGS = ['worldmap', 'layer', 'geojson', 'outputs'];

  it('with the same settings and defaults (off, layer TAK, one output), as the runtime reads them', () => {
    const receive = definition('tak-receive').defaults;
    const parse = definition('cot-parse').defaults;
    for (const setting of MAP_SETTINGS) {
      // Each definition comes from its own vm context: compare the values, not the objects.
      assert.equal(JSON.stringify(receive[setting]), JSON.stringify(parse[setting]), setting);
    }
    assert.equal(
      JSON.stringify(MAP_SETTINGS.map((s) => receive[s]?.value)),
      JSON.stringify([false, DEFAULT_WORLDMAP_LAYER, false, 1]),
    );
    assert.deepEqual(readMapOutputs({}), { worldmap: false, geojson: false, layer: DEFAULT_WORLDMAP_LAYER });
  });

  it('has every catalog key its dialog uses, and help for each output', () => {
    const catalog = JSON.parse(read('nodes', 'locales', 'en-US', 'tak-receive.json')) as Record<
      string,
      unknown
    >;
    const keys = catalogKeys('tak-receive');
    for (const setting of ['worldmap', 'layer', 'geojson'])
      assert.ok(keys.includes(`tak-receive.label.${setting}`), setting);
    for (const key of keys) assert.equal(typeof lookup(catalog, key), 'string', `${key} in tak-receive.json`);
    const html = read('nodes', 'tak-receive.html');
    const help = /data-help-name="tak-receive">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    assert.match(help, /<ol class="node-ports">[\s\S]*worldmap marker[\s\S]*GeoJSON Feature[\s\S]*<\/ol>/);
  });
});
