/**
 * A TLS listener for CotServer (its `createServer` option), as TAK Server's 8089: clients must present a
 * certificate signed by the configured CA. The check is made here after the handshake rather than by Node
 * during it, because Node refuses such a client without saying why; here every refusal is reported with its
 * reason (no certificate, expired, unknown CA...) and the socket never reaches the CoT server.
 */
import type net from 'node:net';
import tls from 'node:tls';
import { day, describeCertificate, summarize, type CertificateSummary } from './certificate';
import { serverTlsOptions, type ServerTlsOptions } from './context';

/** Why a client was refused: stable codes for logs and flows. */
export const TlsRefusalCode = {
  /** The client presented no certificate. */
  NO_CERTIFICATE: 'ERR_TLS_CLIENT_NO_CERT',
  /** The client's certificate has expired or is not valid yet. */
  EXPIRED: 'ERR_TLS_CLIENT_CERT_EXPIRED',
  /** The client's certificate is not signed by the configured CA. */
  UNKNOWN_CA: 'ERR_TLS_CLIENT_UNKNOWN_CA',
  /** Any other failed check (revoked, bad signature, wrong purpose...). */
  INVALID: 'ERR_TLS_CLIENT_CERT_INVALID',
} as const;

export type TlsRefusalCode = (typeof TlsRefusalCode)[keyof typeof TlsRefusalCode];

export interface TlsPeer {
  remoteAddress: string;
  remotePort: number;
}

export interface RefusedClient extends TlsPeer {
  code: TlsRefusalCode;
  /** OpenSSL's verification result, e.g. CERT_HAS_EXPIRED. */
  reason: string;
  message: string;
  certificate?: CertificateSummary;
}

export interface HandshakeFailure extends TlsPeer {
  /** The socket's error code, e.g. ERR_SSL_WRONG_VERSION_NUMBER, ECONNRESET, ERR_TLS_HANDSHAKE_TIMEOUT. */
  code: string;
  message: string;
}

export interface AcceptedClient extends TlsPeer {
  /** The client's certificate, when it gave one. */
  certificate?: CertificateSummary;
}

export interface TlsServerHooks {
  /** A client finished the handshake but its certificate was refused; its connection is closed. */
  refused?(client: RefusedClient): void;
  /** A client's handshake failed (plain TCP on the TLS port, our certificate refused by it, timeout...). */
  handshakeFailed?(failure: HandshakeFailure): void;
  /** A client passed every check and goes on to the CoT server. */
  accepted?(client: AcceptedClient): void;
}

/** A refused client gets this long to read our close before its socket is destroyed. */
const REFUSED_CLOSE_GRACE_MS = 2_000;

const DATE_REASONS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const CA_REASONS = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_UNTRUSTED',
]);

function peerOf(socket: net.Socket | undefined): TlsPeer {
  return { remoteAddress: socket?.remoteAddress ?? '', remotePort: socket?.remotePort ?? 0 };
}

function describePeer(peer: TlsPeer): string {
  return `${peer.remoteAddress.includes(':') ? `[${peer.remoteAddress}]` : peer.remoteAddress}:${peer.remotePort}`;
}

/** The verdict on a client whose handshake finished: undefined when it may go on. */
export function checkClient(socket: tls.TLSSocket, required: boolean): RefusedClient | undefined {
  if (!required || socket.authorized) return undefined;
  const peer = peerOf(socket);
  const x509 = socket.getPeerX509Certificate();
  const reason = String(socket.authorizationError ?? 'unknown');
  const from = describePeer(peer);
  if (x509 === undefined) {
    return {
      ...peer,
      code: TlsRefusalCode.NO_CERTIFICATE,
      reason,
      message: `refused ${from}: it gave no client certificate (this port requires one signed by the configured CA)`,
    };
  }
  const certificate = summarize(x509);
  if (DATE_REASONS.has(reason)) {
    return {
      ...peer,
      code: TlsRefusalCode.EXPIRED,
      reason,
      certificate,
      message:
        reason === 'CERT_HAS_EXPIRED'
          ? `refused ${from}: its certificate ${certificate.subject} expired on ${day(certificate.validTo)}`
          : `refused ${from}: its certificate ${certificate.subject} is not valid before ${day(certificate.validFrom)} (check the clocks)`,
    };
  }
  if (CA_REASONS.has(reason)) {
    return {
      ...peer,
      code: TlsRefusalCode.UNKNOWN_CA,
      reason,
      certificate,
      message: `refused ${from}: its certificate ${describeCertificate(certificate)} is not signed by the configured CA`,
    };
  }
  return {
    ...peer,
    code: TlsRefusalCode.INVALID,
    reason,
    certificate,
    message: `refused ${from}: its certificate ${certificate.subject} failed the check (${reason})`,
  };
}

function describeHandshakeError(error: Error & { code?: string }, peer: TlsPeer): HandshakeFailure {
  const code = error.code ?? 'ERR_TLS';
  const from = describePeer(peer);
  let message: string;
  if (/WRONG_VERSION_NUMBER|HTTP_REQUEST|UNKNOWN_PROTOCOL|PACKET_LENGTH_TOO_LONG/.test(code)) {
    message = `${from} spoke plain TCP to the TLS port: set it to TLS (ATAK: ssl), or point it at a plain port`;
  } else if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') {
    message = `${from} did not finish the TLS handshake in time`;
  } else if (code === 'ECONNRESET' || /ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN)/.test(code)) {
    message = `${from} dropped the TLS handshake: it most likely does not trust our server certificate (give it the CA's truststore), or gave up`;
  } else {
    message = `the TLS handshake with ${from} failed: ${error.message.split('\n')[0] ?? code}`;
  }
  return { ...peer, code, message };
}

/**
 * A createServer for CotServer that listens with TLS. Throws TlsError (ERR_TLS_SETTINGS) when the options
 * cannot make a server, e.g. client certificates required but no CA given.
 */
export function tlsServerFactory(
  options: ServerTlsOptions,
  hooks: TlsServerHooks = {},
): (onConnection: (socket: net.Socket) => void) => net.Server {
  const tlsOptions = serverTlsOptions(options);
  const required = options.requireClientCert ?? true;
  return (onConnection) => {
    const server = tls.createServer(tlsOptions, (socket: tls.TLSSocket) => {
      const refused = checkClient(socket, required);
      if (refused) {
        socket.on('error', () => undefined); // a reset racing our close is expected
        socket.end();
        setTimeout(() => socket.destroy(), REFUSED_CLOSE_GRACE_MS).unref();
        hooks.refused?.(refused);
        return;
      }
      const x509 = socket.getPeerX509Certificate();
      hooks.accepted?.(x509 ? { ...peerOf(socket), certificate: summarize(x509) } : peerOf(socket));
      onConnection(socket);
    });
    server.on('tlsClientError', (error: Error & { code?: string }, socket: tls.TLSSocket) => {
      // Node only reports a handshake timeout: the socket would stay open, holding a slot and its memory.
      socket.destroy();
      hooks.handshakeFailed?.(describeHandshakeError(error, peerOf(socket)));
    });
    return server;
  };
}
