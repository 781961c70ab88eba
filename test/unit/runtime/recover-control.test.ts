import { BackupClient, DescribeBackupJobCommand, StartBackupJobCommand } from '@aws-sdk/client-backup';
import { DeleteTableCommand, DescribeContinuousBackupsCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException, RestoreTableToPointInTimeCommand } from '@aws-sdk/client-dynamodb';
import { GetFunctionConcurrencyCommand, LambdaClient, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../packages/retention-kit-cli/src/lambdas/recover-control';
import type { BackupHandle, RecoveryPlan, RecoveryVerdict } from '../../../packages/retention-kit-cli/src/runtime/dynamodb/recover-steps';

const dynamodb = mockClient(DynamoDBClient);
const lambda = mockClient(LambdaClient);
const backup = mockClient(BackupClient);
const KEY = 'arn:aws:kms:us-east-1:111111111111:key/1234';

describe('recovery control function (mocked DynamoDB, Lambda and AWS Backup clients: no local server has point-in-time restore, backup jobs or function concurrency)', () => {
  let recoveryTableExists: boolean;

  beforeAll(() => {
    // What the construct sets on the function.
    process.env.TABLE_NAME = 'orders';
    process.env.PRE_RECOVERY_BACKUP = JSON.stringify({ kind: 'aws-backup', vaultName: 'app-critical', roleArn: 'arn:aws:iam::111111111111:role/backup', deleteAfterDays: 35 });
    process.env.PAUSE_FUNCTIONS = JSON.stringify(['orders-api']);
    process.env.AWS_REGION = 'us-east-1';
  });

  beforeEach(() => {
    dynamodb.reset();
    lambda.reset();
    backup.reset();
    recoveryTableExists = false;
    dynamodb.on(DescribeTableCommand, { TableName: 'orders' }).resolves({
      Table: { TableName: 'orders', TableArn: 'arn:aws:dynamodb:us-east-1:111111111111:table/orders', TableStatus: 'ACTIVE', SSEDescription: { SSEType: 'KMS', KMSMasterKeyArn: KEY, Status: 'ENABLED' }, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] },
    });
    dynamodb.on(DescribeTableCommand, { TableName: 'orders-recovery-INC-5' }).callsFake(() => {
      if (!recoveryTableExists) throw new ResourceNotFoundException({ message: 'not found', $metadata: {} });
      return { Table: { TableName: 'orders-recovery-INC-5', TableStatus: 'ACTIVE' } };
    });
    dynamodb.on(DescribeContinuousBackupsCommand).resolves({ ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED' } } });
    dynamodb.on(RestoreTableToPointInTimeCommand).callsFake(() => {
      recoveryTableExists = true;
      return {};
    });
    lambda.on(GetFunctionConcurrencyCommand).resolves({ ReservedConcurrentExecutions: 25 });
  });

  const input = { confirmTableName: 'orders', toTime: '2026-11-20T14:05:00Z', incident: 'INC-5' };

  it('refuses an execution whose confirmation does not repeat its table, before any call, with an error Step Functions can name', async () => {
    const error = (await handler({ step: 'check', input: { ...input, confirmTableName: 'customers' } }).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('RecoverRefusedError');
    expect(error.message).toContain('--confirm-table-name is "customers" but the table is "orders"');
    expect(dynamodb.calls()).toHaveLength(0);
    expect(lambda.calls()).toHaveLength(0);
  });

  it('plans with the saved concurrency, backs up into the category vault, restores once with the table\'s key, pauses and resumes, and never removes an unverified copy', async () => {
    const plan = (await handler({ step: 'check', input })) as RecoveryPlan;
    expect(plan).toMatchObject({ table: 'orders', recoveryTable: 'orders-recovery-INC-5', keyNames: ['id'], functions: [{ functionName: 'orders-api', previous: 25 }], removeRecoveryTable: false });

    backup.on(StartBackupJobCommand).resolves({ BackupJobId: 'job-7' });
    backup.on(DescribeBackupJobCommand).resolves({ State: 'COMPLETED', RecoveryPointArn: 'arn:aws:backup:us-east-1:111111111111:recovery-point:rp' });
    const started = (await handler({ step: 'backup-start', plan })) as BackupHandle;
    expect(started).toEqual({ kind: 'aws-backup', jobId: 'job-7', done: false });
    expect(backup.commandCalls(StartBackupJobCommand)[0].args[0].input).toEqual({ BackupVaultName: 'app-critical', ResourceArn: 'arn:aws:dynamodb:us-east-1:111111111111:table/orders', IamRoleArn: 'arn:aws:iam::111111111111:role/backup', Lifecycle: { DeleteAfterDays: 35 } });
    expect(await handler({ step: 'backup-status', plan, backup: started })).toEqual({ kind: 'aws-backup', jobId: 'job-7', arn: 'arn:aws:backup:us-east-1:111111111111:recovery-point:rp', done: true });

    expect(await handler({ step: 'restore-start', plan })).toEqual({ started: true });
    // A retried step finds the table and does not restore again.
    expect(await handler({ step: 'restore-start', plan })).toEqual({ started: false });
    expect(dynamodb.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(1);
    expect(dynamodb.commandCalls(RestoreTableToPointInTimeCommand)[0].args[0].input.SSESpecificationOverride).toEqual({ Enabled: true, SSEType: 'KMS', KMSMasterKeyId: KEY });
    expect(await handler({ step: 'restore-status', plan })).toEqual({ finished: true });

    await handler({ step: 'pause', plan });
    await handler({ step: 'resume-functions', plan });
    expect(lambda.commandCalls(PutFunctionConcurrencyCommand).map((call) => call.args[0].input)).toEqual([
      { FunctionName: 'orders-api', ReservedConcurrentExecutions: 0 },
      { FunctionName: 'orders-api', ReservedConcurrentExecutions: 25 },
    ]);

    const unverified = { verified: false } as RecoveryVerdict;
    await expect(handler({ step: 'remove', plan, verdict: unverified })).rejects.toThrow('orders is not verified equal to orders-recovery-INC-5; the copy stays');
    expect(dynamodb.commandCalls(DeleteTableCommand)).toHaveLength(0);
    await handler({ step: 'remove', plan, verdict: { verified: true } as RecoveryVerdict });
    expect(dynamodb.commandCalls(DeleteTableCommand)[0].args[0].input).toEqual({ TableName: 'orders-recovery-INC-5' });
  });

  it('a backup job that fails stops the recovery with the reason and the way on', async () => {
    const plan = (await handler({ step: 'check', input })) as RecoveryPlan;
    backup.on(DescribeBackupJobCommand).resolves({ State: 'FAILED', StatusMessage: 'Access denied by the vault access policy' });
    const error = (await handler({ step: 'backup-status', plan, backup: { kind: 'aws-backup', jobId: 'job-8', done: false } }).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('BackupFailedError');
    expect(error.message).toContain('backup job job-8 ended FAILED: Access denied by the vault access policy');
    expect(error.message).toContain('--skip-backup');
  });

  it('continues an earlier execution with resume: the existing copy is accepted (and required), and nothing is restored again', async () => {
    await expect(handler({ step: 'check', input: { ...input, resume: true } })).rejects.toThrow('resume is set but orders-recovery-INC-5 does not exist; start without resume');
    recoveryTableExists = true;
    // Without resume, an existing copy is refused: it may belong to something else.
    await expect(handler({ step: 'check', input })).rejects.toThrow("orders-recovery-INC-5 already exists and this incident's checkpoint did not create it");
    const plan = (await handler({ step: 'check', input: { ...input, resume: true } })) as RecoveryPlan;
    expect(plan.resume).toBe(true);
    expect(await handler({ step: 'restore-start', plan })).toEqual({ started: false });
    expect(dynamodb.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(0);
  });
});
