import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { COGNITO_EXPORT_METRICS, EXPORT_CONTINUES } from '../policy/cognito-export';
import { COGNITO_EXPORT_ENVIRONMENT } from '../policy/handler-contracts';
import { accessLogsBucket } from './access-logs';
import { acknowledge } from './nag';
import { operationalLogGroup } from './log-group';
import { type IBackupInfrastructure, backupInfrastructureOf } from './backup-infrastructure';
import { handlerFunction } from './handler-function';
import { excludeResource, protectResource, recordExport } from './protection';

/** The Cognito read calls the export makes, and nothing else. */
export const COGNITO_EXPORT_ACTIONS = [
  'cognito-idp:DescribeUserPool',
  'cognito-idp:GetUserPoolMfaConfig',
  'cognito-idp:ListUsers',
  'cognito-idp:ListGroups',
  'cognito-idp:ListUsersInGroup',
] as const;

/** Properties of the Cognito user pool export. */
export interface CognitoUserPoolExportProps {
  /** The pools to export. Each is recorded as kept by this export. */
  readonly userPools: cognito.IUserPool[];
  /**
   * The backup infrastructure: the export bucket is protected in its category's plan, and the
   * alarms go to its alert topic.
   * @default the backup infrastructure of this construct's Stage
   */
  readonly backup?: IBackupInfrastructure;
  /**
   * Category of the export bucket; its schedule is the export's schedule.
   * @default 'export_data'
   */
  readonly category?: string;
  /**
   * When the export runs.
   * @default the category's schedule (daily 02:00 UTC for export_data)
   */
  readonly schedule?: events.Schedule;
  /**
   * How long a run's files stay current in the bucket (older versions follow the category's lifecycle); whole days.
   * @default the category's retention
   */
  readonly keepRuns?: Duration;
  /**
   * Key prefix of the runs in the bucket.
   * @default 'cognito'
   */
  readonly prefix?: string;
  /**
   * Requests per second per Cognito quota category, e.g. `{ UserList: 20 }`.
   * @default the documented default quotas
   */
  readonly rates?: { [quotaCategory: string]: number };
  /**
   * Topic for the failure alarms.
   * @default the backup infrastructure's alert topic
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * A scheduled export of Cognito user pools, which AWS Backup cannot back up: every user, group
 * and membership, into a versioned, KMS-encrypted bucket that AWS Backup then keeps (and copies)
 * under the `export_data` category. A Step Functions loop runs the export function until it
 * reports the job complete, so a pool of any size finishes across invocations. Failures land in
 * a dead-letter queue and raise alarms; the pools appear in the protection report as exported.
 */
export class CognitoUserPoolExport extends Construct {
  /** The export bucket, protected in the export's category. */
  readonly bucket: s3.Bucket;
  /** The export bucket's key. */
  readonly key: kms.Key;
  /** The export function. */
  readonly function: lambda.Function;
  /** The hand-over loop that runs the function until the export is complete. */
  readonly stateMachine: sfn.StateMachine;
  /** Schedule deliveries that failed. */
  readonly deadLetterQueue: sqs.Queue;
  /** The export's failure alarms. */
  readonly alarms: cloudwatch.Alarm[] = [];
  /** Name of the alarm that fires when an export fails. */
  readonly failureAlarmName: string;

  constructor(scope: Construct, id: string, props: CognitoUserPoolExportProps) {
    super(scope, id);
    if (props.userPools.length === 0) throw new Error(`${this.node.path}: userPools is empty; name at least one user pool to export`);
    const infrastructure = props.backup ?? backupInfrastructureOf(this);
    const categoryName = props.category ?? 'export_data';
    const category = infrastructure.policy.categories[categoryName];
    if (!category) {
      throw new Error(`${this.node.path}: category ${categoryName} is not in the retention policy; use one of ${Object.keys(infrastructure.policy.categories).join(', ')}`);
    }
    const prefix = props.prefix ?? 'cognito';
    const keepRunsDays = props.keepRuns?.toDays() ?? category.retentionDays;
    const stack = Stack.of(this);
    const alarmPrefix = `${stack.stackName}-${id}`;

    this.key = new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'Encrypts the Cognito user exports', removalPolicy: RemovalPolicy.RETAIN });
    const accessLogs = accessLogsBucket(this, 'AccessLogs', 'the Cognito export bucket', RemovalPolicy.RETAIN);
    excludeResource(accessLogs, 'server access logs of the Cognito export bucket: operational records kept 400 days by lifecycle, not user data');

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'exports/',
      lifecycleRules: [{ id: 'ExpireOldRuns', expiration: Duration.days(keepRunsDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.bucket, {
      id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled',
      reason: `Kept by AWS Backup, with copies in the backup account (${categoryName} category), rather than by replication.`,
    });
    protectResource(infrastructure.policy, infrastructure, this.bucket, categoryName);

    const logGroup = operationalLogGroup(this, 'FunctionLogs', 'The log holds pool IDs, counts and call totals, never user data');
    const role = new iam.Role(this, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Reads the named user pools and writes their exports',
    });
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadNamedUserPools', actions: [...COGNITO_EXPORT_ACTIONS], resources: props.userPools.map((pool) => pool.userPoolArn) }));
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteExportRuns',
        actions: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
        resources: [this.bucket.arnForObjects(`${prefix}/*`)],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListExportRuns',
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${prefix}/*`] } },
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ sid: 'EncryptExports', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.key.keyArn] }));
    role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));

    const logicalId = (arn: string) => (stack.resolve(arn) as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    acknowledge(
      role.node.findChild('DefaultPolicy'),
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${logicalId(this.bucket.bucketArn)}.Arn>/${prefix}/*]`,
        reason: 'Each run writes new objects (run folders named by time) under the export prefix only; the names are not known in advance.',
      },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy', reason: 'The permissions of this one function, kept with its role.' },
    );

    this.function = handlerFunction(this, 'Function', {
      handler: 'cognito-export',
      serviceName: COGNITO_EXPORT_METRICS.service,
      memorySize: 512,
      timeout: Duration.minutes(15),
      role,
      logGroup,
      description: 'Exports Cognito user pools (users, groups, memberships) to the export bucket, resumably',
      environment: COGNITO_EXPORT_ENVIRONMENT.encode(
        {
          USER_POOL_IDS: props.userPools.map((pool) => pool.userPoolId),
          EXPORT_BUCKET: this.bucket.bucketName,
          EXPORT_PREFIX: prefix,
          RATE_LIMITS: props.rates ?? {},
        },
        (value) => stack.toJsonString(value),
      ),
      // One export at a time: runs share the account's Cognito quotas and the pools' checkpoints.
      reservedConcurrentExecutions: 1,
    });
    acknowledge(
      this.function,
      { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC', reason: 'The function calls only the Cognito and S3 APIs; it needs no network access to resources in a VPC.' },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ', reason: 'Called synchronously by the state machine, which retries it and fails visibly (alarm); the schedule that starts the state machine has its own dead-letter queue.' },
    );

    this.deadLetterQueue = new sqs.Queue(this, 'ScheduleDeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, { id: 'AwsSolutions::AwsSolutions-SQS3', reason: 'This queue is the dead-letter queue of the export schedule.' });

    const exportStep = new tasks.LambdaInvoke(this, 'ExportPools', {
      lambdaFunction: this.function,
      payloadResponseOnly: true,
      comment: 'Exports the pools; answers continue when it stopped at a checkpoint before its time ran out',
    });
    // A crash loses at most the current part: the next attempt continues from the checkpoint.
    exportStep.addRetry({ errors: ['States.TaskFailed', 'Lambda.ServiceException', 'Lambda.TooManyRequestsException'], interval: Duration.seconds(30), backoffRate: 2, maxAttempts: 3 });
    const done = new sfn.Succeed(this, 'Exported');
    const failed = new sfn.Fail(this, 'PoolsFailed', { error: 'CognitoExportFailed', cause: "One or more pools failed; their checkpoints are kept and the next run continues them. See the function's log." });
    const definition = exportStep.next(
      new sfn.Choice(this, 'Finished?')
        .when(sfn.Condition.stringEquals('$.status', EXPORT_CONTINUES), exportStep)
        .when(sfn.Condition.isPresent('$.failed[0]'), failed)
        .otherwise(done),
    );
    const machineLogs = operationalLogGroup(this, 'StateMachineLogs', 'Execution history holds pool IDs and states, never user data');
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(12),
      tracingEnabled: true,
      logs: { destination: machineLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment: 'Runs the Cognito export until every pool is exported',
    });

    acknowledge(
      this.stateMachine.role.node.findChild('DefaultPolicy'),
      { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray trace upload and CloudWatch Logs delivery, which Step Functions needs for tracing and logging, take no resource-level permissions.' },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${logicalId(this.function.functionArn)}.Arn>:*]`,
        reason: 'Invocation of the export function (any of its versions), the only function the state machine calls.',
      },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy', reason: "The state machine's own permissions, generated with it." },
    );

    new events.Rule(this, 'Schedule', {
      description: `Starts the Cognito export (${category.schedule} for ${categoryName})`,
      schedule: props.schedule ?? events.Schedule.expression(category.schedule),
      targets: [
        new targets.SfnStateMachine(this.stateMachine, {
          input: events.RuleTargetInput.fromObject({ status: 'continue', completed: [], failed: [] }),
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 3,
        }),
      ],
    });

    const eventsRole = this.stateMachine.node.tryFindChild('EventsRole');
    if (eventsRole) {
      acknowledge(eventsRole.node.findChild('DefaultPolicy'), {
        id: 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy',
        reason: 'The one permission the schedule needs (start this state machine), generated with its target.',
      });
    }

    const topic = props.alarmTopic ?? infrastructure.monitoring?.topic;
    this.failureAlarmName = `${alarmPrefix}-failed`;
    const alarm = (alarmId: string, name: string, description: string, metric: cloudwatch.IMetric, options: { lessThan?: boolean } = {}) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        alarmName: name,
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: options.lessThan ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD : cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: options.lessThan ? cloudwatch.TreatMissingData.BREACHING : cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      if (topic) created.addAlarmAction(new actions.SnsAction(topic));
      this.alarms.push(created);
      // The dashboard shows it when it is in the same stack; across stacks it would make a cycle.
      if (infrastructure.monitoring && Stack.of(infrastructure.monitoring) === stack) infrastructure.monitoring.addAlarm(created);
      return created;
    };
    const day = Duration.days(1);
    alarm(
      'FailedAlarm',
      this.failureAlarmName,
      'A Cognito export failed, timed out or was aborted: the pools it names have no new export (their checkpoints are kept; the next run continues them)',
      new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: this.stateMachine.metricFailed({ period: Duration.hours(1), statistic: 'Sum' }),
          timedOut: this.stateMachine.metricTimedOut({ period: Duration.hours(1), statistic: 'Sum' }),
          aborted: this.stateMachine.metricAborted({ period: Duration.hours(1), statistic: 'Sum' }),
        },
        period: Duration.hours(1),
      }),
    );
    alarm('MissedRunsAlarm', `${alarmPrefix}-missed-runs`, 'No Cognito export succeeded in the last day', this.stateMachine.metricSucceeded({ period: day, statistic: 'Sum' }), { lessThan: true });
    alarm(
      'ScheduleDeadLettersAlarm',
      `${alarmPrefix}-schedule-dead-letters`,
      'The schedule could not start the Cognito export (see the dead-letter queue)',
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    );

    const bucketPath = this.bucket.node.path;
    for (const pool of props.userPools) {
      recordExport(pool, {
        category: categoryName,
        schedule: category.schedule,
        rpoHours: category.rpoHours,
        retentionDays: category.retentionDays,
        exportBucket: bucketPath,
        localVault: category.dedicatedVault ? infrastructure.policy.vaultNames.sensitive : infrastructure.policy.vaultNames.general,
        ...(category.copyDestination ? { copyDestination: category.copyDestination.vaultArn } : {}),
        failureAlarm: this.failureAlarmName,
      });
    }
  }
}
