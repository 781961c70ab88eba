import { DeleteItemCommand, DescribeContinuousBackupsCommand, DescribeTableCommand, DynamoDBClient, PutItemCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecoverSyncEvent } from '../../packages/retention-kit-cli/src/lambdas/recover-sync';
import { builtHandler } from '../support/handlers';
import type { SegmentTask, SliceResult } from '../../packages/retention-kit-cli/src/runtime/dynamodb/hydrate-steps';
import { planRecovery, type RecoveryVerdict } from '../../packages/retention-kit-cli/src/runtime/dynamodb/recover-steps';
import { digestTable } from '../../packages/retention-kit-cli/src/runtime/dynamodb/table-scan';
import { createTable, sampleItem, seedTable } from '../support/dynamodb-seed';
import { type LocalServer, localDynamoClient, startDynaliteForHandlers } from '../support/servers';

/**
 * The recovery state machine's sync function on dynalite. Step Functions does not run here, so the
 * test drives the handler in the order the definition does (per task, sync slices until done; per
 * segment, checksum slices of the live table; verify), with the plan from the check step, whose
 * point-in-time calls go to a mocked DynamoDB client (dynalite has no point-in-time recovery).
 * A short remaining time makes every slice hand over after one page.
 */
describe('recovery sync function steps (the state machine order, driven by the test; tables on dynalite, check calls mocked)', () => {
  let server: LocalServer;
  const ITEMS = 600;

  beforeAll(async () => {
    server = await startDynaliteForHandlers();
    const client = localDynamoClient(server.endpoint);
    await createTable(client, 'orders');
    await createTable(client, 'orders-recovery-INC-9');
    await seedTable(client, 'orders-recovery-INC-9', ITEMS, { largeEvery: 25, largeBytes: 200_000 });
    await seedTable(client, 'orders', ITEMS, { largeEvery: 25, largeBytes: 200_000 });
    // The bad release: 30 items changed, 20 deleted, 15 added.
    for (let i = 0; i < 30; i += 1) await client.send(new PutItemCommand({ TableName: 'orders', Item: { ...sampleItem(i * 7), active: { BOOL: false }, status: { S: 'corrupted' } } }));
    for (let i = 0; i < 20; i += 1) await client.send(new DeleteItemCommand({ TableName: 'orders', Key: { pk: sampleItem(300 + i * 11).pk, sk: sampleItem(300 + i * 11).sk } }));
    for (let i = 0; i < 15; i += 1) await client.send(new PutItemCommand({ TableName: 'orders', Item: { pk: { S: 'bulk-upload' }, sk: { N: String(i) } } }));
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('runs upsert and prune tasks in slices that hand over their position, checksums the live table, and verifies it equals the restored copy with the changes counted', async () => {
    const control = new DynamoDBClient({ region: 'us-east-1' });
    const mock = mockClient(control);
    mock.on(DescribeTableCommand, { TableName: 'orders' }).resolves({
      Table: { TableName: 'orders', TableArn: 'arn:aws:dynamodb:us-east-1:111111111111:table/orders', TableStatus: 'ACTIVE', TableSizeBytes: 0, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }] },
    });
    mock.on(DescribeTableCommand, { TableName: 'orders-recovery-INC-9' }).rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
    mock.on(DescribeContinuousBackupsCommand).resolves({ ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED' } } });
    const plan = await planRecovery({ dynamodb: control }, 'orders', { confirmTableName: 'orders', toTime: '2026-11-23T08:00:00Z', incident: 'INC-9', segments: 3 }, [], new Date('2026-11-23T12:00:00Z'));
    expect(plan.tasks).toHaveLength(6);
    expect(plan.keyNames).toEqual(['pk', 'sk']);

    const handler = builtHandler('recover-sync');
    const invoke = <T>(event: RecoverSyncEvent, remainingMs = 900_000) => handler(event, { getRemainingTimeInMillis: () => remainingMs }) as Promise<T>;
    let slices = 0;
    const run = async (step: 'sync' | 'checksum', task: SegmentTask) => {
      // 30 s left is under the worker's 60 s reserve: each slice stops after its first page.
      let result = await invoke<SliceResult>({ step, task }, 30_000);
      slices += 1;
      while (!result.done) {
        result = await invoke<SliceResult>({ step, task: result }, 30_000);
        slices += 1;
      }
      return result;
    };
    const common = { totalSegments: plan.totalSegments, maxWriteUnitsPerSegment: plan.maxWriteUnitsPerSegment, keyNames: plan.keyNames };
    const synced = await Promise.all(plan.tasks.map(async ({ segment, pass }) => ({ pass, position: (await run('sync', { ...common, source: plan.recoveryTable, target: plan.table, segment, pass })).position })));
    const readBack = await Promise.all(plan.segments.map(async ({ segment }) => ({ position: (await run('checksum', { ...common, source: plan.table, target: plan.table, segment })).position })));
    const verdict = await invoke<RecoveryVerdict>({ step: 'verify', source: plan.recoveryTable, target: plan.table, synced, readBack });

    // 600 items with 200 KB ones every 25th (about 5 MB): several 1 MB pages per segment, so several slices.
    expect(slices).toBeGreaterThan(3 * 3);
    const expected = await digestTable(localDynamoClient(server.endpoint), 'orders-recovery-INC-9', { totalSegments: 2, concurrency: 2 });
    expect(verdict).toMatchObject({ sourceItems: ITEMS, targetItems: ITEMS, sourceDigest: expected.digest, targetDigest: expected.digest, verified: true });
    expect(verdict.changes).toEqual({ written: 50, deleted: 15, unchanged: ITEMS - 50 });
  });
});
