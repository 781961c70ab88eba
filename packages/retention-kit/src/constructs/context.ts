import type { Environment } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { RETENTION_CONTEXT_KEYS, type RetentionPolicy, fromContextValue, parseRetentionPolicy } from '../policy';

/** The retention policy and deployment environment an app declares in its CDK context (cdk.json). */
export class RetentionContext {
  /**
   * Reads and validates the retention policy from the CDK context visible at `scope`
   * (`backup_policies`, `backup_account_id`, `backup_region`, ...). A bad policy throws an error
   * that names every problem at once: the key, the value and what is allowed.
   */
  static policy(scope: Construct): RetentionPolicy {
    return parseRetentionPolicy(RetentionContext.values(scope, [...RETENTION_CONTEXT_KEYS]));
  }

  /**
   * Validates a retention policy given as the values the CDK context would hold (the keys of
   * `cdk.json`'s `context`), for apps that keep the policy elsewhere.
   */
  static parsePolicy(context: { [key: string]: any }): RetentionPolicy {
    return parseRetentionPolicy(context);
  }

  /**
   * The account and Region an app deploys to, from `environment_account_id` and
   * `environment_region` in context; undefined (environment-agnostic) when either is missing.
   */
  static environment(scope: Construct): Environment | undefined {
    const account = scope.node.tryGetContext('environment_account_id') as string | undefined;
    const region = scope.node.tryGetContext('environment_region') as string | undefined;
    return account && region ? { account, region } : undefined;
  }

  /** The named keys of the CDK context visible at `scope`; values given on the command line as JSON strings are parsed. */
  static values(scope: Construct, keys: string[]): { [key: string]: any } {
    const context: Record<string, unknown> = {};
    for (const key of keys) context[key] = fromContextValue(scope.node.tryGetContext(key));
    return context;
  }

  private constructor() {}
}
