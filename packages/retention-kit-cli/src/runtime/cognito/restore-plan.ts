/**
 * `retention cognito plan`: how long a restore takes at the account's rates, per path, when users
 * can sign in (every user exists) and when the last membership is added; and, against an RTO, the
 * rate per category the account would need to buy. Pure: the same rates give the same plan.
 */
import { type QuotaOverrides } from './client';
import { COGNITO_DEFAULT_QUOTAS, type CognitoQuotaCategory, PER_POOL_LIMITED, type RestoreShape, categorySeconds, restorePhases } from './quotas';

/**
 * Categories treated as fixed at their quota: AdminAddUserToGroup's category cannot be bought
 * higher. A per-pool category is also capped at 5 requests per second per operation and pool,
 * whatever the account's rate.
 */
export const FIXED_CATEGORIES: ReadonlySet<CognitoQuotaCategory> = new Set(['UserResourceUpdate']);

const adjustable = (category: CognitoQuotaCategory) => !FIXED_CATEGORIES.has(category) && !PER_POOL_LIMITED.has(category);

export interface RateNeeded {
  readonly category: CognitoQuotaCategory;
  readonly current: number;
  readonly needed: number;
}

export interface PathPlan {
  readonly path: 'per-user' | 'import-job';
  readonly phases: { readonly name: string; readonly seconds: number; readonly boundBy: CognitoQuotaCategory }[];
  /** When the last user exists: groups and users done. */
  readonly signInSeconds: number;
  readonly totalSeconds: number;
  readonly rtoSeconds?: number;
  readonly meetsRto?: boolean;
  /** Rates to buy so the restore meets the RTO (empty when it already does). */
  readonly needed: readonly RateNeeded[];
  /** The fastest the restore can be with fixed categories at their quota, when that is over the RTO. */
  readonly unreachable?: { readonly minimumSeconds: number; readonly boundBy: readonly CognitoQuotaCategory[] };
}

export function planRestore(shape: RestoreShape, path: 'per-user' | 'import-job', rates: QuotaOverrides, rtoSeconds?: number): PathPlan {
  const phases = restorePhases(shape, path).map((p) => {
    const seconds = categorySeconds(p.calls, rates);
    const [boundBy, time] = [...seconds.entries()].reduce((a, b) => (b[1] > a[1] ? b : a));
    // The least a phase can take: its fixed categories cannot go faster.
    const minimum = Math.max(0, ...[...seconds.entries()].filter(([c]) => !adjustable(c)).map(([, s]) => s));
    return { name: p.name, seconds: time, boundBy, minimum, perCategory: seconds };
  });
  const totalSeconds = phases.reduce((sum, p) => sum + p.seconds, 0);
  const signInSeconds = phases[0].seconds + phases[1].seconds;
  const base = { path, phases: phases.map(({ name, seconds, boundBy }) => ({ name, seconds, boundBy })), signInSeconds, totalSeconds };
  if (rtoSeconds === undefined) return { ...base, needed: [] };
  if (totalSeconds <= rtoSeconds) return { ...base, rtoSeconds, meetsRto: true, needed: [] };
  const minimumSeconds = phases.reduce((sum, p) => sum + p.minimum, 0);
  if (minimumSeconds > rtoSeconds) {
    const boundBy = [...new Set(phases.filter((p) => p.minimum > 0).flatMap((p) => [...p.perCategory.entries()].filter(([c, s]) => !adjustable(c) && s === p.minimum).map(([c]) => c)))];
    return { ...base, rtoSeconds, meetsRto: false, needed: [], unreachable: { minimumSeconds, boundBy } };
  }
  // Shrink every phase by the same factor k, none below its minimum, so that they add up to the RTO.
  const timeAt = (k: number) => phases.reduce((sum, p) => sum + Math.max(p.minimum, p.seconds / k), 0);
  let low = 1;
  let high = 2;
  while (timeAt(high) > rtoSeconds) high *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (timeAt(mid) > rtoSeconds) low = mid;
    else high = mid;
  }
  const needed = new Map<CognitoQuotaCategory, number>();
  for (const p of phases) {
    const target = Math.max(p.minimum, p.seconds / high);
    for (const [category, seconds] of p.perCategory) {
      if (!adjustable(category) || seconds <= target) continue;
      const current = rates[category] ?? COGNITO_DEFAULT_QUOTAS[category];
      needed.set(category, Math.max(needed.get(category) ?? 0, Math.ceil((current * seconds) / target)));
    }
  }
  return {
    ...base,
    rtoSeconds,
    meetsRto: false,
    needed: [...needed.entries()].map(([category, rate]) => ({ category, current: rates[category] ?? COGNITO_DEFAULT_QUOTAS[category], needed: rate })).sort((a, b) => a.category.localeCompare(b.category)),
  };
}
