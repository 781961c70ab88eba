import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hydrateTable } from '../../packages/retention-kit-cli/src/runtime/dynamodb/hydrate-table';
import type { Item } from '../../packages/retention-kit-cli/src/runtime/dynamodb/item';
import { digestTable } from '../../packages/retention-kit-cli/src/runtime/dynamodb/table-scan';
import { FolderStore } from '../../packages/retention-kit-cli/src/runtime/store';
import { tempDir } from '../support/apps';
import { runCli } from '../support/cli';
import { type DynamoProxy, everyNthCall, firstOf, startDynamoProxy } from '../support/dynamodb-proxy';
import { createTable, sampleItem, seedTable } from '../support/dynamodb-seed';
import { type LocalServer, localDynamoClient, startDynalite } from '../support/servers';

/**
 * Sync mode (the target made equal to the source) against dynalite, through the proxy that
 * throttles and holds back unprocessed items and keys the way DynamoDB does under load.
 */
describe('retention hydrate dynamodb --mode sync (dynalite)', () => {
  let server: LocalServer;
  let proxy: DynamoProxy;
  const direct = () => localDynamoClient(server.endpoint);
  const proxied = () => localDynamoClient(proxy.endpoint, 8);
  const ITEMS = 1_500;
  const LARGE_EVERY = 250;

  /** What the drift below does to a copy of the source. */
  const MISSING = Array.from({ length: ITEMS }, (_, i) => i).filter((i) => i % 30 === 1);
  const CHANGED = Array.from({ length: ITEMS }, (_, i) => i).filter((i) => i % 30 === 2);
  const CHANGED_LARGE = 500;
  const EXTRA = Array.from({ length: 50 }, (_, i) => 100_000 + i);
  const EXTRA_LARGE = 200_000;

  beforeAll(async () => {
    server = await startDynalite();
    proxy = await startDynamoProxy(server.endpoint);
    await createTable(direct(), 'orders-recovery-inc1');
    // Every attribute type; every 250th item is padded to just under the 400 KB item limit.
    await seedTable(direct(), 'orders-recovery-inc1', ITEMS, { largeEvery: LARGE_EVERY });
  });

  afterAll(async () => {
    await proxy?.stop();
    await server?.stop();
  });

  const sourceDigest = () => digestTable(direct(), 'orders-recovery-inc1', { totalSegments: 3, concurrency: 3 });

  /** A live table that drifted from the source: items missing, changed (one of them 400 KB, one changed in type only) and extra. */
  async function driftedTable(name: string): Promise<void> {
    await createTable(direct(), name);
    await seedTable(direct(), name, ITEMS, { largeEvery: LARGE_EVERY });
    const client = direct();
    const key = (item: Item) => ({ pk: item.pk, sk: item.sk });
    for (const i of MISSING) await client.send(new DeleteItemCommand({ TableName: name, Key: key(sampleItem(i)) }));
    for (const i of CHANGED) {
      const item = sampleItem(i);
      // Every other change is subtle: a number stored as a string, or one nested value.
      const changed = i % 60 === 2 ? { ...item, balance: { S: item.balance.N ?? item.balance.S! } } : { ...item, address: { M: { ...item.address.M!, city: { S: 'Bern' } } } };
      await client.send(new PutItemCommand({ TableName: name, Item: changed }));
    }
    await client.send(new PutItemCommand({ TableName: name, Item: { ...sampleItem(CHANGED_LARGE, 398_000), padding: { S: 'y'.repeat(398_000) } } }));
    for (const i of EXTRA) await client.send(new PutItemCommand({ TableName: name, Item: { ...sampleItem(i), note: { S: 'bad import' } } }));
    await client.send(new PutItemCommand({ TableName: name, Item: sampleItem(EXTRA_LARGE, 398_000) }));
  }

  const expectedChanges = {
    written: MISSING.length + CHANGED.length + 1,
    deleted: EXTRA.length + 1,
    unchanged: ITEMS - MISSING.length - CHANGED.length - 1,
  };

  it.each(['merge', 'by-key'] as const)('%s: makes a target with missing, changed and extra items equal to the source, over several pages per segment, and counts what it changed', async (syncMethod) => {
    const table = `orders-1-${syncMethod}`;
    await driftedTable(table);
    expect(await digestTable(direct(), table, { totalSegments: 1, concurrency: 1 })).not.toEqual(await sourceDigest());
    const state = new FolderStore(tempDir('sync-state-'));
    proxy.resetCounts();
    const result = await hydrateTable({ client: proxied(), source: 'orders-recovery-inc1', target: table, mode: 'sync', syncMethod, state, segments: 4, concurrency: 4, pageLimit: 100 });
    const expected = await sourceDigest();
    expect(result.syncMethod).toBe(syncMethod);
    expect(result.verified).toBe(true);
    expect(result.targetDigest).toEqual(expected);
    expect(result.changes).toEqual(expectedChanges);
    // Only what differed was written: the deletes and the differing puts, 25 to a call at most.
    expect(proxy.callCount('BatchWriteItem')).toBeLessThanOrEqual(Math.ceil(expectedChanges.written / 25) + Math.ceil(expectedChanges.deleted / 25) + 16 * 2);
    expect(proxy.callCount('BatchWriteItem')).toBe(result.calls.batchWrite);
    // Both passes paged: at least 4 pages per segment of the source, and the target's keys besides.
    expect(result.calls.scan).toBeGreaterThanOrEqual(16 + 4);
    expect(proxy.callCount('BatchGetItem')).toBe(result.calls.batchGet);
    // A merge reads by key only the target's keys its segment of the source lacked: the extra items.
    if (syncMethod === 'merge') expect(result.calls.batchGet).toBeLessThanOrEqual(4);
    else expect(result.calls.batchGet).toBeGreaterThanOrEqual(Math.ceil((2 * ITEMS) / 100));

    // A second sync finds nothing to do.
    const again = await hydrateTable({ client: proxied(), source: 'orders-recovery-inc1', target: table, mode: 'sync', syncMethod, state, segments: 3, concurrency: 3 });
    expect(again.changes).toEqual({ written: 0, deleted: 0, unchanged: ITEMS });
    expect(again.calls.batchWrite).toBe(0);
    expect(again.verified).toBe(true);
  });

  it('merge: when the tables do not split their segments alike, still ends equal and deletes only what the source lacks', async () => {
    await driftedTable('orders-6');
    // The target's client reads segment s+1 whenever segment s is asked for: every key of the
    // target then sits in another segment than the same key of the source.
    const shifted = proxied();
    shifted.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { TableName?: string; Segment?: number; TotalSegments?: number };
        if (input.TableName === 'orders-6' && input.Segment !== undefined) input.Segment = (input.Segment + 1) % input.TotalSegments!;
        return next(args);
      },
      { step: 'initialize', name: 'shiftSegments' },
    );
    const result = await hydrateTable({ client: proxied(), targetClient: shifted, source: 'orders-recovery-inc1', target: 'orders-6', mode: 'sync', state: new FolderStore(tempDir('sync-state-')), segments: 4, concurrency: 4, pageLimit: 100 });
    expect(result.verified).toBe(true);
    expect(result.targetDigest).toEqual(await sourceDigest());
    // Every target key was left over in its segment and read by key in the source; only the extra ones were deleted.
    expect(result.changes?.deleted).toBe(expectedChanges.deleted);
    expect(result.calls.batchGet).toBeGreaterThanOrEqual(Math.ceil((ITEMS - MISSING.length) / 100));
    // Every source item was put unread (its target key was in another segment).
    expect(result.changes?.written).toBe(ITEMS);
  });

  it.each(['merge', 'by-key'] as const)('%s: loses nothing when DynamoDB throttles, holds back unprocessed items and keys, and loses responses', async (syncMethod) => {
    const table = `orders-2-${syncMethod}`;
    await driftedTable(table);
    proxy.resetCounts();
    proxy.setFaults(
      firstOf(
        everyNthCall(3, 'unprocessed', ['BatchWriteItem', 'BatchGetItem']),
        everyNthCall(29, 'throttle'),
        everyNthCall(7, 'lost-response', ['BatchWriteItem']),
      ),
    );
    try {
      const result = await hydrateTable({ client: proxied(), source: 'orders-recovery-inc1', target: table, mode: 'sync', syncMethod, state: new FolderStore(tempDir('sync-state-')), segments: 4, concurrency: 4, pageLimit: 100 });
      // A merge reads by key only the few keys left over per segment; a by-key sync reads every key.
      const keyReadFaults = syncMethod === 'merge' ? 1 : 6;
      expect(proxy.faults.get('BatchGetItem')).toBeGreaterThanOrEqual(keyReadFaults);
      expect(result.calls.unprocessedKeyRetries).toBeGreaterThanOrEqual(keyReadFaults);
      expect(proxy.faults.get('BatchWriteItem')).toBeGreaterThan(2);
      expect(proxy.faults.get('Scan')).toBeGreaterThan(0);
      expect(result.verified).toBe(true);
      expect(result.targetDigest).toEqual(await sourceDigest());
      expect(result.changes?.deleted).toBe(expectedChanges.deleted);
      // A write whose response was lost is sent again, and counts once.
      expect(result.changes?.written).toBe(expectedChanges.written);
    } finally {
      proxy.setFaults(undefined);
    }
  });

  it('CLI: a sync killed midway continues from its checkpoint, ends equal to the source, and its counts add up', async () => {
    await driftedTable('orders-3');
    const cwd = tempDir('sync-cli-');
    const args = ['hydrate', 'dynamodb', '--mode', 'sync', '--source', 'orders-recovery-inc1', '--target', 'orders-3', '--segments', '6', '--concurrency', '3'];
    const killed = await runCli(args, { proxy, service: 'dynamodb', killAt: 30, cwd });
    expect(killed.signal).toBe('SIGKILL');
    expect(await digestTable(direct(), 'orders-3', { totalSegments: 1, concurrency: 1 })).not.toEqual(await sourceDigest());

    const resumed = await runCli(args, { proxy, service: 'dynamodb', cwd });
    expect(resumed.stderr).not.toContain('Error');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('synced orders-3 from orders-recovery-inc1 (continued from a checkpoint)');
    expect(resumed.stdout).toContain('verification:  target equals source (count and checksum)');
    expect(await digestTable(direct(), 'orders-3', { totalSegments: 2, concurrency: 2 })).toEqual(await sourceDigest());
    // Deletes are counted once; an item written just before the kill is found equal after it.
    const changes = /changes:\s+(\d+) written, (\d+) deleted, (\d+) unchanged/.exec(resumed.stdout);
    expect(changes).not.toBeNull();
    const [written, deleted, unchanged] = changes!.slice(1).map(Number);
    expect(written + unchanged).toBe(ITEMS);
    expect(written).toBeLessThanOrEqual(expectedChanges.written);
    expect(deleted).toBeLessThanOrEqual(expectedChanges.deleted);
  });

  it('restoring to a time before the table held anything empties it, and an empty target is filled', async () => {
    await createTable(direct(), 'orders-empty-copy');
    await createTable(direct(), 'orders-5');
    await seedTable(direct(), 'orders-5', 300);
    const emptied = await hydrateTable({ client: proxied(), source: 'orders-empty-copy', target: 'orders-5', mode: 'sync', state: new FolderStore(tempDir('sync-state-')), segments: 2, concurrency: 2 });
    expect(emptied.changes).toEqual({ written: 0, deleted: 300, unchanged: 0 });
    expect(emptied.targetDigest?.items).toBe(0);
    expect(emptied.verified).toBe(true);
    const filled = await hydrateTable({ client: proxied(), source: 'orders-recovery-inc1', target: 'orders-5', mode: 'sync', state: new FolderStore(tempDir('sync-state-')), segments: 2, concurrency: 2 });
    expect(filled.changes).toEqual({ written: ITEMS, deleted: 0, unchanged: 0 });
    expect(filled.targetDigest).toEqual(await sourceDigest());
  });

  it('CLI: refuses to continue a copy checkpoint as a sync', async () => {
    await createTable(direct(), 'orders-4');
    const cwd = tempDir('sync-cli-');
    const copy = ['hydrate', 'dynamodb', '--source', 'orders-recovery-inc1', '--target', 'orders-4', '--segments', '4', '--concurrency', '2'];
    const killed = await runCli(copy, { proxy, service: 'dynamodb', killAt: 12, cwd });
    expect(killed.signal).toBe('SIGKILL');
    const sync = await runCli(['hydrate', 'dynamodb', '--mode', 'sync', '--source', 'orders-recovery-inc1', '--target', 'orders-4'], { proxy, service: 'dynamodb', cwd });
    expect(sync.code).toBe(1);
    expect(sync.stderr).toContain('an unfinished copy from orders-recovery-inc1 to orders-4 is checkpointed');
  });

  it('CLI: recover dynamodb refuses without a matching confirmation, names every problem, and calls nothing', async () => {
    proxy.resetCounts();
    const run = await runCli(['recover', 'dynamodb', '--table', 'orders-1', '--to-time', 'yesterday', '--incident', 'INC-7', '--confirm-table-name', 'orders-2'], { proxy, service: 'dynamodb', cwd: tempDir('recover-cli-') });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('recovery refused; nothing was changed:');
    expect(run.stderr).toContain('--confirm-table-name is "orders-2" but the table is "orders-1"');
    expect(run.stderr).toContain('--to-time "yesterday" is not an ISO 8601 time');
    expect(proxy.callCount()).toBe(0);
  });
});
