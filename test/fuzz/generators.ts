import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildCot, encodeTakStreamFrame, parseCot } from '../../src/index';
import { SHARED_FIXTURES } from '../helpers/paths';

/** A small deterministic generator, so any failing input can be made again from its seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = () => number;

export function int(random: Random, max: number): number {
  return Math.floor(random() * max);
}

/** Real events: the shared captures when they are beside the repo, plus events we build ourselves. */
export function loadCorpus(): Buffer[] {
  const corpus: Buffer[] = [];
  const dir = path.join(SHARED_FIXTURES, 'cot');
  try {
    for (const name of readdirSync(dir))
      if (name.endsWith('.xml')) corpus.push(readFileSync(path.join(dir, name)));
  } catch {
    // the shared folder is optional; the built events below still make a corpus
  }
  const now = Date.UTC(2026, 0, 31, 12);
  for (let n = 0; n < 20; n++) {
    corpus.push(
      Buffer.from(
        buildCot(
          {
            uid: `fuzz-${n}`,
            type: 'a-f-G-U-C',
            lat: n,
            lon: -n,
            callsign: `F&${n}<"'>`,
            remarks: n % 2 ? 'multi\nline' : 'x',
            detail: { link: [{ uid: 'a' }, { uid: 'b' }], __custom: { deep: { deeper: { _text: 't' } } } },
          },
          now,
        ),
      ),
    );
  }
  return corpus;
}

/** The largest synthetic input: keeps a million-input run inside memory and minutes. */
export const MAX_GENERATED_BYTES = 2 * 1024 * 1024;

const TRICKS = [
  '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>',
  '<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
  '<!ENTITY a "b">',
  '&lol2;',
  '&x;',
  '&#0;',
  '&#x110000;',
  '&#xFFFFFFFFFFFF;',
  '&#xD800;',
  '&amp',
  '&nbsp;',
  '<![CDATA[',
  ']]>',
  '<!--',
  '-->',
  '<?xml version="1.0"?>',
  '<?',
  '?>',
  '</event>',
  '<event ',
  '<event>',
  '<event/>',
  '"',
  "'",
  '<',
  '>',
  '\u0000',
  '\u001b',
  '\uFEFF',
  '\uFFFE',
  '\uFFFF',
  '<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>',
];

export type InputKind =
  | 'random'
  | 'mutated'
  | 'truncated'
  | 'nested'
  | 'huge-attribute'
  | 'tricks'
  | 'sandwich'
  | 'proto-random'
  | 'proto-mutated'
  | 'proto-truncated'
  | 'proto-sandwich';

/** Every kind, for runs that check each was generated. */
export const INPUT_KINDS: InputKind[] = [
  'random',
  'mutated',
  'truncated',
  'nested',
  'huge-attribute',
  'tricks',
  'sandwich',
  'proto-random',
  'proto-mutated',
  'proto-truncated',
  'proto-sandwich',
];

export interface FuzzInput {
  kind: InputKind;
  /** What the stream parser reads the bytes as. */
  mode: 'xml' | 'protobuf';
  bytes: Buffer;
  /** uids of whole, good events in the input that must come out of the stream parser. */
  mustSee: string[];
}

function randomBytes(random: Random, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let k = 0; k < length; k++) out[k] = int(random, 256);
  return out;
}

function mutate(random: Random, source: Buffer): Buffer {
  let bytes = Buffer.from(source);
  const count = 1 + int(random, 8);
  for (let m = 0; m < count; m++) {
    const at = int(random, bytes.length + 1);
    const roll = random();
    if (roll < 0.3 && bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = int(random, 256);
    else if (roll < 0.55)
      bytes = Buffer.concat([
        bytes.subarray(0, at),
        bytes.subarray(Math.min(bytes.length, at + 1 + int(random, 20))),
      ]);
    else if (roll < 0.8)
      bytes = Buffer.concat([
        bytes.subarray(0, at),
        Buffer.from(TRICKS[int(random, TRICKS.length)] as string),
        bytes.subarray(at),
      ]);
    else
      bytes = Buffer.concat([
        bytes.subarray(0, at),
        randomBytes(random, 1 + int(random, 16)),
        bytes.subarray(at),
      ]);
  }
  return bytes;
}

const GOOD_TIMES = 'time="2026-01-31T12:00:00Z" start="2026-01-31T12:00:00Z" stale="2026-01-31T12:05:00Z"';

function goodEvent(uid: string): Buffer {
  return Buffer.from(
    `<event version="2.0" uid="${uid}" type="a-f-G" how="m-g" ${GOOD_TIMES}><point lat="1" lon="2"/><detail><contact callsign="ok"/></detail></event>`,
  );
}

/** TAK Protocol stream frames of every corpus event parseCot reads, made once per corpus. */
const framesOf = new WeakMap<Buffer[], Buffer[]>();

function corpusFrames(corpus: Buffer[]): Buffer[] {
  let frames = framesOf.get(corpus);
  if (frames === undefined) {
    frames = [];
    for (const xml of corpus) {
      try {
        frames.push(encodeTakStreamFrame(parseCot(xml)));
      } catch {
        // captures parseCot refuses (or TAK Protocol cannot carry) make no frame
      }
    }
    framesOf.set(corpus, frames);
  }
  return frames;
}

function goodFrame(uid: string): Buffer {
  return encodeTakStreamFrame(parseCot(goodEvent(uid)));
}

/** Share of inputs that are TAK Protocol streams. */
const PROTOBUF_SHARE = 0.25;

function generateProtobuf(random: Random, corpus: Buffer[], serial: number): FuzzInput {
  const frames = corpusFrames(corpus);
  const pick = (): Buffer => frames[int(random, frames.length)] as Buffer;
  const run = (): Buffer => Buffer.concat(Array.from({ length: 1 + int(random, 4) }, pick));
  const roll = random();
  if (roll < 0.2) {
    // A frame start and a length, then noise: lengths from tiny to past the cap.
    const length = int(random, random() < 0.1 ? 1 << 20 : 600);
    const prefix = [0xbf];
    for (let v = length; ; v = Math.floor(v / 128)) {
      if (v < 0x80) {
        prefix.push(v);
        break;
      }
      prefix.push((v % 128) | 0x80);
    }
    return {
      kind: 'proto-random',
      mode: 'protobuf',
      bytes: Buffer.concat([
        Buffer.from(prefix),
        randomBytes(random, int(random, Math.min(length + 50, 4000))),
      ]),
      mustSee: [],
    };
  }
  if (roll < 0.6)
    return { kind: 'proto-mutated', mode: 'protobuf', bytes: mutate(random, run()), mustSee: [] };
  if (roll < 0.75) {
    const source = run();
    return {
      kind: 'proto-truncated',
      mode: 'protobuf',
      bytes: source.subarray(0, int(random, source.length)),
      mustSee: [],
    };
  }
  // Damage without a 0xbf between two good frames: both must come out (a 0xbf in the damage could
  // declare a length that takes in the next frame, which no length-prefixed framing can tell apart).
  const before = `good-${serial}-pa`;
  const after = `good-${serial}-pb`;
  const damage = random() < 0.5 ? mutate(random, pick()) : randomBytes(random, int(random, 300));
  for (let k = 0; k < damage.length; k++) if (damage[k] === 0xbf) damage[k] = 0x3f;
  return {
    kind: 'proto-sandwich',
    mode: 'protobuf',
    bytes: Buffer.concat([goodFrame(before), damage, goodFrame(after)]),
    mustSee: [before, after],
  };
}

/** One generated input of a kind picked by `random`. */
export function generate(random: Random, corpus: Buffer[], serial: number): FuzzInput {
  if (random() < PROTOBUF_SHARE) return generateProtobuf(random, corpus, serial);
  const pick = (): Buffer => corpus[int(random, corpus.length)] as Buffer;
  const roll = random();
  if (roll < 0.2)
    return { kind: 'random', mode: 'xml', bytes: randomBytes(random, int(random, 2000)), mustSee: [] };
  if (roll < 0.5) return { kind: 'mutated', mode: 'xml', bytes: mutate(random, pick()), mustSee: [] };
  if (roll < 0.6) {
    const source = pick();
    return {
      kind: 'truncated',
      mode: 'xml',
      bytes: source.subarray(0, int(random, source.length)),
      mustSee: [],
    };
  }
  if (roll < 0.61) {
    // Rarely very deep: depth costs time linearly, and a few deep ones show it stays linear.
    const depth = 1 + int(random, random() < 0.05 ? 50_000 : 2_000);
    const open = '<a x="1">'.repeat(depth);
    const close = random() < 0.5 ? '</a>'.repeat(depth) : '';
    // Whatever the nested one gives (an event, ERR_COT_TOO_DEEP, a cut-off event), the next one comes out.
    const after = `good-${serial}-after-nested`;
    return {
      kind: 'nested',
      mode: 'xml',
      bytes: Buffer.concat([
        Buffer.from(
          `<event uid="n" type="a-f-G" ${GOOD_TIMES}><point lat="1" lon="2"/><detail>${open}${close}</detail></event>`,
        ),
        goodEvent(after),
      ]),
      mustSee: [after],
    };
  }
  if (roll < 0.615) {
    // Mostly around the size of real large events, sometimes far past the stream parser's cap.
    const size = 1 + int(random, random() < 0.05 ? MAX_GENERATED_BYTES - 200 : 64 * 1024);
    const value = random() < 0.5 ? 'x'.repeat(size) : '&amp;'.repeat(Math.floor(size / 5));
    return {
      kind: 'huge-attribute',
      mode: 'xml',
      bytes: Buffer.from(
        `<event uid="h" type="a-f-G" ${GOOD_TIMES} note="${value}"><point lat="1" lon="2"/></event>`,
      ),
      mustSee: [],
    };
  }
  if (roll < 0.8) {
    const parts: string[] = [];
    for (let k = 0, n = 1 + int(random, 6); k < n; k++)
      parts.push(TRICKS[int(random, TRICKS.length)] as string);
    const body = parts.join('');
    const template =
      random() < 0.5
        ? `${body}<event uid="t" type="a-f-G" ${GOOD_TIMES}><point lat="1" lon="2"/></event>`
        : `<event uid="${body}" type="a-f-G" ${GOOD_TIMES}><point lat="1" lon="2"/><detail>${body}</detail></event>`;
    return { kind: 'tricks', mode: 'xml', bytes: Buffer.from(template), mustSee: [] };
  }
  // Damage between two good events: the good ones must come out.
  const before = `good-${serial}-a`;
  const after = `good-${serial}-b`;
  const damage = random() < 0.5 ? mutate(random, pick()) : randomBytes(random, int(random, 300));
  return {
    kind: 'sandwich',
    mode: 'xml',
    bytes: Buffer.concat([goodEvent(before), damage, goodEvent(after)]),
    mustSee: [before, after],
  };
}
