import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledge } from './nag';

/**
 * A log group kept a year for logs that hold names and counts, never data, so the AWS managed
 * encryption of CloudWatch Logs is enough: the cdk-nag rule asking for a customer managed key is
 * acknowledged with what the log holds.
 */
export function operationalLogGroup(scope: Construct, id: string, contents: string): logs.LogGroup {
  const group = new logs.LogGroup(scope, id, { retention: logs.RetentionDays.ONE_YEAR });
  acknowledge(group, { id: 'NIST.800.53.R5::NIST.800.53.R5-CloudWatchLogGroupEncrypted', reason: `${contents}; CloudWatch Logs encrypts it at rest.` });
  return group;
}
