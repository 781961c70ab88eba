import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export interface SeededObject {
  readonly key: string;
  readonly body: Buffer;
  readonly contentType?: string;
  readonly metadata?: Record<string, string>;
  readonly cacheControl?: string;
}

/**
 * A document store's worth of objects: nested keys several levels deep, non-ASCII and spaced
 * keys, user metadata and content types, empty objects, and a few larger ones.
 */
export function sampleObjects(count: number): SeededObject[] {
  return Array.from({ length: count }, (_, index) => {
    const year = 2020 + (index % 5);
    const key =
      index % 50 === 7 ? `documents/${year}/Zoë Ångström/contrat ${index}.pdf` : index % 10 === 0 ? `documents/${year}/${index % 12}/empty-${index}.txt` : `documents/${year}/${index % 12}/${index % 7}/doc-${String(index).padStart(5, '0')}.json`;
    const body = index % 10 === 0 ? Buffer.alloc(0) : Buffer.from(JSON.stringify({ index, text: 'x'.repeat(index % 300 === 1 ? 300_000 : index % 900) }));
    return {
      key,
      body,
      contentType: index % 10 === 0 ? 'text/plain; charset=utf-8' : index % 50 === 7 ? 'application/pdf' : 'application/json',
      metadata: index % 3 === 0 ? { 'customer-id': `c-${index % 97}`, classification: 'internal' } : undefined,
      cacheControl: index % 4 === 0 ? 'max-age=3600' : undefined,
    };
  });
}

export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}

export async function putObjects(client: S3Client, bucket: string, objects: readonly SeededObject[], parallel = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const object = objects[next++];
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: object.key, Body: object.body, ContentType: object.contentType, Metadata: object.metadata, CacheControl: object.cacheControl }),
      );
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}
