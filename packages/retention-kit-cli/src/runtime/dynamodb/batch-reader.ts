/**
 * Reads items by key with BatchGetItem: 100 keys per call, several calls in flight, unprocessed
 * keys asked again with capped exponential backoff and full jitter. A key is reported missing only
 * when DynamoDB answered for it (it is neither in the response nor among the unprocessed keys), so
 * a throttled read never looks like an absent item.
 */
import { BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { canonicalItem, type Item, keyOf } from './item';

/** BatchGetItem's limit on keys per call. */
export const BATCH_GET_LIMIT = 100;

export interface BatchReaderOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
  /** The table's key attribute names (partition key first). */
  readonly keyNames: readonly string[];
  /** Read only the key attributes (enough to know whether an item exists). */
  readonly keysOnly?: boolean;
  /**
   * Strongly consistent reads.
   * @default true
   */
  readonly consistentRead?: boolean;
  /**
   * Calls in flight at once.
   * @default 4
   */
  readonly parallelCalls?: number;
  /**
   * Rounds of unprocessed-key retries without any progress before the read fails.
   * @default 12
   */
  readonly maxRoundsWithoutProgress?: number;
  readonly counters?: ReadCounters;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ReadCounters {
  batchGetCalls: number;
  unprocessedKeyRetries: number;
}

const BASE_DELAY_MS = 50;
const MAX_DELAY_MS = 5_000;

/** The items found for `keys`, by their key's canonical text (see `keyText`). */
export async function getItems(keys: readonly Item[], options: BatchReaderOptions): Promise<Map<string, Item>> {
  const found = new Map<string, Item>();
  const unique = [...new Map(keys.map((key) => [keyText(key, options.keyNames), keyOf(key, options.keyNames)])).values()];
  const chunks: Item[][] = [];
  for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) chunks.push(unique.slice(start, start + BATCH_GET_LIMIT));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < chunks.length) {
      for (const item of await getChunk(chunks[next++], options)) found.set(keyText(item, options.keyNames), item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.parallelCalls ?? 4, chunks.length) }, worker));
  return found;
}

async function getChunk(keys: Item[], options: BatchReaderOptions): Promise<Item[]> {
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const maxRounds = options.maxRoundsWithoutProgress ?? 12;
  const names = Object.fromEntries(options.keyNames.map((name, index) => [`#k${index}`, name]));
  const projection = options.keysOnly ? { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names } : {};
  const items: Item[] = [];
  let pending = keys;
  let roundsWithoutProgress = 0;
  let round = 0;
  while (pending.length > 0) {
    const response = await options.client.send(
      new BatchGetItemCommand({ RequestItems: { [options.table]: { Keys: pending, ConsistentRead: options.consistentRead ?? true, ...projection } } }),
    );
    if (options.counters) options.counters.batchGetCalls += 1;
    items.push(...((response.Responses?.[options.table] ?? []) as Item[]));
    const unprocessed = (response.UnprocessedKeys?.[options.table]?.Keys ?? []) as Item[];
    if (unprocessed.length === 0) return items;
    if (options.counters) options.counters.unprocessedKeyRetries += 1;
    roundsWithoutProgress = unprocessed.length < pending.length ? 0 : roundsWithoutProgress + 1;
    if (roundsWithoutProgress >= maxRounds) {
      throw new Error(`${unprocessed.length} key(s) stayed unprocessed in ${options.table} after ${maxRounds} retries without progress; the table's read capacity is exhausted — run again to continue`);
    }
    pending = unprocessed;
    round += 1;
    await sleep(Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(round, 10)));
  }
  return items;
}

/** The item's key as text, the same for the same key however it was read. */
export function keyText(item: Item, keyNames: readonly string[]): string {
  return canonicalItem(keyOf(item, keyNames));
}
