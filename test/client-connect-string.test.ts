import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatConnectString, parseConnectString } from '../src/client/connect-string';
import { TakClientError } from '../src/client/errors';

describe('parseConnectString', () => {
  const good: Array<[string, ReturnType<typeof parseConnectString>]> = [
    ['tak.example.com:8089:ssl', { host: 'tak.example.com', port: 8089, protocol: 'tls' }],
    ['192.168.1.10:8087:tcp', { host: '192.168.1.10', port: 8087, protocol: 'tcp' }],
    ['239.2.3.1:6969:udp', { host: '239.2.3.1', port: 6969, protocol: 'udp' }],
    ['TAK.example.com:8088:TCP', { host: 'TAK.example.com', port: 8088, protocol: 'tcp' }],
    ['server:8089:tls', { host: 'server', port: 8089, protocol: 'tls' }],
    ['server:8087:stcp', { host: 'server', port: 8087, protocol: 'tcp' }],
    ['  server:8087:tcp \n', { host: 'server', port: 8087, protocol: 'tcp' }],
    ['server:8087', { host: 'server', port: 8087, protocol: 'tcp' }],
    ['[::1]:8087:tcp', { host: '::1', port: 8087, protocol: 'tcp' }],
    ['[2001:db8::1]:8089:ssl', { host: '2001:db8::1', port: 8089, protocol: 'tls' }],
    ['[fe80::1%eth0]:8087:tcp', { host: 'fe80::1%eth0', port: 8087, protocol: 'tcp' }],
    ['[::ffff:127.0.0.1]:8087', { host: '::ffff:127.0.0.1', port: 8087, protocol: 'tcp' }],
    ['ssl://tak.example.com:8089', { host: 'tak.example.com', port: 8089, protocol: 'tls' }],
    ['tcp://[::1]:8087/', { host: '::1', port: 8087, protocol: 'tcp' }],
    ['server:1:tcp', { host: 'server', port: 1, protocol: 'tcp' }],
    ['server:65535:tcp', { host: 'server', port: 65535, protocol: 'tcp' }],
  ];
  for (const [text, expected] of good) {
    it(`reads ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseConnectString(text), expected);
    });
  }

  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['   ', /empty/],
    ['server', /no port/],
    ['server:', /port .* not a number/],
    [':8087:tcp', /no host/],
    ['server:80a:tcp', /not a number/],
    ['server:0:tcp', /out of range/],
    ['server:65536:tcp', /out of range/],
    ['server:8087:quic', /unknown protocol "quic"/],
    ['server:8087:tcp:extra', /too many ":"/],
    ['2001:db8::1:8089:ssl', /IPv6 address in brackets/],
    ['[2001:db8::1:8089:ssl', /no closing/],
    ['[2001:db8::1]8089:ssl', /port must follow/],
    ['[not-ipv6]:8087:tcp', /not an IPv6 address/],
    ['my server:8087:tcp', /not a host name/],
    ['http://server:80:tcp', /too many/],
    ['ftp://server:21', /unknown protocol "ftp"/],
  ];
  for (const [text, message] of bad) {
    it(`refuses ${JSON.stringify(text)} with ERR_CONNECT_STRING`, () => {
      assert.throws(
        () => parseConnectString(text),
        (error: unknown) =>
          error instanceof TakClientError &&
          error.code === 'ERR_CONNECT_STRING' &&
          error.field === 'connectString' &&
          message.test(error.message),
      );
    });
  }

  it('refuses what is not text', () => {
    assert.throws(() => parseConnectString(8087 as unknown as string), { code: 'ERR_CONNECT_STRING' });
  });

  it('formats back to the ATAK form', () => {
    for (const text of ['tak.example.com:8089:ssl', '[2001:db8::1]:8087:tcp', '10.0.0.1:6969:udp']) {
      assert.equal(formatConnectString(parseConnectString(text)), text);
    }
  });
});
