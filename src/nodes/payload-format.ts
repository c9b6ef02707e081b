/** What a Buffer handed to cot-parse holds, judged from its first bytes: CoT XML or TAK Protocol. */
import { isMeshFramed, TAKPROTO_MAGIC } from '../takproto';

export type PayloadFormat = 'xml' | 'takproto-stream' | 'takproto-mesh' | 'takproto-bare';

/**
 * The first byte a bare TakMessage can start with: the tag of one of its four fields (takControl and
 * cotEvent length-delimited, the two times varints). Anything else that is not framed is read as XML.
 */
const TAKMESSAGE_FIRST_TAGS = new Set([0x0a, 0x12, 0x18, 0x20]);

/** XML may start with whitespace before its first `<`. */
function isXmlWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/**
 * A Buffer's format. 0xbf never starts XML text (it is a UTF-8 continuation byte), so a leading 0xbf is a
 * frame; 0x0a is also a newline (and 0x20 a space), so a bare TakMessage starting with it is told from XML
 * by the first byte that is not whitespace being `<` or not.
 */
export function payloadFormat(bytes: Uint8Array): PayloadFormat {
  const first = bytes[0];
  if (first === undefined) return 'xml';
  if (isMeshFramed(bytes)) return 'takproto-mesh';
  if (first === TAKPROTO_MAGIC) return 'takproto-stream';
  if (!TAKMESSAGE_FIRST_TAGS.has(first)) return 'xml';
  for (const byte of bytes) {
    if (byte === 0x3c) return 'xml';
    if (!isXmlWhitespace(byte)) return 'takproto-bare';
  }
  return 'xml';
}
