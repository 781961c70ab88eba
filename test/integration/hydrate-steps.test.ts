import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HydrateTableEvent } from '../../packages/retention-kit-cli/src/lambdas/hydrate-table';
import { builtHandler } from '../support/handlers';
import type { HydrationPlan, HydrationVerdict, SegmentTask, SliceResult } from '../../packages/retention-kit-cli/src/runtime/dynamodb/hydrate-steps';
import { digestTable } from '../../packages/retention-kit-cli/src/runtime/dynamodb/table-scan';
import { createTable, seedTable } from '../support/dynamodb-seed';
import { type LocalServer, localDynamoClient, startDynaliteForHandlers } from '../support/servers';

/**
 * The hydration state machine's worker function on dynalite. Step Functions does not run here, so
 * the test drives the handler in the order the state machine does (plan; per segment, slices until
 * done; per segment, checksum slices; verify), passing each output on as the definition's paths do.
 * A short remaining time makes every slice hand over after one page.
 */
describe('hydration worker steps (the state machine order, driven by the test; tables on dynalite)', () => {
  let server: LocalServer;
  const ITEMS = 700;

  beforeAll(async () => {
    server = await startDynaliteForHandlers();
    const client = localDynamoClient(server.endpoint);
    await createTable(client, 'restored-orders');
    await createTable(client, 'orders');
    await createTable(client, 'orders-dirty');
    await seedTable(client, 'restored-orders', ITEMS, { largeEvery: 20, largeBytes: 300_000 });
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function execute(job: { source: string; target: string; segments?: number; overwrite?: boolean }) {
    const handler = builtHandler('hydrate-table');
    const invoke = <T>(event: HydrateTableEvent, remainingMs = 900_000) => handler(event, { getRemainingTimeInMillis: () => remainingMs }) as Promise<T>;
    const plan = await invoke<HydrationPlan>({ step: 'plan', job });
    const items = plan.segments.map(({ segment }): SegmentTask => ({ source: plan.source, target: plan.target, totalSegments: plan.totalSegments, maxWriteUnitsPerSegment: plan.maxWriteUnitsPerSegment, segment }));
    let slices = 0;
    const map = (step: 'copy' | 'checksum') =>
      Promise.all(
        items.map(async (task) => {
          // 30 s left is under the worker's 60 s reserve: each slice stops after its first page.
          let result = await invoke<SliceResult>({ step, task }, 30_000);
          slices += 1;
          while (!result.done) {
            result = await invoke<SliceResult>({ step, task: result }, 30_000);
            slices += 1;
          }
          return { position: result.position };
        }),
      );
    const copied = await map('copy');
    const readBack = await map('checksum');
    const verdict = await invoke<HydrationVerdict>({ step: 'verify', source: plan.source, target: plan.target, copied, readBack });
    return { plan, verdict, slices };
  }

  it('copies every segment in slices that hand over their position, and verifies the totals', async () => {
    const { plan, verdict, slices } = await execute({ source: 'restored-orders', target: 'orders', segments: 5 });
    expect(plan.totalSegments).toBe(5);
    expect(plan.segments).toEqual([0, 1, 2, 3, 4].map((segment) => ({ segment })));
    // 700 items with 300 KB ones every 20th (10 MB): several 1 MB pages per segment, so several slices each.
    expect(slices).toBeGreaterThan(2 * 5 * 2);
    const expected = await digestTable(localDynamoClient(server.endpoint), 'restored-orders', { totalSegments: 2, concurrency: 2 });
    expect(verdict).toEqual({ source: 'restored-orders', target: 'orders', sourceItems: ITEMS, targetItems: ITEMS, sourceDigest: expected.digest, targetDigest: expected.digest, verified: true });
  });

  it('refuses at the plan step a target that holds items, unless told to overwrite; a left-over item fails verification', async () => {
    const client = localDynamoClient(server.endpoint);
    await client.send(new PutItemCommand({ TableName: 'orders-dirty', Item: { pk: { S: 'left-over' }, sk: { N: '1' } } }));
    await expect(execute({ source: 'restored-orders', target: 'orders-dirty' })).rejects.toThrow('orders-dirty already holds items; pass --overwrite');
    const { verdict } = await execute({ source: 'restored-orders', target: 'orders-dirty', segments: 3, overwrite: true });
    expect(verdict).toMatchObject({ sourceItems: ITEMS, targetItems: ITEMS + 1, verified: false });
  });
});
