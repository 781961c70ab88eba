/**
 * Whether two objects hold the same bytes when their ETags cannot tell (an ETag is the MD5 only
 * for single-part objects without SSE-KMS; a multipart copy or a KMS-encrypted target gets another
 * ETag for the same bytes): first by the full-object checksums S3 keeps, then by reading both.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';

export type ContentCheck = { readonly equal: boolean; readonly by: 'checksum' | 'content' };

const CHECKSUM_FIELDS = ['ChecksumCRC64NVME', 'ChecksumSHA256', 'ChecksumSHA1', 'ChecksumCRC32C', 'ChecksumCRC32'] as const;

export async function compareContent(
  source: { client: S3Client; bucket: string },
  target: { client: S3Client; bucket: string },
  key: string,
  onCall?: (operation: string) => void,
): Promise<ContentCheck> {
  const head = (side: { client: S3Client; bucket: string }) => {
    onCall?.('HeadObject');
    return side.client.send(new HeadObjectCommand({ Bucket: side.bucket, Key: key, ChecksumMode: 'ENABLED' }));
  };
  const [a, b] = await Promise.all([head(source), head(target)]);
  const shared = fullObjectChecksum(a, b);
  if (shared) return { equal: shared[0] === shared[1], by: 'checksum' };
  const [hashA, hashB] = await Promise.all([sha256Of(source, key, onCall), sha256Of(target, key, onCall)]);
  return { equal: hashA === hashB, by: 'content' };
}

/** The first checksum both objects carry for the whole object (not a checksum of part checksums). */
function fullObjectChecksum(a: HeadObjectCommandOutput, b: HeadObjectCommandOutput): [string, string] | undefined {
  if (a.ChecksumType !== 'FULL_OBJECT' || b.ChecksumType !== 'FULL_OBJECT') return undefined;
  for (const field of CHECKSUM_FIELDS) {
    if (a[field] && b[field]) return [a[field], b[field]];
  }
  return undefined;
}

async function sha256Of(side: { client: S3Client; bucket: string }, key: string, onCall?: (operation: string) => void): Promise<string> {
  onCall?.('GetObject');
  const response = await side.client.send(new GetObjectCommand({ Bucket: side.bucket, Key: key }));
  const hash = createHash('sha256');
  for await (const chunk of response.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
  return hash.digest('hex');
}
