/**
 * Bucket listings as sorted streams, and a merge of two of them by key: S3 lists keys in the
 * binary order of their UTF-8 bytes, so both sides are compared in that order (not JavaScript's
 * UTF-16 order, which differs for characters outside the Basic Multilingual Plane).
 */
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
}

export interface ListOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix?: string;
  /** Start after this key (from a checkpoint). */
  readonly startAfter?: string;
  readonly onCall?: () => void;
}

/**
 * The objects in key order. The next page is asked for as soon as a page arrives, so the work on
 * one page's keys (copies, comparisons) never waits for the listing.
 */
export async function* listObjects(options: ListOptions): AsyncGenerator<ListedObject> {
  const pages = paginateListObjectsV2({ client: options.client }, { Bucket: options.bucket, Prefix: options.prefix || undefined, StartAfter: options.startAfter })[Symbol.asyncIterator]();
  let next = pages.next();
  for (;;) {
    const page = await next;
    if (page.done) return;
    next = pages.next();
    // A rejected read-ahead is raised when it is awaited, not as an unhandled rejection meanwhile.
    next.catch(() => undefined);
    options.onCall?.();
    for (const object of page.value.Contents ?? []) yield { key: object.Key!, size: object.Size ?? 0, etag: object.ETag ?? '' };
  }
}

export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** One key of the merge: in the source, the target, or both. */
export interface KeyPair {
  readonly key: string;
  readonly source?: ListedObject;
  readonly target?: ListedObject;
}

/** Walks two sorted listings together, pairing equal keys. */
export async function* mergeByKey(source: AsyncIterable<ListedObject>, target: AsyncIterable<ListedObject>): AsyncGenerator<KeyPair> {
  const left = source[Symbol.asyncIterator]();
  const right = target[Symbol.asyncIterator]();
  let a = await left.next();
  let b = await right.next();
  while (!a.done || !b.done) {
    const order = a.done ? 1 : b.done ? -1 : compareKeys(a.value.key, b.value.key);
    if (order === 0) {
      yield { key: a.value!.key, source: a.value, target: b.value };
      [a, b] = await Promise.all([left.next(), right.next()]);
    } else if (order < 0) {
      yield { key: a.value!.key, source: a.value };
      a = await left.next();
    } else {
      yield { key: b.value!.key, target: b.value };
      b = await right.next();
    }
  }
}
