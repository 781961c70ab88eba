import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { compareContent } from '../../../packages/retention-kit-cli/src/runtime/s3/compare-object';
import { copyObject, copySource, MAX_PARTS, partSizeFor } from '../../../packages/retention-kit-cli/src/runtime/s3/copy-object';
import { compareKeys } from '../../../packages/retention-kit-cli/src/runtime/s3/listing';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const s3 = mockClient(S3Client);
afterEach(() => s3.reset());

describe('copyObject (mocked S3 client: s3rver copies no tags and has no UploadPartCopy)', () => {
  const target = { client: new S3Client({ region: 'us-east-1' }), sourceBucket: 'restored', targetBucket: 'standby' };

  it('copies an object up to 5 GB in one CopyObject that keeps metadata and tags, pinned to the listed ETag', async () => {
    s3.on(CopyObjectCommand).resolves({});
    expect(await copyObject({ key: 'a b/Zoë+1.pdf', size: 5 * GiB, etag: '"e1"' }, target)).toBe('single');
    const input = s3.commandCalls(CopyObjectCommand)[0].args[0].input;
    expect(input).toMatchObject({ Bucket: 'standby', Key: 'a b/Zoë+1.pdf', CopySource: 'restored/a%20b/Zo%C3%AB%2B1.pdf', CopySourceIfMatch: '"e1"', MetadataDirective: 'COPY', TaggingDirective: 'COPY' });
  });

  it('copies an object above 5 GB in parts, setting the source metadata, headers and tags on the new upload', async () => {
    const size = 6 * GiB + 123;
    s3.on(HeadObjectCommand).resolves({ ETag: '"big"', ContentType: 'application/zip', CacheControl: 'no-cache', ContentDisposition: 'attachment', Metadata: { owner: 'ops' } });
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'class', Value: 'ssn data' }, { Key: 'keep', Value: '7y' }] });
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u-1' });
    s3.on(UploadPartCopyCommand).callsFake((input: { PartNumber: number }) => ({ CopyPartResult: { ETag: `"p${input.PartNumber}"` } }));
    s3.on(CompleteMultipartUploadCommand).resolves({});
    expect(await copyObject({ key: 'backup.zip', size, etag: '"big"' }, { ...target, partSize: 512 * MiB })).toBe('multipart');

    expect(s3.commandCalls(CreateMultipartUploadCommand)[0].args[0].input).toMatchObject({
      Bucket: 'standby',
      Key: 'backup.zip',
      ContentType: 'application/zip',
      CacheControl: 'no-cache',
      ContentDisposition: 'attachment',
      Metadata: { owner: 'ops' },
      Tagging: 'class=ssn%20data&keep=7y',
    });
    const parts = s3.commandCalls(UploadPartCopyCommand).map((call) => call.args[0].input);
    expect(parts).toHaveLength(13);
    // The ranges cover every byte once, in order, each part pinned to the source's ETag.
    const ranges = parts.sort((a, b) => a.PartNumber! - b.PartNumber!).map((part) => /^bytes=(\d+)-(\d+)$/.exec(part.CopySourceRange!)!.slice(1).map(Number));
    expect(ranges[0][0]).toBe(0);
    for (let i = 1; i < ranges.length; i += 1) expect(ranges[i][0]).toBe(ranges[i - 1][1] + 1);
    expect(ranges.at(-1)![1]).toBe(size - 1);
    expect(parts.every((part) => part.CopySourceIfMatch === '"big"' && part.UploadId === 'u-1')).toBe(true);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0].args[0].input.MultipartUpload?.Parts).toEqual(Array.from({ length: 13 }, (_, i) => ({ ETag: `"p${i + 1}"`, PartNumber: i + 1 })));
  });

  it('aborts the upload when a part fails, so no unfinished upload is left to bill', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"big"' });
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u-2' });
    s3.on(UploadPartCopyCommand).rejects(Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed' }));
    s3.on(AbortMultipartUploadCommand).resolves({});
    await expect(copyObject({ key: 'changed.bin', size: 6 * GiB, etag: '"big"' }, target)).rejects.toThrow('pre-conditions');
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0].args[0].input).toEqual({ Bucket: 'standby', Key: 'changed.bin', UploadId: 'u-2' });
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it('raises the part size so a 5 TB object fits in 10,000 parts', () => {
    expect(partSizeFor(6 * GiB)).toBe(512 * MiB);
    const fiveTiB = 5 * 1024 ** 4;
    expect(Math.ceil(fiveTiB / partSizeFor(fiveTiB))).toBeLessThanOrEqual(MAX_PARTS);
    expect(partSizeFor(10 * MiB, 1)).toBe(5 * MiB);
  });

  it('encodes the copy source key but keeps its slashes', () => {
    expect(copySource('b', 'x/y z/ä?.txt')).toBe('b/x/y%20z/%C3%A4%3F.txt');
  });
});

describe('compareContent (mocked S3 client: s3rver keeps no checksums)', () => {
  const source = { client: new S3Client({ region: 'us-east-1' }), bucket: 'restored' };
  const target = { client: new S3Client({ region: 'us-east-1' }), bucket: 'standby' };

  it('compares full-object checksums when both objects have one', async () => {
    s3.on(HeadObjectCommand, { Bucket: 'restored' }).resolves({ ChecksumType: 'FULL_OBJECT', ChecksumCRC64NVME: 'AAA=' });
    s3.on(HeadObjectCommand, { Bucket: 'standby' }).resolves({ ChecksumType: 'FULL_OBJECT', ChecksumCRC64NVME: 'AAA=' });
    expect(await compareContent(source, target, 'k')).toEqual({ equal: true, by: 'checksum' });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('reads both objects when only part checksums are there, and finds a difference', async () => {
    s3.on(HeadObjectCommand).resolves({ ChecksumType: 'COMPOSITE', ChecksumCRC32: 'x-2' });
    const body = (text: string) => Readable.from([Buffer.from(text)]) as never;
    s3.on(GetObjectCommand, { Bucket: 'restored' }).callsFake(() => ({ Body: body('same length A') }));
    s3.on(GetObjectCommand, { Bucket: 'standby' }).callsFake(() => ({ Body: body('same length B') }));
    expect(await compareContent(source, target, 'k')).toEqual({ equal: false, by: 'content' });
  });
});

describe('compareKeys', () => {
  it("orders keys by UTF-8 bytes, as S3 lists them, not by JavaScript's UTF-16 order", () => {
    // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts before U+1F600 (4 bytes, F0 ...), though its UTF-16 unit is higher.
    expect(['😀', '～'].sort(compareKeys)).toEqual(['～', '😀']);
    expect(['😀', '～'].sort()).toEqual(['😀', '～']);
  });
});
