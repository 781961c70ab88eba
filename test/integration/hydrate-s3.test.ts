import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hydrateBucket } from '../../packages/retention-kit-cli/src/runtime/s3/hydrate-bucket';
import { listObjects } from '../../packages/retention-kit-cli/src/runtime/s3/listing';
import { FolderStore } from '../../packages/retention-kit-cli/src/runtime/store';
import { tempDir } from '../support/apps';
import { runCli } from '../support/cli';
import { type S3Proxy, startS3Proxy } from '../support/s3-proxy';
import { createBucket, putObjects, sampleObjects } from '../support/s3-seed';
import { LOCAL_CREDENTIALS, localS3Client, type S3Local, startS3rver } from '../support/servers';

/**
 * Bucket hydration against s3rver, through a proxy that counts calls and injects S3's SlowDown
 * and lost responses (s3rver never throttles). s3rver's CopyObject does not copy tags and it has
 * no UploadPartCopy, so tags and multipart copies are tested on a mocked client
 * (test/unit/runtime/s3-copy.test.ts).
 */
describe('retention hydrate s3 (s3rver)', () => {
  let s3: S3Local;
  let proxy: S3Proxy;
  const OBJECTS = sampleObjects(1_250);
  const direct = () => localS3Client(s3.endpoint);
  const proxied = () => new S3Client({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, forcePathStyle: true, retryMode: 'adaptive', maxAttempts: 8 });

  beforeAll(async () => {
    s3 = await startS3rver(['restored-docs']);
    proxy = await startS3Proxy(s3.endpoint);
    await putObjects(direct(), 'restored-docs', OBJECTS);
  });

  afterAll(async () => {
    await proxy?.stop();
    await s3?.stop();
  });

  async function keysOf(bucket: string): Promise<Map<string, { size: number; etag: string }>> {
    const listed = new Map<string, { size: number; etag: string }>();
    for await (const object of listObjects({ client: direct(), bucket })) listed.set(object.key, { size: object.size, etag: object.etag });
    return listed;
  }

  it('copies nested keys, empty objects and more than 1,000 keys with their metadata and content type, and verifies them', async () => {
    await createBucket(direct(), 'standby-docs-1');
    proxy.resetCounts();
    const result = await hydrateBucket({ client: proxied(), source: 'restored-docs', target: 'standby-docs-1', state: new FolderStore(tempDir('hydrate-s3-')), concurrency: 16 });
    expect(result.verified).toBe(true);
    expect(result.copied).toBe(OBJECTS.length);
    expect(result.verification?.compared).toBe(OBJECTS.length);
    expect(result.verification?.byEtag).toBe(OBJECTS.length);
    expect(proxy.callCount('CopyObject')).toBe(OBJECTS.length);
    // Two listing pages of the source and one of the empty target to copy; two of each to verify.
    expect(proxy.callCount('ListObjectsV2')).toBe(7);
    expect(await keysOf('standby-docs-1')).toEqual(await keysOf('restored-docs'));

    for (const object of [OBJECTS[0], OBJECTS[7], OBJECTS[3], OBJECTS[301]]) {
      const head = await direct().send(new HeadObjectCommand({ Bucket: 'standby-docs-1', Key: object.key }));
      expect(head.ContentType).toBe(object.contentType);
      expect(head.ContentLength).toBe(object.body.length);
      expect(head.Metadata ?? {}).toEqual(object.metadata ?? {});
      expect(head.CacheControl).toBe(object.cacheControl);
    }
    expect(OBJECTS[0].body.length).toBe(0);
    expect(OBJECTS[7].key).toContain('Zoë Ångström');

    // A second run finds everything there and copies nothing.
    proxy.resetCounts();
    const again = await hydrateBucket({ client: proxied(), source: 'restored-docs', target: 'standby-docs-1', state: new FolderStore(tempDir('hydrate-s3-')) });
    expect(again.copied).toBe(0);
    expect(again.alreadyThere).toBe(OBJECTS.length);
    expect(proxy.callCount('CopyObject')).toBe(0);
    expect(again.verified).toBe(true);
  });

  it('loses nothing under SlowDown responses and lost copy responses', async () => {
    await createBucket(direct(), 'standby-docs-2');
    proxy.resetCounts();
    // Few SlowDowns: each one makes the SDK's adaptive retry cut the request rate for a while.
    let slowDowns = 0;
    proxy.setFaults(({ operation, total }) => {
      if (operation === 'CopyObject' && total % 17 === 0) return 'lost-response';
      if (total % 250 === 0) return (slowDowns += 1), 'slow-down';
      return undefined;
    });
    try {
      const result = await hydrateBucket({ client: proxied(), source: 'restored-docs', target: 'standby-docs-2', state: new FolderStore(tempDir('hydrate-s3-')), concurrency: 16 });
      expect(slowDowns).toBeGreaterThanOrEqual(4);
      expect(proxy.faults.get('CopyObject')).toBeGreaterThan(70);
      expect(result.verified).toBe(true);
      expect(await keysOf('standby-docs-2')).toEqual(await keysOf('restored-docs'));
    } finally {
      proxy.setFaults(undefined);
    }
  });

  it('copies one prefix only', async () => {
    await createBucket(direct(), 'standby-docs-3');
    const result = await hydrateBucket({ client: proxied(), source: 'restored-docs', target: 'standby-docs-3', prefix: 'documents/2021/', state: new FolderStore(tempDir('hydrate-s3-')) });
    const expected = OBJECTS.filter((object) => object.key.startsWith('documents/2021/')).length;
    expect(result.copied).toBe(expected);
    expect(result.verified).toBe(true);
    expect((await keysOf('standby-docs-3')).size).toBe(expected);
  });

  it('CLI: a run killed mid-copy continues from its checkpoint and ends verified', async () => {
    await createBucket(direct(), 'standby-docs-4');
    const cwd = tempDir('hydrate-s3-cli-');
    const args = ['hydrate', 's3', '--source', 'restored-docs', '--target', 'standby-docs-4', '--s3-path-style', '--concurrency', '8'];
    const killed = await runCli(args, { proxy, service: 's3', killAt: 500, cwd });
    expect(killed.signal).toBe('SIGKILL');
    const partial = (await keysOf('standby-docs-4')).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(OBJECTS.length);

    proxy.resetCounts();
    const resumed = await runCli(args, { proxy, service: 's3', cwd });
    expect(resumed.stderr).not.toMatch(/error|kept/i);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('(continued from a checkpoint)');
    expect(resumed.stdout).toContain('verification:  every source object is in the target with the same size and content');
    // Only what the first run had not finished was copied again.
    expect(proxy.callCount('CopyObject')).toBeLessThanOrEqual(OBJECTS.length - partial + 8);
    expect(await keysOf('standby-docs-4')).toEqual(await keysOf('restored-docs'));
  });

  it('CLI: exits 1 and names the objects when the target differs', async () => {
    await createBucket(direct(), 'standby-docs-5');
    const cwd = tempDir('hydrate-s3-cli-');
    const args = ['hydrate', 's3', '--source', 'restored-docs', '--target', 'standby-docs-5', '--s3-path-style', '--prefix', 'documents/2022/'];
    expect((await runCli(args, { proxy, service: 's3', cwd })).code).toBe(0);
    await direct().send(new PutObjectCommand({ Bucket: 'standby-docs-5', Key: 'documents/2022/stray.txt', Body: 'not in the restored copy' }));
    const run = await runCli(args, { proxy, service: 's3', cwd });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('MISMATCH');
    expect(run.stdout).toContain('only in target: 1: documents/2022/stray.txt');
  });
});
