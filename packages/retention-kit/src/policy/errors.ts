/** One thing wrong with the configuration: where, what was there, and what is allowed. */
export interface ConfigProblem {
  /** Dotted path of the context key, e.g. `backup_policies.ssn_data.schedule`. */
  readonly path: string;
  /** The value found there (undefined when the key is missing). */
  readonly value?: unknown;
  /** What is wrong and what is allowed. */
  readonly message: string;
}

export function formatProblem(problem: ConfigProblem): string {
  const shown = problem.value === undefined ? '' : ` = ${JSON.stringify(problem.value)}`;
  return `${problem.path}${shown}: ${problem.message}`;
}

/**
 * Thrown when the retention configuration is wrong. Carries every problem found, so a user fixes
 * them in one round rather than one per synth.
 */
export class RetentionConfigError extends Error {
  constructor(
    readonly problems: readonly ConfigProblem[],
    readonly source = 'retention configuration (CDK context)',
  ) {
    super(
      `The ${source} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => `  - ${formatProblem(p)}`).join('\n'),
    );
    this.name = 'RetentionConfigError';
  }
}

/** Levenshtein distance, for "did you mean" suggestions on mistyped names. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

export function suggestion(name: string, known: readonly string[]): string {
  const close = known.filter((k) => editDistance(name, k) <= 2 || (name.length >= 4 && (k.startsWith(name) || name.startsWith(k))));
  return close.length > 0 ? ` (did you mean ${close.join(' or ')}?)` : '';
}
