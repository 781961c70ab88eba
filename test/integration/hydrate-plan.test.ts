import { spawn } from 'node:child_process';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planHydration } from '../../packages/retention-kit-cli/src/runtime/dynamodb/hydrate-plan';
import { CLI } from '../support/cli';
import { createTable, seedTable } from '../support/dynamodb-seed';
import { LOCAL_CREDENTIALS, type LocalServer, localDynamoClient, startDynalite } from '../support/servers';

describe('retention hydrate plan on dynalite: the time bound from the tables themselves', () => {
  let dynamo: LocalServer;
  let client: DynamoDBClient;
  beforeAll(async () => {
    dynamo = await startDynalite();
    client = localDynamoClient(dynamo.endpoint);
    await createTable(client, 'restored');
    await seedTable(client, 'restored', 600);
    // A provisioned standby whose index has less write capacity than the table.
    await client.send(
      new CreateTableCommand({
        TableName: 'standby',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }, { AttributeName: 'g', AttributeType: 'S' }],
        ProvisionedThroughput: { ReadCapacityUnits: 100, WriteCapacityUnits: 400 },
        GlobalSecondaryIndexes: [{ IndexName: 'by-g', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' }, ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 100 } }],
      }),
    );
  });
  afterAll(async () => dynamo?.stop());

  it("bounds the copy by the index's write capacity; a source whose count DynamoDB has not refreshed is refused with the fix", async () => {
    // dynalite, like DynamoDB between its six-hourly refreshes, reports no items for a table just filled.
    expect((await client.send(new DescribeTableCommand({ TableName: 'restored' }))).Table!.ItemCount).toBe(0);
    await expect(planHydration({ client, target: 'standby', source: 'restored' })).rejects.toThrow(/restored reports 0 items: .* give --items and --item-size-kb/);
    const plan = await planHydration({ client, target: 'standby', source: 'restored', items: 600, averageItemBytes: 1500, rtoSeconds: 3 });
    expect(plan.writeUnitsPerItem).toBe(2);
    expect(plan.limits).toEqual([
      { of: 'table', writeUnitsPerSecond: 400, basis: 'provisioned' },
      { of: 'index by-g', writeUnitsPerSecond: 100, basis: 'provisioned' },
    ]);
    expect(plan.boundBy).toEqual({ of: 'index by-g', writeUnitsPerSecond: 100, basis: 'provisioned' });
    // 600 x 2 units at 100/s; the on-demand source has no read throughput to bound the scan.
    expect(plan.writeSeconds).toBe(12);
    expect(plan.readSeconds).toBeUndefined();
    expect(plan.meetsRto).toBe(false);
    expect(plan.neededWriteUnitsPerSecond).toBe(400);
  });

  it('from the built CLI: given counts, a missed RTO exits 1 and names the rate it needs', async () => {
    // Not spawnSync: dynalite runs in this process and must keep answering.
    const run = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'hydrate', 'plan', '--target', 'standby', '--items', '1000000', '--item-size-kb', '2.5', '--rto', '1h'], {
        env: { ...process.env, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey },
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('exit', (status) => resolve({ status, stdout }));
    });
    // 1,000,000 items x 3 write units at the index's 100/s: 30,000 s, past the hour; 3,000,000 / 3,600 = 834 units/s needed.
    expect(run.stdout).toContain('writes: at least 8h 20m 00s, bound by index by-g (provisioned)');
    expect(run.stdout).toContain('RTO 1h 00m 00s: missed; it needs 834 write units/s on the table and each index');
    expect(run.status).toBe(1);
  });
});

describe('retention hydrate plan on an on-demand target (mocked DynamoDB client: dynalite reports no warm throughput)', () => {
  it("uses the warm throughput, or a lower maximum, and sizes items from the source's count and bytes", async () => {
    // This one client only: the dynalite tests' clients stay real.
    const mocked = new DynamoDBClient({ region: 'us-east-1' });
    const dynamodb = mockClient(mocked);
    dynamodb.on(DescribeTableCommand, { TableName: 'restored' }).resolves({ Table: { TableName: 'restored', ItemCount: 2_400_000, TableSizeBytes: 2_400_000 * 700, BillingModeSummary: { BillingMode: 'PROVISIONED' }, ProvisionedThroughput: { ReadCapacityUnits: 1_000, WriteCapacityUnits: 5 } } });
    dynamodb.on(DescribeTableCommand, { TableName: 'standby' }).resolves({
      Table: { TableName: 'standby', BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' }, WarmThroughput: { WriteUnitsPerSecond: 12_000, ReadUnitsPerSecond: 12_000 }, OnDemandThroughput: { MaxWriteRequestUnits: 8_000 } },
    });
    const plan = await planHydration({ client: mocked, target: 'standby', source: 'restored' });
    expect(plan).toMatchObject({ items: 2_400_000, averageItemBytes: 700, writeUnitsPerItem: 1 });
    expect(plan.boundBy).toEqual({ of: 'table', writeUnitsPerSecond: 8_000, basis: 'maximum' });
    expect(plan.writeSeconds).toBe(300);
    // The scan: 1,680,000,000 bytes at 8 KB per read unit, 1,000 units/s: 205 s.
    expect(plan.readSeconds).toBeCloseTo(1_680_000_000 / 8192 / 1000, 9);
    expect(plan.seconds).toBe(300);
    expect(plan.notes).toContain('an on-demand table can grow past its warm throughput while it is written, so its time is an upper bound');
    dynamodb.restore();
  });
});
