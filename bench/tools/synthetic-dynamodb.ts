/**
 * A DynamoDB client whose calls are answered in process from items made up on demand, for memory
 * measurements at sizes no local server holds: a middleware answers DescribeTable, Scan (segments
 * and pages of about 1 MB, as DynamoDB), BatchWriteItem (everything processed) and BatchGetItem, so
 * nothing but the tool under measurement holds memory.
 */
import { type AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { sampleItem } from '../../test/support/dynamodb-seed';

const ITEMS_PER_PAGE = 1_400; // about 1 MB of the ~700-byte sample items

export function syntheticDynamoClient(items: number, options: { source: string; targetHolds: boolean }): DynamoDBClient {
  const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const holds = (table: string) => table === options.source || options.targetHolds;
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const answer = (): unknown => {
        switch (context.commandName) {
          case 'DescribeTableCommand': {
            const table = String(input.TableName);
            return {
              Table: {
                TableName: table,
                TableStatus: 'ACTIVE',
                ItemCount: holds(table) ? items : 0,
                TableSizeBytes: holds(table) ? items * 700 : 0,
                KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
                AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }],
                BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
              },
            };
          }
          case 'ScanCommand': {
            if (!holds(String(input.TableName))) return { Items: [], Count: 0, ScannedCount: 0 };
            const segments = Number(input.TotalSegments ?? 1);
            const segment = Number(input.Segment ?? 0);
            const start = input.ExclusiveStartKey ? Number((input.ExclusiveStartKey as Record<string, AttributeValue>).sk.N) + segments : segment;
            const limit = Math.min(Number(input.Limit ?? ITEMS_PER_PAGE), ITEMS_PER_PAGE);
            const page: Record<string, AttributeValue>[] = [];
            let index = start;
            for (; index < items && page.length < limit; index += segments) page.push(sampleItem(index));
            const last = page.at(-1);
            return { Items: page, Count: page.length, ScannedCount: page.length, LastEvaluatedKey: index < items && last ? { pk: last.pk, sk: last.sk } : undefined };
          }
          case 'BatchWriteItemCommand':
            return { UnprocessedItems: {} };
          case 'BatchGetItemCommand': {
            const requests = input.RequestItems as Record<string, { Keys: Record<string, AttributeValue>[] }>;
            return { Responses: Object.fromEntries(Object.entries(requests).map(([table, r]) => [table, holds(table) ? r.Keys.map((k) => sampleItem(Number(k.sk.N))) : []])), UnprocessedKeys: {} };
          }
          default:
            throw new Error(`the synthetic DynamoDB does not answer ${String(context.commandName)}`);
        }
      };
      return { output: { $metadata: {}, ...(answer() as object) }, response: {} };
    },
    { step: 'initialize', name: 'syntheticDynamoDB', priority: 'low' },
  );
  return client;
}
