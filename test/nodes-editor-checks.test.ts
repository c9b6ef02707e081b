import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { editorDefinition, type EditorProperty } from './helpers/editor-defaults';
import { REPO_ROOT } from './helpers/paths';

/** What a field's check says about a value: true, or the message its tooltip shows. */
function check(
  type: string,
  property: string,
  value: unknown,
  values: Record<string, unknown> = {},
): unknown {
  const spec: EditorProperty | undefined = editorDefinition(type)?.defaults[property];
  assert.ok(spec?.validate, `${type}.${property} has a check`);
  // As the editor calls it: the node (with `values` as its settings) as `this`, and an options object.
  const node = {
    ...values,
    _: (key: string, params?: Record<string, unknown>) => `${key} ${JSON.stringify(params ?? {})}`,
  };
  return spec.validate.call(node, value, {});
}

function refuses(type: string, property: string, value: unknown, says: RegExp): void {
  const result = check(type, property, value);
  assert.equal(typeof result, 'string', `${type}.${property} = ${JSON.stringify(value)} is refused`);
  assert.match(String(result), says);
}

function accepts(type: string, property: string, value: unknown): void {
  assert.equal(check(type, property, value), true, `${type}.${property} = ${JSON.stringify(value)} is fine`);
}

describe('the tak-config and tak-server dialogs check their fields before a deploy', () => {
  it('every check takes (value, opt), so Node-RED shows its message as the tooltip', () => {
    for (const type of ['tak-config', 'tak-server']) {
      for (const [property, spec] of Object.entries(editorDefinition(type)?.defaults ?? {})) {
        if (spec.validate) assert.equal(spec.validate.length, 2, `${type}.${property}`);
      }
    }
  });

  it('the wire format is one of its choices (a flow written by hand can hold anything)', () => {
    refuses(
      'tak-config',
      'takProtocol',
      'tls',
      /tak-config\.validate\.oneOf .*"values":"negotiate, xml, protobuf"/,
    );
    for (const value of ['negotiate', 'xml', 'protobuf', '']) accepts('tak-config', 'takProtocol', value);
  });

  it('latitude -90..90 and longitude -180..180; empty means no position', () => {
    refuses('tak-config', 'lat', '95', /tak-config\.validate\.range .*"min":-90,"max":90/);
    refuses('tak-config', 'lat', 'north', /range/);
    refuses('tak-config', 'lon', '-180.5', /"min":-180,"max":180/);
    accepts('tak-config', 'lat', '');
    accepts('tak-config', 'lat', '51.5033');
    accepts('tak-config', 'lon', ' -0.1196 ');
  });

  it('no negative intervals or sizes', () => {
    refuses('tak-config', 'presenceInterval', '-5', /atLeast .*"min":0/);
    refuses('tak-config', 'pingAfterIdle', '0', /atLeast .*"min":1/);
    refuses('tak-config', 'queueSize', '-1', /range/);
    refuses('tak-config', 'minIntervalPerUid', '-0.5', /atLeast/);
    refuses('tak-config', 'rateLimit', '-1', /range/);
    refuses('tak-server', 'idleTimeout', '-1', /atLeast/);
    refuses('tak-server', 'queueKb', '-4096', /range/);
    accepts('tak-config', 'presenceInterval', '0');
    accepts('tak-config', 'pingInterval', '4.5');
  });

  it('ports 1..65535, and 0 on tak-server where it means any free port', () => {
    refuses('tak-config', 'port', '0', /"min":1,"max":65535/);
    refuses('tak-config', 'port', '65536', /range/);
    refuses('tak-server', 'port', '70000', /"min":0,"max":65535/);
    accepts('tak-server', 'port', '0');
    accepts('tak-config', 'port', 8089);
  });

  it('a uid or callsign with characters CoT cannot carry', () => {
    refuses('tak-config', 'uid', 'gateway\n2', /controlChars/);
    refuses('tak-config', 'callsign', 'tab\there', /controlChars/);
    accepts('tak-config', 'uid', 'takpak-demo & <co>');
    accepts('tak-config', 'callsign', 'Ünit 7 ✓');
  });
});

describe('the cot-build dialog checks the fixed values it can', () => {
  it('a fixed latitude or longitude out of range, a fixed uid or callsign with control characters', () => {
    const num = (setting: string): Record<string, string> => ({ [`${setting}Type`]: 'num' });
    const str = (setting: string): Record<string, string> => ({ [`${setting}Type`]: 'str' });
    assert.match(
      String(check('cot-build', 'lat', '95', num('lat'))),
      /cot-build\.validate\.range .*"min":-90/,
    );
    assert.match(String(check('cot-build', 'lon', '-181', num('lon'))), /"min":-180,"max":180/);
    assert.match(String(check('cot-build', 'uid', 'a\tb', str('uid'))), /controlChars/);
    assert.match(String(check('cot-build', 'callsign', 'x\ny', str('callsign'))), /controlChars/);
    assert.equal(check('cot-build', 'lat', '51.5', num('lat')), true);
    assert.equal(
      check('cot-build', 'lat', '', { latType: 'payload' }),
      true,
      'from the payload: judged later',
    );
    assert.equal(check('cot-build', 'lat', 'payload.gps.lat', { latType: 'msg' }), true);
    assert.equal(editorDefinition('cot-build')?.defaults.lat?.validate?.length, 2);
  });

  it('the output is one of its choices, the two protobuf framings among them', () => {
    assert.match(String(check('cot-build', 'output', 'protobuf')), /cot-build\.validate\.oneOf/);
    for (const value of ['xml', 'model', 'takproto-stream', 'takproto-mesh'])
      assert.equal(check('cot-build', 'output', value), true, value);
  });
});

describe('the certificate fields are one piece shared by both dialogs', () => {
  function read(...parts: string[]): string {
    return readFileSync(path.join(REPO_ROOT, ...parts), 'utf8');
  }

  it('written once in nodes/shared, put into each built dialog', () => {
    for (const type of ['tak-config', 'tak-server']) {
      const source = read('nodes', `${type}.html`);
      assert.match(source, /takpak:tls-fields/);
      assert.ok(!source.includes('-clear'), `${type}.html writes no certificate field of its own`);
      const built = read('dist', 'src', 'nodes', `${type}.html`);
      assert.ok(!/takpak:|\{\{\w+\}\}/.test(built), `${type}: every marker and name filled in`);
      const buttons = [...built.matchAll(/id="([\w-]+)-clear"/g)].map((m) => m[1]);
      assert.equal(buttons.length, 3, `${type}: certificate, key and trust buttons`);
      assert.match(built, /function takpakTlsFields/);
    }
  });
});
