import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifySocketError, TakClientError } from '../src/client/errors';
import { resolveOptions } from '../src/client/options';
import { authPreamble, toOutgoing } from '../src/client/outgoing';
import { isControlType, TakClient } from '../src/client/tak-client';
import { buildCot, CotError, parseCot, pingEvent } from '../src/index';

const T = 'time="2026-01-31T12:00:00Z" start="2026-01-31T12:00:00Z" stale="2026-01-31T12:05:00Z"';
const EVENT = `<event version="2.0" uid="u1" type="a-f-G-U-C" how="m-g" ${T}><point lat="1" lon="2" hae="0" ce="9" le="9"/><detail><remarks>a &amp; b</remarks></detail></event>`;

describe('what send() accepts (toOutgoing)', () => {
  it('sends a single-line event exactly as given, trimmed', () => {
    const out = toOutgoing(`\n  ${EVENT}  \r\n`);
    assert.equal(out.xml, EVENT);
    assert.equal(out.uid, 'u1');
    assert.equal(out.type, 'a-f-G-U-C');
  });

  it('leaves out a declaration in front', () => {
    assert.equal(toOutgoing(`<?xml version="1.0" encoding="UTF-8"?>\n${EVENT}`).xml, EVENT);
  });

  it('writes a multi-line event again on one line, same content', () => {
    const pretty = EVENT.replace('><point', '>\n  <point').replace('<detail>', '\n  <detail>\n    ');
    const out = toOutgoing(pretty);
    assert.doesNotMatch(out.xml, /[\r\n]/);
    assert.deepEqual(parseCot(out.xml), parseCot(EVENT));
  });

  it('keeps a newline inside text as a character reference', () => {
    const withNewline = EVENT.replace('a &amp; b', 'line one\nline two');
    const out = toOutgoing(withNewline);
    assert.doesNotMatch(out.xml, /[\r\n]/);
    assert.equal((parseCot(out.xml).detail?.remarks as { _text: string })._text, 'line one\nline two');
  });

  it('builds a model or short form as buildCot does', () => {
    const now = Date.parse('2026-01-31T12:00:00Z');
    const short = { uid: 's1', type: 'a-f-G-U-C', lat: 10, lon: 20, callsign: 'S <1>' };
    assert.equal(toOutgoing(short, now).xml, buildCot(short, now));
    assert.equal(toOutgoing(pingEvent('me', now)).type, 't-x-c-t');
  });

  it('refuses a bad model with the CotError of buildCot', () => {
    assert.throws(
      () => toOutgoing({ type: 'a-f-G', lat: 95, lon: 0 }),
      (e: unknown) => e instanceof CotError && e.code === 'ERR_COT_LAT',
    );
  });

  it('refuses two events, no event, other elements and broken XML', () => {
    assert.throws(() => toOutgoing(EVENT + EVENT), { code: 'ERR_CLIENT_NOT_ONE_EVENT', message: /holds 2/ });
    assert.throws(() => toOutgoing(''), { code: 'ERR_CLIENT_NOT_ONE_EVENT', message: /no <event>/ });
    assert.throws(() => toOutgoing('<auth><cot username="a"/></auth>'), { code: 'ERR_CLIENT_NOT_ONE_EVENT' });
    assert.throws(() => toOutgoing(`junk ${EVENT}`), { code: 'ERR_CLIENT_NOT_ONE_EVENT' });
    assert.throws(
      () => toOutgoing(EVENT.slice(0, -3)),
      (e: unknown) => e instanceof CotError,
    );
    assert.throws(() => toOutgoing(EVENT.replace('lat="1"', 'lat="91"')), { code: 'ERR_COT_LAT' });
    assert.throws(() => toOutgoing(EVENT.replace('uid="u1" ', '')), { code: 'ERR_COT_MISSING_UID' });
  });

  it('is reusable after a refusal', () => {
    assert.throws(() => toOutgoing(EVENT.slice(0, 100)));
    assert.equal(toOutgoing(EVENT).xml, EVENT);
  });
});

describe('authPreamble', () => {
  it('writes the TAK Server login with every value escaped', () => {
    assert.equal(
      authPreamble({ username: 'al"ice', password: 'p<&>\'"w' }, 'uid-1'),
      '<auth><cot username="al&quot;ice" password="p&lt;&amp;&gt;\'&quot;w" uid="uid-1"/></auth>',
    );
    assert.match(authPreamble({ username: 'a', password: 'b', uid: 'own' }, 'ignored'), /uid="own"/);
  });

  it('refuses values XML cannot carry, without echoing the password', () => {
    assert.throws(() => authPreamble({ username: 'a\u0000', password: 'x' }, 'u'), {
      code: 'ERR_COT_XML_CHAR',
    });
    assert.throws(
      () => authPreamble({ username: 'a', password: 'secret\u0001' }, 'u'),
      (e: unknown) => e instanceof CotError && !String(e.message).includes('secret') && e.value === undefined,
    );
    assert.throws(() => authPreamble({ username: 'a', password: 5 as unknown as string }, 'u'), {
      code: 'ERR_CLIENT_OPTIONS',
    });
  });
});

describe('classifySocketError', () => {
  const target = { host: 'tak.example.com', port: 8087 };
  const sys = (code: string, message = `${code} something`): Error =>
    Object.assign(new Error(message), { code });
  const cases: Array<[string, 'connecting' | 'connected', string]> = [
    ['ECONNREFUSED', 'connecting', 'ERR_CONNECT_REFUSED'],
    ['ENOTFOUND', 'connecting', 'ERR_HOST_NOT_FOUND'],
    ['EAI_AGAIN', 'connecting', 'ERR_HOST_NOT_FOUND'],
    ['EHOSTUNREACH', 'connecting', 'ERR_HOST_UNREACHABLE'],
    ['ENETUNREACH', 'connected', 'ERR_HOST_UNREACHABLE'],
    ['ETIMEDOUT', 'connecting', 'ERR_CONNECT_TIMEOUT'],
    ['ETIMEDOUT', 'connected', 'ERR_CONNECTION_RESET'],
    ['ECONNRESET', 'connected', 'ERR_CONNECTION_RESET'],
    ['EPIPE', 'connected', 'ERR_CONNECTION_RESET'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'connecting', 'ERR_TLS_UNKNOWN_CA'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'connecting', 'ERR_TLS_NAME_MISMATCH'],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'connected', 'ERR_TLS_CLIENT_CERT_REQUIRED'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'connecting', 'ERR_TLS_TO_PLAIN_PORT'],
    ['EWHATEVER', 'connected', 'ERR_SOCKET'],
  ];
  for (const [systemCode, phase, code] of cases) {
    it(`${systemCode} while ${phase} is ${code}`, () => {
      const info = classifySocketError(sys(systemCode), target, phase);
      assert.equal(info.code, code);
      assert.equal(info.systemCode, systemCode);
      assert.ok(info.message.length > 10);
    });
  }

  it('says what to check, naming the target', () => {
    assert.match(
      classifySocketError(sys('ECONNREFUSED'), target, 'connecting').message,
      /tak\.example\.com:8087 refused/,
    );
    assert.match(
      classifySocketError(sys('ENOTFOUND'), target, 'connecting').message,
      /tak\.example\.com does not resolve/,
    );
  });

  it('copes with errors that are not errors', () => {
    assert.deepEqual(classifySocketError('boom', target, 'connected'), {
      code: 'ERR_SOCKET',
      message: 'the connection to tak.example.com:8087 failed: boom',
    });
  });
});

describe('options', () => {
  it('fills the ATAK defaults', () => {
    const o = resolveOptions({ host: 'h', port: 8087 });
    assert.equal(o.connectTimeoutMs, 20_000);
    assert.equal(o.pingAfterIdleMs, 15_000);
    assert.equal(o.pingIntervalMs, 4_500);
    assert.equal(o.deadAfterIdleMs, 25_000);
    assert.equal(o.reconnectInitialMs, 1_000);
    assert.equal(o.reconnectMaxMs, 60_000);
    assert.equal(o.reconnectJitter, 0.2);
    assert.equal(o.healthyAfterMs, 60_000);
    assert.equal(o.presenceIntervalMs, 60_000);
    assert.equal(o.identityGapMs, 500);
    assert.equal(o.maxQueueEvents, 1_000);
    assert.equal(o.flushTimeoutMs, 2_000);
    assert.equal(o.emitControl, false);
  });

  const bad: Array<[string, object]> = [
    ['host', { host: '', port: 1 }],
    ['port', { host: 'h', port: 0 }],
    ['port', { host: 'h', port: 70_000 }],
    ['port', { host: 'h', port: '8087' }],
    ['connectTimeoutMs', { host: 'h', port: 1, connectTimeoutMs: 0 }],
    ['pingIntervalMs', { host: 'h', port: 1, pingIntervalMs: 0 }],
    ['deadAfterIdleMs', { host: 'h', port: 1, deadAfterIdleMs: -1 }],
    ['flushTimeoutMs', { host: 'h', port: 1, flushTimeoutMs: 2 ** 31 }],
    ['reconnectMaxMs', { host: 'h', port: 1, reconnectInitialMs: 500, reconnectMaxMs: 100 }],
    ['reconnectJitter', { host: 'h', port: 1, reconnectJitter: 1 }],
    ['maxQueueEvents', { host: 'h', port: 1, maxQueueEvents: 0 }],
    ['maxEventBytes', { host: 'h', port: 1, maxEventBytes: 10 }],
    ['createSocket', { host: 'h', port: 1, createSocket: 'net' }],
    ['emitControl', { host: 'h', port: 1, emitControl: 'yes' }],
  ];
  for (const [field, options] of bad) {
    it(`refuses a bad ${field} with ERR_CLIENT_OPTIONS`, () => {
      assert.throws(
        () => new TakClient(options as never),
        (e: unknown) => e instanceof TakClientError && e.code === 'ERR_CLIENT_OPTIONS' && e.field === field,
      );
    });
  }

  it('refuses a presence that cannot be built, at construction', () => {
    assert.throws(
      () => new TakClient({ host: 'h', port: 1, presence: { uid: 'u', callsign: 'c', lat: 100 } }),
      {
        code: 'ERR_COT_LAT',
      },
    );
  });

  it('names its own uid after the presence, the auth, or at random', () => {
    assert.equal(new TakClient({ host: 'h', port: 1, presence: { uid: 'p', callsign: 'c' } }).ownUid, 'p');
    assert.equal(
      new TakClient({ host: 'h', port: 1, auth: { username: 'a', password: 'b', uid: 'q' } }).ownUid,
      'q',
    );
    assert.match(new TakClient({ host: 'h', port: 1 }).ownUid, /^[0-9a-f-]{36}$/);
  });
});

describe('isControlType', () => {
  it('knows pings, pongs and protocol negotiation from data', () => {
    for (const type of ['t-x-c-t', 't-x-c-t-r', 't-x-c', 't-x-takp-v', 't-x-takp-q', 't-x-takp-r']) {
      assert.equal(isControlType(type), true, type);
    }
    for (const type of ['a-f-G-U-C', 't-x-d-d', 'b-t-f', 't-x-X', 't-x-cx'])
      assert.equal(isControlType(type), false, type);
  });
});
