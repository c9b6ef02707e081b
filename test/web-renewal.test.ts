/**
 * Renewal of an enrolled certificate, on a clock moved by hand, against the TAK Server-like enrollment port on
 * 127.0.0.1; and the tak-config's connections taking a renewed certificate without a redeploy.
 */
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { after, afterEach, before, describe, it } from 'node:test';
import { connectionSettings } from '../src/nodes/config-options';
import { loadIdentity } from '../src/tls/identity';
import {
  CertificateRenewal,
  MIN_RENEW_INTERVAL_MS,
  enroll,
  RENEW_RETRY_MS,
  type EnrollOptions,
  type EnrollResult,
} from '../src/web';
import { ManualClock } from './helpers/client-clock';
import { PASSWORD, startEnrollServer, USERNAME, type EnrollServer } from './helpers/enroll-server';
import { makePki, SERVER_NAME, type TestPki } from './helpers/tls-pki';

describe('CertificateRenewal against an enrollment port on 127.0.0.1', () => {
  let pki: TestPki;
  let server: EnrollServer;

  before(() => {
    pki = makePki();
  });
  after(() => pki.cleanup());
  afterEach(async () => {
    await server?.close();
  });

  function options(): EnrollOptions {
    return {
      host: '127.0.0.1',
      port: server.port,
      username: USERNAME,
      password: PASSWORD,
      trust: [pki.ca.cert],
      serverName: SERVER_NAME,
    };
  }

  /** A clock at the real time now, so certificate dates and the clock agree. */
  function wallClock(): ManualClock {
    const clock = new ManualClock();
    clock.advance(Date.now());
    return clock;
  }

  interface Outcome {
    renewed: EnrollResult[];
    failed: Array<{ code: unknown; retryAt: string }>;
    next(): Promise<void>;
  }

  function watch(): { hooks: ConstructorParameters<typeof CertificateRenewal>[1]; outcome: Outcome } {
    let wake: (() => void) | undefined;
    const outcome: Outcome = {
      renewed: [],
      failed: [],
      next: () =>
        new Promise<void>((resolve) => {
          wake = resolve;
        }),
    };
    return {
      outcome,
      hooks: {
        renewed: (result) => {
          outcome.renewed.push(result);
          wake?.();
        },
        failed: (error, retryAt) => {
          outcome.failed.push({ code: (error as { code?: unknown }).code, retryAt });
          wake?.();
        },
      },
    };
  }

  it('enrolls again when the set share of the lifetime has passed, not before', async () => {
    server = await startEnrollServer(pki);
    const first = await enroll(options());
    const clock = wallClock();
    const { hooks, outcome } = watch();
    const renewal = new CertificateRenewal(
      {
        enroll: options(),
        validFrom: first.identity.certificate.validFrom,
        validTo: first.identity.certificate.validTo,
        fraction: 0.5,
      },
      hooks,
      clock,
    );
    renewal.start();
    const due = Date.parse(renewal.dueAt);
    const requests = server.seen.length;
    clock.advance(due - clock.now() - 1);
    assert.equal(server.seen.length, requests, 'nothing asked before it is due');
    const done = outcome.next();
    clock.advance(1);
    await done;
    renewal.stop();
    assert.equal(outcome.renewed.length, 1);
    const renewed = outcome.renewed[0] as EnrollResult;
    assert.equal(renewed.identity.certificate.commonName, USERNAME);
    assert.notEqual(renewed.identity.certificate.serialNumber, first.identity.certificate.serialNumber);
    assert.notEqual(renewed.identity.key, first.identity.key, 'a new key, not the old one again');
    assert.equal(clock.pending, 0, 'stopped: no timer left');
  });

  it('a failed renewal is reported and tried again an hour later', async () => {
    server = await startEnrollServer(pki);
    const first = await enroll(options());
    const clock = wallClock();
    const { hooks, outcome } = watch();
    server.handlers.set('/Marti/api/tls/config', (_request, res) => res.writeHead(401).end());
    const renewal = new CertificateRenewal(
      {
        enroll: options(),
        validFrom: first.identity.certificate.validFrom,
        validTo: first.identity.certificate.validTo,
      },
      hooks,
      clock,
    );
    renewal.start();
    let settled = outcome.next();
    clock.advance(Date.parse(renewal.dueAt) - clock.now());
    await settled;
    assert.deepEqual(outcome.failed, [
      { code: 'ERR_ENROLL_UNAUTHORIZED', retryAt: new Date(clock.now() + RENEW_RETRY_MS).toISOString() },
    ]);
    server.handlers.clear();
    settled = outcome.next();
    clock.advance(RENEW_RETRY_MS - 1);
    assert.equal(outcome.renewed.length, 0, 'not before the hour is up');
    clock.advance(1);
    await settled;
    renewal.stop();
    assert.equal(outcome.renewed.length, 1);
  });

  it('a renewed certificate the hook cannot store is reported, and not enrolled again at once', async () => {
    server = await startEnrollServer(pki);
    const first = await enroll(options());
    const clock = wallClock();
    const failures: Array<{ message: string; retryAt: string }> = [];
    let wake: () => void = () => undefined;
    const reported = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const renewal = new CertificateRenewal(
      {
        enroll: options(),
        validFrom: first.identity.certificate.validFrom,
        validTo: first.identity.certificate.validTo,
      },
      {
        renewed: () => {
          throw new Error('disk full');
        },
        failed: (error, retryAt) => {
          failures.push({ message: (error as Error).message, retryAt });
          wake();
        },
      },
      clock,
    );
    renewal.start();
    clock.advance(Date.parse(renewal.dueAt) - clock.now());
    await reported;
    const requests = server.seen.length;
    assert.equal(failures[0]?.message, 'disk full');
    // The clock stands at the old certificate's renewal time, weeks past the real now the new one starts at:
    // the new one is due at once by this clock, and the guard keeps that from becoming a loop.
    assert.equal(failures[0]?.retryAt, new Date(clock.now() + MIN_RENEW_INTERVAL_MS).toISOString());
    assert.equal(clock.pending, 1);
    clock.advance(MIN_RENEW_INTERVAL_MS - 1);
    assert.equal(server.seen.length, requests, 'no enrollment in a loop');
    renewal.stop();
  });

  it('waits longer than a timer can in one go (a year-long certificate)', () => {
    const clock = wallClock();
    const { hooks } = watch();
    const now = clock.now();
    const renewal = new CertificateRenewal(
      {
        enroll: { host: '127.0.0.1', port: 1, username: 'u', password: 'p' },
        validFrom: new Date(now).toISOString(),
        validTo: new Date(now + 365 * 86_400_000).toISOString(),
      },
      hooks,
      clock,
      () => assert.fail('not due yet'),
    );
    renewal.start();
    clock.advance(100 * 86_400_000);
    assert.equal(clock.pending, 1, 'still waiting, in steps');
    renewal.stop();
    assert.equal(clock.pending, 0);
  });
});

describe('tak-config connections take a renewed certificate', () => {
  let pki: TestPki;
  before(() => {
    pki = makePki();
  });
  after(() => pki.cleanup());

  it('replaceIdentity: the next connection shows the new certificate', async () => {
    const settings = connectionSettings(
      {
        id: 'cfg',
        type: 'tak-config',
        host: '127.0.0.1',
        port: 8089,
        protocol: 'tls',
        serverName: SERVER_NAME,
      },
      { clientCert: pki.alpha.cert, clientKey: pki.alpha.key, trustStore: pki.ca.cert },
    );
    const server = tls.createServer({
      key: pki.server.key,
      cert: pki.server.cert,
      ca: pki.ca.cert,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const names: string[] = [];
    server.on('secureConnection', (socket) => {
      names.push(String(socket.getPeerCertificate().subject?.CN));
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as import('node:net').AddressInfo).port;
    const connectOnce = async (): Promise<void> => {
      const socket = settings.options.createSocket?.({ host: '127.0.0.1', port }) as tls.TLSSocket;
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    };
    try {
      await connectOnce();
      settings.replaceIdentity?.(loadIdentity({ cert: pki.bravo.cert, key: pki.bravo.key }), undefined);
      await connectOnce();
      assert.deepEqual(names, ['alpha', 'bravo']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
