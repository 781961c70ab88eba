import { type AttributeValue, CreateTableCommand, type DynamoDBClient, type KeySchemaElement, type ScalarAttributeType } from '@aws-sdk/client-dynamodb';
import { putItems } from '../../packages/retention-kit-cli/src/runtime/dynamodb/batch-writer';
import type { Item } from '../../packages/retention-kit-cli/src/runtime/dynamodb/item';

export interface TableShape {
  readonly partitionKey?: { name: string; type: ScalarAttributeType };
  readonly sortKey?: { name: string; type: ScalarAttributeType };
}

/** Creates an on-demand table; `pk` (S) and `sk` (N) keys unless told otherwise. */
export async function createTable(client: DynamoDBClient, name: string, shape: TableShape = {}): Promise<void> {
  const partition = shape.partitionKey ?? { name: 'pk', type: 'S' };
  const sort = shape.sortKey === undefined ? { name: 'sk', type: 'N' as ScalarAttributeType } : shape.sortKey;
  const keys: KeySchemaElement[] = [{ AttributeName: partition.name, KeyType: 'HASH' }, ...(sort ? [{ AttributeName: sort.name, KeyType: 'RANGE' as const }] : [])];
  await client.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: keys,
      AttributeDefinitions: [partition, ...(sort ? [sort] : [])].map((key) => ({ AttributeName: key.name, AttributeType: key.type })),
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

/**
 * A deterministic item with every attribute type: strings with non-ASCII text, numbers (negative,
 * decimal, 38 digits), binary, the three sets, null, Booleans, and nested lists and maps.
 * `padBytes` adds a string attribute of that many bytes (items up to DynamoDB's 400 KB).
 */
export function sampleItem(index: number, padBytes = 0): Item {
  const item: Item = {
    pk: { S: `customer#${String(index % 97).padStart(3, '0')}` },
    sk: { N: String(index) },
    name: { S: `Zoë Ångström ${index} — 東京` },
    balance: { N: index % 2 === 0 ? `-${index}.25` : '12345678901234567890123456789012345678' },
    photo: { B: Buffer.from(Array.from({ length: 16 }, (_, i) => (index * 7 + i) % 256)) },
    tags: { SS: [`t${index % 5}`, 'alpha', 'beta'] },
    scores: { NS: ['0.5', String(index + 1000), '-3.5'] },
    blobs: { BS: [Buffer.from([index % 256, 1]), Buffer.from([2, 3, 4])] },
    deleted: { NULL: true },
    active: { BOOL: index % 3 === 0 },
    history: { L: [{ S: 'created' }, { N: String(index * 10) }, { M: { by: { S: 'import' }, ok: { BOOL: true } } }, { L: [] }] },
    address: { M: { city: { S: 'Zürich' }, lines: { L: [{ S: `${index} Main St` }] }, geo: { M: { lat: { N: '47.37' }, lon: { N: '8.54' } } } } },
  };
  if (padBytes > 0) item.padding = { S: 'x'.repeat(padBytes) };
  return item;
}

/** Writes `count` sample items (with the given large ones padded near 400 KB) into the table. */
export async function seedTable(client: DynamoDBClient, table: string, count: number, options: { largeEvery?: number; largeBytes?: number } = {}): Promise<void> {
  const items: Item[] = [];
  for (let index = 0; index < count; index += 1) {
    const large = options.largeEvery !== undefined && index % options.largeEvery === 0;
    items.push(sampleItem(index, large ? (options.largeBytes ?? 398_000) : 0));
  }
  for (let start = 0; start < items.length; start += 500) await putItems(items.slice(start, start + 500), { client, table, parallelCalls: 4 });
}

export type { AttributeValue };
