/**
 * MIL-STD-2525 symbol identification codes (SIDC) <-> CoT atom types. CoT types are 2525B letters with
 * dashes, so a letter SIDC (2525B/C, 15 characters) maps position by position:
 * `SFGPUCI--------` <-> `a-f-G-U-C-I`. The numeric 2525D/E codes map affiliation and dimension only.
 */

/** 2525B/C positions: scheme, identity, dimension, status, then six function characters. */
const LETTER_SIDC_LENGTH = 15;
const FUNCTION_START = 4;
const FUNCTION_LENGTH = 6;

/** Letter-SIDC identity -> CoT affiliation; exercise identities read as their real-world twin. */
const IDENTITY_TO_AFFILIATION: Readonly<Record<string, string>> = {
  P: 'p',
  U: 'u',
  A: 'a',
  F: 'f',
  N: 'n',
  S: 's',
  H: 'h',
  J: 'j',
  K: 'k',
  O: 'o',
  G: 'p', // exercise pending
  W: 'u', // exercise unknown
  M: 'a', // exercise assumed friend
  D: 'f', // exercise friend
  L: 'n', // exercise neutral
};

/** CoT affiliation -> letter-SIDC identity; CoT's "other" has no 2525 twin and shows as unknown. */
const AFFILIATION_TO_IDENTITY: Readonly<Record<string, string>> = {
  p: 'P',
  u: 'U',
  a: 'A',
  f: 'F',
  n: 'N',
  s: 'S',
  h: 'H',
  j: 'J',
  k: 'K',
  o: 'O',
  x: 'U',
};

const DIMENSION_LETTERS = new Set(['P', 'A', 'G', 'S', 'U', 'F', 'X']);

/** 2525D/E standard identity digit (4th) -> CoT affiliation. */
const NUMERIC_IDENTITY: readonly string[] = ['p', 'u', 'a', 'f', 'n', 's', 'h'];

/** 2525D/E symbol set (digits 5-6) -> CoT dimension and, where it says, the first function letter. */
const NUMERIC_SYMBOL_SETS: Readonly<Record<string, string>> = {
  '01': 'A', // air
  '02': 'A', // air missile
  '05': 'P', // space
  '06': 'P', // space missile
  '10': 'G-U', // land unit
  '11': 'G-U', // land civilian unit/organisation
  '15': 'G-E', // land equipment
  '20': 'G-I', // land installation
  '27': 'G-U', // dismounted individual
  '30': 'S', // sea surface
  '35': 'U', // sea subsurface
  '36': 'U', // mine warfare
};

function fromNumeric(sidc: string): string | undefined {
  // 2525D is 20 digits, 2525E 30; both start version, context, identity, symbol set.
  if (!/^\d{20}(\d{10})?$/.test(sidc)) return undefined;
  const affiliation = NUMERIC_IDENTITY[Number(sidc[3])];
  if (affiliation === undefined) return undefined;
  const dimension = NUMERIC_SYMBOL_SETS[sidc.slice(4, 6)] ?? 'G';
  return `a-${affiliation}-${dimension}`;
}

/**
 * The CoT type for a SIDC: `SFGPUCI-----` -> `a-f-G-U-C-I`, `SHAPMF----` -> `a-h-A-M-F`; a 2525D/E
 * numeric code gives affiliation and dimension (`10031000...` -> `a-f-G-U`). Undefined when the code
 * is not a unit symbol this can read.
 */
export function sidcToCotType(sidc: string): string | undefined {
  const code = sidc.trim().toUpperCase();
  if (/^\d/.test(code)) return fromNumeric(code);
  if (code.length < FUNCTION_START) return undefined;
  const affiliation = IDENTITY_TO_AFFILIATION[code[1] as string];
  if (affiliation === undefined) return undefined;
  const scheme = code[0];
  // Warfighting (S) and signals intelligence (I) carry a battle dimension; the others are ground things.
  let dimension = 'G';
  if (scheme === 'S' || scheme === 'I') {
    dimension = code[2] as string;
    if (!DIMENSION_LETTERS.has(dimension)) return `a-${affiliation}-G`;
  } else if (scheme !== 'O' && scheme !== 'E') {
    return undefined; // tactical graphics, weather: not a thing on the map
  }
  const fn =
    scheme === 'S'
      ? code
          .slice(FUNCTION_START, FUNCTION_START + FUNCTION_LENGTH)
          .replace(/[-_*].*$/, '')
          .split('')
          .join('-')
      : '';
  return fn === '' ? `a-${affiliation}-${dimension}` : `a-${affiliation}-${dimension}-${fn}`;
}

/**
 * The letter SIDC (2525C, 15 characters) for an atom type: `a-f-G-U-C-I` -> `SFGPUCI--------`.
 * Undefined for a type that is not an atom or has a function part longer than one letter.
 */
export function cotTypeToSidc(type: string): string | undefined {
  const parts = type.split(';')[0]?.split('-') ?? [];
  if (parts[0] !== 'a' || parts.length < 3) return undefined;
  const identity = AFFILIATION_TO_IDENTITY[(parts[1] ?? '').toLowerCase()];
  const dimension = (parts[2] ?? '').toUpperCase();
  if (identity === undefined || !DIMENSION_LETTERS.has(dimension)) return undefined;
  const fn = parts.slice(3);
  if (fn.length > FUNCTION_LENGTH || fn.some((letter) => !/^[A-Za-z]$/.test(letter))) return undefined;
  const functionId = fn.join('').toUpperCase().padEnd(FUNCTION_LENGTH, '-');
  return `S${identity}${dimension}P${functionId}`.padEnd(LETTER_SIDC_LENGTH, '-');
}
