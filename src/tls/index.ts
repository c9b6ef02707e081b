/**
 * TLS for TAK: identities and truststores from .p12 (legacy makeCert.sh ones included) and PEM, socket
 * factories for TakClient, a TLS listener for CotServer, TAK Server data packages. Nothing here needs Node-RED.
 */
export { TlsError, TlsErrorCode } from './errors';
export {
  summarize,
  validityProblem,
  describeCertificate,
  describeValidity,
  pemCertificates,
} from './certificate';
export type { CertificateSummary, ValidityProblem } from './certificate';
export { readPkcs12 } from './pkcs12';
export type { Pkcs12Contents } from './pkcs12';
export { loadIdentity } from './identity';
export type { IdentityInput, TlsIdentity, TlsBytes } from './identity';
export { loadTrustStore } from './truststore';
export type { TrustInput, TrustStore } from './truststore';
export {
  clientSecureContext,
  serverTlsOptions,
  DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_SERVER_HANDSHAKE_TIMEOUT_MS,
} from './context';
export type { ClientTlsOptions, ServerTlsOptions } from './context';
export { tlsSocketFactory, tcpSocketFactory, looksLikeTlsRecord, REFUSAL_WINDOW_MS } from './client-socket';
export type { TcpSocketOptions } from './client-socket';
export { tlsServerFactory, checkClient, TlsRefusalCode } from './server';
export type { AcceptedClient, HandshakeFailure, RefusedClient, TlsServerHooks } from './server';
export {
  readDataPackage,
  readPreferences,
  MAX_DATA_PACKAGE_BYTES,
  MAX_DATA_PACKAGE_ENTRY_BYTES,
  TAK_DEFAULT_CERT_PASSWORD,
} from './data-package';
export type { DataPackage, DataPackageCertificate } from './data-package';
export {
  loadClientTls,
  loadServerTls,
  decodeStoredFile,
  clientSourcesFromTlsConfig,
  serverSourcesFromTlsConfig,
} from './settings';
export type { ClientTlsSources, ServerTlsSources, TlsConfigNodeOptions, LoadedTls } from './settings';
export { checkCertificateFile, importDataPackage } from './editor';
export type { CertificateCheck, DataPackageImport } from './editor';
