/**
 * An EventBridge event-pattern matcher for tests, covering the pattern syntax the toolkit uses (arrays in the event, including arrays of objects, match when any element does):
 * literal value lists, nested objects, `anything-but` (of values or of a wildcard), `prefix`,
 * `wildcard` and `exists`. Semantics follow the
 * EventBridge documentation: every field in the pattern must match; a list matches when any of its
 * entries matches; an event array matches when any of its elements matches.
 */
type Pattern = Record<string, unknown>;

/** EventBridge wildcard: `*` matches any run of characters, everything else literally. */
function wildcardMatches(pattern: string, value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return regex.test(value);
}

function matchesEntry(entry: unknown, value: unknown, present: boolean): boolean {
  if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
    const [[operator, argument]] = Object.entries(entry);
    if (operator === 'exists') return argument === present;
    if (!present) return false;
    const values = Array.isArray(value) ? value : [value];
    if (operator === 'anything-but') {
      if (argument !== null && typeof argument === 'object' && !Array.isArray(argument) && 'wildcard' in argument) {
        return values.every((v) => !wildcardMatches((argument as { wildcard: string }).wildcard, v));
      }
      const excluded = Array.isArray(argument) ? argument : [argument];
      return values.every((v) => !excluded.includes(v));
    }
    if (operator === 'wildcard') return values.some((v) => wildcardMatches(argument as string, v));
    if (operator === 'prefix') return values.some((v) => typeof v === 'string' && v.startsWith(argument as string));
    throw new Error(`pattern operator ${operator} is not supported by this matcher`);
  }
  if (!present) return false;
  return (Array.isArray(value) ? value : [value]).some((v) => v === entry);
}

export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const node = event as Record<string, unknown> | undefined;
    const present = node !== null && typeof node === 'object' && key in node;
    const value = present ? node[key] : undefined;
    if (Array.isArray(expected)) return expected.some((entry) => matchesEntry(entry, value, present));
    if (expected !== null && typeof expected === 'object') {
      if (!present) return false;
      // An array of objects in the event matches when any of its elements does.
      return Array.isArray(value) ? value.some((item) => matchesPattern(expected as Pattern, item)) : matchesPattern(expected as Pattern, value);
    }
    throw new Error(`pattern value for ${key} must be a list or an object`);
  });
}
