import { join } from 'node:path';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { RetentionPolicy } from '../policy/config';
import { planRestoreTests, RESTORE_TEST_METRICS, RESTORE_TESTING_LIMITS, type PlannedRestoreTest, type RestoreTestResourceType, type RestoreTestTarget } from '../policy/restore-testing';
import type { BackupMonitoring } from './backup-monitoring';
import { acknowledge, nagValue } from './nag';
import { operationalLogGroup } from './log-group';

/** What restore testing needs of the backup infrastructure (BackupInfrastructureStack provides it). */
export interface RestoreTestingInfrastructure {
  readonly policy: RetentionPolicy;
  /** The vault whose recovery points are tested. */
  readonly generalVault: { readonly vault: backup.IBackupVault };
  /** The role AWS Backup restores with (it holds AWS Backup's restore managed policies). */
  readonly generalRole: iam.IRole;
  readonly monitoring?: BackupMonitoring;
}

/** A protected resource to restore-test, in a category. Build one with the static factories. */
export class RestoreTestResource {
  static fromTable(table: dynamodb.ITable, category: string): RestoreTestResource {
    return new RestoreTestResource({ arn: table.tableArn, type: 'DynamoDB', category, path: table.node.path });
  }

  static fromBucket(bucket: s3.IBucket, category: string): RestoreTestResource {
    return new RestoreTestResource({ arn: bucket.bucketArn, type: 'S3', category, path: bucket.node.path });
  }

  /**
   * An Aurora cluster. AWS Backup restores it into the default VPC unless `metadataOverrides`
   * name a subnet group and security groups (`dbsubnetgroupname`, `vpcSecurityGroupIds`).
   */
  static fromCluster(cluster: rds.IDatabaseCluster, category: string, metadataOverrides?: Record<string, string>): RestoreTestResource {
    return new RestoreTestResource({ arn: Stack.of(cluster).formatArn({ service: 'rds', resource: 'cluster', resourceName: cluster.clusterIdentifier, arnFormat: ArnFormat.COLON_RESOURCE_NAME }), type: 'Aurora', category, metadataOverrides, path: cluster.node.path });
  }

  static fromArn(arn: string, type: RestoreTestResourceType, category: string, metadataOverrides?: Record<string, string>): RestoreTestResource {
    return new RestoreTestResource({ arn, type, category, metadataOverrides });
  }

  private constructor(readonly target: RestoreTestTarget) {}
}

export interface RestoreTestingProps {
  readonly backup: RestoreTestingInfrastructure;
  /** What to test; each resource's category decides its plan and its RTO. */
  readonly resources: readonly RestoreTestResource[];
  /**
   * When the restore tests run.
   * @default weekly, Monday 05:00 UTC
   */
  readonly schedule?: string;
  /**
   * Hours after the scheduled time in which the tests may start.
   * @default 4
   */
  readonly startWindowHours?: number;
  /**
   * Days back a recovery point is chosen from.
   * @default 7
   */
  readonly selectionWindowDays?: number;
  /**
   * Which recovery point of the window is restored.
   * @default 'RANDOM_WITHIN_WINDOW' (over time every recent point gets tested, not only the newest)
   */
  readonly algorithm?: 'LATEST_WITHIN_WINDOW' | 'RANDOM_WITHIN_WINDOW';
  /**
   * Hours a restored resource is kept for validation before AWS Backup deletes it.
   * @default 4
   */
  readonly validationWindowHours?: number;
  /**
   * How far below the source's current count a restored copy's count may be (the recovery point
   * is older than the source).
   * @default 0.1
   */
  readonly countTolerance?: number;
  /** Prefix of the plans' names. @default the stack name */
  readonly planPrefix?: string;
  /** Topic for the alarms. @default the backup infrastructure's alert topic */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * Restore tests that prove each category's RTO: one AWS Backup restore testing plan per category,
 * selections of the category's resources, and a validation function subscribed to the restore
 * jobs' completion that checks the restored resource, reports PutRestoreValidationResult and
 * publishes the restore's duration. Per category, an alarm fires when a restore takes longer than
 * the RTO or fails validation.
 */
export class RestoreTesting extends Construct {
  readonly plans: PlannedRestoreTest[];
  readonly validationFunction: nodejs.NodejsFunction;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: RestoreTestingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const problems: string[] = [];
    const window = props.selectionWindowDays ?? 7;
    const validationHours = props.validationWindowHours ?? 4;
    if (!Number.isInteger(window) || window < 1 || window > RESTORE_TESTING_LIMITS.maxSelectionWindowDays) problems.push(`selectionWindowDays must be a whole number from 1 to ${RESTORE_TESTING_LIMITS.maxSelectionWindowDays}, got ${window}`);
    if (!Number.isInteger(validationHours) || validationHours < 1 || validationHours > RESTORE_TESTING_LIMITS.maxValidationWindowHours) {
      problems.push(`validationWindowHours must be a whole number from 1 to ${RESTORE_TESTING_LIMITS.maxValidationWindowHours} (the validation needs time to run), got ${validationHours}`);
    }
    if (props.resources.length === 0) problems.push('resources is empty; name at least one resource to restore-test');
    const planned = planRestoreTests(props.backup.policy.categories, props.resources.map((resource) => resource.target), props.planPrefix ?? stack.stackName);
    problems.push(...planned.problems);
    if (problems.length > 0) throw new Error(`${this.node.path}: restore testing is not valid:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.plans = planned.plans;

    for (const plan of this.plans) {
      const cfnPlan = new backup.CfnRestoreTestingPlan(this, `Plan-${plan.category}`, {
        restoreTestingPlanName: plan.planName,
        scheduleExpression: props.schedule ?? 'cron(0 5 ? * MON *)',
        scheduleExpressionTimezone: 'Etc/UTC',
        startWindowHours: props.startWindowHours ?? 4,
        recoveryPointSelection: {
          algorithm: props.algorithm ?? 'RANDOM_WITHIN_WINDOW',
          includeVaults: [props.backup.generalVault.vault.backupVaultArn],
          recoveryPointTypes: ['SNAPSHOT'],
          selectionWindowDays: window,
        },
      });
      for (const selection of plan.selections) {
        const cfnSelection = new backup.CfnRestoreTestingSelection(this, `Selection-${plan.category}-${selection.name}`, {
          restoreTestingPlanName: plan.planName,
          restoreTestingSelectionName: selection.name,
          protectedResourceType: selection.type,
          protectedResourceArns: [...selection.arns],
          iamRoleArn: props.backup.generalRole.roleArn,
          restoreMetadataOverrides: selection.metadataOverrides ? { ...selection.metadataOverrides } : undefined,
          validationWindowHours: validationHours,
        });
        cfnSelection.addDependency(cfnPlan);
      }
    }

    const logGroup = operationalLogGroup(this, 'ValidationLogs', 'The log holds restore job ids, resource names and counts, never data');
    const role = new iam.Role(this, 'ValidationRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: 'Checks restored resources of restore tests and reports the result' });
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadAndReportRestoreJobs', actions: ['backup:DescribeRestoreJob', 'backup:PutRestoreValidationResult'], resources: ['*'] }));
    const types = new Set(this.plans.flatMap((plan) => plan.selections.map((selection) => selection.type)));
    if (types.has('DynamoDB')) {
      role.addToPolicy(new iam.PolicyStatement({ sid: 'CountTables', actions: ['dynamodb:DescribeTable', 'dynamodb:Scan'], resources: [stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: '*' })] }));
    }
    if (types.has('S3')) role.addToPolicy(new iam.PolicyStatement({ sid: 'CountObjects', actions: ['s3:ListBucket'], resources: ['arn:aws:s3:::*'] }));
    if (types.has('Aurora') || types.has('RDS')) role.addToPolicy(new iam.PolicyStatement({ sid: 'DescribeDatabases', actions: ['rds:DescribeDBClusters', 'rds:DescribeDBInstances'], resources: ['*'] }));
    role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    acknowledge(
      role.node.findChild('DefaultPolicy'),
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'Restored resources get names chosen by AWS Backup at restore time (awsbackup-restore-test-…), so their ARNs are not known in advance; DescribeRestoreJob and PutRestoreValidationResult do not support resource-level permissions. Every action granted reads, except PutRestoreValidationResult.',
      },
      { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:s3:::*]', reason: 'Restored buckets are named by AWS Backup at restore time; only ListBucket (counting objects) is granted.' },
      { id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:dynamodb:${nagValue(stack.region, '<AWS::Region>')}:${nagValue(stack.account, '<AWS::AccountId>')}:table/*]`, reason: 'Restored tables are named by AWS Backup at restore time; only DescribeTable and Scan (counting) are granted, in this account and Region.' },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy', reason: 'The permissions of this one function, kept with its role.' },
    );

    this.validationFunction = new nodejs.NodejsFunction(this, 'ValidationFunction', {
      entry: join(__dirname, '../lambdas/restore-validation.ts'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.minutes(15),
      role,
      logGroup,
      description: 'Validates restore tests: checks the restored resource, reports the result, publishes the restore time',
      environment: {
        RESTORE_TEST_PLANS: JSON.stringify(Object.fromEntries(this.plans.map((plan) => [plan.planName, { category: plan.category, rtoHours: plan.rtoHours }]))),
        COUNT_TOLERANCE: String(props.countTolerance ?? 0.1),
        POWERTOOLS_SERVICE_NAME: 'restore-validation',
      },
      bundling: { minify: true, sourceMap: true },
    });
    acknowledge(
      this.validationFunction,
      { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC', reason: 'The function calls only AWS APIs (Backup, DynamoDB, S3, RDS); it does not connect to the restored database.' },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency', reason: 'One invocation per completed restore test; a handful a week.' },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ', reason: 'Invoked by EventBridge, whose rule target has its own retry policy; a failed validation leaves the job without a verdict, which the console shows, and logs the error.' },
    );

    new events.Rule(this, 'RestoreCompleted', {
      description: 'Validates each completed restore test',
      eventPattern: { source: ['aws.backup'], detailType: ['Restore Job State Change'], detail: { status: ['COMPLETED'] } },
      targets: [new targets.LambdaFunction(this.validationFunction, { retryAttempts: 4, maxEventAge: Duration.hours(2) })],
    });

    const topic = props.alarmTopic ?? props.backup.monitoring?.topic;
    for (const plan of this.plans) {
      const metric = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({ namespace: RESTORE_TEST_METRICS.namespace, metricName, dimensionsMap: { [RESTORE_TEST_METRICS.categoryDimension]: plan.category, service: 'restore-validation' }, statistic, period: Duration.days(1) });
      const alarms = [
        new cloudwatch.Alarm(this, `OverRto-${plan.category}`, {
          alarmName: `${stack.stackName}-${plan.category}-restore-over-rto`,
          alarmDescription: `A restore test of ${plan.category} took longer than its RTO of ${plan.rtoHours} h`,
          metric: metric(RESTORE_TEST_METRICS.duration, 'Maximum'),
          threshold: plan.rtoHours * 3600,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
        new cloudwatch.Alarm(this, `ValidationFailed-${plan.category}`, {
          alarmName: `${stack.stackName}-${plan.category}-restore-validation-failed`,
          alarmDescription: `A restore test of ${plan.category} failed validation (see the validation function's log)`,
          metric: metric(RESTORE_TEST_METRICS.validationFailed, 'Sum'),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      ];
      for (const alarm of alarms) {
        if (topic) alarm.addAlarmAction(new actions.SnsAction(topic));
        if (props.backup.monitoring && Stack.of(props.backup.monitoring) === stack) props.backup.monitoring.addAlarm(alarm);
        this.alarms.push(alarm);
      }
    }
  }
}

