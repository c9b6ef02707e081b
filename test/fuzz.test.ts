import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkInput } from './fuzz/check';
import { generate, INPUT_KINDS, loadCorpus, seeded, type InputKind } from './fuzz/generators';

/** A short run for every `npm test`; `npm run fuzz` runs a million. */
const SHORT_RUN = 20_000;

describe('fuzz (short run)', () => {
  it(`${SHORT_RUN} generated inputs: no crash, no cap overrun, good events after damage come out`, () => {
    const random = seeded(Date.UTC(2026, 10, 21));
    const corpus = loadCorpus();
    const kinds = new Map<InputKind, number>();
    for (let index = 0; index < SHORT_RUN; index++) {
      const input = generate(random, corpus, index);
      kinds.set(input.kind, (kinds.get(input.kind) ?? 0) + 1);
      checkInput(input, random); // throws a FuzzFailure naming the problem
    }
    for (const kind of INPUT_KINDS) {
      assert.ok((kinds.get(kind) ?? 0) > 0, `the run generated no ${kind} input`);
    }
  });
});
