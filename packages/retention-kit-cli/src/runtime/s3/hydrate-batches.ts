/**
 * Bucket hydration as batches of a Step Functions Distributed Map, for buckets past one machine:
 * the map lists the source bucket itself (its S3 item reader) and hands the worker batches of
 * objects, which it copies server-side with `copyObject` (the CLI's copy), or, in the verification
 * map, compares with the target. A batch is idempotent: copying it again changes nothing.
 */
import { HeadObjectCommand, NotFound, type S3Client } from '@aws-sdk/client-s3';
import { HYDRATION_MISMATCH_ERROR } from 'retention-kit/policy';
import { compareContent } from './compare-object';
import { copyObject } from './copy-object';
import type { ListedObject } from './listing';

/** An object as the Distributed Map's S3 item reader lists it (ListObjectsV2 fields; `Etag` as it spells it). */
export interface ItemReaderObject {
  readonly Key: string;
  readonly Size: number;
  readonly Etag?: string;
  readonly ETag?: string;
}

export interface BucketBatch {
  readonly source: string;
  readonly target: string;
}

/** The verification found objects that differ: the batch fails with this error, which is not retried. */
export class HydrationMismatchError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`${problems.length} object(s) differ between source and target: ${problems.slice(0, 20).join('; ')}${problems.length > 20 ? '; …' : ''}`);
    this.name = HYDRATION_MISMATCH_ERROR;
  }
}

const listed = (object: ItemReaderObject): ListedObject => ({ key: object.Key, size: object.Size, etag: object.ETag ?? object.Etag ?? '' });

async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

/** Copies every object of the batch into the target; answers how many and how many bytes. */
export async function copyBatch(client: S3Client, batch: BucketBatch, items: readonly ItemReaderObject[], concurrency = 16): Promise<{ copied: number; bytes: number; multipart: number }> {
  let copied = 0;
  let bytes = 0;
  let multipart = 0;
  await inParallel(items, concurrency, async (item) => {
    const method = await copyObject(listed(item), { client, sourceBucket: batch.source, targetBucket: batch.target });
    copied += 1;
    bytes += item.Size;
    if (method === 'multipart') multipart += 1;
  });
  return { copied, bytes, multipart };
}

/** Checks every object of the batch in the target: present, same size, same content. Throws HydrationMismatch otherwise. */
export async function verifyBatch(client: S3Client, batch: BucketBatch, items: readonly ItemReaderObject[], concurrency = 16): Promise<{ verified: number }> {
  const problems: string[] = [];
  await inParallel(items, concurrency, async (item) => {
    const source = listed(item);
    let head;
    try {
      head = await client.send(new HeadObjectCommand({ Bucket: batch.target, Key: source.key }));
    } catch (error) {
      if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') return void problems.push(`${source.key}: missing in ${batch.target}`);
      throw error;
    }
    if (head.ContentLength !== source.size) return void problems.push(`${source.key}: ${head.ContentLength} bytes, the source has ${source.size}`);
    if (head.ETag === source.etag) return;
    const check = await compareContent({ client, bucket: batch.source }, { client, bucket: batch.target }, source.key);
    if (!check.equal) problems.push(`${source.key}: content differs (by ${check.by})`);
  });
  if (problems.length > 0) throw new HydrationMismatchError(problems.sort());
  return { verified: items.length };
}
