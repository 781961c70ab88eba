/**
 * Writes items with BatchWriteItem: 25 per call, several calls in flight, unprocessed items sent
 * again with capped exponential backoff and full jitter (as AWS recommends), and an optional cap
 * on write capacity units per second shared by every writer of the run.
 */
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { RateLimiter } from '../rate-limiter';
import { type Item, writeUnits } from './item';

/** BatchWriteItem's limit on requests per call. */
export const BATCH_WRITE_LIMIT = 25;

export interface BatchWriterOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
  /** Caps write capacity units per second across every writer sharing it. */
  readonly writeLimiter?: RateLimiter;
  /**
   * Calls of one page's writes in flight at once.
   * @default 4
   */
  readonly parallelCalls?: number;
  /**
   * Rounds of unprocessed-item retries without any progress before the write fails.
   * @default 12
   */
  readonly maxRoundsWithoutProgress?: number;
  /** Counts calls, for the summary. */
  readonly counters?: WriteCounters;
  /** Waits between rounds; tests pass one that does not sleep. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface WriteCounters {
  batchWriteCalls: number;
  unprocessedRetries: number;
  itemsWritten: number;
}

export function newWriteCounters(): WriteCounters {
  return { batchWriteCalls: 0, unprocessedRetries: 0, itemsWritten: 0 };
}

const BASE_DELAY_MS = 50;
const MAX_DELAY_MS = 5_000;

/** Puts every item; resolves once DynamoDB has accepted all of them. */
export function putItems(items: readonly Item[], options: BatchWriterOptions): Promise<void> {
  return writeAll(
    items.map((item) => ({ PutRequest: { Item: item } })),
    options,
  );
}

/** Deletes every item by key (deleting a key that is not there is not an error). */
export function deleteItems(keys: readonly Item[], options: BatchWriterOptions): Promise<void> {
  return writeAll(
    keys.map((key) => ({ DeleteRequest: { Key: key } })),
    options,
  );
}

async function writeAll(requests: WriteRequest[], options: BatchWriterOptions): Promise<void> {
  const chunks: WriteRequest[][] = [];
  for (let start = 0; start < requests.length; start += BATCH_WRITE_LIMIT) chunks.push(requests.slice(start, start + BATCH_WRITE_LIMIT));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < chunks.length) await writeChunk(chunks[next++], options);
  };
  await Promise.all(Array.from({ length: Math.min(options.parallelCalls ?? 4, chunks.length) }, worker));
}

/** Sends one batch of write requests until none is left unprocessed. */
export async function writeChunk(requests: WriteRequest[], options: BatchWriterOptions): Promise<void> {
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const maxRounds = options.maxRoundsWithoutProgress ?? 12;
  let pending = requests;
  let roundsWithoutProgress = 0;
  let round = 0;
  while (pending.length > 0) {
    if (options.writeLimiter) await options.writeLimiter.acquire(pending.reduce((sum, request) => sum + requestUnits(request), 0));
    const response = await options.client.send(new BatchWriteItemCommand({ RequestItems: { [options.table]: pending } }));
    if (options.counters) options.counters.batchWriteCalls += 1;
    const unprocessed = response.UnprocessedItems?.[options.table] ?? [];
    if (options.counters) options.counters.itemsWritten += pending.length - unprocessed.length;
    if (unprocessed.length === 0) return;
    if (options.counters) options.counters.unprocessedRetries += 1;
    roundsWithoutProgress = unprocessed.length < pending.length ? 0 : roundsWithoutProgress + 1;
    if (roundsWithoutProgress >= maxRounds) {
      throw new Error(`${unprocessed.length} item(s) stayed unprocessed in ${options.table} after ${maxRounds} retries without progress; the table's write capacity is exhausted (lower --max-write-units or raise the table's capacity) — run again to continue`);
    }
    pending = unprocessed;
    round += 1;
    await sleep(Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(round, 10)));
  }
}

function requestUnits(request: WriteRequest): number {
  if (request.PutRequest?.Item) return writeUnits(request.PutRequest.Item as Item);
  return 1;
}
