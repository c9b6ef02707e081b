import { isUtf8 } from 'node:buffer';
import { CotError, CotErrorCode } from './errors';
import { ILLEGAL_XML_CHAR } from './xml-text';

/*
 * Received events must be text XML can carry, so that an event passed on is exactly the bytes that came
 * in: a string decoded from invalid UTF-8 holds U+FFFD where the bad bytes were, and a control character
 * would be relayed to clients whose parsers refuse it.
 */

/**
 * What needs a closer look in text decoded from bytes: the controls XML 1.0 excludes, and U+FFFD-U+FFFF
 * (U+FFFD is what decoding puts for bad bytes, or a real replacement character; U+FFFE and U+FFFF are not
 * characters to XML). Valid UTF-8 never decodes to a lone surrogate. One regex pass over the decoded text
 * is the cheapest whole-event check measured here (bytes checked in a JS loop cost more).
 */
// eslint-disable-next-line no-control-regex
const SUSPECT_IN_DECODED = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFD-\uFFFF]/g;

const REPLACEMENT = 0xfffd;

function hex(code: number, digits: number): string {
  return code.toString(16).toUpperCase().padStart(digits, '0');
}

function badChar(codePoint: number, where: string): CotError {
  return new CotError(
    CotErrorCode.BAD_CHAR,
    `the event holds U+${hex(codePoint, 4)} ${where}, a character XML 1.0 cannot carry even escaped: ` +
      'fix the sender to write only text',
    undefined,
    codePoint,
  );
}

/**
 * Where the first invalid UTF-8 sequence starts, and how many of its bytes to show; undefined when
 * there is none. A byte-by-byte walk, run only once the fast check has found something.
 */
export function firstInvalidUtf8(bytes: Uint8Array): { offset: number; length: number } | undefined {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    // The second byte's range depends on the first (no overlongs, no surrogates, nothing past U+10FFFF).
    let need: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) low = 0xa0;
      else if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) low = 0x90;
      else if (b === 0xf4) high = 0x8f;
    } else return { offset: i, length: 1 };
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      const ok = c !== undefined && (k === 1 ? c >= low && c <= high : c >= 0x80 && c <= 0xbf);
      if (!ok) return { offset: i, length: Math.min(k + 1, n - i) };
    }
    i += need + 1;
  }
  return undefined;
}

function badUtf8(bytes: Uint8Array): CotError {
  const found = firstInvalidUtf8(bytes) ?? { offset: 0, length: 0 };
  const shown = Array.from(bytes.subarray(found.offset, found.offset + found.length), (b) => hex(b, 2));
  return new CotError(
    CotErrorCode.BAD_UTF8,
    `the event is not valid UTF-8: byte sequence ${shown.join(' ')} at byte ${found.offset} of the event; ` +
      'it is refused rather than passed on altered: fix the sender to write UTF-8',
    undefined,
    found.offset,
  );
}

/**
 * What is wrong with an event's bytes as text, given the bytes and their UTF-8 decoding; undefined when
 * they are valid UTF-8 holding only characters XML 1.0 can carry.
 */
export function checkReceivedBytes(bytes: Uint8Array, text: string): CotError | undefined {
  let utf8: boolean | undefined;
  SUSPECT_IN_DECODED.lastIndex = 0;
  for (let m = SUSPECT_IN_DECODED.exec(text); m !== null; m = SUSPECT_IN_DECODED.exec(text)) {
    const code = text.charCodeAt(m.index);
    if (code === REPLACEMENT) {
      // A real U+FFFD is valid text; only the bytes can tell it from a decoding's stand-in.
      utf8 ??= isUtf8(bytes);
      if (utf8) continue;
      return badUtf8(bytes);
    }
    return badChar(code, `at byte ${Buffer.byteLength(text.slice(0, m.index), 'utf8')} of the event`);
  }
  return undefined;
}

/** The same for an event given as a string: a lone surrogate has no UTF-8 form, so it counts as invalid UTF-8. */
export function checkReceivedString(text: string): CotError | undefined {
  const bad = ILLEGAL_XML_CHAR.exec(text);
  if (bad === null) return undefined;
  const code = bad[0].codePointAt(0) as number;
  if (code >= 0xd800 && code <= 0xdfff) {
    return new CotError(
      CotErrorCode.BAD_UTF8,
      `the event holds a lone surrogate (U+${hex(code, 4)}) at character ${bad.index}, which has no UTF-8 ` +
        'form: fix whatever built the string',
      undefined,
      bad.index,
    );
  }
  return badChar(code, `at character ${bad.index}`);
}
