/**
 * A socket factory sees more of a TLS connection than the socket's error does: whether the TCP connection was
 * made, whether the handshake finished, whether the server ever sent a byte, which client certificate we
 * offered. It attaches what it concluded to the error, and classifySocketError reports that instead of the bare
 * system code. A symbol keeps it out of JSON and away from anyone else's properties.
 */
import type { TakClientErrorCode } from '../client/errors';

export interface Diagnosis {
  code: TakClientErrorCode;
  message: string;
}

const DIAGNOSIS = Symbol.for('takpak.socketDiagnosis');

type Diagnosed = { [DIAGNOSIS]?: Diagnosis };

/** Marks `error` with what the factory concluded; returns the same error. */
export function attachDiagnosis<E extends object>(error: E, diagnosis: Diagnosis): E {
  (error as Diagnosed)[DIAGNOSIS] = diagnosis;
  return error;
}

export function diagnosisOf(error: unknown): Diagnosis | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  return (error as Diagnosed)[DIAGNOSIS];
}

/** A new error carrying a diagnosis, for a failure the socket itself did not report as one. */
export function diagnosedError(diagnosis: Diagnosis): Error & { code: string } {
  return attachDiagnosis(Object.assign(new Error(diagnosis.message), { code: diagnosis.code }), diagnosis);
}
