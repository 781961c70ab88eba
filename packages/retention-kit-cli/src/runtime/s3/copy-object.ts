/**
 * Server-side copies that keep what the object carries: a single CopyObject keeps metadata,
 * content type and the other system headers, and tags (`MetadataDirective` and `TaggingDirective`
 * COPY). Above CopyObject's 5 GB limit the copy is multipart (UploadPartCopy), which copies bytes
 * only, so the metadata and tags are read from the source and set on the new upload; every part
 * is pinned to the source's ETag so a source changed mid-copy fails instead of mixing versions.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { ListedObject } from './listing';

/** CopyObject's documented limit. */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3;
/** UploadPartCopy's documented limits. */
export const MAX_PARTS = 10_000;
export const MIN_PART_BYTES = 5 * 1024 ** 2;
export const MAX_PART_BYTES = 5 * 1024 ** 3;

export interface CopyTarget {
  readonly client: S3Client;
  readonly sourceBucket: string;
  readonly targetBucket: string;
  /**
   * Objects larger than this are copied in parts.
   * @default 5 GiB (CopyObject's limit)
   */
  readonly multipartThreshold?: number;
  /**
   * Bytes per part of a multipart copy; raised when the object would need more than 10,000 parts.
   * @default 512 MiB
   */
  readonly partSize?: number;
  /**
   * Parts of one object copied at once.
   * @default 8
   */
  readonly partConcurrency?: number;
  readonly onCall?: (operation: string) => void;
}

export type CopyMethod = 'single' | 'multipart';

/** The `x-amz-copy-source` value: bucket and URL-encoded key (slashes kept). */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
}

/** Copies one object; answers how. */
export async function copyObject(object: ListedObject, target: CopyTarget): Promise<CopyMethod> {
  const threshold = Math.min(target.multipartThreshold ?? MAX_SINGLE_COPY_BYTES, MAX_SINGLE_COPY_BYTES);
  if (object.size <= threshold) {
    target.onCall?.('CopyObject');
    await target.client.send(
      new CopyObjectCommand({
        Bucket: target.targetBucket,
        Key: object.key,
        CopySource: copySource(target.sourceBucket, object.key),
        CopySourceIfMatch: object.etag || undefined,
        MetadataDirective: 'COPY',
        TaggingDirective: 'COPY',
      }),
    );
    return 'single';
  }
  await multipartCopy(object, target);
  return 'multipart';
}

/** Part size for an object: the preferred size, raised to fit within 10,000 parts. */
export function partSizeFor(size: number, preferred = 512 * 1024 ** 2): number {
  const mib = 1024 ** 2;
  const needed = Math.ceil(size / MAX_PARTS / mib) * mib;
  return Math.min(MAX_PART_BYTES, Math.max(MIN_PART_BYTES, preferred, needed));
}

async function multipartCopy(object: ListedObject, target: CopyTarget): Promise<void> {
  const { client } = target;
  target.onCall?.('HeadObject');
  const head = await client.send(new HeadObjectCommand({ Bucket: target.sourceBucket, Key: object.key, IfMatch: object.etag || undefined }));
  target.onCall?.('GetObjectTagging');
  const tagging = await client.send(new GetObjectTaggingCommand({ Bucket: target.sourceBucket, Key: object.key }));
  const tags = (tagging.TagSet ?? []).map((tag) => `${encodeURIComponent(tag.Key!)}=${encodeURIComponent(tag.Value ?? '')}`).join('&');
  target.onCall?.('CreateMultipartUpload');
  const upload = await client.send(
    new CreateMultipartUploadCommand({
      Bucket: target.targetBucket,
      Key: object.key,
      ContentType: head.ContentType,
      ContentEncoding: head.ContentEncoding,
      ContentDisposition: head.ContentDisposition,
      ContentLanguage: head.ContentLanguage,
      CacheControl: head.CacheControl,
      Expires: head.Expires,
      WebsiteRedirectLocation: head.WebsiteRedirectLocation,
      Metadata: head.Metadata,
      Tagging: tags || undefined,
    }),
  );
  const uploadId = upload.UploadId!;
  const partSize = partSizeFor(object.size, target.partSize);
  const partCount = Math.ceil(object.size / partSize);
  const etags: string[] = new Array<string>(partCount);
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < partCount) {
        const index = next++;
        const start = index * partSize;
        const end = Math.min(object.size, start + partSize) - 1;
        target.onCall?.('UploadPartCopy');
        const part = await client.send(
          new UploadPartCopyCommand({
            Bucket: target.targetBucket,
            Key: object.key,
            UploadId: uploadId,
            PartNumber: index + 1,
            CopySource: copySource(target.sourceBucket, object.key),
            CopySourceIfMatch: head.ETag ?? object.etag,
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        etags[index] = part.CopyPartResult!.ETag!;
      }
    };
    await Promise.all(Array.from({ length: Math.min(target.partConcurrency ?? 8, partCount) }, worker));
    target.onCall?.('CompleteMultipartUpload');
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: target.targetBucket,
        Key: object.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })) },
      }),
    );
  } catch (error) {
    // An unfinished upload is billed until aborted.
    target.onCall?.('AbortMultipartUpload');
    await client.send(new AbortMultipartUploadCommand({ Bucket: target.targetBucket, Key: object.key, UploadId: uploadId })).catch(() => undefined);
    throw error;
  }
}
