/** Reading the values an editor dialog saved: they arrive as strings, numbers or nothing. */

export class SettingError extends Error {
  readonly code = 'ERR_TAKPAK_SETTING';
}

/** A number setting: the default when left empty, an error naming the setting when it is not a number in range. */
export function numberSetting(
  value: unknown,
  fallback: number,
  name: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new SettingError(
      `the setting "${name}" is ${JSON.stringify(value)}; give a number from ${min} to ${max}`,
    );
  }
  return n;
}

export function stringSetting(value: unknown, fallback = ''): string {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : fallback;
}

export function booleanSetting(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null || value === '') return fallback;
  return value === true || value === 'true';
}

/** Seconds in the dialog, milliseconds in the core. */
export function secondsSetting(value: unknown, fallbackMs: number, name: string, minSeconds = 0): number {
  return Math.round(numberSetting(value, fallbackMs / 1000, name, minSeconds) * 1000);
}

/** A node's status line stays readable on the canvas; the full reason goes to the log and the debug sidebar. */
const STATUS_REASON_MAX_CHARS = 100;

/** A reason short enough for a node's status line. */
export function statusReason(reason: string): string {
  return reason.length > STATUS_REASON_MAX_CHARS
    ? `${reason.slice(0, STATUS_REASON_MAX_CHARS - 1)}…`
    : reason;
}
