import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestTable } from '../../packages/retention-kit-cli/src/runtime/dynamodb/table-scan';
import { referenceApp, synthesize } from '../support/apps';
import { createTable, seedTable } from '../support/dynamodb-seed';
import { type LocalServer, LOCAL_CREDENTIALS, localDynamoClient, startDynalite } from '../support/servers';
import { LocalStateMachines } from '../support/state-machines';

/**
 * The reference app's hydration state machine, executed: its definition from the synthesized
 * template in an ASL interpreter (aws-local-stepfunctions), its worker from the asset in the cloud
 * assembly, tables on dynalite.
 */
describe('table hydration state machine, executed (definition from the template, worker from its asset, tables on dynalite)', () => {
  const ITEMS = 5_000;
  let server: LocalServer;
  let machines: LocalStateMachines;
  let failNextCopy = false;
  let killCopyOnceWritesLand: string | undefined;
  const slices = { copy: 0, checksum: 0 };
  const client = () => localDynamoClient(server.endpoint);

  beforeAll(async () => {
    server = await startDynalite();
    await createTable(client(), 'restored-orders');
    // Every 50th item is 100 KB: about 15 MB in all, so a segment takes several 1 MB pages, each its own slice.
    await seedTable(client(), 'restored-orders', ITEMS, { largeEvery: 50, largeBytes: 100_000 });
    for (const table of ['orders', 'orders-retried', 'orders-killed', 'orders-corrupt']) await createTable(client(), table);
    const env = synthesize(referenceApp());
    machines = new LocalStateMachines(env.directory, 'Persistent', env, {
      environment: { AWS_ENDPOINT_URL_DYNAMODB: server.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey },
      // 30 s left is under the worker's 60 s reserve: every slice hands over after its first page.
      remainingMs: () => 30_000,
      // Kills the worker in the middle of a copy slice: once the slice's first writes are in the target.
      killDuring: (_fn, event) => {
        const target = killCopyOnceWritesLand;
        if (!target || event.step !== 'copy') return undefined;
        killCopyOnceWritesLand = undefined;
        return (async () => {
          while (((await client().send(new ScanCommand({ TableName: target, Select: 'COUNT', Limit: 50 }))).Count ?? 0) === 0) await new Promise((r) => setTimeout(r, 2));
        })();
      },
      beforeInvoke: (_fn, event) => {
        if (event.step === 'copy' || event.step === 'checksum') slices[event.step as 'copy' | 'checksum'] += 1;
        if (failNextCopy && event.step === 'copy') {
          failNextCopy = false;
          throw Object.assign(new Error('injected: the worker failed once'), { name: 'Lambda.ServiceException' });
        }
      },
    });
  }, 120_000);

  afterAll(async () => {
    await machines?.stop();
    await server?.stop();
  });

  it('copies 5,000 items of every attribute type in 8 segments; the standby equals the source by count and checksum', async () => {
    slices.copy = 0;
    slices.checksum = 0;
    const execution = await machines.run('HydrationStateMachine', { source: 'restored-orders', target: 'orders', segments: 8 });
    const expected = await digestTable(client(), 'restored-orders', { totalSegments: 2, concurrency: 2 });
    const actual = await digestTable(client(), 'orders', { totalSegments: 2, concurrency: 2 });
    expect(actual).toEqual(expected);
    expect(execution).toMatchObject({
      status: 'SUCCEEDED',
      output: { source: 'restored-orders', target: 'orders', sourceItems: ITEMS, targetItems: ITEMS, sourceDigest: expected.digest, targetDigest: expected.digest, verified: true },
    });
    // Each slice handed its position over to the next through the definition's Choice loop: more slices than segments.
    expect(slices.copy).toBeGreaterThan(8);
    expect(slices.checksum).toBeGreaterThan(8);
  });

  it("retries a worker that fails once, through the definition's Retry, and still copies each item exactly once", async () => {
    failNextCopy = true;
    const execution = await machines.run('HydrationStateMachine', { source: 'restored-orders', target: 'orders-retried', segments: 4 });
    expect(failNextCopy).toBe(false);
    expect(execution).toMatchObject({ status: 'SUCCEEDED', output: { sourceItems: ITEMS, targetItems: ITEMS, verified: true } });
  });

  it('resumes a slice whose worker was killed mid-write from its last position, without losing or duplicating an item', async () => {
    killCopyOnceWritesLand = 'orders-killed';
    const kills = machines.kills;
    const execution = await machines.run('HydrationStateMachine', { source: 'restored-orders', target: 'orders-killed', segments: 4 });
    // The worker was terminated while a slice was writing (some of its items were in, the slice was not done).
    expect(machines.kills - kills).toBe(1);
    const expected = await digestTable(client(), 'restored-orders', { totalSegments: 2, concurrency: 2 });
    expect(await digestTable(client(), 'orders-killed', { totalSegments: 2, concurrency: 2 })).toEqual(expected);
    expect(execution).toMatchObject({ status: 'SUCCEEDED', output: { sourceItems: ITEMS, targetItems: ITEMS, verified: true } });
  });

  it('fails at once, with no retries, when the worker refuses the job (a target that holds items)', async () => {
    await client().send(new PutItemCommand({ TableName: 'orders-corrupt', Item: { pk: { S: 'intruder' }, sk: { N: '1' } } }));
    const before = machines.invocationCount();
    const execution = await machines.run('HydrationStateMachine', { source: 'restored-orders', target: 'orders-corrupt', segments: 4 });
    expect(execution).toMatchObject({ status: 'FAILED', error: 'HydrateRefusedError', cause: expect.stringContaining('orders-corrupt already holds items') });
    expect(machines.invocationCount() - before).toBe(1);
  });

  it('ends in HydrationMismatch when the target holds an item the source does not', async () => {
    const execution = await machines.run('HydrationStateMachine', { source: 'restored-orders', target: 'orders-corrupt', segments: 4, overwrite: true });
    expect(execution).toMatchObject({ status: 'FAILED', error: 'HydrationMismatch' });
  });
});
