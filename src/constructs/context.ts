import type { Construct } from 'constructs';
import { RETENTION_CONTEXT_KEYS, type RetentionPolicy, parseRetentionPolicy } from '../policy';

/** Reads and validates the retention policy from the CDK context visible at `scope`. */
export function retentionPolicyFromContext(scope: Construct): RetentionPolicy {
  const context: Record<string, unknown> = {};
  for (const key of RETENTION_CONTEXT_KEYS) context[key] = scope.node.tryGetContext(key);
  return parseRetentionPolicy(context);
}
