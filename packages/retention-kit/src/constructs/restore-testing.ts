import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { RESTORE_VALIDATION_ENVIRONMENT } from '../policy/handler-contracts';
import { planRestoreTests, RecoveryPointSelection, RESTORE_TEST_METRICS, RESTORE_TESTING_LIMITS, type PlannedRestoreTest, RestoreTestResourceType, type RestoreTestTarget } from '../policy/restore-testing';
import { type IBackupInfrastructure, backupInfrastructureOf } from './backup-infrastructure';
import { handlerFunction } from './handler-function';
import { acknowledge, nagValue } from './nag';
import { operationalLogGroup } from './log-group';

/** A protected resource to restore-test, in a category. Build one with the static factories. */
export class RestoreTestResource {
  /** A DynamoDB table of `category`. */
  static fromTable(table: dynamodb.ITable, category: string): RestoreTestResource {
    return new RestoreTestResource({ arn: table.tableArn, type: RestoreTestResourceType.DYNAMODB, category, path: table.node.path });
  }

  /** An S3 bucket of `category`. */
  static fromBucket(bucket: s3.IBucket, category: string): RestoreTestResource {
    return new RestoreTestResource({ arn: bucket.bucketArn, type: RestoreTestResourceType.S3, category, path: bucket.node.path });
  }

  /**
   * An Aurora cluster. AWS Backup restores it into the default VPC unless `metadataOverrides`
   * name a subnet group and security groups (`dbsubnetgroupname`, `vpcSecurityGroupIds`).
   */
  static fromCluster(cluster: rds.IDatabaseCluster, category: string, metadataOverrides?: { [key: string]: string }): RestoreTestResource {
    return new RestoreTestResource({ arn: Stack.of(cluster).formatArn({ service: 'rds', resource: 'cluster', resourceName: cluster.clusterIdentifier, arnFormat: ArnFormat.COLON_RESOURCE_NAME }), type: RestoreTestResourceType.AURORA, category, metadataOverrides, path: cluster.node.path });
  }

  /** Any resource AWS Backup can restore-test, by ARN. */
  static fromArn(arn: string, resourceType: RestoreTestResourceType, category: string, metadataOverrides?: { [key: string]: string }): RestoreTestResource {
    return new RestoreTestResource({ arn, type: resourceType, category, metadataOverrides });
  }

  private constructor(
    /** @internal */
    readonly _target: RestoreTestTarget,
  ) {}
}

/** Properties of restore testing. */
export interface RestoreTestingProps {
  /**
   * The backup infrastructure whose general vault holds the recovery points tested, and whose
   * general role restores them.
   * @default the backup infrastructure of this construct's Stage
   */
  readonly backup?: IBackupInfrastructure;
  /** What to test; each resource's category decides its plan and its RTO. */
  readonly resources: RestoreTestResource[];
  /**
   * When the restore tests run.
   * @default weekly, Monday 05:00 UTC
   */
  readonly schedule?: events.Schedule;
  /**
   * Time after the scheduled time in which the tests may start (whole hours).
   * @default Duration.hours(4)
   */
  readonly startWindow?: Duration;
  /**
   * How far back a recovery point is chosen from (whole days).
   * @default Duration.days(7)
   */
  readonly selectionWindow?: Duration;
  /**
   * Which recovery point of the window is restored.
   * @default RecoveryPointSelection.RANDOM_WITHIN_WINDOW (over time every recent point gets tested, not only the newest)
   */
  readonly recoveryPointSelection?: RecoveryPointSelection;
  /**
   * How long a restored resource is kept for validation before AWS Backup deletes it (whole hours).
   * @default Duration.hours(4)
   */
  readonly validationWindow?: Duration;
  /**
   * How far below the source's current count a restored copy's count may be (the recovery point
   * is older than the source).
   * @default 0.1
   */
  readonly countTolerance?: number;
  /**
   * Prefix of the plans' names.
   * @default the stack name
   */
  readonly planPrefix?: string;
  /**
   * Topic for the alarms.
   * @default the backup infrastructure's alert topic
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * The prefix of the resources AWS Backup's restore tests create (they also carry the tag of that
 * name): the validation role reads only those, never the protected tables and buckets themselves.
 */
export const RESTORE_TEST_NAME_PREFIX = 'awsbackup-restore-test';

/**
 * Restore tests that prove each category's RTO: one AWS Backup restore testing plan per category,
 * selections of the category's resources, and a validation function subscribed to the restore
 * jobs' completion that checks the restored resource, reports PutRestoreValidationResult and
 * publishes the restore's duration. Per category, an alarm fires when a restore takes longer than
 * the RTO or fails validation.
 */
export class RestoreTesting extends Construct {
  /** The restore testing plans, one per category tested. */
  readonly plans: PlannedRestoreTest[];
  /** Validates each completed restore test. */
  readonly validationFunction: lambda.Function;
  /** The over-RTO and validation-failed alarms. */
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: RestoreTestingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const problems: string[] = [];
    const infrastructure = props.backup ?? backupInfrastructureOf(this);
    const window = (props.selectionWindow ?? Duration.days(7)).toDays({ integral: false });
    const validationHours = (props.validationWindow ?? Duration.hours(4)).toHours({ integral: false });
    const startHours = (props.startWindow ?? Duration.hours(4)).toHours({ integral: false });
    if (!Number.isInteger(window) || window < 1 || window > RESTORE_TESTING_LIMITS.maxSelectionWindowDays) problems.push(`selectionWindow must be whole days from 1 to ${RESTORE_TESTING_LIMITS.maxSelectionWindowDays}, got ${window} days`);
    if (!Number.isInteger(validationHours) || validationHours < 1 || validationHours > RESTORE_TESTING_LIMITS.maxValidationWindowHours) {
      problems.push(`validationWindow must be whole hours from 1 to ${RESTORE_TESTING_LIMITS.maxValidationWindowHours} (the validation needs time to run), got ${validationHours} hours`);
    }
    if (!Number.isInteger(startHours) || startHours < 1) problems.push(`startWindow must be whole hours, at least 1, got ${startHours} hours`);
    if (props.resources.length === 0) problems.push('resources is empty; name at least one resource to restore-test');
    const planned = planRestoreTests(infrastructure.policy.categories, props.resources.map((resource) => resource._target), props.planPrefix ?? stack.stackName);
    problems.push(...planned.problems);
    if (problems.length > 0) throw new Error(`${this.node.path}: restore testing is not valid:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.plans = planned.plans;

    for (const plan of this.plans) {
      const cfnPlan = new backup.CfnRestoreTestingPlan(this, `Plan-${plan.category}`, {
        restoreTestingPlanName: plan.planName,
        scheduleExpression: props.schedule?.expressionString ?? 'cron(0 5 ? * MON *)',
        scheduleExpressionTimezone: 'Etc/UTC',
        startWindowHours: startHours,
        recoveryPointSelection: {
          algorithm: props.recoveryPointSelection ?? RecoveryPointSelection.RANDOM_WITHIN_WINDOW,
          includeVaults: [infrastructure.generalVault.vault.backupVaultArn],
          recoveryPointTypes: ['SNAPSHOT'],
          selectionWindowDays: window,
        },
      });
      for (const selection of plan.selections) {
        const cfnSelection = new backup.CfnRestoreTestingSelection(this, `Selection-${plan.category}-${selection.name}`, {
          restoreTestingPlanName: plan.planName,
          restoreTestingSelectionName: selection.name,
          protectedResourceType: selection.resourceType,
          protectedResourceArns: [...selection.arns],
          iamRoleArn: infrastructure.generalRole.roleArn,
          restoreMetadataOverrides: selection.metadataOverrides ? { ...selection.metadataOverrides } : undefined,
          validationWindowHours: validationHours,
        });
        cfnSelection.addResourceDependency(cfnPlan);
      }
    }

    const logGroup = operationalLogGroup(this, 'ValidationLogs', 'The log holds restore job ids, resource names and counts, never data');
    const role = new iam.Role(this, 'ValidationRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: 'Checks restored resources of restore tests and reports the result' });
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadAndReportRestoreJobs', actions: ['backup:DescribeRestoreJob', 'backup:PutRestoreValidationResult'], resources: ['*'] }));
    const types = new Set(this.plans.flatMap((plan) => plan.selections.map((selection) => selection.resourceType)));
    if (types.has(RestoreTestResourceType.DYNAMODB)) {
      role.addToPolicy(new iam.PolicyStatement({ sid: 'CountTables', actions: ['dynamodb:DescribeTable', 'dynamodb:Scan'], resources: [stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: `${RESTORE_TEST_NAME_PREFIX}*` })] }));
    }
    if (types.has(RestoreTestResourceType.S3)) role.addToPolicy(new iam.PolicyStatement({ sid: 'CountObjects', actions: ['s3:ListBucket'], resources: [`arn:aws:s3:::${RESTORE_TEST_NAME_PREFIX}*`] }));
    if (types.has(RestoreTestResourceType.AURORA) || types.has(RestoreTestResourceType.RDS)) role.addToPolicy(new iam.PolicyStatement({ sid: 'DescribeDatabases', actions: ['rds:DescribeDBClusters', 'rds:DescribeDBInstances'], resources: ['*'] }));
    role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    acknowledge(
      role.node.findChild('DefaultPolicy'),
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'Restored resources get names chosen by AWS Backup at restore time (awsbackup-restore-test-…), so their ARNs are not known in advance; DescribeRestoreJob and PutRestoreValidationResult do not support resource-level permissions. Every action granted reads, except PutRestoreValidationResult.',
      },
      { id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:s3:::${RESTORE_TEST_NAME_PREFIX}*]`, reason: 'The buckets restore tests create, named by AWS Backup at restore time with this prefix; only ListBucket (counting objects) is granted.' },
      { id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:dynamodb:${nagValue(stack.region, '<AWS::Region>')}:${nagValue(stack.account, '<AWS::AccountId>')}:table/${RESTORE_TEST_NAME_PREFIX}*]`, reason: 'The tables restore tests create, named by AWS Backup at restore time with this prefix; only DescribeTable and Scan (counting) are granted, in this account and Region.' },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy', reason: 'The permissions of this one function, kept with its role.' },
    );

    this.validationFunction = handlerFunction(this, 'ValidationFunction', {
      handler: 'restore-validation',
      memorySize: 512,
      timeout: Duration.minutes(15),
      role,
      logGroup,
      description: 'Validates restore tests: checks the restored resource, reports the result, publishes the restore time',
      environment: RESTORE_VALIDATION_ENVIRONMENT.encode({
        RESTORE_TEST_PLANS: Object.fromEntries(this.plans.map((plan) => [plan.planName, { category: plan.category, rtoHours: plan.rtoHours }])),
        COUNT_TOLERANCE: props.countTolerance ?? 0.1,
      }),
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

    const topic = props.alarmTopic ?? infrastructure.monitoring?.topic;
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
        if (infrastructure.monitoring && Stack.of(infrastructure.monitoring) === stack) infrastructure.monitoring.addAlarm(alarm);
        this.alarms.push(alarm);
      }
    }
  }
}

