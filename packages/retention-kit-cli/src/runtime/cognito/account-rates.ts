/**
 * The request rates this account actually has, per Cognito quota category: an account can buy a
 * higher rate per category (provisioned limits), so the documented defaults may waste most of a
 * restore's time. Read with GetProvisionedLimit; where Cognito does not answer for a category (not
 * adjustable, not allowed, or an emulator without the API), the documented default is used and the
 * reason kept.
 */
import { type CognitoIdentityProviderClient, GetProvisionedLimitCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { QuotaOverrides } from './client';
import { COGNITO_DEFAULT_QUOTAS, type CognitoQuotaCategory, OPERATION_CATEGORY, PER_POOL_LIMITED, PER_POOL_OPERATION_LIMIT } from './quotas';

export interface CategoryRate {
  readonly category: CognitoQuotaCategory;
  /** Requests per second the job will use. */
  readonly rate: number;
  /** `account`: read from GetProvisionedLimit; `option`: given on the command line; `default`: the documented default quota. */
  readonly source: 'account' | 'option' | 'default';
  /** The account's free (default) rate, when read. */
  readonly freeRate?: number;
  /** Why the default was used. */
  readonly note?: string;
}

/** The categories a job's operations count under. */
export function categoriesOf(operations: readonly string[]): CognitoQuotaCategory[] {
  return [...new Set(operations.map((o) => OPERATION_CATEGORY[o]).filter((c): c is CognitoQuotaCategory => c !== undefined))].sort();
}

export const EXPORT_OPERATIONS = ['ListUsers', 'ListUsersInGroup', 'ListGroups', 'DescribeUserPool', 'GetUserPoolMfaConfig'] as const;
export const RESTORE_OPERATIONS = ['DescribeUserPool', 'ListGroups', 'CreateGroup', 'ListUsers', 'AdminCreateUser', 'AdminDisableUser', 'ListUsersInGroup', 'AdminAddUserToGroup', 'AdminGetUser'] as const;

/**
 * Reads each category's rate. `options` (the command line's `--rate`) win: a user may keep a job
 * below the account's rate to leave room for the application. `probe` should not retry: a refusal is
 * an answer here.
 */
export async function readAccountRates(probe: CognitoIdentityProviderClient, categories: readonly CognitoQuotaCategory[], options: QuotaOverrides = {}): Promise<CategoryRate[]> {
  return Promise.all(
    categories.map(async (category): Promise<CategoryRate> => {
      const given = options[category];
      if (given !== undefined) return { category, rate: given, source: 'option' };
      try {
        const { Limit } = await probe.send(new GetProvisionedLimitCommand({ LimitDefinition: { LimitClass: 'API_CATEGORY', Attributes: { Category: category } } }));
        const rate = Limit?.ProvisionedLimitValue;
        if (rate === undefined || !(rate > 0)) return { category, rate: COGNITO_DEFAULT_QUOTAS[category], source: 'default', note: 'GetProvisionedLimit gave no rate' };
        return { category, rate, source: 'account', freeRate: Limit?.FreeLimitValue };
      } catch (error) {
        const e = error as { name?: string; message?: string };
        return { category, rate: COGNITO_DEFAULT_QUOTAS[category], source: 'default', note: `GetProvisionedLimit refused: ${e.name ?? 'Error'}${e.message ? `: ${e.message}` : ''}` };
      }
    }),
  );
}

/** The rates as the client's limiter takes them. */
export function ratesOf(lines: readonly CategoryRate[]): QuotaOverrides {
  return Object.fromEntries(lines.map((l) => [l.category, l.rate]));
}

/** One line per category: "UserCreation 200/s (account; free 50/s)". */
export function describeRates(lines: readonly CategoryRate[]): string {
  return lines
    .map((l) => {
      const perPool = PER_POOL_LIMITED.has(l.category) && l.rate > PER_POOL_OPERATION_LIMIT ? `, ${PER_POOL_OPERATION_LIMIT}/s per operation and pool` : '';
      const why = l.source === 'account' ? `account${l.freeRate !== undefined ? `; free ${l.freeRate}/s` : ''}` : l.source === 'option' ? '--rate' : `documented default; ${l.note}`;
      return `${l.category} ${l.rate}/s${perPool} (${why})`;
    })
    .join('\n');
}
