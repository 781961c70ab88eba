import type { Construct } from 'constructs';
import { RETENTION_CONTEXT_KEYS, type RetentionPolicy, fromContextValue, parseRetentionPolicy } from '../policy';

/** Reads and validates the retention policy from the CDK context visible at `scope`. */
export function retentionPolicyFromContext(scope: Construct): RetentionPolicy {
  return parseRetentionPolicy(retentionContext(scope, RETENTION_CONTEXT_KEYS));
}

/** The named keys of the CDK context visible at `scope`; values given on the command line as JSON strings are parsed. */
export function retentionContext(scope: Construct, keys: readonly string[]): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (const key of keys) {
    const value: unknown = scope.node.tryGetContext(key);
    context[key] = fromContextValue(value);
  }
  return context;
}


/** The account and Region an app deploys to, from `environment_account_id` and `environment_region` in context (undefined: environment-agnostic). */
export function environmentFromContext(scope: Construct): { account: string; region: string } | undefined {
  const account = scope.node.tryGetContext('environment_account_id') as string | undefined;
  const region = scope.node.tryGetContext('environment_region') as string | undefined;
  return account && region ? { account, region } : undefined;
}
