import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtHandler, type Handler } from '../support/handlers';
import type { ItemReaderObject } from '../../packages/retention-kit-cli/src/runtime/s3/hydrate-batches';
import { listObjects } from '../../packages/retention-kit-cli/src/runtime/s3/listing';
import { createBucket, putObjects, sampleObjects } from '../support/s3-seed';
import { localS3Client, type S3Local, startS3rver } from '../support/servers';

/**
 * The bucket hydration worker's own report of a mismatch, on s3rver: each object that is missing or
 * differs is named. The state machine around it runs in state-machine-bucket-hydration.test.ts.
 */
describe('bucket hydration worker (its bundle, on s3rver)', () => {
  let s3: S3Local;
  const objects = sampleObjects(450);
  let handler: Handler;

  beforeAll(async () => {
    s3 = await startS3rver(['restored-documents']);
    process.env.AWS_ENDPOINT_URL_S3 = s3.endpoint;
    process.env.AWS_REGION = 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    await putObjects(localS3Client(s3.endpoint), 'restored-documents', objects);
    await createBucket(localS3Client(s3.endpoint), 'documents');
    handler = builtHandler('hydrate-bucket');
  });

  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_S3;
    await s3?.stop();
  });

  async function itemReader(bucket: string): Promise<ItemReaderObject[][]> {
    const items: ItemReaderObject[] = [];
    for await (const object of listObjects({ client: localS3Client(s3.endpoint), bucket })) items.push({ Key: object.key, Size: object.size, Etag: object.etag });
    const batches: ItemReaderObject[][] = [];
    for (let start = 0; start < items.length; start += 200) batches.push(items.slice(start, start + 200));
    return batches;
  }

  it('fails the verification with HydrationMismatch, naming each object that is missing or differs', async () => {
    await createBucket(localS3Client(s3.endpoint), 'documents-partial');
    const batches = await itemReader('restored-documents');
    const batch = { source: 'restored-documents', target: 'documents-partial' };
    await handler({ step: 'copy', batch, items: batches[0].slice(2) });
    const changed = batches[0][3];
    await localS3Client(s3.endpoint).send(new PutObjectCommand({ Bucket: 'documents-partial', Key: changed.Key, Body: 'changed' }));
    const failure = await handler({ step: 'verify', batch, items: batches[0] }).catch((error: Error) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).name).toBe('HydrationMismatch');
    expect((failure as Error).message).toContain('3 object(s) differ between source and target');
    expect((failure as Error).message).toContain(`${batches[0][0].Key}: missing in documents-partial`);
    expect((failure as Error).message).toContain(`${changed.Key}: 7 bytes, the source has ${changed.Size}`);
  });
});
