/**
 * The hydration as steps of a Step Functions state machine, for tables past one machine: plan
 * (checks and segments), copy a slice of one segment, checksum a slice of one target segment, and
 * verify the totals. Each slice runs until its time is nearly up and returns its position; the
 * state machine calls it again from there. The checksums are sums, so per-segment results add up
 * to the whole table's however the segments were cut.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SumDigest } from '../digest';
import { RateLimiter } from '../rate-limiter';
import { HydrateRefusedError, preflight } from './preflight';
import { defaultSegments } from './table-scan';
import { copySegmentPages, type SegmentPosition, START_OF_SEGMENT } from './segment-copy';
import { type SyncPass, syncSegmentPages } from './segment-sync';

export interface HydrationJob {
  readonly source: string;
  readonly target: string;
  /** @default one per 128 MiB of the source, at least 16, at most `maxSegments` */
  readonly segments?: number;
  /** Write capacity units per second for each segment's slice. */
  readonly maxWriteUnitsPerSegment?: number;
  readonly overwrite?: boolean;
}

export interface SegmentTask {
  readonly source: string;
  readonly target: string;
  /** `copy` (the default) puts the source's items; `upsert` and `prune` are a sync's two passes (segment-sync.ts). */
  readonly pass?: 'copy' | SyncPass;
  /** The key attribute names, for the sync passes. */
  readonly keyNames?: readonly string[];
  readonly segment: number;
  readonly totalSegments: number;
  readonly maxWriteUnitsPerSegment?: number;
  /** Absent on the first slice. */
  readonly position?: SegmentPosition;
}

export interface HydrationPlan {
  readonly source: string;
  readonly target: string;
  readonly totalSegments: number;
  /** 0 for no cap. */
  readonly maxWriteUnitsPerSegment: number;
  /** Segment numbers only: the state machine adds the rest to each item, keeping the state small. */
  readonly segments: { segment: number }[];
}

/** Distributed Map items are listed in the state, whose size is limited; this keeps the list small. */
export const MAX_STATE_MACHINE_SEGMENTS = 1_000;

export async function planHydration(client: DynamoDBClient, job: HydrationJob): Promise<HydrationPlan> {
  const { sourceTable, problems } = await preflight({ sourceClient: client, targetClient: client, source: job.source, target: job.target, sameClient: true, requireEmpty: !job.overwrite });
  const totalSegments = job.segments ?? Math.min(MAX_STATE_MACHINE_SEGMENTS, defaultSegments(sourceTable.TableSizeBytes ?? 0, 16));
  if (!Number.isInteger(totalSegments) || totalSegments < 1 || totalSegments > MAX_STATE_MACHINE_SEGMENTS) problems.push(`segments must be a whole number from 1 to ${MAX_STATE_MACHINE_SEGMENTS}, got ${totalSegments}`);
  if (problems.length > 0) throw new HydrateRefusedError(problems);
  return {
    source: job.source,
    target: job.target,
    totalSegments,
    maxWriteUnitsPerSegment: job.maxWriteUnitsPerSegment ?? 0,
    segments: Array.from({ length: totalSegments }, (_, segment) => ({ segment })),
  };
}

export interface SliceResult extends SegmentTask {
  readonly position: SegmentPosition;
  readonly done: boolean;
}

/**
 * Copies one segment (runs a sync pass over it, or, with `readOnly`, checksums the target's segment) from the task's position
 * until the segment ends or `remainingMs()` falls below `reserveMs`.
 */
export async function runSlice(client: DynamoDBClient, task: SegmentTask, remainingMs: () => number, options: { readOnly?: boolean; reserveMs?: number; pageLimit?: number } = {}): Promise<SliceResult> {
  const reserve = options.reserveMs ?? 60_000;
  const shouldStop = () => remainingMs() < reserve;
  const writeLimiter = task.maxWriteUnitsPerSegment ? new RateLimiter(task.maxWriteUnitsPerSegment) : undefined;
  if (!options.readOnly && (task.pass === 'upsert' || task.pass === 'prune')) {
    if (!task.keyNames?.length) throw new Error(`a ${task.pass} slice needs the table's key names`);
    const position = await syncSegmentPages(
      {
        sourceClient: client,
        targetClient: client,
        source: task.source,
        target: task.target,
        keyNames: task.keyNames,
        pass: task.pass,
        segment: task.segment,
        totalSegments: task.totalSegments,
        pageLimit: options.pageLimit,
        writeLimiter,
        shouldStop,
      },
      task.position ?? START_OF_SEGMENT,
    );
    return { ...task, position, done: position.done };
  }
  const position = await copySegmentPages(
    {
      sourceClient: client,
      targetClient: client,
      source: options.readOnly ? task.target : task.source,
      target: options.readOnly ? undefined : task.target,
      segment: task.segment,
      totalSegments: task.totalSegments,
      consistentRead: options.readOnly,
      pageLimit: options.pageLimit,
      writeLimiter,
      shouldStop,
    },
    task.position ?? START_OF_SEGMENT,
  );
  return { ...task, position, done: position.done };
}

export interface HydrationVerdict {
  readonly source: string;
  readonly target: string;
  readonly sourceItems: number;
  readonly targetItems: number;
  readonly sourceDigest: string;
  readonly targetDigest: string;
  readonly verified: boolean;
}

/** Adds up the segments' counts and checksums of both tables and compares them. */
export function verifyHydration(copied: readonly Pick<SliceResult, 'position'>[], readBack: readonly Pick<SliceResult, 'position'>[], names: { source: string; target: string }): HydrationVerdict {
  const total = (results: readonly Pick<SliceResult, 'position'>[]) => results.reduce((sum, result) => sum.merge(new SumDigest(result.position.digest, result.position.items)), new SumDigest());
  const source = total(copied);
  const target = total(readBack);
  return {
    ...names,
    sourceItems: source.count,
    targetItems: target.count,
    sourceDigest: source.hex,
    targetDigest: target.hex,
    verified: source.count === target.count && source.hex === target.hex,
  };
}
