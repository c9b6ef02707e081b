/**
 * Socket factories for TakClient (its `createSocket` option): TLS with our identity and checks, and plain TCP
 * that notices a TLS port. Each watches its socket from the first moment and, when a failure is one a person
 * can act on but the socket's own error does not say so, attaches a diagnosis (see diagnosis.ts):
 *
 * - a server that takes the TCP connection and never answers the handshake, or drops it without a TLS byte,
 *   is a plain TCP port;
 * - a server that closes right after the handshake without a byte refused our client certificate (or wanted
 *   one): Node-based servers do that without a TLS alert, TAK Server sends an alert that classifySocketError
 *   reads directly;
 * - a plain connection answered with a TLS record, or closed as soon as we spoke, reached a TLS port.
 */
import net from 'node:net';
import tls from 'node:tls';
import { TakClientErrorCode } from '../client/errors';
import type { SocketFactory, SocketTarget } from '../client/options';
import { describeValidity, day } from './certificate';
import {
  DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_TLS_MAX_RECORD_BYTES,
  MAX_TLS_RECORD_BYTES,
  MIN_TLS_RECORD_BYTES,
  clientSecureContext,
  type ClientTlsOptions,
} from './context';
import { TlsError, TlsErrorCode } from './errors';
import { attachDiagnosis, diagnosedError, diagnosisOf, type Diagnosis } from './diagnosis';
import type { TlsIdentity } from './identity';

/**
 * A server that refuses a certificate or a protocol closes within a round trip or two of the handshake or of
 * our first bytes; a close later than this is some other ending.
 */
export const REFUSAL_WINDOW_MS = 2_000;

const now = (): number => performance.now();

function whereOf(target: SocketTarget): string {
  return `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
}

function systemCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A close or a reset: the ways a peer that refuses us without a word ends the connection. */
function isAbrupt(systemCode: string | undefined): boolean {
  return systemCode === undefined || systemCode === 'ECONNRESET' || systemCode === 'EPIPE';
}

function refusedIdentity(identity: TlsIdentity): string {
  const certificate = identity.certificate;
  const dates = describeValidity(certificate, 'our client certificate');
  if (dates) return dates;
  return `our client certificate ${certificate.subject} (issued by ${certificate.issuer}, valid to ${day(certificate.validTo)}) is most likely not from a CA the server trusts: use the one the server's admin made for this client`;
}

/**
 * Reports a diagnosis through the socket's own 'error' event. Used where the socket ended cleanly: our
 * listeners were added first, so the client hears the error before it hears the 'end'.
 */
function emitDiagnosis(sock: net.Socket, diagnosis: Diagnosis): void {
  if (sock.listenerCount('error') > 0) sock.emit('error', diagnosedError(diagnosis));
}

function watchTls(
  sock: tls.TLSSocket,
  raw: net.Socket,
  where: string,
  identity: TlsIdentity | undefined,
  handshakeTimeoutMs: number,
): void {
  let tcpAt: number | undefined;
  let securedAt: number | undefined;
  let answered = false;
  let reported = false;
  let timer: NodeJS.Timeout | undefined;
  const stopTimer = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };

  const diagnose = (systemCode: string | undefined): Diagnosis | undefined => {
    if (tcpAt === undefined || !isAbrupt(systemCode)) return undefined;
    if (securedAt === undefined) {
      if (raw.bytesRead === 0) {
        return {
          code: TakClientErrorCode.TLS_TO_PLAIN_PORT,
          message: `${where} closed the connection when TLS began, without a byte of TLS: it is most likely a plain TCP port; set the protocol to tcp, or use the server's TLS port (TAK Server: 8089)`,
        };
      }
      if (identity) {
        return {
          code: TakClientErrorCode.TLS_CLIENT_CERT_REJECTED,
          message: `${where} dropped the connection during the TLS handshake: ${refusedIdentity(identity)}`,
        };
      }
      return undefined;
    }
    if (answered || now() - securedAt > REFUSAL_WINDOW_MS) return undefined;
    if (!identity) {
      return {
        code: TakClientErrorCode.TLS_CLIENT_CERT_REQUIRED,
        message: `${where} closed the connection right after the TLS handshake and we gave no client certificate: it most likely requires one; give the .p12 made for this client (TAK Server: makeCert.sh client NAME), or import the server's data package`,
      };
    }
    return {
      code: TakClientErrorCode.TLS_CLIENT_CERT_REJECTED,
      message: `${where} closed the connection right after the TLS handshake: ${refusedIdentity(identity)}`,
    };
  };

  raw.once('connect', () => {
    tcpAt = now();
    timer = setTimeout(() => {
      timer = undefined;
      if (securedAt !== undefined || reported) return;
      reported = true;
      sock.destroy(
        diagnosedError({
          code: TakClientErrorCode.TLS_TO_PLAIN_PORT,
          message: `${where} took the connection but did not answer the TLS handshake within ${handshakeTimeoutMs} ms: it is most likely a plain TCP port; set the protocol to tcp, or use the server's TLS port (TAK Server: 8089)`,
        }),
      );
    }, handshakeTimeoutMs);
  });
  sock.once('secureConnect', () => {
    securedAt = now();
    stopTimer();
    // Added before the client's own 'data' listener, in the same turn: both see every chunk.
    sock.once('data', () => {
      answered = true;
    });
  });
  sock.once('close', stopTimer);
  sock.on('error', (error: Error) => {
    if (reported) return;
    reported = true;
    stopTimer();
    if (diagnosisOf(error)) return;
    const systemCode = systemCodeOf(error);
    if (!identity && systemCode !== undefined && /_ALERT_HANDSHAKE_FAILURE$/.test(systemCode)) {
      // TLS 1.2 servers that require a client certificate answer its absence with a bare handshake failure.
      attachDiagnosis(error, {
        code: TakClientErrorCode.TLS_CLIENT_CERT_REQUIRED,
        message: `${where} ended the TLS handshake (handshake failure) and we gave no client certificate: it most likely requires one; give the .p12 made for this client (TAK Server: makeCert.sh client NAME), or import the server's data package`,
      });
      return;
    }
    const diagnosis = diagnose(systemCode);
    if (diagnosis) attachDiagnosis(error, diagnosis);
  });
  sock.on('end', () => {
    // Before the handshake is done Node follows an 'end' with its own ECONNRESET error; diagnosed there.
    if (reported || securedAt === undefined) return;
    const diagnosis = diagnose(undefined);
    if (!diagnosis) return;
    reported = true;
    emitDiagnosis(sock, diagnosis);
  });
}

/**
 * Makes a TLS SocketFactory for TakClient: every connection shares one secure context with our identity and
 * truststore, checks the server's certificate and name (unless verifyServer is false), and diagnoses the
 * failures described at the top of this file. Throws TlsError ERR_TLS_SETTINGS for an unusable identity.
 */
export function tlsSocketFactory(options: ClientTlsOptions = {}): SocketFactory {
  const secureContext = clientSecureContext(options);
  const verify = options.verifyServer !== false;
  const serverName = options.serverName?.trim() || undefined;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS;
  const identity = options.identity;
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_TLS_MAX_RECORD_BYTES;
  if (
    !Number.isInteger(maxRecordBytes) ||
    maxRecordBytes < MIN_TLS_RECORD_BYTES ||
    maxRecordBytes > MAX_TLS_RECORD_BYTES
  ) {
    throw new TlsError(
      TlsErrorCode.SETTINGS,
      `the TLS record size is ${String(maxRecordBytes)}; give a whole number of bytes from ${MIN_TLS_RECORD_BYTES} to ${MAX_TLS_RECORD_BYTES} (4096 suits every server; 16384 is Node's own)`,
    );
  }
  return (target) => {
    // Our own TCP socket under the TLS one: its byte count tells a silent plain port from a refusing TLS one.
    const raw = net.connect({ host: target.host, port: target.port });
    const connect: tls.ConnectionOptions = {
      socket: raw,
      host: target.host,
      secureContext,
      rejectUnauthorized: verify,
    };
    const sniName = serverName ?? target.host;
    if (net.isIP(sniName) === 0) connect.servername = sniName; // SNI carries host names only
    if (!verify) {
      connect.checkServerIdentity = () => undefined;
    } else if (serverName !== undefined) {
      connect.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(serverName, cert);
    }
    const sock = tls.connect(connect);
    // Before the client's own 'secureConnect' listener, so every byte it writes goes in records this small.
    sock.once('secureConnect', () => {
      if (maxRecordBytes !== MAX_TLS_RECORD_BYTES) sock.setMaxSendFragment(maxRecordBytes);
    });
    watchTls(sock, raw, whereOf(target), identity, handshakeTimeoutMs);
    return sock;
  };
}

/** A TLS record header: alert (21) or handshake (22), then major version 3. */
export function looksLikeTlsRecord(chunk: Buffer): boolean {
  return chunk.length >= 3 && (chunk[0] === 0x15 || chunk[0] === 0x16) && chunk[1] === 0x03;
}

/**
 * A plain connection closed at once without a byte is read as a TLS port only the second time in a row: TAK
 * Server's 8089 does it every time, a server going down does it once.
 */
export const SILENT_CLOSES_FOR_TLS = 2;

export interface TcpSocketOptions {
  /**
   * The client sends an `<auth>` login first. A server that closes at once then most likely refused the login
   * (TakClient says so), so a silent close is not read as a TLS port.
   */
  sendsLogin?: boolean;
}

/**
 * The plain TCP SocketFactory, as TakClient's default, that also notices a TLS port: a server that answers with
 * a TLS record, or closes as soon as we spoke without sending a byte twice in a row (what TAK Server's 8089 and
 * Node TLS servers do with plain text), gets ERR_PLAIN_TO_TLS_PORT instead of a bare reset or close.
 */
export function tcpSocketFactory(options: TcpSocketOptions = {}): SocketFactory {
  // Across the connections of one client: a server that restarts can close one connection at once too.
  let silentInARow = 0;
  return (target) => {
    const sock = net.connect({ host: target.host, port: target.port });
    const where = whereOf(target);
    let connectedAt: number | undefined;
    let received = false;
    let reported = false;
    let judged = false;
    const silentClose = (systemCode: string | undefined): Diagnosis | undefined => {
      if (judged) return undefined;
      judged = true;
      if (connectedAt === undefined) return undefined;
      const silent =
        !received && !options.sendsLogin && isAbrupt(systemCode) && now() - connectedAt <= REFUSAL_WINDOW_MS;
      silentInARow = silent ? silentInARow + 1 : 0;
      if (silentInARow < SILENT_CLOSES_FOR_TLS) return undefined;
      return {
        code: TakClientErrorCode.PLAIN_TO_TLS_PORT,
        message: `${where} closed the connection as soon as we spoke, without a byte, ${silentInARow} times in a row: it most likely expects TLS (TAK Server's 8089); set the protocol to tls (ATAK: ssl) with a client certificate, or use the plain port (8087/8088)`,
      };
    };
    sock.once('connect', () => {
      connectedAt = now();
      // Added before the client's own 'data' listener, in the same turn: both see every chunk.
      sock.once('data', (chunk: Buffer) => {
        received = true;
        silentInARow = 0;
        if (reported || !looksLikeTlsRecord(chunk)) return;
        reported = true;
        sock.destroy(
          diagnosedError({
            code: TakClientErrorCode.PLAIN_TO_TLS_PORT,
            message: `${where} answered in TLS: it is a TLS port; set the protocol to tls (ATAK: ssl) and give a client certificate, or use the plain port (8087/8088)`,
          }),
        );
      });
    });
    sock.on('error', (error: Error) => {
      if (reported) return;
      reported = true;
      if (diagnosisOf(error)) return;
      const diagnosis = silentClose(systemCodeOf(error));
      if (diagnosis) attachDiagnosis(error, diagnosis);
    });
    sock.on('end', () => {
      if (reported) return;
      const diagnosis = silentClose(undefined);
      if (!diagnosis) return;
      reported = true;
      emitDiagnosis(sock, diagnosis);
    });
    return sock;
  };
}
