import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { CotEvent } from '../src/index';
import { messageWithLazyCot } from '../src/nodes/lazy-cot';

const EVENT = { uid: 'u', type: 'a-f-G' } as CotEvent;
const BYTES = Buffer.from([0xbf, 0x00]);

describe('messageWithLazyCot', () => {
  it('builds msg.cot on the first read only, and never when it is not read', () => {
    let calls = 0;
    const msg = messageWithLazyCot(EVENT, BYTES, () => `xml-${++calls}`);
    assert.equal(calls, 0, 'nothing built yet');
    assert.deepEqual(Object.keys(msg), ['payload', 'topic', 'cot', 'takproto']);
    assert.equal(msg.topic, 'a-f-G');
    assert.equal(msg.cot, 'xml-1');
    assert.equal(msg.cot, 'xml-1');
    assert.equal(calls, 1);
  });

  it('a write before the first read replaces it without building it; delete removes it', () => {
    let calls = 0;
    const msg = messageWithLazyCot(EVENT, BYTES, () => String(++calls));
    msg.cot = 'mine';
    assert.equal(msg.cot, 'mine');
    const other = messageWithLazyCot(EVENT, BYTES, () => String(++calls));
    delete other.cot;
    assert.equal(other.cot, undefined);
    assert.ok(!('cot' in other));
    assert.equal(calls, 0);
  });

  it('copies, spreads and JSON see the value', () => {
    const msg = messageWithLazyCot(EVENT, BYTES, () => 'x');
    assert.equal((JSON.parse(JSON.stringify(msg)) as { cot: string }).cot, 'x');
    assert.equal({ ...messageWithLazyCot(EVENT, BYTES, () => 'y') }.cot, 'y');
    assert.equal(structuredClone(messageWithLazyCot(EVENT, BYTES, () => 'z')).cot, 'z');
  });

  it('every such msg has one hidden class with fast properties, also once the runtime adds _msgid', () => {
    // A msg in dictionary mode cost Node-RED about 4 us per event (the e2e bench); V8 tells in a child process.
    const script = `
      const { messageWithLazyCot } = require(${JSON.stringify(require.resolve('../src/nodes/lazy-cot'))});
      const make = (uid) => messageWithLazyCot({ uid, type: 't' }, Buffer.alloc(1), () => uid);
      const a = make('a'), b = make('b');
      const fresh = %HasFastProperties(a) && %HaveSameMap(a, b);
      a._msgid = '1'; b._msgid = '2';
      process.stdout.write(JSON.stringify([fresh, %HasFastProperties(a) && %HaveSameMap(a, b), a.cot]));
    `;
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '-e', script], {
      encoding: 'utf8',
    });
    assert.deepEqual(JSON.parse(out), [true, true, 'a']);
  });
});
