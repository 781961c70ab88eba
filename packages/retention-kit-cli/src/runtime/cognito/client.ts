/**
 * A Cognito client that keeps to the account's request-rate quotas (a token bucket per quota
 * category, plus the per-pool cap where the quota table asks for one), counts its calls, and
 * retries throttling adaptively. The SDK's paginators go through it unchanged.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { clientSettings } from '../clients';
import { RateLimiter } from '../rate-limiter';
import { COGNITO_DEFAULT_QUOTAS, type CognitoQuotaCategory, OPERATION_CATEGORY, PER_POOL_LIMITED, operationRate } from './quotas';

export type QuotaOverrides = Partial<Record<CognitoQuotaCategory, number>>;

export interface CognitoClientOptions {
  readonly region?: string;
  /** A named profile of the shared config files. @default the SDK's (AWS_PROFILE, then default) */
  readonly profile?: string;
  /** Requests per second per quota category. @default the documented default quotas */
  readonly rates?: QuotaOverrides;
  /** Attempts per call, throttled ones included. @default 10 */
  readonly maxAttempts?: number;
}

/** Calls made through a limited client, by operation. */
export type CallCounts = Map<string, number>;

const limitedClients = new WeakMap<CognitoIdentityProviderClient, CallCounts>();

export function createCognitoClient(options: CognitoClientOptions = {}): CognitoIdentityProviderClient {
  const client = new CognitoIdentityProviderClient({ ...clientSettings(options.region, options.maxAttempts ?? 10), ...(options.profile ? { profile: options.profile } : {}) });
  limitToQuotas(client, options.rates);
  return client;
}

/**
 * Makes every call through `client` wait for its quota category's token, and for the per-pool
 * operation limit where its category has one (`perPoolLimit: false` lifts that one too: for a
 * local server, which has no quotas). Applying it twice to the same client changes nothing; the
 * returned counts are shared.
 */
export function limitToQuotas(client: CognitoIdentityProviderClient, rates: QuotaOverrides = {}, perPoolLimit = true): CallCounts {
  const existing = limitedClients.get(client);
  if (existing) return existing;
  const counts: CallCounts = new Map();
  const categoryLimiters = new Map<string, RateLimiter>();
  const poolLimiters = new Map<string, RateLimiter>();
  const limiterFor = (category: CognitoQuotaCategory): RateLimiter => {
    let limiter = categoryLimiters.get(category);
    if (!limiter) {
      limiter = new RateLimiter(rates[category] ?? COGNITO_DEFAULT_QUOTAS[category]);
      categoryLimiters.set(category, limiter);
    }
    return limiter;
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      counts.set(operation, (counts.get(operation) ?? 0) + 1);
      const category = OPERATION_CATEGORY[operation];
      if (category) {
        await limiterFor(category).acquire();
        if (perPoolLimit && PER_POOL_LIMITED.has(category)) {
          const pool = String((args.input as { UserPoolId?: string }).UserPoolId ?? '');
          const key = `${operation}/${pool}`;
          let limiter = poolLimiters.get(key);
          if (!limiter) {
            limiter = new RateLimiter(operationRate(operation, rates));
            poolLimiters.set(key, limiter);
          }
          await limiter.acquire();
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'retentionKitQuotaLimits' },
  );
  limitedClients.set(client, counts);
  return counts;
}

export function snapshot(counts: CallCounts): Record<string, number> {
  return Object.fromEntries([...counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export function difference(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [operation, count] of Object.entries(after)) {
    const delta = count - (before[operation] ?? 0);
    if (delta > 0) result[operation] = delta;
  }
  return result;
}

/** Call counts of two runs (or two stretches of one) added, by operation. */
export function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const result = { ...a };
  for (const [key, value] of Object.entries(b)) result[key] = (result[key] ?? 0) + value;
  return Object.fromEntries(Object.entries(result).sort(([x], [y]) => x.localeCompare(y)));
}
