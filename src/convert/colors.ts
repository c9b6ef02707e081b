/**
 * Colours as TAK writes them (signed 32-bit ARGB integers, team names) and as web maps and GeoJSON write
 * them (CSS `#rrggbb` plus an opacity from 0 to 1).
 */

/** The fourteen TAK team colours, as ATAK draws them. */
export const TEAM_COLORS: Readonly<Record<string, string>> = {
  White: '#ffffff',
  Yellow: '#ffff00',
  Orange: '#ff7700',
  Magenta: '#ff00ff',
  Red: '#ff0000',
  Maroon: '#7f0000',
  Purple: '#7f007f',
  'Dark Blue': '#00007f',
  Blue: '#0000ff',
  Cyan: '#00ffff',
  Teal: '#007f7f',
  Green: '#00ff00',
  'Dark Green': '#007f00',
  Brown: '#a0714f',
};

/** The TAK roles a `__group` may carry. */
export const TEAM_ROLES: readonly string[] = [
  'Team Member',
  'Team Lead',
  'HQ',
  'Sniper',
  'Medic',
  'Forward Observer',
  'RTO',
  'K9',
];

/** The CSS basic colour names flows use most (worldmap `iconColor: "red"`). Others are left to the caller. */
const CSS_NAMES: Readonly<Record<string, string>> = {
  black: '#000000',
  white: '#ffffff',
  red: '#ff0000',
  lime: '#00ff00',
  green: '#008000',
  blue: '#0000ff',
  yellow: '#ffff00',
  cyan: '#00ffff',
  aqua: '#00ffff',
  magenta: '#ff00ff',
  fuchsia: '#ff00ff',
  orange: '#ffa500',
  purple: '#800080',
  maroon: '#800000',
  navy: '#000080',
  teal: '#008080',
  olive: '#808000',
  silver: '#c0c0c0',
  gray: '#808080',
  grey: '#808080',
  brown: '#a52a2a',
  pink: '#ffc0cb',
  darkred: '#8b0000',
  darkgreen: '#006400',
  darkblue: '#00008b',
};

/** A TAK team name in any case and spacing (`dark blue`, `DarkBlue`) -> its proper name, or undefined. */
export function teamName(value: string): string | undefined {
  const key = value.replace(/[\s_-]/g, '').toLowerCase();
  return Object.keys(TEAM_COLORS).find((name) => name.replace(/ /g, '').toLowerCase() === key);
}

/**
 * A CSS colour (`#rgb`, `#rrggbb`, `#rrggbbaa` or a basic name) and an optional opacity (0..1) as the
 * signed 32-bit ARGB integer TAK writes, or undefined when the text is not a colour this reads.
 */
export function cssToArgb(color: string, opacity?: number): number | undefined {
  const text = color.trim().toLowerCase();
  let hex = CSS_NAMES[text] ?? text;
  if (!hex.startsWith('#')) return undefined;
  hex = hex.slice(1);
  if (/^[0-9a-f]{3}$/.test(hex)) hex = hex.replace(/./g, (c) => c + c);
  let alpha = 255;
  if (/^[0-9a-f]{8}$/.test(hex)) {
    alpha = Number.parseInt(hex.slice(6), 16);
    hex = hex.slice(0, 6);
  } else if (!/^[0-9a-f]{6}$/.test(hex)) {
    return undefined;
  }
  if (opacity !== undefined && Number.isFinite(opacity)) {
    alpha = Math.round(Math.min(1, Math.max(0, opacity)) * 255);
  }
  return (alpha << 24) | Number.parseInt(hex, 16) | 0;
}

/** A signed 32-bit ARGB integer -> CSS `#rrggbb` and the opacity (0..1, two decimals). */
export function argbToCss(argb: number): { color: string; opacity: number } {
  const unsigned = argb >>> 0;
  const color = `#${(unsigned & 0xffffff).toString(16).padStart(6, '0')}`;
  const opacity = Math.round(((unsigned >>> 24) / 255) * 100) / 100;
  return { color, opacity };
}
