/**
 * `retention hydrate plan`: the least time a table hydration can take, from the tables themselves.
 * DescribeTable gives the source's item count and size (or the caller gives them), and the target's
 * write throughput: its provisioned write capacity, or an on-demand table's warm throughput (what it
 * can take from the first second) and its maximum, if one is set. Every global secondary index takes
 * a write per item it projects, so an index with less throughput bounds the copy too.
 */
import { type DynamoDBClient, DescribeTableCommand, type TableDescription } from '@aws-sdk/client-dynamodb';

/** One write capacity unit writes up to 1 KB; one read unit reads 4 KB strongly, 8 KB eventually consistent (a scan). */
const WRITE_UNIT_BYTES = 1024;
const SCAN_BYTES_PER_READ_UNIT = 8 * 1024;

export interface ThroughputLimit {
  /** The table, or `index <name>`. */
  readonly of: string;
  readonly writeUnitsPerSecond: number;
  /** provisioned, on-demand warm throughput, on-demand maximum. */
  readonly basis: 'provisioned' | 'warm throughput' | 'maximum' | 'unknown';
}

export interface HydratePlan {
  readonly items: number;
  readonly averageItemBytes: number;
  /** Write units one average item takes. */
  readonly writeUnitsPerItem: number;
  readonly limits: readonly ThroughputLimit[];
  /** The limit that bounds the copy: the lowest. */
  readonly boundBy?: ThroughputLimit;
  readonly writeSeconds?: number;
  /** The source's scan at its read throughput, where it has one to read. */
  readonly readSeconds?: number;
  readonly seconds?: number;
  readonly rtoSeconds?: number;
  readonly meetsRto?: boolean;
  /** Write units per second the target needs to meet the RTO. */
  readonly neededWriteUnitsPerSecond?: number;
  readonly notes: readonly string[];
}

function writeLimits(table: TableDescription): ThroughputLimit[] {
  const onDemand = table.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST';
  const own = (of: string, provisioned?: number, warm?: number, maximum?: number): ThroughputLimit[] => {
    if (!onDemand) return provisioned ? [{ of, writeUnitsPerSecond: provisioned, basis: 'provisioned' }] : [];
    const limits: ThroughputLimit[] = [];
    if (warm) limits.push({ of, writeUnitsPerSecond: warm, basis: 'warm throughput' });
    if (maximum && maximum > 0) limits.push({ of, writeUnitsPerSecond: maximum, basis: 'maximum' });
    return limits;
  };
  const limits = own('table', table.ProvisionedThroughput?.WriteCapacityUnits, table.WarmThroughput?.WriteUnitsPerSecond, table.OnDemandThroughput?.MaxWriteRequestUnits);
  for (const index of table.GlobalSecondaryIndexes ?? []) {
    limits.push(...own(`index ${index.IndexName}`, index.ProvisionedThroughput?.WriteCapacityUnits, index.WarmThroughput?.WriteUnitsPerSecond, index.OnDemandThroughput?.MaxWriteRequestUnits));
  }
  return limits;
}

export interface HydratePlanInput {
  readonly client: DynamoDBClient;
  readonly target: string;
  /** The restored table: its item count and size, from DescribeTable (refreshed by DynamoDB about every six hours). */
  readonly source?: string;
  readonly items?: number;
  readonly averageItemBytes?: number;
  readonly rtoSeconds?: number;
}

export async function planHydration(input: HydratePlanInput): Promise<HydratePlan> {
  const notes: string[] = [];
  const describe = async (name: string) => (await input.client.send(new DescribeTableCommand({ TableName: name }))).Table!;
  const source = input.source ? await describe(input.source) : undefined;
  const target = await describe(input.target);
  const items = input.items ?? source?.ItemCount;
  if (items === undefined) throw new Error('give --source (a table to read the item count and size from) or --items and --item-size-kb');
  if (items === 0 && input.items === undefined) {
    throw new Error(`${input.source} reports 0 items: DescribeTable's count is refreshed about every six hours, so a table restored since then shows none; give --items and --item-size-kb`);
  }
  const averageItemBytes = input.averageItemBytes ?? (source && source.ItemCount ? (source.TableSizeBytes ?? 0) / source.ItemCount : undefined);
  if (averageItemBytes === undefined) throw new Error(`the source table has no items to size from: give --item-size-kb`);
  if (source && input.items === undefined) notes.push('item count and size from DescribeTable, which DynamoDB refreshes about every six hours');
  const writeUnitsPerItem = Math.max(1, Math.ceil(averageItemBytes / WRITE_UNIT_BYTES));
  if (input.averageItemBytes === undefined) notes.push('write units from the average item size: items over it take more');
  const limits = writeLimits(target);
  const onDemand = target.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST';
  if (onDemand && !limits.some((l) => l.of === 'table')) notes.push('the on-demand target reports no warm throughput or maximum: no bound from the table');
  if (onDemand) notes.push('an on-demand table can grow past its warm throughput while it is written, so its time is an upper bound');
  if ((target.GlobalSecondaryIndexes ?? []).length > 0) notes.push('every item is taken to be projected into every index (an upper bound for sparse indexes)');
  // Each index bounds separately; for one of them the tightest of its own limits counts (warm throughput, or a lower maximum).
  const perTarget = new Map<string, ThroughputLimit>();
  for (const limit of limits) {
    const current = perTarget.get(limit.of);
    if (!current || limit.writeUnitsPerSecond < current.writeUnitsPerSecond) perTarget.set(limit.of, limit);
  }
  const boundBy = [...perTarget.values()].sort((a, b) => a.writeUnitsPerSecond - b.writeUnitsPerSecond)[0];
  const writeSeconds = boundBy ? (items * writeUnitsPerItem) / boundBy.writeUnitsPerSecond : undefined;
  const readUnits = source?.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? source.WarmThroughput?.ReadUnitsPerSecond : source?.ProvisionedThroughput?.ReadCapacityUnits;
  const readSeconds = readUnits ? (items * averageItemBytes) / SCAN_BYTES_PER_READ_UNIT / readUnits : undefined;
  const seconds = writeSeconds === undefined ? readSeconds : Math.max(writeSeconds, readSeconds ?? 0);
  const rto = input.rtoSeconds;
  return {
    items,
    averageItemBytes,
    writeUnitsPerItem,
    limits,
    boundBy,
    writeSeconds,
    readSeconds,
    seconds,
    rtoSeconds: rto,
    meetsRto: rto === undefined || seconds === undefined ? undefined : seconds <= rto,
    neededWriteUnitsPerSecond: rto === undefined ? undefined : Math.ceil((items * writeUnitsPerItem) / rto),
    notes,
  };
}
