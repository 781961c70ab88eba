/**
 * A sync of one segment by merging two scans, the method the CLI runs by default: the target's
 * segment is scanned (strongly consistent) into a map of key to the item's SHA-256, then the
 * source's segment is scanned page by page and each item compared with the map. Items that differ
 * or are missing are put; keys left in the map are what the source's segment lacks.
 *
 * DynamoDB assigns a parallel scan's segments by a hash of the partition key, so the same key
 * falls in the same segment of both tables, and scans cost less per item than reads by key (a
 * 1 MB page against 100 keys a call). That assignment is not documented to agree between tables,
 * so nothing is deleted on its strength: a leftover key is deleted only when a strongly consistent
 * read by key finds it missing from the source. A source item whose key fell in another segment of
 * the target is put unread, which leaves the target as the source has it either way.
 *
 * The map holds a key and a hash per item of one segment, so the sync sizes segments by item
 * count (`mergeSegments`). A segment is one step of the checkpoint: an interrupted segment is done
 * again from its start, and puts and deletes are idempotent, so it ends with the same counts.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SumDigest, sha256Hex, sha256Prefix } from '../digest';
import type { RateLimiter } from '../rate-limiter';
import { getItems, keyText, type ReadCounters } from './batch-reader';
import { deleteItems, putItems, type WriteCounters } from './batch-writer';
import { canonicalItem, type Item, keyFromCanonical } from './item';
import { addChanges, NO_CHANGES, type SegmentPosition } from './segment-copy';
import { scanSegment } from './table-scan';

export interface SegmentMerge {
  readonly sourceClient: DynamoDBClient;
  readonly targetClient: DynamoDBClient;
  readonly source: string;
  readonly target: string;
  /** The key attribute names of both tables (partition key first). */
  readonly keyNames: readonly string[];
  readonly segment: number;
  readonly totalSegments: number;
  readonly pageLimit?: number;
  readonly writeLimiter?: RateLimiter;
  readonly writeCounters?: WriteCounters;
  readonly readCounters?: ReadCounters;
  readonly onScan?: () => void;
  /** Source items handled so far in this segment, after each page (for progress; not a checkpoint). */
  readonly onItems?: (items: number) => void;
}

/** Bytes of an item's SHA-256 the map keeps: 128 bits. */
const HELD_HASH_BYTES = 16;

/** Items per segment a merge aims at: the map of one segment stays a few MB. */
export const MERGE_SEGMENT_ITEMS = 20_000;

/** Segments for a merge sync of a table this large: about `MERGE_SEGMENT_ITEMS` items each, at least one per worker. */
export function mergeSegments(itemCount: number, concurrency: number): number {
  return Math.min(1_000_000, Math.max(concurrency, Math.ceil(itemCount / MERGE_SEGMENT_ITEMS)));
}

/** Makes the target's share of one segment equal to the source's; resolves with the segment done. */
export async function mergeSegment(merge: SegmentMerge): Promise<SegmentPosition> {
  const scan = { segment: merge.segment, totalSegments: merge.totalSegments, pageLimit: merge.pageLimit, onCall: merge.onScan };
  // Key text to the first 128 bits of the item's SHA-256: about 150 bytes an item, so that a
  // million-item sync holds its segments in a capped heap. A change that kept those bits would be
  // left unwritten, and the verification's full checksums would then tell.
  const held = new Map<string, string>();
  for await (const page of scanSegment({ ...scan, client: merge.targetClient, table: merge.target, consistentRead: true })) {
    for (const item of page.items) held.set(keyText(item, merge.keyNames), sha256Prefix(canonicalItem(item), HELD_HASH_BYTES));
  }

  const digest = new SumDigest();
  let changes = NO_CHANGES;
  for await (const page of scanSegment({ ...scan, client: merge.sourceClient, table: merge.source })) {
    const differing: Item[] = [];
    for (const item of page.items) {
      const hash = sha256Hex(canonicalItem(item));
      digest.addHash(hash);
      const key = keyText(item, merge.keyNames);
      if (held.get(key) !== hash.slice(0, HELD_HASH_BYTES * 2)) differing.push(item);
      held.delete(key);
    }
    await putItems(differing, { client: merge.targetClient, table: merge.target, writeLimiter: merge.writeLimiter, counters: merge.writeCounters });
    changes = addChanges(changes, { written: differing.length, unchanged: page.items.length - differing.length });
    merge.onItems?.(digest.count);
  }

  // What is left the source's segment lacks; the source may still hold it in another segment.
  const leftovers = [...held.keys()].map(keyFromCanonical);
  const present = await getItems(leftovers, { client: merge.sourceClient, table: merge.source, keyNames: merge.keyNames, keysOnly: true, counters: merge.readCounters });
  const extra = leftovers.filter((key) => !present.has(keyText(key, merge.keyNames)));
  await deleteItems(extra, { client: merge.targetClient, table: merge.target, writeLimiter: merge.writeLimiter, counters: merge.writeCounters });
  return { done: true, items: digest.count, digest: digest.hex, changes: addChanges(changes, { deleted: extra.length }) };
}
