/**
 * TAK Server's web side (Marti API): certificate enrollment on 8446. Uses the identities and truststores of
 * ../tls; nothing here needs Node-RED.
 */
export { WebError, WebErrorCode } from './errors';
export { parseEnrollLink, MAX_ENROLL_LINK_CHARS } from './enroll-link';
export type { EnrollLink } from './enroll-link';
export { makeKeyAndCsr, ENROLL_RSA_BITS } from './csr';
export type { NameEntry, KeyAndCsr } from './csr';
export { readCertificateConfig, readSignedAnswer, looksLikeHtml } from './enroll-answer';
export type { SignedAnswer, AnswerFormat } from './enroll-answer';
export {
  webRequest,
  normalizeFingerprint,
  DEFAULT_WEB_TIMEOUT_MS,
  DEFAULT_MAX_ANSWER_BYTES,
} from './request';
export type { WebRequest, WebAnswer, WebTls, ServerCertificate } from './request';
export {
  enroll,
  enrollWithLink,
  renewalTime,
  DEFAULT_ENROLL_PORT,
  DEFAULT_RENEW_FRACTION,
  ENROLL_CLIENT_VERSION,
} from './enroll';
export type { EnrollOptions, EnrollResult } from './enroll';
export { CertificateRenewal, RENEW_RETRY_MS, MIN_RENEW_INTERVAL_MS } from './renewal';
export type { RenewalHooks, RenewalPlan, WallClock } from './renewal';
export { enrollFromDialog, enrollErrorBody, STORED_SECRET_PLACEHOLDER } from './editor';
export type { EnrollmentAnswer, StoredEnrollmentSecrets } from './editor';
export {
  buildDataPackage,
  readDataPackageZip,
  looksLikeZip,
  safeFileName,
  DEFAULT_MAX_PACKAGE_BYTES,
  MAX_PACKAGE_ENTRIES,
  MAX_COMPRESSION_RATIO,
  MANIFEST_PATH,
} from './package-zip';
export type { BuiltPackage, DataPackageContents, PackageEntry } from './package-zip';
export { uploadPackage, downloadPackage, searchPackages, sha256Hex, DEFAULT_MARTI_TLS_PORT } from './marti';
export type { MartiEndpoint, UploadRequest, UploadResult, DownloadRequest, PackageListing } from './marti';
export { fileShareEvent, readFileShare, FILE_SHARE_TYPE, FILE_SHARE_STALE_SECONDS } from './fileshare';
export type { FileShare, FileShareOptions } from './fileshare';
