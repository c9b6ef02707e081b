import { varintSize, type Framing } from './writer';

/*
 * The two framings' headers, written in front of a message (see frame.ts for reading them). A file of its
 * own so that both the codec and the frame reader can use them without importing each other.
 */

/** The byte every TAK Protocol frame starts with (and, in the mesh header, ends with). */
export const TAKPROTO_MAGIC = 0xbf;
/** The protocol version in the mesh header. */
export const TAKPROTO_MESH_VERSION = 0x01;
export const MESH_HEADER_BYTES = 3;

/** 0xbf and the message length as a varint. */
export const STREAM_FRAMING: Framing = {
  headerBytes: (size) => 1 + varintSize(size),
  writeHeader(into, at, size) {
    into[at] = TAKPROTO_MAGIC;
    let value = size;
    let p = at + 1;
    while (value >= 0x80) {
      into[p++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    into[p] = value;
  },
};

/** 0xbf 0x01 0xbf. */
export const MESH_FRAMING: Framing = {
  headerBytes: () => MESH_HEADER_BYTES,
  writeHeader(into, at) {
    into[at] = TAKPROTO_MAGIC;
    into[at + 1] = TAKPROTO_MESH_VERSION;
    into[at + 2] = TAKPROTO_MAGIC;
  },
};
