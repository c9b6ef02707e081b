import { TakClientError, TakClientErrorCode } from './errors';

export type TakProtocol = 'tcp' | 'tls' | 'udp';

export interface ConnectTarget {
  host: string;
  port: number;
  protocol: TakProtocol;
}

/** The protocol names ATAK and TAK tools write, and what each means here. */
const PROTOCOLS: Record<string, TakProtocol> = {
  tcp: 'tcp',
  stcp: 'tcp',
  ssl: 'tls',
  tls: 'tls',
  udp: 'udp',
};

const EXAMPLE = 'e.g. tak.example.com:8089:ssl or 192.168.1.10:8087:tcp';

function fail(message: string, text: string): never {
  throw new TakClientError(TakClientErrorCode.CONNECT_STRING, message, 'connectString', text);
}

function readPort(text: string, whole: string): number {
  if (!/^\d{1,5}$/.test(text))
    fail(`the port in ${JSON.stringify(whole)} is not a number; ${EXAMPLE}`, whole);
  const port = Number(text);
  if (port < 1 || port > 65535) fail(`port ${port} is out of range; give 1 to 65535`, whole);
  return port;
}

function readProtocol(text: string | undefined, whole: string): TakProtocol {
  if (text === undefined || text === '') return 'tcp';
  const protocol = PROTOCOLS[text.toLowerCase()];
  if (protocol === undefined) {
    fail(
      `unknown protocol ${JSON.stringify(text)} in ${JSON.stringify(whole)}; use tcp, ssl (TLS) or udp`,
      whole,
    );
  }
  return protocol;
}

function readHost(text: string, whole: string): string {
  if (text === '') fail(`no host in ${JSON.stringify(whole)}; ${EXAMPLE}`, whole);
  if (/[\s/\\@?#[\]]/.test(text)) fail(`${JSON.stringify(text)} is not a host name or address`, whole);
  return text;
}

/**
 * Reads a server address as ATAK writes it, `host:port:proto` (proto tcp, ssl or udp; tcp when left out),
 * or as a URL-like `proto://host:port`. IPv6 addresses go in brackets: `[2001:db8::1]:8089:ssl`.
 * `ssl` (and `tls`) read as protocol `tls`. Throws a {@link TakClientError} with code ERR_CONNECT_STRING.
 */
export function parseConnectString(text: string): ConnectTarget {
  if (typeof text !== 'string') fail(`the connect string is ${typeof text}; give text, ${EXAMPLE}`, text);
  const whole = text.trim();
  if (whole === '') fail(`the connect string is empty; ${EXAMPLE}`, text);

  let rest = whole;
  let protocolText: string | undefined;
  const url = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*?)\/?$/.exec(whole);
  if (url) {
    protocolText = url[1] as string;
    rest = url[2] as string;
  }

  let hostText: string;
  let after: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) fail(`the IPv6 address in ${JSON.stringify(whole)} has no closing "]"`, whole);
    hostText = rest.slice(1, close);
    if (!/^[0-9A-Fa-f:.]+(%[\w.-]+)?$/.test(hostText) || !hostText.includes(':')) {
      fail(`${JSON.stringify(hostText)} in brackets is not an IPv6 address`, whole);
    }
    after = rest.slice(close + 1);
    if (!after.startsWith(':'))
      fail(`a port must follow the address in ${JSON.stringify(whole)}; ${EXAMPLE}`, whole);
    after = after.slice(1);
  } else {
    const colon = rest.indexOf(':');
    if (colon < 0) fail(`no port in ${JSON.stringify(whole)}; ${EXAMPLE}`, whole);
    hostText = readHost(rest.slice(0, colon), whole);
    after = rest.slice(colon + 1);
  }

  const parts = after.split(':');
  if (parts.length > (url ? 1 : 2)) {
    fail(
      url || rest.startsWith('[')
        ? `too many parts in ${JSON.stringify(whole)}; ${EXAMPLE}`
        : `too many ":" in ${JSON.stringify(whole)}; put an IPv6 address in brackets, e.g. [2001:db8::1]:8089:ssl`,
      whole,
    );
  }
  const port = readPort(parts[0] as string, whole);
  if (!url) protocolText = parts[1];
  return { host: hostText, port, protocol: readProtocol(protocolText, whole) };
}

/** The ATAK form of a target: `host:port:proto`, with `ssl` for TLS and IPv6 in brackets. */
export function formatConnectString(target: ConnectTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${host}:${target.port}:${target.protocol === 'tls' ? 'ssl' : target.protocol}`;
}
