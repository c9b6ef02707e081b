/**
 * CoT atom types (`a-<affiliation>-<dimension>-<function...>`) in words a flow author uses, and back.
 * The letters are those of MIL-STD-2525B, which CoT borrows: `a-f-G-U-C` is a friendly ground combat unit.
 */

/** Affiliation (2525 "standard identity") word -> the CoT letter. */
export const AFFILIATIONS = {
  friend: 'f',
  hostile: 'h',
  neutral: 'n',
  unknown: 'u',
  pending: 'p',
  'assumed-friend': 'a',
  suspect: 's',
  joker: 'j',
  faker: 'k',
  none: 'o',
  other: 'x',
} as const;

export type Affiliation = keyof typeof AFFILIATIONS;

/** Battle dimension word -> the CoT letter. */
export const DIMENSIONS = {
  ground: 'G',
  air: 'A',
  'sea-surface': 'S',
  subsurface: 'U',
  space: 'P',
  sof: 'F',
  other: 'X',
} as const;

export type Dimension = keyof typeof DIMENSIONS;

export interface CotFunction {
  /** The function letters as they follow the dimension in the type, dash-separated: `U-C-I`. */
  code: string;
  label: string;
}

/**
 * A few common functions per dimension: what people bridging sensors, vehicles and teams into TAK pick.
 * Anything else is typed as free text.
 */
export const FUNCTIONS: Readonly<Record<Dimension, readonly CotFunction[]>> = {
  ground: [
    { code: 'U', label: 'unit' },
    { code: 'U-C', label: 'combat unit' },
    { code: 'U-C-I', label: 'infantry' },
    { code: 'U-C-A', label: 'armour' },
    { code: 'U-C-R', label: 'reconnaissance' },
    { code: 'U-C-E', label: 'engineer' },
    { code: 'U-C-F', label: 'artillery' },
    { code: 'U-S-M', label: 'medical' },
    { code: 'E', label: 'equipment' },
    { code: 'E-V', label: 'vehicle' },
    { code: 'E-V-C', label: 'civilian vehicle' },
    { code: 'I', label: 'installation' },
  ],
  air: [
    { code: 'M-F', label: 'military fixed wing' },
    { code: 'M-H', label: 'military helicopter' },
    { code: 'M-F-Q', label: 'drone, fixed wing' },
    { code: 'M-H-Q', label: 'drone, rotary wing' },
    { code: 'C', label: 'civilian aircraft' },
    { code: 'C-F', label: 'civilian fixed wing' },
    { code: 'C-H', label: 'civilian helicopter' },
  ],
  'sea-surface': [
    { code: 'C', label: 'combatant' },
    { code: 'X', label: 'civilian vessel' },
    { code: 'X-M', label: 'merchant ship' },
    { code: 'X-F', label: 'fishing vessel' },
    { code: 'X-R', label: 'leisure craft' },
  ],
  subsurface: [{ code: 'S', label: 'submarine' }],
  space: [{ code: 'S', label: 'satellite' }],
  sof: [],
  other: [],
};

export interface CotTypeParts {
  affiliation: Affiliation;
  dimension: Dimension;
  /** Function letters after the dimension, e.g. `U-C`; empty or absent for none. */
  function?: string;
}

const FUNCTION_PATTERN = /^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/;

function invert<K extends string>(table: Record<K, string>): Map<string, K> {
  return new Map(Object.entries(table).map(([word, letter]) => [letter as string, word as K]));
}

const AFFILIATION_BY_LETTER = invert(AFFILIATIONS);
const DIMENSION_BY_LETTER = invert(DIMENSIONS);

/**
 * The type string for an affiliation, a dimension and an optional function: `friend, ground, U-C` ->
 * `a-f-G-U-C`. Throws a RangeError naming the part that is not known.
 */
export function cotTypeFrom(parts: CotTypeParts): string {
  const affiliation = AFFILIATIONS[parts.affiliation];
  if (affiliation === undefined) {
    throw new RangeError(
      `affiliation ${JSON.stringify(parts.affiliation)} is not one of ${Object.keys(AFFILIATIONS).join(', ')}`,
    );
  }
  const dimension = DIMENSIONS[parts.dimension];
  if (dimension === undefined) {
    throw new RangeError(
      `dimension ${JSON.stringify(parts.dimension)} is not one of ${Object.keys(DIMENSIONS).join(', ')}`,
    );
  }
  const fn = parts.function ?? '';
  if (fn !== '' && !FUNCTION_PATTERN.test(fn)) {
    throw new RangeError(`function ${JSON.stringify(fn)} is not dash-separated letters such as U-C-I`);
  }
  return fn === '' ? `a-${affiliation}-${dimension}` : `a-${affiliation}-${dimension}-${fn}`;
}

export interface CotTypeDescription extends CotTypeParts {
  /** The label of the function when it is one of {@link FUNCTIONS}. */
  functionLabel?: string;
}

/**
 * The words for an atom type (`a-h-A-M-F` -> hostile, air, M-F "military fixed wing"), or undefined for
 * anything that is not an atom with a known affiliation and dimension (`b-t-f`, `u-d-f`, `t-x-c-t`).
 */
export function describeCotType(type: string): CotTypeDescription | undefined {
  const parts = type.split(';')[0]?.split('-') ?? [];
  if (parts[0] !== 'a' || parts.length < 3) return undefined;
  const affiliation = AFFILIATION_BY_LETTER.get((parts[1] ?? '').toLowerCase());
  const dimension = DIMENSION_BY_LETTER.get((parts[2] ?? '').toUpperCase());
  if (affiliation === undefined || dimension === undefined) return undefined;
  const description: CotTypeDescription = { affiliation, dimension };
  if (parts.length > 3) {
    const fn = parts.slice(3).join('-');
    description.function = fn;
    const known = FUNCTIONS[dimension].find((f) => f.code === fn);
    if (known) description.functionLabel = known.label;
  }
  return description;
}
