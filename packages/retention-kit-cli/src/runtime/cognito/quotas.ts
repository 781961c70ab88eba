/**
 * Cognito user-pool request-rate quotas, from the "API operation categories and request rate
 * quotas" table of the Amazon Cognito Developer Guide. A quota is per account and Region, shared
 * by every caller of the category, so the toolkit's calls stay within it by default and can be
 * set lower (to leave room for the application) or higher (after an increase).
 */
export type CognitoQuotaCategory =
  | 'UserCreation'
  | 'UserList'
  | 'UserPoolRead'
  | 'UserPoolResourceRead'
  | 'UserPoolResourceUpdate'
  | 'UserResourceRead'
  | 'UserResourceUpdate'
  | 'UserRead'
  | 'UserUpdate'
  | 'UserPoolUpdate';

/** Default quota, in requests per second, per category. */
export const COGNITO_DEFAULT_QUOTAS: Readonly<Record<CognitoQuotaCategory, number>> = {
  UserCreation: 50,
  UserList: 30,
  UserPoolRead: 15,
  UserPoolResourceRead: 20,
  UserPoolResourceUpdate: 15,
  UserResourceRead: 50,
  UserResourceUpdate: 25,
  UserRead: 120,
  UserUpdate: 25,
  UserPoolUpdate: 15,
};

/**
 * Categories marked with an asterisk in the table also cap each operation at 5 requests per
 * second for a single user pool.
 */
export const PER_POOL_OPERATION_LIMIT = 5;
export const PER_POOL_LIMITED: ReadonlySet<CognitoQuotaCategory> = new Set(['UserPoolResourceRead', 'UserPoolResourceUpdate']);

/**
 * The category each operation the toolkit calls is counted under. The guide's table names the
 * categories and describes them; where it was not at hand, the operation is placed by that
 * description (ListUsersInGroup "returns a list of users"; the import-job calls read and update
 * a resource of the pool).
 */
export const OPERATION_CATEGORY: Readonly<Record<string, CognitoQuotaCategory>> = {
  ListUsers: 'UserList',
  ListUsersInGroup: 'UserList',
  DescribeUserPool: 'UserPoolRead',
  GetUserPoolMfaConfig: 'UserPoolRead',
  ListGroups: 'UserPoolResourceRead',
  GetCSVHeader: 'UserPoolRead',
  CreateGroup: 'UserPoolResourceUpdate',
  AdminCreateUser: 'UserCreation',
  AdminGetUser: 'UserRead',
  AdminListGroupsForUser: 'UserResourceRead',
  AdminAddUserToGroup: 'UserResourceUpdate',
  AdminDisableUser: 'UserUpdate',
  AdminUpdateUserAttributes: 'UserUpdate',
  CreateUserImportJob: 'UserPoolResourceUpdate',
  StartUserImportJob: 'UserPoolResourceUpdate',
  DescribeUserImportJob: 'UserPoolResourceRead',
};

/** Requests per second the toolkit allows itself for one operation on one pool. */
export function operationRate(operation: string, overrides: Partial<Record<CognitoQuotaCategory, number>> = {}): number {
  const category = OPERATION_CATEGORY[operation];
  if (!category) throw new Error(`no Cognito quota category is known for ${operation}`);
  const categoryRate = overrides[category] ?? COGNITO_DEFAULT_QUOTAS[category];
  return PER_POOL_LIMITED.has(category) ? Math.min(categoryRate, PER_POOL_OPERATION_LIMIT) : categoryRate;
}

/** Seconds per category that `calls` (operation name to count) need at the quotas: operations of one category share its rate. */
export function categorySeconds(calls: Readonly<Record<string, number>>, overrides: Partial<Record<CognitoQuotaCategory, number>> = {}): Map<CognitoQuotaCategory, number> {
  const seconds = new Map<CognitoQuotaCategory, number>();
  for (const [operation, count] of Object.entries(calls)) {
    const category = OPERATION_CATEGORY[operation];
    seconds.set(category, (seconds.get(category) ?? 0) + count / operationRate(operation, overrides));
  }
  return seconds;
}

/**
 * Seconds that `calls` need at the quotas: each category's calls at its rate, categories in
 * parallel, so the slowest category bounds the time.
 */
export function quotaBoundSeconds(calls: Readonly<Record<string, number>>, overrides: Partial<Record<CognitoQuotaCategory, number>> = {}): number {
  return Math.max(0, ...categorySeconds(calls, overrides).values());
}

export interface RestoreShape {
  readonly users: number;
  readonly memberships: number;
  readonly disabledUsers: number;
  readonly groups: number;
}

/** The calls of each phase of a restore into an empty pool, as the restorer makes them (groups, then users, then memberships). */
export function restorePhases(shape: RestoreShape, path: 'per-user' | 'import-job'): { name: 'groups' | 'users' | 'memberships'; calls: Readonly<Record<string, number>> }[] {
  const page = 60;
  return [
    { name: 'groups', calls: { ListGroups: Math.ceil(shape.groups / page) || 1, CreateGroup: shape.groups } },
    {
      name: 'users',
      calls:
        path === 'per-user'
          ? { ListUsers: 1, AdminCreateUser: shape.users, AdminDisableUser: shape.disabledUsers }
          : // Listed before the job (to leave out who is there) and after it (to reconcile).
            { ListUsers: 2 * Math.ceil(shape.users / page), AdminDisableUser: shape.disabledUsers },
    },
    { name: 'memberships', calls: { ListUsersInGroup: shape.groups, AdminAddUserToGroup: shape.memberships } },
  ];
}

/**
 * Seconds a restore into an empty pool needs at the quotas, by path, phase after phase (within a
 * phase the categories run in parallel). The import job's own run time is not in it: Cognito does
 * not document an import rate, and the job is outside the per-call quotas.
 */
export function restoreQuotaBoundSeconds(
  shape: RestoreShape,
  path: 'per-user' | 'import-job',
  overrides: Partial<Record<CognitoQuotaCategory, number>> = {},
): { groups: number; users: number; memberships: number; total: number } {
  const [groups, users, memberships] = restorePhases(shape, path).map((phase) => quotaBoundSeconds(phase.calls, overrides));
  return { groups, users, memberships, total: groups + users + memberships };
}
