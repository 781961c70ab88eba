/**
 * Hydrates an existing bucket (a cold standby's) from another (a restored copy): the two listings
 * are walked together in key order, every object missing from the target or different in size or
 * ETag is copied server-side (no bytes pass through this process), with many copies in flight.
 * A checkpoint records the key up to which everything is done, so a killed run continues there;
 * copies are idempotent, so an object copied twice is still one object. The run ends by listing
 * both sides again and comparing keys, sizes and ETags, and, where ETags cannot tell, checksums or
 * the bytes themselves.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { CheckpointWriter, finishRun } from '../checkpoint';
import type { ObjectStore } from '../store';
import { compareContent } from './compare-object';
import { copyObject, type CopyTarget } from './copy-object';
import { type ListedObject, listObjects, mergeByKey } from './listing';

export interface HydrateBucketOptions {
  /** Client for the source bucket (and the target, unless `targetClient` is given). */
  readonly client: S3Client;
  /** Client for the target bucket's Region; copies are sent there. */
  readonly targetClient?: S3Client;
  /** The bucket to read (the restored copy). */
  readonly source: string;
  /** The existing bucket to fill. */
  readonly target: string;
  /** Only keys under this prefix, on both sides. */
  readonly prefix?: string;
  /** Where the checkpoint and the final report go. */
  readonly state: ObjectStore;
  /**
   * Objects copied at once.
   * @default 32
   */
  readonly concurrency?: number;
  /** @default 5 GiB */
  readonly multipartThreshold?: number;
  /** @default 512 MiB */
  readonly partSize?: number;
  /**
   * List both sides again afterwards and compare every object.
   * @default true
   */
  readonly verify?: boolean;
  readonly onProgress?: (progress: BucketProgress) => void;
}

export interface BucketProgress {
  readonly phase: 'copy' | 'verify';
  /** Source objects handled (copied or found already there), or compared when verifying. */
  readonly objects: number;
  readonly copied: number;
  readonly bytesCopied: number;
}

export interface BucketVerification {
  readonly compared: number;
  readonly byEtag: number;
  readonly byChecksum: number;
  readonly byContent: number;
  /** First 20 keys of each problem, with the counts. */
  readonly missing: { count: number; keys: string[] };
  readonly sizeDiffers: { count: number; keys: string[] };
  readonly contentDiffers: { count: number; keys: string[] };
  readonly extra: { count: number; keys: string[] };
}

export interface HydrateBucketResult {
  readonly source: string;
  readonly target: string;
  readonly prefix: string;
  /** Counts over all runs of this hydration (from the checkpoint). */
  readonly copied: number;
  readonly multipart: number;
  readonly alreadyThere: number;
  readonly bytesCopied: number;
  readonly resumed: boolean;
  readonly verification?: BucketVerification;
  readonly verified?: boolean;
  readonly calls: Record<string, number>;
  readonly durationMs: { copy: number; verify: number };
  readonly report: string;
}

interface Checkpoint {
  readonly version: 1;
  readonly source: string;
  readonly target: string;
  readonly prefix: string;
  readonly startedAt: string;
  /** Every source key up to and including this one is done. */
  watermark?: string;
  copyDone: boolean;
  copied: number;
  multipart: number;
  alreadyThere: number;
  bytesCopied: number;
}

export function bucketStateFolder(source: string, target: string, prefix = ''): string {
  const safePrefix = prefix.replace(/[^A-Za-z0-9._-]/g, '_');
  return `s3/${source}--${target}${safePrefix ? `--${safePrefix}` : ''}`;
}

export async function hydrateBucket(options: HydrateBucketOptions): Promise<HydrateBucketResult> {
  const targetClient = options.targetClient ?? options.client;
  const prefix = options.prefix ?? '';
  const folder = bucketStateFolder(options.source, options.target, prefix);
  const checkpointKey = `${folder}/checkpoint.json`;
  if (options.source === options.target && !options.targetClient) throw new Error(`source and target are the same bucket (${options.source})`);
  const saved = await CheckpointWriter.load<Checkpoint>(options.state, checkpointKey);
  const checkpoint: Checkpoint = saved ?? {
    version: 1,
    source: options.source,
    target: options.target,
    prefix,
    startedAt: new Date().toISOString(),
    copyDone: false,
    copied: 0,
    multipart: 0,
    alreadyThere: 0,
    bytesCopied: 0,
  };
  const writer = new CheckpointWriter(options.state, checkpointKey, () => checkpoint);
  const calls: Record<string, number> = {};
  const count = (operation: string) => (calls[operation] = (calls[operation] ?? 0) + 1);
  const copyTarget: CopyTarget = {
    client: targetClient,
    sourceBucket: options.source,
    targetBucket: options.target,
    multipartThreshold: options.multipartThreshold,
    partSize: options.partSize,
    onCall: count,
  };
  const concurrency = options.concurrency ?? 32;

  const copyStart = performance.now();
  if (!checkpoint.copyDone) {
    await writer.save();
    let handled = 0;
    const progress = () => options.onProgress?.({ phase: 'copy', objects: handled, copied: checkpoint.copied, bytesCopied: checkpoint.bytesCopied });
    // Keys in listing order with whether each is done; the watermark advances over the done head.
    const order: { key: string; done: boolean }[] = [];
    const settle = (entry: { key: string; done: boolean }) => {
      entry.done = true;
      handled += 1;
      while (order.length > 0 && order[0].done) checkpoint.watermark = order.shift()!.key;
      void writer.save().catch(() => undefined);
      progress();
    };
    const running = new Set<Promise<void>>();
    let failure: unknown;
    const pairs = mergeByKey(
      listObjects({ client: options.client, bucket: options.source, prefix, startAfter: checkpoint.watermark, onCall: () => count('ListObjectsV2') }),
      listObjects({ client: targetClient, bucket: options.target, prefix, startAfter: checkpoint.watermark, onCall: () => count('ListObjectsV2') }),
    );
    for await (const pair of pairs) {
      if (failure !== undefined) break;
      if (!pair.source) continue;
      const entry = { key: pair.key, done: false };
      order.push(entry);
      if (sameListing(pair.source, pair.target)) {
        checkpoint.alreadyThere += 1;
        settle(entry);
        continue;
      }
      const source = pair.source;
      const copy = copyObject(source, copyTarget).then(
        (method) => {
          checkpoint.copied += 1;
          checkpoint.bytesCopied += source.size;
          if (method === 'multipart') checkpoint.multipart += 1;
          settle(entry);
        },
        (error: unknown) => {
          failure ??= new Error(`copying ${source.key}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        },
      );
      running.add(copy);
      void copy.finally(() => running.delete(copy));
      if (running.size >= concurrency) await Promise.race(running);
    }
    await Promise.all(running);
    await writer.save();
    if (failure !== undefined) throw failure;
    checkpoint.copyDone = true;
    await writer.save();
  }
  const copyMs = performance.now() - copyStart;

  const verifyStart = performance.now();
  const verification = options.verify === false ? undefined : await verifyBuckets(options, targetClient, prefix, count, concurrency);
  const verified = verification
    ? verification.missing.count === 0 && verification.sizeDiffers.count === 0 && verification.contentDiffers.count === 0 && verification.extra.count === 0
    : undefined;
  const result: HydrateBucketResult = {
    source: options.source,
    target: options.target,
    prefix,
    copied: checkpoint.copied,
    multipart: checkpoint.multipart,
    alreadyThere: checkpoint.alreadyThere,
    bytesCopied: checkpoint.bytesCopied,
    resumed: saved !== undefined,
    verification,
    verified,
    calls,
    durationMs: { copy: Math.round(copyMs), verify: Math.round(performance.now() - verifyStart) },
    report: `${options.state.location}/${folder}/report.json`,
  };
  await finishRun(options.state, folder, result, verified);
  return result;
}

function sameListing(source: ListedObject, target: ListedObject | undefined): boolean {
  return target !== undefined && target.size === source.size && target.etag === source.etag;
}

async function verifyBuckets(
  options: HydrateBucketOptions,
  targetClient: S3Client,
  prefix: string,
  count: (operation: string) => void,
  concurrency: number,
): Promise<BucketVerification> {
  const problems = () => ({ count: 0, keys: [] as string[] });
  const result = { compared: 0, byEtag: 0, byChecksum: 0, byContent: 0, missing: problems(), sizeDiffers: problems(), contentDiffers: problems(), extra: problems() };
  const note = (problem: { count: number; keys: string[] }, key: string) => {
    problem.count += 1;
    if (problem.keys.length < 20) problem.keys.push(key);
  };
  const running = new Set<Promise<void>>();
  const pairs = mergeByKey(
    listObjects({ client: options.client, bucket: options.source, prefix, onCall: () => count('ListObjectsV2') }),
    listObjects({ client: targetClient, bucket: options.target, prefix, onCall: () => count('ListObjectsV2') }),
  );
  const progress = () => options.onProgress?.({ phase: 'verify', objects: result.compared, copied: 0, bytesCopied: 0 });
  for await (const pair of pairs) {
    if (!pair.target) note(result.missing, pair.key);
    else if (!pair.source) note(result.extra, pair.key);
    else if (pair.source.size !== pair.target.size) note(result.sizeDiffers, pair.key);
    else if (pair.source.etag === pair.target.etag) result.byEtag += 1;
    else {
      const check = compareContent({ client: options.client, bucket: options.source }, { client: targetClient, bucket: options.target }, pair.key, count).then((outcome) => {
        if (outcome.by === 'checksum') result.byChecksum += 1;
        else result.byContent += 1;
        if (!outcome.equal) note(result.contentDiffers, pair.key);
      });
      running.add(check);
      void check.finally(() => running.delete(check)).catch(() => undefined);
      if (running.size >= Math.min(concurrency, 16)) await Promise.race(running);
    }
    if (pair.source && pair.target) result.compared += 1;
    progress();
  }
  await Promise.all(running);
  return result;
}
