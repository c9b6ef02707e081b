/**
 * The slice of semver ranges package.json uses for `engines.node` and `node-red.version`: alternatives
 * joined by `||`, each a list of `^x.y.z`, `>=`, `>`, `<=`, `<`, `=` or bare comparators. Enough to check the
 * runtime at load without a semver dependency; anything else is a mistake in package.json and throws.
 */

type Version = [number, number, number];

function parseVersion(text: string): Version {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a version`);
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function comparatorHolds(version: Version, comparator: string): boolean {
  const match = /^(\^|>=|<=|>|<|=)?\s*(.+)$/.exec(comparator);
  if (!match) throw new Error(`"${comparator}" is not a version comparator`);
  const [, op = '=', bound] = match;
  const against = parseVersion(bound);
  const order = compare(version, against);
  switch (op) {
    case '^':
      return order >= 0 && version[0] === against[0];
    case '>=':
      return order >= 0;
    case '>':
      return order > 0;
    case '<=':
      return order <= 0;
    case '<':
      return order < 0;
    default:
      return order === 0;
  }
}

/** True when `version` (such as "22.9.0" or "v20.19.1") is in `range`. Pre-release tags are ignored. */
export function satisfies(version: string, range: string): boolean {
  const parsed = parseVersion(version);
  return range.split('||').some((alternative) =>
    alternative
      .trim()
      .split(/\s+(?=[\^<>=])/)
      .every((comparator) => comparatorHolds(parsed, comparator.trim())),
  );
}

/** True when `version` is older than every version `range` allows (false when newer or in between). */
export function olderThanRange(version: string, range: string): boolean {
  const parsed = parseVersion(version);
  const lowest = range
    .split('||')
    .map((alternative) => /(?:\^|>=?|=)?\s*(\d+(?:\.\d+){0,2})/.exec(alternative.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => parseVersion(m[1]))
    .sort(compare)[0];
  return lowest !== undefined && compare(parsed, lowest) < 0;
}
