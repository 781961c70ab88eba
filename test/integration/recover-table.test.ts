import { BackupClient, DescribeBackupJobCommand, StartBackupJobCommand } from '@aws-sdk/client-backup';
import {
  CreateBackupCommand,
  DeleteTableCommand,
  DescribeBackupCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  ResourceNotFoundException,
  RestoreTableToPointInTimeCommand,
} from '@aws-sdk/client-dynamodb';
import { DeleteFunctionConcurrencyCommand, GetFunctionConcurrencyCommand, LambdaClient, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatRecovery } from '../../packages/retention-kit-cli/src/runtime/dynamodb/recover-summary';
import { RecoverRefusedError, recoverTable, type RecoverTableOptions } from '../../packages/retention-kit-cli/src/runtime/dynamodb/recover-table';
import { digestTable } from '../../packages/retention-kit-cli/src/runtime/dynamodb/table-scan';
import { FolderStore } from '../../packages/retention-kit-cli/src/runtime/store';
import { tempDir } from '../support/apps';
import { createTable, sampleItem, seedTable } from '../support/dynamodb-seed';
import { type LocalServer, localDynamoClient, startDynalite } from '../support/servers';

/**
 * In-place recovery. DynamoDB's backup and point-in-time restore calls, AWS Backup and Lambda's
 * concurrency calls run against mocked clients (dynalite has no backups or point-in-time recovery,
 * and there is no local Lambda or AWS Backup); the mocked restore creates the recovery table on
 * dynalite with the data as it was, and the sync of the live table runs on dynalite for real.
 */
describe('retention recover dynamodb (mocked DynamoDB control plane, Lambda and AWS Backup; sync on dynalite)', () => {
  let server: LocalServer;
  const data = () => localDynamoClient(server.endpoint);
  const control = new DynamoDBClient({ region: 'us-east-1' });
  const controlMock = mockClient(control);
  const lambda = new LambdaClient({ region: 'us-east-1' });
  const lambdaMock = mockClient(lambda);
  const backup = new BackupClient({ region: 'us-east-1' });
  const backupMock = mockClient(backup);
  const KEY = 'arn:aws:kms:us-east-1:111111111111:key/0b1c2d3e-aaaa-bbbb-cccc-123456789012';
  const ITEMS = 400;
  const NOW = new Date('2026-11-23T12:00:00Z');
  const TO_TIME = '2026-11-23T09:30:00Z';
  let calls: string[];

  beforeAll(async () => {
    server = await startDynalite();
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** A live table whose last 40 items were damaged by a bad release and which gained 10 bad ones. */
  async function damagedLiveTable(name: string): Promise<void> {
    await createTable(data(), name);
    await seedTable(data(), name, ITEMS);
    for (let i = ITEMS - 40; i < ITEMS; i += 1) await data().send(new PutItemCommand({ TableName: name, Item: { ...sampleItem(i), balance: { N: '0' } } }));
    for (let i = 0; i < 10; i += 1) await data().send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'bad-release' }, sk: { N: String(i) } } }));
  }

  /** The mocked control plane: `table` exists with PITR and a customer managed key; restoring creates the recovery table on dynalite. */
  function mockControlPlane(table: string, recoveryTable: string, options: { restoreCreatesTable?: boolean } = {}): void {
    const log = (name: string) => () => calls.push(name);
    let restored = false;
    controlMock.on(DescribeTableCommand, { TableName: table }).callsFake(() => {
      calls.push(`DescribeTable ${table}`);
      return { Table: { TableName: table, TableArn: `arn:aws:dynamodb:us-east-1:111111111111:table/${table}`, TableStatus: 'ACTIVE', SSEDescription: { Status: 'ENABLED', SSEType: 'KMS', KMSMasterKeyArn: KEY } } };
    });
    let polls = 0;
    controlMock.on(DescribeTableCommand, { TableName: recoveryTable }).callsFake(() => {
      calls.push(`DescribeTable ${recoveryTable}`);
      if (!restored) throw new ResourceNotFoundException({ message: `Requested resource not found: Table: ${recoveryTable} not found`, $metadata: {} });
      polls += 1;
      return { Table: { TableName: recoveryTable, TableStatus: polls < 3 ? 'CREATING' : 'ACTIVE' } };
    });
    controlMock.on(DescribeContinuousBackupsCommand).callsFake(() => {
      log('DescribeContinuousBackups')();
      return {
        ContinuousBackupsDescription: {
          ContinuousBackupsStatus: 'ENABLED',
          PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED', EarliestRestorableDateTime: new Date('2026-10-25T00:00:00Z'), LatestRestorableDateTime: new Date('2026-11-23T11:55:00Z') },
        },
      };
    });
    controlMock.on(CreateBackupCommand).callsFake(() => {
      log('CreateBackup')();
      return { BackupDetails: { BackupArn: `arn:aws:dynamodb:us-east-1:111111111111:table/${table}/backup/01700000000000-abcdef`, BackupStatus: 'CREATING' } };
    });
    controlMock.on(DescribeBackupCommand).callsFake(() => {
      log('DescribeBackup')();
      return { BackupDescription: { BackupDetails: { BackupStatus: 'AVAILABLE' } } };
    });
    controlMock.on(RestoreTableToPointInTimeCommand).callsFake(async () => {
      calls.push('RestoreTableToPointInTime');
      restored = true;
      if (options.restoreCreatesTable !== false) {
        // The table as it was at TO_TIME: the seeded items, before the damage.
        await createTable(data(), recoveryTable);
        await seedTable(data(), recoveryTable, ITEMS);
      }
      return {};
    });
    controlMock.on(DeleteTableCommand).callsFake(log('DeleteTable'));
  }

  function mockFunctions(): void {
    lambdaMock.on(GetFunctionConcurrencyCommand, { FunctionName: 'orders-api' }).callsFake(() => (calls.push('GetFunctionConcurrency orders-api'), { ReservedConcurrentExecutions: 25 }));
    lambdaMock.on(GetFunctionConcurrencyCommand, { FunctionName: 'orders-worker' }).callsFake(() => (calls.push('GetFunctionConcurrency orders-worker'), {}));
    lambdaMock.on(PutFunctionConcurrencyCommand).callsFake((input: { FunctionName: string; ReservedConcurrentExecutions: number }) => (calls.push(`PutFunctionConcurrency ${input.FunctionName}=${input.ReservedConcurrentExecutions}`), {}));
    lambdaMock.on(DeleteFunctionConcurrencyCommand).callsFake((input: { FunctionName: string }) => (calls.push(`DeleteFunctionConcurrency ${input.FunctionName}`), {}));
  }

  const options = (table: string, state: FolderStore, extra: Partial<RecoverTableOptions> = {}): RecoverTableOptions => ({
    table,
    toTime: TO_TIME,
    incident: 'INC-42',
    confirmTableName: table,
    dynamodb: control,
    data: data(),
    lambda,
    awsBackup: backup,
    state,
    segments: 3,
    concurrency: 3,
    pollMs: 1,
    sleep: async () => undefined,
    now: () => NOW,
    ...extra,
  });

  beforeEach(() => {
    calls = [];
    controlMock.reset();
    lambdaMock.reset();
    backupMock.reset();
  });

  it('refuses without a matching confirmation, naming every problem, and calls nothing', async () => {
    const attempt = recoverTable(options('orders', new FolderStore(tempDir('recover-')), { confirmTableName: 'order', incident: 'inc 42', toTime: '2026-11-24T00:00:00Z' }));
    await expect(attempt).rejects.toBeInstanceOf(RecoverRefusedError);
    const error = (await attempt.catch((e: unknown) => e)) as RecoverRefusedError;
    expect(error.problems).toEqual([
      '--confirm-table-name is "order" but the table is "orders"; repeat the table\'s name exactly to confirm',
      '--incident "inc 42" must be 1 to 64 of A-Z a-z 0-9 _ . - (it becomes part of the recovery table\'s name)',
      '--to-time 2026-11-24T00:00:00Z is in the future',
    ]);
    expect(controlMock.calls()).toHaveLength(0);
    expect(lambdaMock.calls()).toHaveLength(0);
    await expect(recoverTable(options('orders', new FolderStore(tempDir('recover-')), { confirmTableName: undefined }))).rejects.toThrow("--confirm-table-name is required and must repeat the table's name (orders)");
    expect(controlMock.calls()).toHaveLength(0);
  });

  it('backs up, restores to the point in time with the table\'s own key, pauses the functions, syncs, restores their concurrency, and reports what changed', async () => {
    await damagedLiveTable('orders');
    mockControlPlane('orders', 'orders-recovery-INC-42');
    mockFunctions();
    const state = new FolderStore(tempDir('recover-'));
    const result = await recoverTable(options('orders', state, { pauseFunctions: ['orders-api', 'orders-worker'] }));

    expect(calls.filter((call) => !call.startsWith('DescribeTable orders-recovery'))).toEqual([
      'DescribeTable orders',
      'DescribeContinuousBackups',
      'GetFunctionConcurrency orders-api',
      'GetFunctionConcurrency orders-worker',
      'CreateBackup',
      'DescribeBackup',
      'RestoreTableToPointInTime',
      'PutFunctionConcurrency orders-api=0',
      'PutFunctionConcurrency orders-worker=0',
      'PutFunctionConcurrency orders-api=25',
      'DeleteFunctionConcurrency orders-worker',
    ]);
    // The restore waited for the table: polled until ACTIVE.
    expect(calls.filter((call) => call === 'DescribeTable orders-recovery-INC-42').length).toBeGreaterThanOrEqual(3);
    const restore = controlMock.commandCalls(RestoreTableToPointInTimeCommand)[0].args[0].input;
    expect(restore).toEqual({
      SourceTableArn: 'arn:aws:dynamodb:us-east-1:111111111111:table/orders',
      TargetTableName: 'orders-recovery-INC-42',
      RestoreDateTime: new Date(TO_TIME),
      SSESpecificationOverride: { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: KEY },
      BillingModeOverride: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexOverride: [],
      LocalSecondaryIndexOverride: [],
    });
    expect(controlMock.commandCalls(CreateBackupCommand)[0].args[0].input).toEqual({ TableName: 'orders', BackupName: 'orders-before-INC-42' });

    expect(result.verified).toBe(true);
    expect(result.sync.changes).toEqual({ written: 40, deleted: 10, unchanged: ITEMS - 40 });
    expect(await digestTable(data(), 'orders', { totalSegments: 1, concurrency: 1 })).toEqual(await digestTable(data(), 'orders-recovery-INC-42', { totalSegments: 1, concurrency: 1 }));
    expect(result.backup.arn).toContain('/backup/');
    // The temporary table stays unless asked; the report is written and the checkpoint removed.
    expect(controlMock.commandCalls(DeleteTableCommand)).toHaveLength(0);
    expect(result.recoveryTableRemoved).toBe(false);
    const files = await state.list('recover/orders/INC-42');
    expect(files).toEqual(['recover/orders/INC-42/report.json']);
    const report = JSON.parse((await state.get('recover/orders/INC-42/report.json'))!.toString('utf8'));
    expect(report.sync.changes).toEqual({ written: 40, deleted: 10, unchanged: ITEMS - 40 });
    expect(report.functions).toEqual([
      { functionName: 'orders-api', previous: 25 },
      { functionName: 'orders-worker', previous: null },
    ]);
    // The summary a person reads.
    const summary = formatRecovery(result);
    expect(summary).toContain('recovered orders to 2026-11-23T09:30:00Z (incident INC-42)');
    expect(summary).toContain(`backup first:    dynamodb ${result.backup.arn}`);
    expect(summary).toContain('restored copy:   orders-recovery-INC-42 (kept; delete it when done)');
    expect(summary).toContain(`changes:         40 written, 10 deleted, ${ITEMS - 40} unchanged`);
    expect(summary).toContain('verification:    orders equals the restored copy (count and checksum)');
    expect(summary).toContain('recovery mode:   orders-api paused, restored to 25; orders-worker paused, restored to unreserved');
  });

  it("restores the functions' concurrency when the sync fails, and a second run continues with the values saved before the first change", async () => {
    await damagedLiveTable('invoices');
    // The restore "succeeds" but its table is not there when the sync reads it: the sync fails.
    mockControlPlane('invoices', 'invoices-recovery-INC-42', { restoreCreatesTable: false });
    mockFunctions();
    const state = new FolderStore(tempDir('recover-'));
    await expect(recoverTable(options('invoices', state, { pauseFunctions: ['orders-api', 'orders-worker'] }))).rejects.toThrow(/invoices-recovery-INC-42/);
    expect(calls.slice(-4)).toEqual(['PutFunctionConcurrency orders-api=0', 'PutFunctionConcurrency orders-worker=0', 'PutFunctionConcurrency orders-api=25', 'DeleteFunctionConcurrency orders-worker']);
    expect(await state.list('recover/invoices/INC-42')).toEqual(['recover/invoices/INC-42/recovery.json']);

    // Second run: the functions now read 0 (as if a crash had left them paused), so they must not be read again.
    calls = [];
    lambdaMock.on(GetFunctionConcurrencyCommand).resolves({ ReservedConcurrentExecutions: 0 });
    await createTable(data(), 'invoices-recovery-INC-42');
    await seedTable(data(), 'invoices-recovery-INC-42', ITEMS);
    const result = await recoverTable(options('invoices', state, { pauseFunctions: ['orders-api', 'orders-worker'], removeRecoveryTable: true }));
    expect(result.resumed).toBe(true);
    expect(result.verified).toBe(true);
    expect(calls).not.toContain('CreateBackup');
    expect(calls).not.toContain('RestoreTableToPointInTime');
    // Read twice in all: by the first run only.
    expect(lambdaMock.commandCalls(GetFunctionConcurrencyCommand)).toHaveLength(2);
    expect(calls.filter((call) => call.includes('FunctionConcurrency')).slice(-2)).toEqual(['PutFunctionConcurrency orders-api=25', 'DeleteFunctionConcurrency orders-worker']);
    // Asked to, it removes the temporary table once the live one is verified.
    expect(calls.at(-1)).toBe('DeleteTable');
    expect(result.recoveryTableRemoved).toBe(true);
  });

  it('refuses, before any change, a table without point-in-time recovery and an existing recovery table, and names unreadable functions', async () => {
    mockControlPlane('payments', 'payments-recovery-INC-42');
    controlMock.on(DescribeContinuousBackupsCommand).resolves({ ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' } } });
    controlMock.on(DescribeTableCommand, { TableName: 'payments-recovery-INC-42' }).resolves({ Table: { TableStatus: 'ACTIVE' } });
    lambdaMock.on(GetFunctionConcurrencyCommand).rejects(new Error('Function not found: payments-api'));
    const attempt = recoverTable(options('payments', new FolderStore(tempDir('recover-')), { pauseFunctions: ['payments-api'] }));
    const error = (await attempt.catch((e: unknown) => e)) as RecoverRefusedError;
    expect(error).toBeInstanceOf(RecoverRefusedError);
    expect(error.problems).toEqual([
      'point-in-time recovery is DISABLED on payments; it can only be recovered from a backup',
      "payments-recovery-INC-42 already exists and this incident's checkpoint did not create it; delete it or use another incident ID",
      'cannot read the reserved concurrency of function payments-api: Function not found: payments-api',
    ]);
    expect(controlMock.commandCalls(CreateBackupCommand)).toHaveLength(0);
    expect(controlMock.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(0);
    expect(lambdaMock.commandCalls(PutFunctionConcurrencyCommand)).toHaveLength(0);
  });

  it('stops before the restore when the backup is refused, and says how to go on', async () => {
    mockControlPlane('ledger', 'ledger-recovery-INC-42');
    controlMock.on(CreateBackupCommand).rejects(new Error('User is not authorized to perform: dynamodb:CreateBackup with an explicit deny in a resource-based policy'));
    const attempt = recoverTable(options('ledger', new FolderStore(tempDir('recover-'))));
    await expect(attempt).rejects.toThrow('the backup of ledger failed: User is not authorized to perform: dynamodb:CreateBackup');
    await expect(attempt).rejects.toThrow('--skip-backup');
    expect(controlMock.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(0);
  });

  it('backs up with AWS Backup into the named vault and role when told to, waiting for the job', async () => {
    await damagedLiveTable('customers');
    mockControlPlane('customers', 'customers-recovery-INC-42');
    backupMock.on(StartBackupJobCommand).resolves({ BackupJobId: 'job-1' });
    backupMock.on(DescribeBackupJobCommand).resolvesOnce({ State: 'RUNNING' }).resolves({ State: 'COMPLETED', RecoveryPointArn: 'arn:aws:backup:us-east-1:111111111111:recovery-point:abc' });
    const result = await recoverTable(options('customers', new FolderStore(tempDir('recover-')), { backup: { kind: 'aws-backup', vaultName: 'app-critical', roleArn: 'arn:aws:iam::111111111111:role/backup', deleteAfterDays: 35 } }));
    expect(backupMock.commandCalls(StartBackupJobCommand)[0].args[0].input).toEqual({
      BackupVaultName: 'app-critical',
      ResourceArn: 'arn:aws:dynamodb:us-east-1:111111111111:table/customers',
      IamRoleArn: 'arn:aws:iam::111111111111:role/backup',
      Lifecycle: { DeleteAfterDays: 35 },
    });
    expect(backupMock.commandCalls(DescribeBackupJobCommand)).toHaveLength(2);
    expect(result.backup).toEqual({ kind: 'aws-backup', arn: 'arn:aws:backup:us-east-1:111111111111:recovery-point:abc', reason: undefined });
    expect(controlMock.commandCalls(CreateBackupCommand)).toHaveLength(0);
    expect(result.verified).toBe(true);
  });
});
