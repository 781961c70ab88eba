/**
 * Parallel scans: the table split into segments (DynamoDB's own `Segment`/`TotalSegments`),
 * each read page by page with the next page requested while the current one is handled, and
 * the order-independent checksum of a whole table.
 */
import { type AttributeValue, DescribeTableCommand, type DynamoDBClient, ScanCommand, type TableDescription } from '@aws-sdk/client-dynamodb';
import { SumDigest } from '../digest';
import { canonicalItem, type Item } from './item';

export interface ScanPage {
  readonly items: Item[];
  /** Where the next page starts; undefined after the segment's last page. */
  readonly lastKey?: Item;
}

export interface SegmentScan {
  readonly client: DynamoDBClient;
  readonly table: string;
  readonly segment: number;
  readonly totalSegments: number;
  /** Continue after this key (from a checkpoint). */
  readonly startKey?: Item;
  /** Strongly consistent reads (for reading back what was just written). */
  readonly consistentRead?: boolean;
  /** Items per page; DynamoDB's 1 MB page limit applies either way. */
  readonly pageLimit?: number;
  /** Read only these attributes. */
  readonly attributes?: readonly string[];
  readonly onCall?: () => void;
}

/** The segment's pages in order, each requested while the previous one is being handled. */
export async function* scanSegment(scan: SegmentScan): AsyncGenerator<ScanPage> {
  const names = scan.attributes ? Object.fromEntries(scan.attributes.map((name, index) => [`#a${index}`, name])) : undefined;
  const projection = names ? { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names } : {};
  const request = (startKey: Item | undefined): Promise<ScanPage> => {
    scan.onCall?.();
    return scan.client
      .send(
        new ScanCommand({
          TableName: scan.table,
          Segment: scan.segment,
          TotalSegments: scan.totalSegments,
          ExclusiveStartKey: startKey,
          ConsistentRead: scan.consistentRead,
          Limit: scan.pageLimit,
          ...projection,
        }),
      )
      .then((response) => ({ items: response.Items ?? [], lastKey: response.LastEvaluatedKey }));
  };
  let next: Promise<ScanPage> | undefined = request(scan.startKey);
  try {
    while (next) {
      const page: ScanPage = await next;
      next = page.lastKey ? request(page.lastKey) : undefined;
      yield page;
    }
  } finally {
    // A consumer that stops early leaves a prefetch behind; its result (or error) is not wanted.
    next?.catch(() => undefined);
  }
}

/** Runs `work` for every segment number with at most `concurrency` at once; stops at the first failure. */
export async function forEachSegment(totalSegments: number, concurrency: number, work: (segment: number) => Promise<void>, pending?: readonly number[]): Promise<void> {
  const queue = [...(pending ?? Array.from({ length: totalSegments }, (_, segment) => segment))];
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (queue.length > 0 && failure === undefined) {
      const segment = queue.shift()!;
      try {
        await work(segment);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, worker));
  if (failure !== undefined) throw failure;
}

export interface TableDigest {
  readonly items: number;
  readonly digest: string;
}

/** The count and order-independent checksum of every item in the table. */
export async function digestTable(
  client: DynamoDBClient,
  table: string,
  options: { totalSegments: number; concurrency: number; consistentRead?: boolean; onItems?: (count: number) => void; onCall?: () => void },
): Promise<TableDigest> {
  const total = new SumDigest();
  await forEachSegment(options.totalSegments, options.concurrency, async (segment) => {
    const digest = new SumDigest();
    for await (const page of scanSegment({ client, table, segment, totalSegments: options.totalSegments, consistentRead: options.consistentRead, onCall: options.onCall })) {
      for (const item of page.items) digest.add(canonicalItem(item));
      options.onItems?.(page.items.length);
    }
    total.merge(digest);
  });
  return { items: total.count, digest: total.hex };
}

export async function describeTable(client: DynamoDBClient, table: string): Promise<TableDescription> {
  const response = await client.send(new DescribeTableCommand({ TableName: table }));
  return response.Table!;
}

/** The key attributes in schema order (partition key first), with their types. */
export function keySchemaOf(table: TableDescription): { name: string; keyType: string; type: string }[] {
  return (table.KeySchema ?? []).map((element) => ({
    name: element.AttributeName!,
    keyType: element.KeyType!,
    type: table.AttributeDefinitions?.find((definition) => definition.AttributeName === element.AttributeName)?.AttributeType ?? '?',
  }));
}

/** A key as JSON-safe data (binary as base64), for checkpoints. */
export function encodeKey(key: Item): Record<string, Record<string, string>> {
  const encoded: Record<string, Record<string, string>> = {};
  for (const [name, value] of Object.entries(key)) {
    if (value.S !== undefined) encoded[name] = { S: value.S };
    else if (value.N !== undefined) encoded[name] = { N: value.N };
    else if (value.B !== undefined) encoded[name] = { B: Buffer.from(value.B).toString('base64') };
    else throw new Error(`key attribute ${name} is not a string, number or binary`);
  }
  return encoded;
}

export function decodeKey(encoded: Record<string, Record<string, string>>): Item {
  const key: Item = {};
  for (const [name, value] of Object.entries(encoded)) {
    key[name] = (value.B !== undefined ? { B: Buffer.from(value.B, 'base64') } : value) as AttributeValue;
  }
  return key;
}

/** Scan segments of about this many bytes each: DynamoDB's guidance for parallel scans. */
const SEGMENT_BYTES = 128 * 1024 * 1024;

/** Segments for a parallel scan of a table this large, at least one per concurrent worker. */
export function defaultSegments(tableSizeBytes: number, concurrency: number): number {
  return Math.min(1_000, Math.max(concurrency, Math.ceil(tableSizeBytes / SEGMENT_BYTES)));
}
