/**
 * Hydrates an existing table (a cold standby's) from another (a restored copy): a parallel scan
 * of the source in segments, each page written with BatchWriteItem, a checkpoint per segment after
 * every page, and a verification that reads the target back (strongly consistent) and compares
 * its item count and order-independent checksum with the source's.
 *
 * In `sync` mode the target is made *equal* to the source, writing only the items that are
 * missing or differ and deleting what the source lacks; the run counts what it wrote, deleted and
 * left unchanged. By default each segment merges a scan of the target with a scan of the source
 * (segment-merge.ts); `syncMethod: 'by-key'` reads the other table by key instead, page by page
 * (segment-sync.ts), which is what a Lambda slice can stop and hand on at any page.
 *
 * Puts and deletes are idempotent by key, so a page done again after a resume changes nothing and
 * a killed run loses nothing: each pass of each segment continues after the last page its
 * checkpoint records.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CheckpointWriter, finishRun } from '../checkpoint';
import { SumDigest } from '../digest';
import { RateLimiter } from '../rate-limiter';
import type { ObjectStore } from '../store';
import type { ReadCounters } from './batch-reader';
import { newWriteCounters, type WriteCounters } from './batch-writer';
import { addChanges, copySegmentPages, NO_CHANGES, type SegmentPosition, START_OF_SEGMENT, type SyncChanges } from './segment-copy';
import { mergeSegment, mergeSegments } from './segment-merge';
import { syncSegmentPages } from './segment-sync';
import { HydrateRefusedError, preflight } from './preflight';
import { defaultSegments, digestTable, forEachSegment, keySchemaOf, type TableDigest } from './table-scan';

/** `copy` puts every source item; `sync` makes the target equal to the source (writes what differs, deletes what the source lacks). */
export type HydrateMode = 'copy' | 'sync';

/** How a sync compares the tables: `merge` scans both, `by-key` scans one and reads the other by key. */
export type SyncMethod = 'merge' | 'by-key';

export interface HydrateTableOptions {
  /** Client for the source table (and the target, unless `targetClient` is given). */
  readonly client: DynamoDBClient;
  /** Client for the target table, when it is in another Region or account. */
  readonly targetClient?: DynamoDBClient;
  /** The table to read (the restored copy). */
  readonly source: string;
  /** The existing table to fill (the cold standby's), or to make equal to the source (`sync`). */
  readonly target: string;
  /**
   * `copy` puts every source item into the target; `sync` writes only what differs and deletes
   * the target's items the source lacks.
   * @default 'copy'
   */
  readonly mode?: HydrateMode;
  /**
   * How a sync compares the tables: `merge` scans each segment of both tables (fewer, larger
   * reads; an interrupted segment is done again from its start); `by-key` scans one table and
   * reads the other by key with BatchGetItem (a checkpoint after every page).
   * @default 'merge'
   */
  readonly syncMethod?: SyncMethod;
  /** Where the checkpoint and the final report go. */
  readonly state: ObjectStore;
  /**
   * Scan segments.
   * @default one per 128 MiB of the source's size, at least `concurrency`, at most 1,000; a merge sync one per 20,000 items of the source
   */
  readonly segments?: number;
  /**
   * Segments copied at once.
   * @default 8
   */
  readonly concurrency?: number;
  /** Caps writes to this many write capacity units per second, across all segments. */
  readonly maxWriteUnits?: number;
  /**
   * Writes into a target that already holds items (they are overwritten by key, never deleted).
   * A sync needs no such permission: changing a non-empty target is what it is for.
   * @default false — a target with items is refused unless a checkpoint shows this run filled them
   */
  readonly overwrite?: boolean;
  /**
   * Reads the target back and compares count and checksum with the source's.
   * @default true
   */
  readonly verify?: boolean;
  /** Items per scan page (DynamoDB's 1 MB page limit applies either way). */
  readonly pageLimit?: number;
  readonly onProgress?: (progress: HydrateProgress) => void;
}

export interface HydrateProgress {
  readonly phase: 'copy' | 'sync' | 'verify';
  /** Source items handled (read back, in the verify phase). */
  readonly items: number;
  /** A sync's changes so far. */
  readonly changes?: SyncChanges;
  /** DescribeTable's item count for the source (AWS updates it about every six hours). */
  readonly estimatedItems: number;
  readonly segmentsDone: number;
  readonly totalSegments: number;
}

export interface HydrateTableResult {
  readonly mode: HydrateMode;
  /** A sync's method. */
  readonly syncMethod?: SyncMethod;
  readonly source: string;
  readonly target: string;
  /** A sync's changes to the target (across all runs, from the checkpoint). */
  readonly changes?: SyncChanges;
  /** Count and checksum of every source item read (across all runs, from the checkpoint). */
  readonly sourceDigest: TableDigest;
  /** Count and checksum of the target read back; undefined when verification was skipped. */
  readonly targetDigest?: TableDigest;
  /** True when the target's count and checksum equal the source's. */
  readonly verified?: boolean;
  /** True when this run continued from a checkpoint. */
  readonly resumed: boolean;
  readonly totalSegments: number;
  readonly calls: { scan: number; batchWrite: number; unprocessedRetries: number; batchGet: number; unprocessedKeyRetries: number; verifyScan: number };
  readonly durationMs: { copy: number; verify: number };
  /** Where the report was written. */
  readonly report: string;
}

interface Checkpoint {
  readonly version: 1;
  /** Absent in checkpoints of copies. */
  readonly mode?: HydrateMode;
  /** Absent in checkpoints of copies, and of syncs from before merges (they were by key). */
  readonly syncMethod?: SyncMethod;
  readonly source: string;
  readonly target: string;
  readonly totalSegments: number;
  readonly startedAt: string;
  copyDone: boolean;
  /** Per segment: the copy, a merge sync, or a by-key sync's upsert pass. */
  readonly segments: SegmentPosition[];
  /** Per segment: a by-key sync's prune pass. */
  readonly prune?: SegmentPosition[];
}

const MAX_SEGMENTS = 10_000;

export function stateFolder(source: string, target: string): string {
  return `dynamodb/${source}--${target}`;
}

export async function hydrateTable(options: HydrateTableOptions): Promise<HydrateTableResult> {
  const targetClient = options.targetClient ?? options.client;
  const mode = options.mode ?? 'copy';
  const concurrency = options.concurrency ?? 8;
  const folder = stateFolder(options.source, options.target);
  const checkpointKey = `${folder}/checkpoint.json`;
  const calls = { scan: 0, batchWrite: 0, unprocessedRetries: 0, batchGet: 0, unprocessedKeyRetries: 0, verifyScan: 0 };

  const saved = await CheckpointWriter.load<Checkpoint>(options.state, checkpointKey);
  const { sourceTable, problems } = await preflight({
    sourceClient: options.client,
    targetClient,
    source: options.source,
    target: options.target,
    sameClient: !options.targetClient,
    requireEmpty: mode === 'copy' && !saved && !options.overwrite,
  });
  if (saved && (saved.mode ?? 'copy') !== mode) {
    problems.push(`an unfinished ${saved.mode ?? 'copy'} from ${options.source} to ${options.target} is checkpointed in ${options.state.location}/${folder}; finish it with the same mode, or remove its checkpoint.json to start a ${mode}`);
  }
  if (problems.length > 0) throw new HydrateRefusedError(problems);
  const keyNames = keySchemaOf(sourceTable).map((key) => key.name);
  // A checkpoint's method wins: its positions mean what that method made of them.
  const syncMethod: SyncMethod | undefined = mode === 'sync' ? (saved ? (saved.syncMethod ?? 'by-key') : (options.syncMethod ?? 'merge')) : undefined;

  const totalSegments =
    saved?.totalSegments ??
    options.segments ??
    (syncMethod === 'merge' ? Math.max(mergeSegments(sourceTable.ItemCount ?? 0, concurrency), defaultSegments(sourceTable.TableSizeBytes ?? 0, concurrency)) : defaultSegments(sourceTable.TableSizeBytes ?? 0, concurrency));
  // Every segment's position is in the checkpoint, which is written after every page.
  if (!Number.isInteger(totalSegments) || totalSegments < 1 || totalSegments > MAX_SEGMENTS) throw new HydrateRefusedError([`segments must be a whole number from 1 to ${MAX_SEGMENTS.toLocaleString('en')}, got ${totalSegments}`]);
  const checkpoint: Checkpoint = saved ?? {
    version: 1,
    mode,
    ...(syncMethod ? { syncMethod } : {}),
    source: options.source,
    target: options.target,
    totalSegments,
    startedAt: new Date().toISOString(),
    copyDone: false,
    segments: Array.from({ length: totalSegments }, () => ({ ...START_OF_SEGMENT })),
    ...(syncMethod === 'by-key' ? { prune: Array.from({ length: totalSegments }, () => ({ ...START_OF_SEGMENT })) } : {}),
  };
  // Tasks 0..n-1 are the segments' copies (or upsert passes), n..2n-1 a sync's prune passes.
  const positions = [...checkpoint.segments, ...(checkpoint.prune ?? [])];
  const setPosition = (task: number, position: SegmentPosition) => {
    if (task < totalSegments) checkpoint.segments[task] = position;
    else checkpoint.prune![task - totalSegments] = position;
    positions[task] = position;
  };
  const writer = new CheckpointWriter(options.state, checkpointKey, () => checkpoint);
  const estimatedItems = sourceTable.ItemCount ?? 0;
  // A merge segment's items count in its checkpoint position once the segment is done; until then here.
  const merging = new Map<number, number>();
  const copied = () => checkpoint.segments.reduce((sum, segment) => sum + segment.items, 0) + [...merging.values()].reduce((sum, items) => sum + items, 0);
  const segmentsDone = () => checkpoint.segments.filter((segment, index) => segment.done && (checkpoint.prune?.[index].done ?? true)).length;
  const changes = () => (mode === 'sync' ? positions.reduce((sum, position) => addChanges(sum, position.changes ?? NO_CHANGES), NO_CHANGES) : undefined);
  const report = (phase: HydrateProgress['phase'], items: number) => options.onProgress?.({ phase, items, changes: changes(), estimatedItems, segmentsDone: segmentsDone(), totalSegments });

  const counters: WriteCounters = newWriteCounters();
  const readCounters: ReadCounters = { batchGetCalls: 0, unprocessedKeyRetries: 0 };
  const writeLimiter = options.maxWriteUnits ? new RateLimiter(options.maxWriteUnits) : undefined;
  const copyStart = performance.now();
  if (!checkpoint.copyDone) {
    await writer.save();
    const pending = positions.flatMap((position, task) => (position.done ? [] : [task]));
    report(mode, copied());
    // A failed segment stops the others after their current page, so the checkpoint is recent.
    let stopping = false;
    try {
      await forEachSegment(
        positions.length,
        concurrency,
        async (task) => {
          try {
            await runTask(task);
          } catch (error) {
            stopping = true;
            throw error;
          }
        },
        pending,
      );
    } finally {
      calls.batchWrite = counters.batchWriteCalls;
      calls.unprocessedRetries = counters.unprocessedRetries;
      calls.batchGet = readCounters.batchGetCalls;
      calls.unprocessedKeyRetries = readCounters.unprocessedKeyRetries;
      await writer.save().catch(() => undefined);
    }
    checkpoint.copyDone = true;
    await writer.save();

    async function runTask(task: number): Promise<void> {
      const shared = {
        sourceClient: options.client,
        targetClient,
        source: options.source,
        target: options.target,
        segment: task % totalSegments,
        totalSegments,
        pageLimit: options.pageLimit,
        writeLimiter,
        onScan: () => (calls.scan += 1),
        onPage: async (position: SegmentPosition) => {
          setPosition(task, position);
          await writer.save();
          report(mode, copied());
        },
        shouldStop: () => stopping,
      };
      if (mode === 'copy') await copySegmentPages({ ...shared, counters }, positions[task]);
      else if (syncMethod === 'merge') {
        const onItems = (items: number) => {
          merging.set(task, items);
          report(mode, copied());
        };
        const position = await mergeSegment({ ...shared, keyNames, writeCounters: counters, readCounters, onItems });
        merging.delete(task);
        await shared.onPage(position);
      } else await syncSegmentPages({ ...shared, keyNames, pass: task < totalSegments ? 'upsert' : 'prune', writeCounters: counters, readCounters }, positions[task]);
    }
  }
  const copyMs = performance.now() - copyStart;

  const sourceDigest = checkpoint.segments.reduce((total, segment) => total.merge(new SumDigest(segment.digest, segment.items)), new SumDigest());
  const verifyStart = performance.now();
  let targetDigest: TableDigest | undefined;
  if (options.verify !== false) {
    let read = 0;
    targetDigest = await digestTable(targetClient, options.target, {
      totalSegments,
      concurrency,
      consistentRead: true,
      onItems: (count) => report('verify', (read += count)),
      onCall: () => (calls.verifyScan += 1),
    });
  }
  const verified = targetDigest ? targetDigest.items === sourceDigest.count && targetDigest.digest === sourceDigest.hex : undefined;
  const result: HydrateTableResult = {
    mode,
    ...(syncMethod ? { syncMethod } : {}),
    source: options.source,
    target: options.target,
    ...(mode === 'sync' ? { changes: changes() } : {}),
    sourceDigest: { items: sourceDigest.count, digest: sourceDigest.hex },
    targetDigest,
    verified,
    resumed: saved !== undefined,
    totalSegments,
    calls,
    durationMs: { copy: Math.round(copyMs), verify: Math.round(performance.now() - verifyStart) },
    report: `${options.state.location}/${folder}/report.json`,
  };
  await finishRun(options.state, folder, result, verified);
  return result;
}

export { HydrateRefusedError, preflight } from './preflight';
