import { DeleteTableCommand, DescribeTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { digestTable } from '../../packages/retention-kit-cli/src/runtime/dynamodb/table-scan';
import { referenceApp, synthesize } from '../support/apps';
import { createTable, sampleItem, seedTable } from '../support/dynamodb-seed';
import { type RecoveryEmulation, startRecoveryEmulation } from '../support/recovery-emulation';
import { type LocalServer, LOCAL_CREDENTIALS, localDynamoClient, startDynalite } from '../support/servers';
import { LocalStateMachines } from '../support/state-machines';

/**
 * The reference app's in-place recovery of the provider table, executed: the definition from the
 * template, the control and sync functions from their assets (the control function's environment
 * from the template: its table, its AWS Backup vault and role, the provider API it pauses). Items
 * live on dynalite; point-in-time restore, AWS Backup and Lambda concurrency are answered by the
 * recovery emulation (test/support/recovery-emulation.ts), whose restore creates the copy on dynalite.
 */
describe('table recovery state machine, executed (definition from the template, functions from their assets; dynalite and the recovery emulation)', () => {
  const ITEMS = 600;
  const NOW = Date.now();
  const TO_TIME = new Date(NOW - 3_600_000).toISOString();
  let server: LocalServer;
  let emulation: RecoveryEmulation;
  let machines: LocalStateMachines;
  let fault: ((event: { step?: string }) => Promise<void> | void) | undefined;
  const client = () => localDynamoClient(server.endpoint);
  const digest = (table: string) => digestTable(client(), table, { totalSegments: 2, concurrency: 2 });
  const exists = async (table: string) => client().send(new DescribeTableCommand({ TableName: table })).then(() => true, () => false);

  /** The live table, damaged by a bad release since the restore time: 40 items changed, 10 added. */
  async function damage(table: string): Promise<void> {
    for (let i = ITEMS - 40; i < ITEMS; i += 1) await client().send(new PutItemCommand({ TableName: table, Item: { ...sampleItem(i), balance: { N: '0' } } }));
    for (let i = 0; i < 10; i += 1) await client().send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'bad-release' }, sk: { N: String(i) } } }));
  }

  beforeAll(async () => {
    server = await startDynalite();
    await createTable(client(), 'provider-as-of');
    await seedTable(client(), 'provider-as-of', ITEMS);
    emulation = await startRecoveryEmulation({
      upstream: server.endpoint,
      client: client(),
      asOf: { provider: 'provider-as-of' },
      window: { earliest: new Date(NOW - 35 * 86_400_000), latest: new Date(NOW - 300_000) },
    });
    const env = synthesize(referenceApp());
    machines = new LocalStateMachines(env.directory, 'Persistent', env, {
      environment: {
        AWS_ENDPOINT_URL_DYNAMODB: emulation.endpoint,
        AWS_ENDPOINT_URL_BACKUP: emulation.endpoint,
        AWS_ENDPOINT_URL_LAMBDA: emulation.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
      physicalIds: { ProviderTable: 'provider' },
      remainingMs: () => 30_000,
      beforeInvoke: async (_fn, event) => fault?.(event),
    });
  }, 120_000);

  beforeEach(async () => {
    fault = undefined;
    emulation.calls.length = 0;
    emulation.concurrency.clear();
    emulation.concurrency.set('provider-api', 7);
    if (await exists('provider')) await client().send(new DeleteTableCommand({ TableName: 'provider' }));
    await createTable(client(), 'provider');
    await seedTable(client(), 'provider', ITEMS);
    await damage('provider');
  });

  afterAll(async () => {
    await machines?.stop();
    await emulation?.stop();
    await server?.stop();
  });

  const input = (incident: string, extra: Record<string, unknown> = {}) => ({ toTime: TO_TIME, incident, confirmTableName: 'provider', segments: 4, ...extra });

  it('backs up, restores, pauses the API, syncs and verifies: the live table equals the point-in-time copy, concurrency is back, the copy removed', async () => {
    const execution = await machines.run('ProviderTableRecoveryStateMachine', input('INC-1', { removeRecoveryTable: true }));
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    expect(execution.output).toMatchObject({ verified: true, sourceItems: ITEMS, targetItems: ITEMS, changes: { written: 40, deleted: 10 } });
    expect(await digest('provider')).toEqual(await digest('provider-as-of'));
    expect(emulation.concurrency.get('provider-api')).toBe(7);
    expect(emulation.calls.filter((c) => c.startsWith('Backup.StartBackupJob') || c.startsWith('DynamoDB.Restore') || c.startsWith('Lambda.Put'))).toEqual([
      'Backup.StartBackupJob',
      'DynamoDB.RestoreTableToPointInTime',
      'Lambda.PutFunctionConcurrency provider-api=0',
      'Lambda.PutFunctionConcurrency provider-api=7',
    ]);
    expect(await exists('provider-recovery-INC-1')).toBe(false);
  });

  it('goes through the Catch when the sync fails: concurrency restored, RecoverySyncFailed; resume continues it with no second backup or restore', async () => {
    fault = (event) => {
      if (event.step === 'sync') throw Object.assign(new Error('injected: the sync function fails'), { name: 'Error' });
    };
    const failed = await machines.run('ProviderTableRecoveryStateMachine', input('INC-2'));
    expect(failed).toMatchObject({ status: 'FAILED', error: 'RecoverySyncFailed' });
    expect(emulation.concurrency.get('provider-api')).toBe(7);
    expect(await exists('provider-recovery-INC-2')).toBe(true);

    fault = undefined;
    emulation.calls.length = 0;
    const resumed = await machines.run('ProviderTableRecoveryStateMachine', input('INC-2', { resume: true }));
    expect(resumed.status, resumed.cause).toBe('SUCCEEDED');
    expect(await digest('provider')).toEqual(await digest('provider-as-of'));
    expect(emulation.calls.filter((c) => c === 'Backup.StartBackupJob' || c === 'DynamoDB.RestoreTableToPointInTime')).toEqual([]);
    expect(emulation.concurrency.get('provider-api')).toBe(7);
  });

  it('ends in RecoveryMismatch when something writes to the live table after its sync', async () => {
    // Once the sync is done, and before any segment of the live table is checksummed, a writer adds an item.
    let lateWrite: Promise<unknown> | undefined;
    fault = async (event) => {
      if (event.step !== 'checksum') return;
      lateWrite ??= client().send(new PutItemCommand({ TableName: 'provider', Item: { pk: { S: 'late-writer' }, sk: { N: '1' } } }));
      await lateWrite;
    };
    const execution = await machines.run('ProviderTableRecoveryStateMachine', input('INC-3'));
    expect(execution).toMatchObject({ status: 'FAILED', error: 'RecoveryMismatch' });
    expect(emulation.concurrency.get('provider-api')).toBe(7);
  });

  it('refuses with RecoverRefusedError, without retrying and before any backup, when the table name is not confirmed', async () => {
    const before = machines.invocationCount();
    const execution = await machines.run('ProviderTableRecoveryStateMachine', input('INC-4', { confirmTableName: 'ProviderTable' }));
    expect(execution).toMatchObject({ status: 'FAILED', error: 'RecoverRefusedError', cause: expect.stringContaining('repeat the table\'s name exactly') });
    expect(machines.invocationCount() - before).toBe(1);
    expect(emulation.calls).toEqual([]);
  });
});
