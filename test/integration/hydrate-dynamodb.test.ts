import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestTable } from '../../packages/retention-kit-cli/src/runtime/dynamodb/table-scan';
import { HydrateRefusedError, hydrateTable } from '../../packages/retention-kit-cli/src/runtime/dynamodb/hydrate-table';
import { FolderStore } from '../../packages/retention-kit-cli/src/runtime/store';
import { tempDir } from '../support/apps';
import { runCli } from '../support/cli';
import { type DynamoProxy, everyNthCall, firstOf, startDynamoProxy } from '../support/dynamodb-proxy';
import { createTable, sampleItem, seedTable } from '../support/dynamodb-seed';
import { type LocalServer, localDynamoClient, startDynalite } from '../support/servers';

/**
 * Hydration against dynalite, through a proxy that throttles and withholds unprocessed items the
 * way DynamoDB does under load (dynalite itself never does).
 */
describe('retention hydrate dynamodb (dynalite)', () => {
  let server: LocalServer;
  let proxy: DynamoProxy;
  const direct = () => localDynamoClient(server.endpoint);
  const proxied = (maxAttempts = 8) => localDynamoClient(proxy.endpoint, maxAttempts);
  const ITEMS = 1_500;

  beforeAll(async () => {
    server = await startDynalite();
    proxy = await startDynamoProxy(server.endpoint);
    await createTable(direct(), 'restored-orders');
    // Every attribute type; every 250th item is padded to just under the 400 KB item limit.
    await seedTable(direct(), 'restored-orders', ITEMS, { largeEvery: 250 });
  });

  afterAll(async () => {
    await proxy?.stop();
    await server?.stop();
  });

  async function sourceDigest() {
    return digestTable(direct(), 'restored-orders', { totalSegments: 3, concurrency: 3 });
  }

  it('copies every item, every attribute type and 400 KB items, over several pages per segment, and verifies count and checksum', async () => {
    await createTable(direct(), 'standby-orders-1');
    const state = new FolderStore(tempDir('hydrate-state-'));
    proxy.resetCounts();
    const result = await hydrateTable({ client: proxied(), source: 'restored-orders', target: 'standby-orders-1', state, segments: 4, concurrency: 4, pageLimit: 100 });
    const expected = await sourceDigest();
    expect(result.verified).toBe(true);
    expect(result.sourceDigest).toEqual(expected);
    expect(result.targetDigest).toEqual(expected);
    expect(expected.items).toBe(ITEMS);
    // 1,500 items in pages of at most 100 across 4 segments: at least 4 pages per segment.
    expect(result.calls.scan).toBeGreaterThanOrEqual(16);
    expect(proxy.callCount('BatchWriteItem')).toBe(result.calls.batchWrite);
    // A padded item and its binary set arrive byte for byte.
    const key = { pk: sampleItem(500).pk, sk: sampleItem(500).sk };
    const copied = await direct().send(new GetItemCommand({ TableName: 'standby-orders-1', Key: key }));
    expect(copied.Item?.padding?.S?.length).toBe(398_000);
    expect(copied.Item?.blobs?.BS?.map((b) => Buffer.from(b).toString('hex')).sort()).toEqual(['020304', 'f401']);
    // A finished, verified run leaves a report and no checkpoint.
    expect(await state.list('dynamodb/restored-orders--standby-orders-1')).toEqual(['dynamodb/restored-orders--standby-orders-1/report.json']);
  });

  it('loses nothing when DynamoDB throttles and leaves items unprocessed', async () => {
    await createTable(direct(), 'standby-orders-2');
    proxy.resetCounts();
    proxy.setFaults(firstOf(everyNthCall(3, 'unprocessed', ['BatchWriteItem']), everyNthCall(29, 'throttle'), everyNthCall(17, 'lost-response', ['BatchWriteItem'])));
    try {
      const result = await hydrateTable({ client: proxied(), source: 'restored-orders', target: 'standby-orders-2', state: new FolderStore(tempDir('hydrate-state-')), segments: 4, concurrency: 4, pageLimit: 100 });
      expect(proxy.withheldItems()).toBeGreaterThan(100);
      expect(proxy.faults.get('BatchWriteItem')).toBeGreaterThan(10);
      expect(result.calls.unprocessedRetries).toBeGreaterThan(10);
      expect(result.verified).toBe(true);
      expect(result.targetDigest).toEqual(await sourceDigest());
    } finally {
      proxy.setFaults(undefined);
    }
  });

  it('refuses, naming every problem at once, a target with another key schema that already holds items', async () => {
    await createTable(direct(), 'standby-wrong-key', { partitionKey: { name: 'id', type: 'S' }, sortKey: null as never });
    await direct().send(new PutItemCommand({ TableName: 'standby-wrong-key', Item: { id: { S: 'existing' } } }));
    const state = new FolderStore(tempDir('hydrate-state-'));
    const attempt = hydrateTable({ client: direct(), source: 'restored-orders', target: 'standby-wrong-key', state });
    await expect(attempt).rejects.toBeInstanceOf(HydrateRefusedError);
    const error = (await attempt.catch((e: unknown) => e)) as HydrateRefusedError;
    expect(error.problems).toHaveLength(2);
    expect(error.message).toContain('key schemas differ: restored-orders has pk (HASH, S) + sk (RANGE, N), standby-wrong-key has id (HASH, S)');
    expect(error.message).toContain('standby-wrong-key already holds items; pass --overwrite');
    // Nothing was written.
    expect((await digestTable(direct(), 'standby-wrong-key', { totalSegments: 1, concurrency: 1 })).items).toBe(1);
  });

  it('CLI: a run killed mid-copy continues from its checkpoint, and the target ends equal to the source', async () => {
    await createTable(direct(), 'standby-orders-3');
    const cwd = tempDir('hydrate-cli-');
    const args = ['hydrate', 'dynamodb', '--source', 'restored-orders', '--target', 'standby-orders-3', '--segments', '6', '--concurrency', '3'];
    const killed = await runCli(args, { proxy, service: 'dynamodb', killAt: 40, cwd });
    expect(killed.signal).toBe('SIGKILL');
    const partial = await digestTable(direct(), 'standby-orders-3', { totalSegments: 1, concurrency: 1 });
    expect(partial.items).toBeGreaterThan(0);
    expect(partial.items).toBeLessThan(ITEMS);

    proxy.resetCounts();
    const resumed = await runCli(args, { proxy, service: 'dynamodb', cwd });
    expect(resumed.stderr).not.toContain('Error');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('(continued from a checkpoint)');
    expect(resumed.stdout).toContain('verification:  target equals source (count and checksum)');
    expect(await digestTable(direct(), 'standby-orders-3', { totalSegments: 2, concurrency: 2 })).toEqual(await sourceDigest());
    // The resumed run did not copy everything again: segments finished before the kill were skipped.
    const rewritten = proxy.callCount('BatchWriteItem');
    expect(rewritten).toBeLessThan(Math.ceil(ITEMS / 25));

    // Running it again is refused: the target is full and no checkpoint is left.
    const again = await runCli(args, { proxy, service: 'dynamodb', cwd });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('standby-orders-3 already holds items; pass --overwrite');
  });

  it('CLI: exits 1 and says why when the target ends different from the source', async () => {
    await createTable(direct(), 'standby-orders-4');
    await direct().send(new PutItemCommand({ TableName: 'standby-orders-4', Item: { pk: { S: 'left-over' }, sk: { N: '0' } } }));
    const cwd = tempDir('hydrate-cli-');
    const run = await runCli(['hydrate', 'dynamodb', '--source', 'restored-orders', '--target', 'standby-orders-4', '--overwrite'], { proxy, service: 'dynamodb', cwd });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`target items:  ${ITEMS + 1}`);
    expect(run.stdout).toContain('MISMATCH — the target has 1 item(s) more than the source');
    // The same run for a script: the result as JSON, the same exit code.
    const json = await runCli(['hydrate', 'dynamodb', '--source', 'restored-orders', '--target', 'standby-orders-4', '--overwrite', '--json'], { proxy, service: 'dynamodb', cwd: tempDir('hydrate-cli-json-') });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ verified: false, source: 'restored-orders', target: 'standby-orders-4' });
    await direct().send(new DeleteItemCommand({ TableName: 'standby-orders-4', Key: { pk: { S: 'left-over' }, sk: { N: '0' } } }));
  });
});
