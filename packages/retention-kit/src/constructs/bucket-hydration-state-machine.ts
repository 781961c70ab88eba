import { type CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { HYDRATE_BUCKET_STEPS, HYDRATION_MISMATCH_ERROR } from '../policy/handler-contracts';
import { distributedMapStateMachine, workerFunction } from './distributed-map-worker';
import { acknowledge } from './nag';
import { operationalLogGroup } from './log-group';

/** Properties of the bucket hydration state machine. */
export interface BucketHydrationStateMachineProps {
  /** The existing buckets it may fill (the cold standby's). Nothing else is writable. */
  readonly targets: s3.IBucket[];
  /**
   * Restored buckets it may read: names that start with this prefix.
   * @default 'restored-'
   */
  readonly sourceBucketPrefix?: string;
  /**
   * Customer managed keys of the restored buckets, when they have one.
   * @default none
   */
  readonly sourceKeys?: kms.IKey[];
  /**
   * Batches copied at once (child executions of the Distributed Map).
   * @default 32
   */
  readonly maxConcurrency?: number;
  /**
   * Objects per batch (one Lambda invocation copies them, 16 at a time).
   * @default 200
   */
  readonly objectsPerBatch?: number;
}

/**
 * Hydrates a cold standby's bucket from a restored copy from AWS itself, for buckets too large for
 * one machine: a Distributed Map lists the source bucket (its S3 item reader, in key ranges of
 * ListObjectsV2 pages) and hands batches of objects to a worker that copies them server-side,
 * keeping metadata and tags, multipart above 5 GB; a second map checks every object in the target
 * (size, ETag, else checksum or bytes) and fails the execution with `HydrationMismatch` naming the
 * objects. The worker runs the CLI's copy code. Start an execution with
 * `{"source": "restored-documents", "target": "documents"}`.
 */
export class BucketHydrationStateMachine extends Construct {
  /** The hydration state machine; start an execution per bucket. */
  readonly stateMachine: sfn.StateMachine;
  /** The worker: copies or verifies a batch of objects. */
  readonly worker: lambda.Function;

  constructor(scope: Construct, id: string, props: BucketHydrationStateMachineProps) {
    super(scope, id);
    if (props.targets.length === 0) throw new Error(`${this.node.path}: targets is empty; name the buckets the state machine may fill`);
    const prefix = props.sourceBucketPrefix ?? 'restored-';
    if (!/^[a-z0-9][a-z0-9.-]{2,}$/.test(prefix)) throw new Error(`${this.node.path}: sourceBucketPrefix must be at least 3 characters of a bucket name (a-z, 0-9, . -), got "${prefix}"; a shorter prefix would let it read most buckets`);
    const stack = Stack.of(this);
    const sources = `arn:${stack.partition}:s3:::${prefix}*`;

    const logGroup = operationalLogGroup(this, 'WorkerLogs', 'The log holds bucket names and counts, never object content');
    const role = new iam.Role(this, 'WorkerRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: 'Reads restored buckets and fills the named standby buckets' });
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadRestoredObjects', actions: ['s3:GetObject', 's3:GetObjectTagging'], resources: [`${sources}/*`] }));
    role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteStandbyObjects', actions: ['s3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload', 's3:GetObject'], resources: props.targets.map((bucket) => bucket.arnForObjects('*')) }));
    // ListBucket makes a missing object answer 404 rather than 403 when the verification looks for it.
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ListStandbyBuckets', actions: ['s3:ListBucket'], resources: props.targets.map((bucket) => bucket.bucketArn) }));
    for (const bucket of props.targets) bucket.encryptionKey?.grantEncryptDecrypt(role);
    for (const key of props.sourceKeys ?? []) key.grantDecrypt(role);
    role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    acknowledge(
      role.node.findChild('DefaultPolicy'),
      { id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${prefix}*/*]`, reason: 'Restored buckets are named at restore time; only objects of buckets under the restore prefix can be read, none written.' },
      ...props.targets.map((bucket) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${stack.getLogicalId(bucket.node.defaultChild as CfnResource)}.Arn>/*]`,
        reason: 'Hydration writes every object of the standby bucket; its keys are those of the restored copy.',
      })),
      { id: 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy', reason: 'The permissions of this one function, kept with its role.' },
    );

    this.worker = workerFunction(this, 'Worker', { handler: 'hydrate-bucket', role, logGroup, memorySize: 512, api: 'S3', description: 'Bucket hydration worker: copies or verifies a batch of objects' });

    const objectMap = (id: string, step: 'copy' | 'verify') => {
      const stepName = HYDRATE_BUCKET_STEPS.names[step];
      const task = new tasks.LambdaInvoke(this, `${id}Batch`, {
        lambdaFunction: this.worker,
        payload: sfn.TaskInput.fromObject({ step: stepName, 'batch.$': '$.BatchInput', 'items.$': '$.Items' }),
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
      });
      // Copies are idempotent; a verification that found a difference is not retried.
      task.addRetry({ errors: [HYDRATION_MISMATCH_ERROR], maxAttempts: 0 });
      task.addRetry({ errors: ['States.TaskFailed', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'], interval: Duration.seconds(20), backoffRate: 2, maxAttempts: 4 });
      const map = new sfn.DistributedMap(this, id, {
        itemReader: new RestoredBucketItemReader(sources),
        itemBatcher: new sfn.ItemBatcher({ maxItemsPerBatch: props.objectsPerBatch ?? 200, batchInput: { 'source.$': '$.source', 'target.$': '$.target' } }),
        maxConcurrency: props.maxConcurrency ?? 32,
        resultPath: sfn.JsonPath.DISCARD,
      });
      map.itemProcessor(task);
      return map;
    };
    // A Distributed Map whose child failed fails with States.ExceedToleratedFailureThreshold: after the
    // verification, that means an object of the target is missing or differs.
    const verify = objectMap('VerifyObjects', 'verify').addCatch(
      new sfn.Fail(this, 'Mismatch', {
        error: HYDRATION_MISMATCH_ERROR,
        cause: 'An object of the target is missing or differs from the source, or could not be read after retries: the failed child executions of VerifyObjects name them.',
      }),
      { errors: ['States.ExceedToleratedFailureThreshold'] },
    );
    const definition = objectMap('CopyObjects', 'copy').next(verify).next(new sfn.Succeed(this, 'Hydrated'));

    this.stateMachine = distributedMapStateMachine(this, definition, this.worker, [
      { id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${prefix}*]`, reason: 'The item reader lists the restored bucket named in the execution input, which is under the restore prefix.' },
    ]);
  }
}

/**
 * The S3 item reader over the bucket named in the execution input (`$.source`). CDK's own reader
 * grants ListBucket on every bucket when the bucket is a path; this one grants it on the restored
 * buckets only.
 */
class RestoredBucketItemReader extends sfn.S3ObjectsItemReader {
  constructor(private readonly listable: string) {
    super({ bucketNamePath: sfn.JsonPath.stringAt('$.source') });
  }

  override providePolicyStatements(): iam.PolicyStatement[] {
    return [new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.listable] })];
  }
}
