/** Inputs shared by the parse-limit tests of parseCot, the stream parser and the nodes. */

export const T = 'time="2026-01-31T12:00:00Z" start="2026-01-31T12:00:00Z" stale="2026-01-31T12:05:00Z"';

/** An event whose deepest element is at `levels`, `<event>` being 1 and `<detail>` 2. */
export function nestedEvent(uid: string, levels: number): string {
  const inside = Math.max(0, levels - 2);
  return (
    `<event version="2.0" uid="${uid}" type="a-f-G" how="m-g" ${T}><point lat="1" lon="2"/><detail>` +
    `${'<a x="1">'.repeat(inside)}${'</a>'.repeat(inside)}</detail></event>`
  );
}

/** An event whose callsign is `bytes`, in a valid event. */
export function eventWith(bytes: Buffer, uid = 'x'): Buffer {
  return Buffer.concat([
    Buffer.from(`<event uid="${uid}" type="a-f-G" ${T}><point lat="1" lon="2"/><detail><contact callsign="`),
    bytes,
    Buffer.from('"/></detail></event>'),
  ]);
}

/** Byte sequences that are not UTF-8, by what is wrong with them. */
export const INVALID_UTF8: Array<[string, number[]]> = [
  ['a lone continuation byte', [0x80]],
  ['an overlong "/" (C0 AF)', [0xc0, 0xaf]],
  ['an overlong three-byte form (E0 80 AF)', [0xe0, 0x80, 0xaf]],
  ['a sequence cut short (E2 82 then ASCII)', [0xe2, 0x82, 0x41]],
  ['a UTF-16 surrogate written as UTF-8 (ED A0 80)', [0xed, 0xa0, 0x80]],
  ['a code point past U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
  ['a byte that never occurs (FF)', [0xff]],
];

/** Characters valid UTF-8 can hold that XML 1.0 cannot carry, and their code points. */
export const NOT_XML_CHARS: Array<[string, number[], number]> = [
  ['NUL', [0x00], 0x0],
  ['ESC (0x1B)', [0x1b], 0x1b],
  ['a vertical tab (0x0B)', [0x0b], 0x0b],
  ['U+FFFE', [0xef, 0xbf, 0xbe], 0xfffe],
  ['U+FFFF', [0xef, 0xbf, 0xbf], 0xffff],
];
