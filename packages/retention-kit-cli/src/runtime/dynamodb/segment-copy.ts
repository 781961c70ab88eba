/**
 * One segment's share of a hydration, page by page, from a position to the segment's end or
 * until told to stop. The CLI (hydrate-table.ts) runs it per segment with a checkpoint after each
 * page; the Step Functions worker runs it until its Lambda time is nearly up and hands the position
 * on. Both keep the segment's count and order-independent checksum with the position, so a slice
 * that continues another ends with the same totals as one run from the start.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SumDigest } from '../digest';
import type { RateLimiter } from '../rate-limiter';
import { putItems, type WriteCounters } from './batch-writer';
import { canonicalItem, type Item } from './item';
import { decodeKey, encodeKey, scanSegment } from './table-scan';

/** Where a segment stands: JSON-safe, so it fits a checkpoint file or a state machine's state. */
export interface SegmentPosition {
  /** Continue after this key; absent at the start and after the end. */
  lastKey?: Record<string, Record<string, string>>;
  done: boolean;
  items: number;
  /** SumDigest hex of the items so far. */
  digest: string;
  /** What a sync pass changed in the target so far (see segment-sync.ts). */
  changes?: SyncChanges;
}

/** A sync's changes to the target: items written (missing or different), deleted, and left as they were. */
export interface SyncChanges {
  written: number;
  deleted: number;
  unchanged: number;
}

export const NO_CHANGES: SyncChanges = Object.freeze({ written: 0, deleted: 0, unchanged: 0 });

export function addChanges(a: SyncChanges, b: Partial<SyncChanges>): SyncChanges {
  return { written: a.written + (b.written ?? 0), deleted: a.deleted + (b.deleted ?? 0), unchanged: a.unchanged + (b.unchanged ?? 0) };
}

export const START_OF_SEGMENT: SegmentPosition = Object.freeze({ done: false, items: 0, digest: '0' });

export interface SegmentCopy {
  readonly sourceClient: DynamoDBClient;
  readonly targetClient: DynamoDBClient;
  readonly source: string;
  /** Omitted to read only (a checksum of the source or target segment). */
  readonly target?: string;
  readonly segment: number;
  readonly totalSegments: number;
  readonly consistentRead?: boolean;
  readonly pageLimit?: number;
  /** Scan only these attributes (the key, for a pass that needs nothing else). */
  readonly attributes?: readonly string[];
  /** Handles each page instead of putting its items into `target` (a sync pass compares first); `texts` are the items' canonical forms. */
  readonly handlePage?: (items: Item[], texts: string[]) => Promise<Partial<SyncChanges>>;
  readonly writeLimiter?: RateLimiter;
  readonly counters?: WriteCounters;
  readonly onScan?: () => void;
  /** Called after each page is written, with the new position (the caller saves it). */
  readonly onPage?: (position: SegmentPosition) => Promise<void>;
  /** Asked after each page; true ends the slice early with the position so far. */
  readonly shouldStop?: () => boolean;
}

/** Copies (or reads) the segment from `from`; resolves with the position reached. */
export async function copySegmentPages(copy: SegmentCopy, from: SegmentPosition): Promise<SegmentPosition> {
  if (from.done) return from;
  const digest = new SumDigest(from.digest, from.items);
  let position: SegmentPosition = { ...from };
  const pages = scanSegment({
    client: copy.sourceClient,
    table: copy.source,
    segment: copy.segment,
    totalSegments: copy.totalSegments,
    startKey: from.lastKey ? decodeKey(from.lastKey) : undefined,
    consistentRead: copy.consistentRead,
    pageLimit: copy.pageLimit,
    attributes: copy.attributes,
    onCall: copy.onScan,
  });
  for await (const page of pages) {
    // A copy's writes are sent first, so the checksum is computed while DynamoDB works on them.
    const written = !copy.handlePage && copy.target ? putItems(page.items, { client: copy.targetClient, table: copy.target, writeLimiter: copy.writeLimiter, counters: copy.counters }) : undefined;
    // Computed once: the checksum and a sync's comparison both need them.
    const texts = page.items.map(canonicalItem);
    for (const text of texts) digest.add(text);
    let changes = position.changes;
    if (copy.handlePage) changes = addChanges(position.changes ?? NO_CHANGES, await copy.handlePage(page.items, texts));
    await written;
    position = { lastKey: page.lastKey ? encodeKey(page.lastKey) : undefined, done: page.lastKey === undefined, items: digest.count, digest: digest.hex, ...(changes ? { changes } : {}) };
    await copy.onPage?.(position);
    if (copy.shouldStop?.()) break;
  }
  return position;
}
