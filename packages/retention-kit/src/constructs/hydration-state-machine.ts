import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { HYDRATE_REFUSED_ERROR, HYDRATE_TABLE_STEPS } from '../policy/handler-contracts';
import { distributedMapStateMachine, workerFunction } from './distributed-map-worker';
import { acknowledge, nagValue } from './nag';
import { operationalLogGroup } from './log-group';

/** Properties of the table hydration state machine. */
export interface HydrationStateMachineProps {
  /** The existing tables it may fill (the cold standby's). Nothing else is writable. */
  readonly targets: dynamodb.ITable[];
  /**
   * Restored tables it may read: names that start with this prefix, in this account and Region.
   * Restore the recovery points under such names (`retention restore` or the console).
   * @default 'restored-'
   */
  readonly sourceTablePrefix?: string;
  /**
   * Customer managed keys of the restored tables, when they have one.
   * @default none
   */
  readonly sourceKeys?: kms.IKey[];
  /**
   * Segments copied at once (child executions of the Distributed Map).
   * @default 16
   */
  readonly maxConcurrency?: number;
}

/**
 * Hydrates a cold standby's table from a restored copy from AWS itself, for tables too large for
 * one machine: a Distributed Map over the source's scan segments, each segment copied in slices
 * by a Lambda function that hands its position on before its time runs out, then a second
 * Distributed Map that checksums the target's segments, and a verification that the target's count
 * and order-independent checksum equal the source's. The function runs the same runtime code as
 * `retention hydrate dynamodb`. Start an execution with `{"source": "restored-orders", "target":
 * "orders", "overwrite": false}` (optional: `segments`, `maxWriteUnitsPerSegment`).
 */
export class HydrationStateMachine extends Construct {
  /** The hydration state machine; start an execution per table. */
  readonly stateMachine: sfn.StateMachine;
  /** The worker: plans, copies and checksums in slices, verifies. */
  readonly worker: lambda.Function;

  constructor(scope: Construct, id: string, props: HydrationStateMachineProps) {
    super(scope, id);
    if (props.targets.length === 0) throw new Error(`${this.node.path}: targets is empty; name the tables the state machine may fill`);
    const prefix = props.sourceTablePrefix ?? 'restored-';
    if (!/^[A-Za-z0-9_.-]{3,}$/.test(prefix)) throw new Error(`${this.node.path}: sourceTablePrefix must be at least 3 characters of a table name (letters, digits, _ . -), got "${prefix}"; a shorter prefix would let it read most tables`);
    const stack = Stack.of(this);
    const region = nagValue(stack.region, '<AWS::Region>');
    const account = nagValue(stack.account, '<AWS::AccountId>');

    const logGroup = operationalLogGroup(this, 'WorkerLogs', 'The log holds table names, segment numbers and counts, never items');
    const role = new iam.Role(this, 'WorkerRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: 'Reads restored tables and fills the named standby tables' });
    const sourceArn = stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: `${prefix}*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadRestoredTables', actions: ['dynamodb:DescribeTable', 'dynamodb:Scan'], resources: [sourceArn] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'FillStandbyTables',
        actions: ['dynamodb:DescribeTable', 'dynamodb:Scan', 'dynamodb:BatchWriteItem'],
        resources: props.targets.map((table) => table.tableArn),
      }),
    );
    for (const table of props.targets) table.encryptionKey?.grantEncryptDecrypt(role);
    for (const key of props.sourceKeys ?? []) key.grantDecrypt(role);
    role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    acknowledge(
      role.node.findChild('DefaultPolicy'),
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:dynamodb:${region}:${account}:table/${prefix}*]`,
        reason: 'Restored tables are named at restore time; only tables under the restore prefix can be described and scanned, none written.',
      },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy', reason: 'The permissions of this one function, kept with its role.' },
    );

    this.worker = workerFunction(this, 'Worker', { handler: 'hydrate-table', role, logGroup, memorySize: 1024, api: 'DynamoDB', description: 'Hydration worker: plans, copies and checksums table segments in slices, and verifies the totals' });

    const step = HYDRATE_TABLE_STEPS.names;
    const invoke = (id: string, payload: Record<string, unknown>, resultPath?: string) => {
      const task = new tasks.LambdaInvoke(this, id, { lambdaFunction: this.worker, payload: sfn.TaskInput.fromObject(payload), payloadResponseOnly: true, resultPath, retryOnServiceExceptions: false });
      // A refusal (a target that holds items, a key mismatch) stays a refusal: fail at once, no retries.
      task.addRetry({ errors: [HYDRATE_REFUSED_ERROR], maxAttempts: 0 });
      // A slice is idempotent (puts by key from a saved position), so a retry repeats at most one page.
      task.addRetry({ errors: ['States.TaskFailed', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.ClientExecutionTimeoutException', 'Lambda.TooManyRequestsException'], interval: Duration.seconds(20), backoffRate: 2, maxAttempts: 4 });
      return task;
    };
    const segmentMap = (id: string, kind: 'copy' | 'checksum', resultPath: string) => {
      const slice = invoke(`${id}Slice`, { step: step[kind], 'task.$': '$' });
      const keep = new sfn.Pass(this, `${id}Result`, { parameters: { 'position.$': '$.position' } });
      const map = new sfn.DistributedMap(this, id, {
        itemsPath: '$.plan.segments',
        itemSelector: {
          'source.$': '$.plan.source',
          'target.$': '$.plan.target',
          'totalSegments.$': '$.plan.totalSegments',
          'maxWriteUnitsPerSegment.$': '$.plan.maxWriteUnitsPerSegment',
          'segment.$': '$$.Map.Item.Value.segment',
        },
        maxConcurrency: props.maxConcurrency ?? 16,
        resultPath,
      });
      map.itemProcessor(slice.next(new sfn.Choice(this, `${id}Done?`).when(sfn.Condition.booleanEquals('$.done', true), keep).otherwise(slice)));
      return map;
    };

    const plan = invoke('Plan', { step: step.plan, 'job.$': '$' }, '$.plan');
    const verify = invoke('Verify', { step: step.verify, 'source.$': '$.plan.source', 'target.$': '$.plan.target', 'copied.$': '$.copied', 'readBack.$': '$.readBack' }, '$.verdict');
    const definition = plan
      .next(segmentMap('CopySegments', 'copy', '$.copied'))
      .next(segmentMap('ChecksumTarget', 'checksum', '$.readBack'))
      .next(verify)
      .next(
        new sfn.Choice(this, 'Verified?')
          .when(sfn.Condition.booleanEquals('$.verdict.verified', true), new sfn.Succeed(this, 'Hydrated', { outputPath: '$.verdict' }))
          .otherwise(new sfn.Fail(this, 'Mismatch', { error: 'HydrationMismatch', cause: 'The target table does not equal the source: counts or checksums differ. The verdict is in the Verify step output.' })),
      );

    this.stateMachine = distributedMapStateMachine(this, definition, this.worker);
  }
}
