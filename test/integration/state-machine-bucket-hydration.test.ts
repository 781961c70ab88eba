import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listObjects } from '../../packages/retention-kit-cli/src/runtime/s3/listing';
import { referenceApp, synthesize } from '../support/apps';
import { createBucket, putObjects, sampleObjects } from '../support/s3-seed';
import { LOCAL_CREDENTIALS, localS3Client, type S3Local, startS3rver } from '../support/servers';
import { LocalStateMachines } from '../support/state-machines';

/**
 * The reference app's bucket hydration state machine, executed: its definition from the template,
 * its Distributed Maps fed by the S3 item reader's listing of s3rver (in the item format Step
 * Functions documents) and batched as its ItemBatcher says, its worker from the asset.
 */
describe('bucket hydration state machine, executed (definition from the template, worker from its asset, buckets on s3rver)', () => {
  const OBJECTS = 1_500;
  let s3: S3Local;
  let machines: LocalStateMachines;
  let corruptAtFirstVerify: string | undefined;
  const batchSizes: number[] = [];
  const verifyCalls = new Map<string, number>();
  let failNextCopy = false;
  const client = () => localS3Client(s3.endpoint);
  const listing = async (bucket: string) => {
    const objects: string[] = [];
    for await (const object of listObjects({ client: client(), bucket })) objects.push(`${object.key} ${object.size} ${object.etag}`);
    return objects;
  };

  beforeAll(async () => {
    s3 = await startS3rver(['restored-documents']);
    await putObjects(client(), 'restored-documents', sampleObjects(OBJECTS));
    for (const bucket of ['documents', 'documents-retried', 'documents-corrupt']) await createBucket(client(), bucket);
    const env = synthesize(referenceApp());
    machines = new LocalStateMachines(env.directory, 'Persistent', env, {
      environment: { AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey },
      s3: client(),
      beforeInvoke: async (_fn, event) => {
        if (event.step === 'copy' && failNextCopy) {
          failNextCopy = false;
          throw Object.assign(new Error('injected: the worker failed once'), { name: 'Lambda.ServiceException' });
        }
        if (event.step === 'copy') batchSizes.push(event.items.length);
        if (event.step === 'verify') verifyCalls.set(event.items[0].Key, (verifyCalls.get(event.items[0].Key) ?? 0) + 1);
        const target = corruptAtFirstVerify;
        if (target && event.step === 'verify' && event.batch.target === target) {
          // Between the copy and the verification, one object of the target is overwritten.
          corruptAtFirstVerify = undefined;
          const victim = event.items.find((item: { Size: number }) => item.Size > 0);
          await client().send(new PutObjectCommand({ Bucket: target, Key: victim.Key, Body: 'tampered' }));
        }
      },
    });
  }, 180_000);

  afterAll(async () => {
    await machines?.stop();
    await s3?.stop();
  });

  it('copies 1,500 objects with nested and non-ASCII keys in batches of 200; the target equals the source by key, size and ETag', async () => {
    const execution = await machines.run('BucketHydrationStateMachine', { source: 'restored-documents', target: 'documents' });
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    expect(batchSizes).toEqual([...Array(7).fill(200), 100]);
    const source = await listing('restored-documents');
    expect(source).toHaveLength(OBJECTS);
    expect(source.some((line) => line.includes('Zoë Ångström/'))).toBe(true);
    expect(await listing('documents')).toEqual(source);
  });

  it("retries a batch whose worker failed once, through the definition's Retry, and the target still equals the source", async () => {
    failNextCopy = true;
    const execution = await machines.run('BucketHydrationStateMachine', { source: 'restored-documents', target: 'documents-retried' });
    expect(failNextCopy).toBe(false);
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    expect(await listing('documents-retried')).toEqual(await listing('restored-documents'));
  });

  it('ends in HydrationMismatch when an object of the target was changed after the copy, without retrying the batch that found it', async () => {
    corruptAtFirstVerify = 'documents-corrupt';
    verifyCalls.clear();
    const execution = await machines.run('BucketHydrationStateMachine', { source: 'restored-documents', target: 'documents-corrupt' });
    expect(corruptAtFirstVerify).toBeUndefined();
    expect(execution).toMatchObject({ status: 'FAILED', error: 'HydrationMismatch' });
    expect(Math.max(...verifyCalls.values())).toBe(1);
  });
});
