/**
 * ATAK's enrollment link, as TAK Server admins hand it out (often as a QR code):
 * `tak://com.atakmap.app/enroll?host=tak.example.com&username=alice&token=secret`. The link is pasted whole;
 * reading it from a QR code image is the user's phone's job.
 */
import { WebError, WebErrorCode } from './errors';

export interface EnrollLink {
  host: string;
  /** The enrollment port when the host carries one (`host=tak.example.com:8446`), else undefined. */
  port: number | undefined;
  username: string;
  /** The password or one-time token. */
  token: string;
}

/** A link is a line of text; anything longer is not one. */
export const MAX_ENROLL_LINK_CHARS = 4096;

function bad(message: string): never {
  throw new WebError(WebErrorCode.BAD_REQUEST, message);
}

/** Host names, IPv4 and [IPv6] addresses, with an optional :port. */
function splitHost(text: string): { host: string; port: number | undefined } {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(text);
  const plain = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(text);
  const match = bracketed ?? plain;
  if (!match) bad(`the enrollment link's host "${text}" is not a host name or address`);
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && (port < 1 || port > 65535))
    bad(`the enrollment link's port ${port} is out of range`);
  return { host: match[1] as string, port };
}

/**
 * Reads an enrollment link. Throws WebError ERR_ENROLL_BAD_REQUEST saying what is missing. The token is a
 * secret: it never appears in a message.
 */
export function parseEnrollLink(text: string): EnrollLink {
  const trimmed = text.trim();
  if (trimmed.length > MAX_ENROLL_LINK_CHARS) bad('the enrollment link is too long to be one');
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    bad(
      'this is not an enrollment link: paste the whole tak://com.atakmap.app/enroll?host=...&username=...&token=... text',
    );
  }
  const path = `${url.hostname}${url.pathname}`.toLowerCase();
  if (url.protocol !== 'tak:' || path !== 'com.atakmap.app/enroll') {
    bad(
      `this is not an ATAK enrollment link (it starts "${url.protocol}//${path}", not "tak://com.atakmap.app/enroll")`,
    );
  }
  const host = url.searchParams.get('host')?.trim() ?? '';
  const username = url.searchParams.get('username') ?? '';
  const token = url.searchParams.get('token') ?? '';
  const missing = [host ? '' : 'host', username ? '' : 'username', token ? '' : 'token'].filter(
    (name) => name,
  );
  if (missing.length > 0)
    bad(`the enrollment link has no ${missing.join(', ')}: ask the server's admin for a new one`);
  return { ...splitHost(host), username, token };
}
