import { v4 as uuidv4, v5 as uuidv5 } from 'uuid';

/**
 * The namespace of this package's name-based uids. Fixed forever: changing it would give every sensor a
 * new uid, and a second track on every map.
 */
export const TAKPAK_UID_NAMESPACE = 'eb33f500-899f-418d-b30c-4af7e1f6da2e';

export function randomUid(): string {
  return uuidv4();
}

/** The same key always gives the same uid, so a sensor stays one track across restarts. */
export function stableUid(key: string): string {
  return uuidv5(key, TAKPAK_UID_NAMESPACE);
}
