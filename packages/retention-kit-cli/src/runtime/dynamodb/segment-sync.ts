/**
 * The two passes that make a target table equal to a source, one segment at a time:
 *
 * - **upsert** scans the source and reads the same keys from the target (strongly consistent);
 *   items that are missing or differ are put, the rest are counted as unchanged;
 * - **prune** scans the target's keys and asks the source for them; keys the source lacks are
 *   deleted from the target.
 *
 * Neither pass relies on both tables splitting their scan segments the same way: every decision
 * is made from a read by key. The passes touch disjoint keys (upsert only keys the source has,
 * prune only keys it lacks), so they run at the same time; each is idempotent, so a page done
 * again after a resume changes nothing more.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RateLimiter } from '../rate-limiter';
import { getItems, keyText, type ReadCounters } from './batch-reader';
import { deleteItems, putItems, type WriteCounters } from './batch-writer';
import { canonicalItem, type Item, keyOf } from './item';
import { copySegmentPages, type SegmentPosition, START_OF_SEGMENT, type SyncChanges } from './segment-copy';

export type SyncPass = 'upsert' | 'prune';

export interface SegmentSync {
  readonly sourceClient: DynamoDBClient;
  readonly targetClient: DynamoDBClient;
  readonly source: string;
  readonly target: string;
  /** The key attribute names of both tables (partition key first). */
  readonly keyNames: readonly string[];
  readonly pass: SyncPass;
  readonly segment: number;
  readonly totalSegments: number;
  readonly pageLimit?: number;
  readonly writeLimiter?: RateLimiter;
  readonly writeCounters?: WriteCounters;
  readonly readCounters?: ReadCounters;
  readonly onScan?: () => void;
  readonly onPage?: (position: SegmentPosition) => Promise<void>;
  readonly shouldStop?: () => boolean;
}

/** Runs one pass over one segment from `from`; resolves with the position reached. */
export function syncSegmentPages(sync: SegmentSync, from: SegmentPosition = START_OF_SEGMENT): Promise<SegmentPosition> {
  const upsert = sync.pass === 'upsert';
  return copySegmentPages(
    {
      // The pass scans the table whose items it acts on: the source's to write, the target's to delete.
      sourceClient: upsert ? sync.sourceClient : sync.targetClient,
      targetClient: sync.targetClient,
      source: upsert ? sync.source : sync.target,
      segment: sync.segment,
      totalSegments: sync.totalSegments,
      // The target may have been written a moment ago (by a page of this run, or by the application).
      consistentRead: !upsert,
      attributes: upsert ? undefined : sync.keyNames,
      pageLimit: sync.pageLimit,
      handlePage: (items, texts) => (upsert ? upsertPage(items, sync, texts) : prunePage(items, sync)),
      onScan: sync.onScan,
      onPage: sync.onPage,
      shouldStop: sync.shouldStop,
    },
    from,
  );
}

/** Puts the source items the target lacks or holds differently. */
export async function upsertPage(items: readonly Item[], sync: Omit<SegmentSync, 'pass' | 'segment' | 'totalSegments'>, texts: readonly string[] = items.map(canonicalItem)): Promise<Partial<SyncChanges>> {
  const existing = await getItems(items, { client: sync.targetClient, table: sync.target, keyNames: sync.keyNames, counters: sync.readCounters });
  const differing = items.filter((item, index) => {
    const current = existing.get(keyText(item, sync.keyNames));
    return current === undefined || canonicalItem(current) !== texts[index];
  });
  await putItems(differing, { client: sync.targetClient, table: sync.target, writeLimiter: sync.writeLimiter, counters: sync.writeCounters });
  return { written: differing.length, unchanged: items.length - differing.length };
}

/** Deletes the target keys the source does not have. */
export async function prunePage(keys: readonly Item[], sync: Omit<SegmentSync, 'pass' | 'segment' | 'totalSegments'>): Promise<Partial<SyncChanges>> {
  const present = await getItems(keys, { client: sync.sourceClient, table: sync.source, keyNames: sync.keyNames, keysOnly: true, counters: sync.readCounters });
  const extra = keys.filter((key) => !present.has(keyText(key, sync.keyNames))).map((key) => keyOf(key, sync.keyNames));
  await deleteItems(extra, { client: sync.targetClient, table: sync.target, writeLimiter: sync.writeLimiter, counters: sync.writeCounters });
  return { deleted: extra.length };
}
