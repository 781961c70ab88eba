import { ArnFormat, type CfnResource, Duration, Stack } from 'aws-cdk-lib';
import type * as backup from 'aws-cdk-lib/aws-backup';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { type PreRecoveryBackup, RECOVER_CONTROL_ENVIRONMENT, RECOVER_CONTROL_STEPS, RECOVER_SYNC_STEPS } from '../policy/handler-contracts';
import { distributedMapStateMachine, workerFunction } from './distributed-map-worker';
import { acknowledge, nagValue } from './nag';
import { operationalLogGroup } from './log-group';

/** How the recovery backs the live table up before it changes anything. */
export class RecoveryBackup {
  /** A DynamoDB on-demand backup of the table (kept until someone deletes it). */
  static dynamodb(): RecoveryBackup {
    return new RecoveryBackup({ kind: 'dynamodb' });
  }

  /**
   * An AWS Backup on-demand job into `vault` (the table's category vault, with its lock and access
   * policy), run as `role`, kept `deleteAfter`.
   */
  static awsBackup(vault: backup.IBackupVault, role: iam.IRole, deleteAfter?: Duration): RecoveryBackup {
    return new RecoveryBackup({ kind: 'aws-backup', vaultName: vault.backupVaultName, roleArn: role.roleArn, deleteAfterDays: deleteAfter?.toDays() }, vault, role);
  }

  /** No backup, for a reason recorded with every execution (for example: the table's policy allows copies only in its locked vault). */
  static none(reason: string): RecoveryBackup {
    if (!reason.trim()) throw new Error('RecoveryBackup.none needs the reason the table is not backed up first');
    return new RecoveryBackup({ kind: 'none', reason });
  }

  private constructor(
    /** @internal */
    readonly _spec: PreRecoveryBackup,
    /** The vault an AWS Backup job writes to, for `RecoveryBackup.awsBackup`. */
    readonly vault?: backup.IBackupVault,
    /** The role an AWS Backup job runs as, for `RecoveryBackup.awsBackup`. */
    readonly role?: iam.IRole,
  ) {}
}

/** Properties of the in-place table recovery state machine. */
export interface TableRecoveryStateMachineProps {
  /** The live table the state machine repairs; it can touch no other table's items. */
  readonly table: dynamodb.ITable;
  /**
   * How the table is backed up before anything changes.
   * @default RecoveryBackup.dynamodb()
   */
  readonly backup?: RecoveryBackup;
  /**
   * Recovery mode: the application's functions held at reserved concurrency 0 during the sync and
   * put back as they were afterwards, also when the sync fails.
   * @default none
   */
  readonly pauseFunctions?: lambda.IFunction[];
  /**
   * Sync tasks run at once (child executions of the Distributed Map).
   * @default 16
   */
  readonly maxConcurrency?: number;
  /**
   * How often the restore is looked at while it runs.
   * @default Duration.minutes(1)
   */
  readonly restorePollInterval?: Duration;
}

/**
 * In-place recovery of one live table from AWS itself: the same steps as `retention recover
 * dynamodb`. A control function checks the guard rails (the input must repeat the table's name),
 * takes the backup, starts the point-in-time restore into `<table>-recovery-<incident>` with the
 * table's own key, and pauses the named functions; a sync function runs each segment's upsert and
 * prune passes in a Distributed Map (slices that hand over before their time runs out), checksums
 * the repaired table, and verifies; the control function then restores the functions' concurrency
 * (also after a failure) and, when asked, removes the restored copy. Start an execution with
 * `{"confirmTableName": "<table>", "toTime": "2026-11-20T14:05:00Z", "incident": "INC-42"}`
 * (optional: `removeRecoveryTable`, `segments`, `maxWriteUnitsPerSegment`; `resume` to continue a
 * failed execution of the same incident without a second backup and restore).
 */
export class TableRecoveryStateMachine extends Construct {
  /** The recovery state machine; start an execution per incident. */
  readonly stateMachine: sfn.StateMachine;
  /** Checks, backup, restore and recovery mode; reads no item. */
  readonly controlFunction: lambda.Function;
  /** Sync slices and verification; restores and backs up nothing. */
  readonly syncFunction: lambda.Function;

  constructor(scope: Construct, id: string, props: TableRecoveryStateMachineProps) {
    super(scope, id);
    const maxConcurrency = props.maxConcurrency ?? 16;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 1_000) throw new Error(`${this.node.path}: maxConcurrency must be a whole number from 1 to 1,000, got ${maxConcurrency}`);
    const stack = Stack.of(this);
    const table = props.table;
    const backupChoice = props.backup ?? RecoveryBackup.dynamodb();
    const functions = props.pauseFunctions ?? [];
    const recoveryTables = stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: `${table.tableName}-recovery-*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const ownPolicy = { id: 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy', reason: 'The permissions of this one function, kept with its role.' };

    // Control: backups, the restore, concurrency. No item is readable or writable with it.
    const controlLogs = operationalLogGroup(this, 'ControlLogs', 'The log holds table names, backup and restore states and counts, never items');
    const controlRole = new iam.Role(this, 'ControlRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `Backs up and restores ${table.node.path} to a point in time; pauses its application` });
    controlRole.addToPolicy(
      new iam.PolicyStatement({ sid: 'BackUpAndRestoreLiveTable', actions: ['dynamodb:DescribeTable', 'dynamodb:DescribeContinuousBackups', 'dynamodb:CreateBackup', 'dynamodb:RestoreTableToPointInTime'], resources: [table.tableArn] }),
    );
    controlRole.addToPolicy(new iam.PolicyStatement({ sid: 'WatchOwnBackups', actions: ['dynamodb:DescribeBackup'], resources: [`${table.tableArn}/backup/*`] }));
    // DynamoDB requires item permissions on the restore's target table, though the restore is what writes it.
    controlRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CreateAndRemoveRecoveryTables',
        actions: ['dynamodb:DescribeTable', 'dynamodb:DeleteTable', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:BatchWriteItem'],
        resources: [recoveryTables],
      }),
    );
    table.encryptionKey?.grant(controlRole, 'kms:DescribeKey', 'kms:CreateGrant', 'kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*');
    if (functions.length > 0) {
      controlRole.addToPolicy(
        new iam.PolicyStatement({
          sid: 'RecoveryMode',
          actions: ['lambda:GetFunctionConcurrency', 'lambda:PutFunctionConcurrency', 'lambda:DeleteFunctionConcurrency'],
          resources: functions.map((fn) => fn.functionArn),
        }),
      );
    }
    const controlAcks = [
      { id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${this.logicalId(table)}.Arn>/backup/*]`, reason: "Backups get their name at creation; only this table's backups can be described." },
      { id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:dynamodb:${nagValue(stack.region, '<AWS::Region>')}:${nagValue(stack.account, '<AWS::AccountId>')}:table/<${this.logicalId(table)}>-recovery-*]`, reason: "Recovery tables are named by the incident at run time; only this table's recovery copies." },
    ];
    if (table.encryptionKey) {
      controlAcks.push({ id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:ReEncrypt*]', reason: "DynamoDB's use of the table's own key for the restored copy (CDK key grant)." }, { id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', reason: "DynamoDB's use of the table's own key for the restored copy (CDK key grant)." });
    }
    if (backupChoice._spec.kind === 'aws-backup') {
      controlRole.addToPolicy(new iam.PolicyStatement({ sid: 'StartBackupJob', actions: ['backup:StartBackupJob'], resources: [backupChoice.vault!.backupVaultArn] }));
      controlRole.addToPolicy(new iam.PolicyStatement({ sid: 'WatchBackupJob', actions: ['backup:DescribeBackupJob'], resources: ['*'] }));
      controlRole.addToPolicy(
        new iam.PolicyStatement({ sid: 'PassBackupRole', actions: ['iam:PassRole'], resources: [backupChoice.role!.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' } } }),
      );
      controlAcks.push({ id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'backup:DescribeBackupJob has no resource-level permissions.' });
    }
    controlRole.addToPolicy(new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [controlLogs.logGroupArn] }));
    acknowledge(controlRole.node.findChild('DefaultPolicy'), ...controlAcks, ownPolicy);
    this.controlFunction = workerFunction(this, 'Control', {
      handler: 'recover-control',
      role: controlRole,
      logGroup: controlLogs,
      memorySize: 256,
      api: 'DynamoDB, AWS Backup and Lambda',
      description: `In-place recovery of ${table.node.path}: checks, backup, restore, recovery mode`,
      environment: RECOVER_CONTROL_ENVIRONMENT.encode(
        { TABLE_NAME: table.tableName, PRE_RECOVERY_BACKUP: backupChoice._spec, PAUSE_FUNCTIONS: functions.map((fn) => fn.functionName) },
        (value) => stack.toJsonString(value),
      ),
    });

    // Sync: items of the live table and of its recovery copies, nothing else.
    const syncLogs = operationalLogGroup(this, 'SyncLogs', 'The log holds table names, segment numbers and counts, never items');
    const syncRole = new iam.Role(this, 'SyncRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `Makes ${table.node.path} equal to its restored copy` });
    syncRole.addToPolicy(new iam.PolicyStatement({ sid: 'ReadRecoveryCopy', actions: ['dynamodb:DescribeTable', 'dynamodb:Scan', 'dynamodb:BatchGetItem'], resources: [recoveryTables] }));
    syncRole.addToPolicy(new iam.PolicyStatement({ sid: 'RepairLiveTable', actions: ['dynamodb:DescribeTable', 'dynamodb:Scan', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'], resources: [table.tableArn] }));
    table.encryptionKey?.grantEncryptDecrypt(syncRole);
    syncRole.addToPolicy(new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [syncLogs.logGroupArn] }));
    const syncAcks = [controlAcks[1]];
    if (table.encryptionKey) syncAcks.push(controlAcks[2], controlAcks[3]);
    acknowledge(syncRole.node.findChild('DefaultPolicy'), ...syncAcks, ownPolicy);
    this.syncFunction = workerFunction(this, 'Sync', { handler: 'recover-sync', role: syncRole, logGroup: syncLogs, memorySize: 1024, api: 'DynamoDB', description: `In-place recovery of ${table.node.path}: sync slices and verification` });

    const step = RECOVER_CONTROL_STEPS.names;
    const syncStep = RECOVER_SYNC_STEPS.names;
    const control = (id: string, name: keyof typeof step, extra: Record<string, unknown>, resultPath: string | undefined) => {
      const task = new tasks.LambdaInvoke(this, id, { lambdaFunction: this.controlFunction, payload: sfn.TaskInput.fromObject({ step: step[name], ...extra }), payloadResponseOnly: true, resultPath: resultPath ?? sfn.JsonPath.DISCARD, retryOnServiceExceptions: false });
      // Refusals and failed backups are answers, not accidents: only the Lambda service's own errors are retried.
      task.addRetry({ errors: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 4 });
      return task;
    };
    const plan = { 'plan.$': '$.plan' };
    const check = control('Check', 'check', { 'input.$': '$' }, '$.plan');

    const backupDone = new sfn.Choice(this, 'BackupDone?');
    const backupStatus = control('BackupStatus', 'backup-status', { ...plan, 'backup.$': '$.backup' }, '$.backup');
    const backupStart = control('BackupStart', 'backup-start', plan, '$.backup');

    const restoreStart = control('RestoreStart', 'restore-start', plan, undefined);
    const restoreWait = new sfn.Wait(this, 'WaitForRestore', { time: sfn.WaitTime.duration(props.restorePollInterval ?? Duration.minutes(1)) });
    const restoreStatus = control('RestoreStatus', 'restore-status', plan, '$.restore');
    const restored = new sfn.Choice(this, 'Restored?');

    const slice = (id: string, kind: 'sync' | 'checksum') => {
      const task = new tasks.LambdaInvoke(this, id, { lambdaFunction: this.syncFunction, payload: sfn.TaskInput.fromObject({ step: syncStep[kind], 'task.$': '$' }), payloadResponseOnly: true, retryOnServiceExceptions: false });
      // A slice is idempotent (puts and deletes by key from a saved position): a retry repeats at most one page.
      task.addRetry({ errors: ['States.TaskFailed', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.ClientExecutionTimeoutException', 'Lambda.TooManyRequestsException'], interval: Duration.seconds(20), backoffRate: 2, maxAttempts: 4 });
      return task;
    };
    const segmentMap = (id: string, step: 'sync' | 'checksum', itemsPath: string, resultPath: string) => {
      const first = slice(`${id}Slice`, step);
      const keep = new sfn.Pass(this, `${id}Result`, { parameters: step === 'sync' ? { 'pass.$': '$.pass', 'position.$': '$.position' } : { 'position.$': '$.position' } });
      const map = new sfn.DistributedMap(this, id, {
        itemsPath,
        itemSelector: {
          // The sync reads the restored copy and repairs the live table; the checksum reads the live table.
          'source.$': step === 'sync' ? '$.plan.recoveryTable' : '$.plan.table',
          'target.$': '$.plan.table',
          'totalSegments.$': '$.plan.totalSegments',
          'maxWriteUnitsPerSegment.$': '$.plan.maxWriteUnitsPerSegment',
          'keyNames.$': '$.plan.keyNames',
          'segment.$': '$$.Map.Item.Value.segment',
          ...(step === 'sync' ? { 'pass.$': '$$.Map.Item.Value.pass' } : {}),
        },
        maxConcurrency,
        resultPath,
      });
      map.itemProcessor(first.next(new sfn.Choice(this, `${id}Done?`).when(sfn.Condition.booleanEquals('$.done', true), keep).otherwise(first)));
      return map;
    };
    const verify = new tasks.LambdaInvoke(this, 'Verify', {
      lambdaFunction: this.syncFunction,
      payload: sfn.TaskInput.fromObject({ step: syncStep.verify, 'source.$': '$.plan.recoveryTable', 'target.$': '$.plan.table', 'synced.$': '$.synced', 'readBack.$': '$.readBack' }),
      payloadResponseOnly: true,
      resultPath: '$.verdict',
      retryOnServiceExceptions: true,
    });
    const syncAndVerify = new sfn.Parallel(this, 'SyncAndVerify', { resultSelector: { 'verdict.$': '$[0].verdict' }, resultPath: '$.sync' });
    syncAndVerify.branch(segmentMap('SyncSegments', 'sync', '$.plan.tasks', '$.synced').next(segmentMap('ChecksumLiveTable', 'checksum', '$.plan.segments', '$.readBack')).next(verify));

    const failed = new sfn.Fail(this, 'SyncFailed', { error: 'RecoverySyncFailed', cause: "The sync failed; the functions' concurrency was restored. Start the same input again: the backup and restore are not repeated, and the copy is kept." });
    const mismatch = new sfn.Fail(this, 'Mismatch', { error: 'RecoveryMismatch', cause: 'The live table does not equal the restored copy after the sync (something else wrote to it?). The verdict is in the Verify step output; the copy is kept.' });
    const done = new sfn.Succeed(this, 'Recovered', { outputPath: '$.sync.verdict' });
    const remove = control('RemoveRecoveryTable', 'remove', { ...plan, 'verdict.$': '$.sync.verdict' }, '$.removed');
    const outcome = new sfn.Choice(this, 'Verified?')
      .when(sfn.Condition.and(sfn.Condition.booleanEquals('$.sync.verdict.verified', true), sfn.Condition.booleanEquals('$.plan.removeRecoveryTable', true)), remove.next(done))
      .when(sfn.Condition.booleanEquals('$.sync.verdict.verified', true), done)
      .otherwise(mismatch);

    let afterSync: sfn.IChainable = outcome;
    let onSyncFailure: sfn.IChainable = failed;
    if (functions.length > 0) {
      afterSync = control('ResumeFunctions', 'resume-functions', plan, undefined).next(outcome);
      onSyncFailure = control('ResumeFunctionsAfterFailure', 'resume-functions', plan, undefined).next(failed);
    }
    syncAndVerify.addCatch(onSyncFailure, { errors: ['States.ALL'], resultPath: '$.error' });
    const sync = functions.length > 0 ? control('PauseFunctions', 'pause', plan, undefined).next(syncAndVerify) : syncAndVerify;

    const restore = restoreStart.next(restoreWait).next(restoreStatus).next(restored.when(sfn.Condition.booleanEquals('$.restore.finished', true), sync).otherwise(restoreWait));
    // An execution that continues an earlier one (input `resume`) finds its backup taken and its copy restored.
    const resumed = new sfn.Choice(this, 'Resume?').when(sfn.Condition.booleanEquals('$.plan.resume', true), restore);
    const definition = check.next(
      resumed.otherwise(backupStart),
    );
    backupStart.next(backupDone.when(sfn.Condition.booleanEquals('$.backup.done', true), restore).otherwise(new sfn.Wait(this, 'WaitForBackup', { time: sfn.WaitTime.duration(Duration.seconds(30)) }).next(backupStatus).next(backupDone)));
    syncAndVerify.next(afterSync);

    this.stateMachine = distributedMapStateMachine(this, definition, this.syncFunction, [
      { id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.controlFunction.node.defaultChild as CfnResource)}.Arn>:*]`, reason: 'Invoking the control function by any version or alias (CDK grant).' },
    ]);
  }

  private logicalId(table: dynamodb.ITable): string {
    return Stack.of(this).getLogicalId(table.node.defaultChild as CfnResource);
  }
}
