import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineLazyProperty } from '../src/nodes/lazy-property';

describe('defineLazyProperty', () => {
  it('works the value out on the first read only, and never when it is not read', () => {
    let calls = 0;
    const msg: Record<string, unknown> = { payload: 1 };
    defineLazyProperty(msg, 'cot', () => `xml-${++calls}`);
    assert.equal(calls, 0, 'nothing built yet');
    assert.deepEqual(Object.keys(msg), ['payload', 'cot']);
    assert.equal(msg.cot, 'xml-1');
    assert.equal(msg.cot, 'xml-1');
    assert.equal(calls, 1);
    assert.deepEqual(Object.getOwnPropertyDescriptor(msg, 'cot'), {
      value: 'xml-1',
      writable: true,
      enumerable: true,
      configurable: true,
    });
  });

  it('a write before the first read replaces it without working it out; delete removes it', () => {
    let calls = 0;
    const msg: Record<string, unknown> = {};
    defineLazyProperty(msg, 'cot', () => ++calls);
    msg.cot = 'mine';
    assert.equal(msg.cot, 'mine');
    const other: Record<string, unknown> = {};
    defineLazyProperty(other, 'cot', () => ++calls);
    delete other.cot;
    assert.equal(other.cot, undefined);
    assert.equal(calls, 0);
  });

  it('copies, spreads and JSON see the value', () => {
    const msg: Record<string, unknown> = {};
    defineLazyProperty(msg, 'cot', () => 'x');
    assert.equal(JSON.stringify(msg), '{"cot":"x"}');
    const fresh: Record<string, unknown> = {};
    defineLazyProperty(fresh, 'cot', () => 'y');
    assert.deepEqual({ ...fresh }, { cot: 'y' });
    assert.deepEqual(structuredClone(fresh), { cot: 'y' });
  });
});
