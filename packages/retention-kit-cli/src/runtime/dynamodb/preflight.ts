/** What every table copy checks before it writes anything: the CLI's, the state machines'. */
import { type DynamoDBClient, ScanCommand, type TableDescription } from '@aws-sdk/client-dynamodb';
import { HYDRATE_REFUSED_ERROR } from 'retention-kit/policy';
import { describeTable, keySchemaOf } from './table-scan';

/** The run was refused before anything was written. */
export class HydrateRefusedError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(['hydration refused before writing anything:', ...problems.map((problem) => `  ${problem}`)].join('\n'));
    this.name = HYDRATE_REFUSED_ERROR;
  }
}

/**
 * The checks before anything is written: both tables exist, the target is ACTIVE, the key schemas
 * match, and (unless told otherwise) the target is empty. Every problem is returned together.
 */
export async function preflight(check: {
  sourceClient: DynamoDBClient;
  targetClient: DynamoDBClient;
  source: string;
  target: string;
  sameClient: boolean;
  requireEmpty: boolean;
}): Promise<{ sourceTable: TableDescription; problems: string[] }> {
  const [sourceTable, targetTable] = await Promise.all([describeTable(check.sourceClient, check.source), describeTable(check.targetClient, check.target)]);
  const problems: string[] = [];
  if (check.source === check.target && check.sameClient) problems.push(`source and target are the same table (${check.source})`);
  if (JSON.stringify(keySchemaOf(sourceTable)) !== JSON.stringify(keySchemaOf(targetTable))) {
    problems.push(`key schemas differ: ${check.source} has ${describeKey(sourceTable)}, ${check.target} has ${describeKey(targetTable)}; the target must have the same partition and sort key names and types`);
  }
  if (targetTable.TableStatus !== 'ACTIVE') problems.push(`${check.target} is ${targetTable.TableStatus}, not ACTIVE; wait until it is`);
  if (check.requireEmpty) {
    const probe = await check.targetClient.send(new ScanCommand({ TableName: check.target, Limit: 1 }));
    if ((probe.Items?.length ?? 0) > 0) problems.push(`${check.target} already holds items; pass --overwrite to write over them by key (nothing is deleted)`);
  }
  return { sourceTable, problems };
}

function describeKey(table: TableDescription): string {
  return keySchemaOf(table)
    .map((key) => `${key.name} (${key.keyType}, ${key.type})`)
    .join(' + ');
}

