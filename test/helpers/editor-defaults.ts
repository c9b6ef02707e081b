/**
 * The `defaults` each node type declares to the editor, read from the node's .html as the editor would
 * (its registration script run against a stand-in RED), so flows can be checked against them without a
 * browser: a property the flow leaves out is one the editor fills in when a user presses Done, marking the
 * flow changed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { REPO_ROOT } from './paths';

export interface EditorProperty {
  value?: unknown;
  required?: boolean;
  type?: string;
  validate?: (value: unknown, options?: Record<string, unknown>) => unknown;
}

export interface EditorDefinition {
  defaults: Record<string, EditorProperty>;
}

/** Where a type's .html lives: our built nodes, Node-RED's core nodes, the worldmap package. */
function htmlFiles(): string[] {
  const ours = path.join(REPO_ROOT, 'dist', 'src', 'nodes');
  const core = path.join(REPO_ROOT, 'node_modules', '@node-red', 'nodes', 'core');
  const files: string[] = [];
  if (existsSync(ours)) {
    for (const name of readdirSync(ours)) if (name.endsWith('.html')) files.push(path.join(ours, name));
  }
  for (const dir of readdirSync(core)) {
    for (const name of readdirSync(path.join(core, dir))) {
      if (name.endsWith('.html')) files.push(path.join(core, dir, name));
    }
  }
  files.push(path.join(REPO_ROOT, 'node_modules', 'node-red-contrib-web-worldmap', 'worldmap.html'));
  return files;
}

/**
 * Anything the registration scripts touch beyond registerType: callable, indexable, never undefined, so
 * top-level code such as `RED.validators.number()` or `$.extend(...)` runs without a page.
 */
function anything(): unknown {
  const fn = function () {
    return proxy;
  };
  const proxy: unknown = new Proxy(fn, {
    get: (_target, key) => (key === Symbol.toPrimitive ? () => '' : proxy),
  });
  return proxy;
}

/** The validators we use, close enough to Node-RED's that a test can call them. */
const VALIDATORS = {
  number: (blankAllowed?: boolean) => (v: unknown) =>
    (blankAllowed && (v === '' || v === undefined)) || (String(v).trim() !== '' && !isNaN(Number(v))),
  regex: (re: RegExp) => (v: unknown) => re.test(String(v)),
  typedInput: () => () => true,
};

let cache: Map<string, EditorDefinition> | undefined;

function loadAll(): Map<string, EditorDefinition> {
  const registered = new Map<string, EditorDefinition>();
  const known: Record<string, unknown> = {
    nodes: {
      registerType: (type: string, def: EditorDefinition) => {
        if (!registered.has(type)) registered.set(type, def);
      },
    },
    validators: VALIDATORS,
    settings: { get: (_key: string, fallback?: unknown) => fallback },
    _: (key: string) => key,
  };
  const RED = new Proxy(known, {
    get: (target, key) => (key in target ? target[key as string] : anything()),
  });
  const page = { document: anything(), window: anything(), navigator: anything(), location: anything() };
  // jQuery with no dialog open: a field looked up is not there, so a check falls back to the node's values.
  const noField = new Proxy(function () {}, {
    get: (_target, key) => (key === 'length' ? 0 : key === 'val' ? () => undefined : anything()),
  });
  const $ = new Proxy(
    function () {
      return noField;
    },
    { get: () => anything() },
  );
  for (const file of htmlFiles()) {
    const html = readFileSync(file, 'utf8');
    for (const m of html.matchAll(/<script type=["']text\/javascript["']>([\s\S]*?)<\/script>/g)) {
      try {
        vm.runInNewContext(m[1] as string, { RED, $, jQuery: $, ...page });
      } catch {
        // A script that needs the page for more than registering is not one whose defaults we need.
      }
    }
  }
  return registered;
}

/** The editor's definition of a node type, or undefined when no .html registers it. */
export function editorDefinition(type: string): EditorDefinition | undefined {
  cache ??= loadAll();
  return cache.get(type);
}

/** Types that are not nodes in a flow file: nothing to compare. */
const NOT_NODES = new Set(['tab', 'subflow', 'group', 'junction']);

/**
 * Every default the editor declares that the flow's node leaves out, as `type id: property` lines.
 * A type no .html registers is reported too: the flow would show it as unknown.
 */
export function missingDefaults(flow: Array<Record<string, unknown>>): string[] {
  const missing: string[] = [];
  for (const node of flow) {
    const type = String(node.type);
    if (NOT_NODES.has(type)) continue;
    const def = editorDefinition(type);
    if (!def) {
      missing.push(`${type} ${String(node.id)}: no editor definition found`);
      continue;
    }
    // Even one declared as undefined: the dialog writes its own value there on Done (debug targetType).
    for (const property of Object.keys(def.defaults)) {
      if (!(property in node)) missing.push(`${type} ${String(node.id)}: ${property}`);
    }
  }
  return missing;
}
