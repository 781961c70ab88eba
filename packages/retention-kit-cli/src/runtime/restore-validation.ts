/**
 * Validates a restore test when AWS Backup reports its restore job complete: looks at the restored
 * resource (a table's items counted and its key schema, a bucket's objects counted, a database
 * available with an endpoint), judges the restore's duration against the category's RTO, and
 * reports the verdict with PutRestoreValidationResult. A restore slower than the RTO fails
 * validation: a restore test exists to prove the RTO.
 */
import { type BackupClient, DescribeRestoreJobCommand, type DescribeRestoreJobCommandOutput, PutRestoreValidationResultCommand } from '@aws-sdk/client-backup';
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, type RDSClient } from '@aws-sdk/client-rds';
import type { S3Client } from '@aws-sdk/client-s3';
import { judgeRestoreDuration, type RestoreDurationVerdict } from 'retention-kit/policy';
import { describeTable, forEachSegment, keySchemaOf } from './dynamodb/table-scan';
import { listObjects } from './s3/listing';

export interface RestoreTestPlanInfo {
  readonly category: string;
  readonly rtoHours: number;
}

export interface RestoreValidationOptions {
  readonly backup: BackupClient;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly rds: RDSClient;
  readonly restoreJobId: string;
  /** The restore testing plans this deployment owns, by plan name. Jobs of other plans are left alone. */
  readonly plans: Readonly<Record<string, RestoreTestPlanInfo>>;
  /**
   * How far the restored copy's count may fall below the source's current count: the recovery
   * point is older than the source, which may have grown since.
   * @default 0.1
   */
  readonly countTolerance?: number;
  /**
   * Objects counted per bucket at most; past it the check compares the first this many.
   * @default 1,000,000
   */
  readonly maxObjectsCounted?: number;
}

export type RestoreValidationResult =
  | { readonly status: 'skipped'; readonly reason: string }
  | {
      readonly status: 'SUCCESSFUL' | 'FAILED';
      readonly restoreJobId: string;
      readonly category: string;
      readonly resourceType: string;
      readonly createdResourceArn: string;
      readonly duration: RestoreDurationVerdict;
      readonly checks: readonly string[];
      readonly problems: readonly string[];
      readonly message: string;
    };

interface ResourceCheck {
  readonly checks: string[];
  readonly problems: string[];
}

export async function validateRestoreJob(options: RestoreValidationOptions): Promise<RestoreValidationResult> {
  const job = await options.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: options.restoreJobId }));
  const planArn = job.CreatedBy?.RestoreTestingPlanArn;
  if (!planArn) return { status: 'skipped', reason: `restore job ${options.restoreJobId} was not started by a restore testing plan` };
  const planName = restoreTestingPlanName(planArn);
  const plan = options.plans[planName];
  if (!plan) return { status: 'skipped', reason: `restore job ${options.restoreJobId} belongs to restore testing plan ${planName}, which this deployment does not own` };
  if (job.Status !== 'COMPLETED') return { status: 'skipped', reason: `restore job ${options.restoreJobId} is ${job.Status}, not COMPLETED` };

  const duration = judgeRestoreDuration(job.CreationDate!, job.CompletionDate!, plan.rtoHours);
  const check = await checkResource(job, options).catch((error: unknown): ResourceCheck => ({ checks: [], problems: [`could not check the restored resource: ${error instanceof Error ? error.message : String(error)}`] }));
  const problems = [...check.problems, ...(duration.withinRto ? [] : [duration.message])];
  const status = problems.length === 0 ? 'SUCCESSFUL' : 'FAILED';
  // ValidationStatusMessage is free text; keep it short enough for the console.
  const message = (status === 'SUCCESSFUL' ? [...check.checks, duration.message] : problems).join('; ').slice(0, 1_000);
  await options.backup.send(new PutRestoreValidationResultCommand({ RestoreJobId: options.restoreJobId, ValidationStatus: status, ValidationStatusMessage: message }));
  return {
    status,
    restoreJobId: options.restoreJobId,
    category: plan.category,
    resourceType: job.ResourceType ?? 'unknown',
    createdResourceArn: job.CreatedResourceArn ?? '',
    duration,
    checks: check.checks,
    problems,
    message,
  };
}

async function checkResource(job: DescribeRestoreJobCommandOutput, options: RestoreValidationOptions): Promise<ResourceCheck> {
  const tolerance = options.countTolerance ?? 0.1;
  const created = job.CreatedResourceArn ?? '';
  const source = job.SourceResourceArn ?? '';
  switch (job.ResourceType) {
    case 'DynamoDB':
      return checkTable(options.dynamodb, tableName(source), tableName(created), tolerance);
    case 'S3':
      return checkBucket(options.s3, bucketName(source), bucketName(created), tolerance, options.maxObjectsCounted ?? 1_000_000);
    case 'Aurora':
    case 'RDS':
      return checkDatabase(options.rds, created);
    default:
      return { checks: [`restore of ${job.ResourceType} completed; no content check for this type`], problems: [] };
  }
}

/**
 * The plan name in a restore testing plan ARN (`…:restore-testing-plan:<name>-<id>`); plan names
 * cannot hold a hyphen, so the name ends at the first one.
 */
export function restoreTestingPlanName(arn: string): string {
  return (arn.split(':').pop() ?? '').split('-')[0];
}

export function tableName(arn: string): string {
  return arn.split(':table/')[1]?.split('/')[0] ?? arn;
}

export function bucketName(arn: string): string {
  return arn.replace(/^arn:[^:]+:s3:::/, '').split('/')[0];
}

async function checkTable(client: DynamoDBClient, source: string, restored: string, tolerance: number): Promise<ResourceCheck> {
  const checks: string[] = [];
  const problems: string[] = [];
  const [sourceTable, restoredTable] = await Promise.all([describeTable(client, source), describeTable(client, restored)]);
  if (restoredTable.TableStatus !== 'ACTIVE') problems.push(`restored table ${restored} is ${restoredTable.TableStatus}`);
  if (JSON.stringify(keySchemaOf(sourceTable)) !== JSON.stringify(keySchemaOf(restoredTable))) problems.push(`restored table ${restored} has another key schema than ${source}`);
  // DescribeTable's ItemCount is refreshed about every six hours, so a fresh restore is counted;
  // the source is counted too when DynamoDB has no count for it yet.
  const restoredItems = await countItems(client, restored);
  const described = sourceTable.ItemCount ?? 0;
  const sourceItems = described > 0 ? described : await countItems(client, source);
  const sourceName = described > 0 ? `source table ${source} (DescribeTable, refreshed about every 6 hours)` : `source table ${source} (counted)`;
  compareCounts('items', restoredItems, sourceItems, tolerance, `restored table ${restored}`, sourceName, checks, problems);
  return { checks, problems };
}

/** Counts a table's items with a parallel Select: COUNT scan (eventually consistent, half the read cost). */
async function countItems(client: DynamoDBClient, table: string): Promise<number> {
  let items = 0;
  await forEachSegment(4, 4, async (segment) => {
    let startKey: Record<string, never> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: table, Select: 'COUNT', Segment: segment, TotalSegments: 4, ExclusiveStartKey: startKey }));
      items += page.Count ?? 0;
      startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (startKey);
  });
  return items;
}

async function checkBucket(client: S3Client, source: string, restored: string, tolerance: number, cap: number): Promise<ResourceCheck> {
  const checks: string[] = [];
  const problems: string[] = [];
  const count = async (bucket: string) => {
    let objects = 0;
    for await (const object of listObjects({ client, bucket })) {
      void object;
      objects += 1;
      if (objects >= cap) break;
    }
    return objects;
  };
  const [restoredObjects, sourceObjects] = await Promise.all([count(restored), count(source)]);
  compareCounts('objects', restoredObjects, sourceObjects, tolerance, `restored bucket ${restored}`, `source bucket ${source}`, checks, problems);
  if (restoredObjects >= cap) checks.push(`counted up to ${cap} objects per bucket`);
  return { checks, problems };
}

function compareCounts(what: string, restored: number, source: number, tolerance: number, restoredName: string, sourceName: string, checks: string[], problems: string[]): void {
  const floor = Math.floor(source * (1 - tolerance));
  if (source > 0 && restored === 0) problems.push(`${restoredName} is empty, but ${sourceName} has ${source} ${what}`);
  else if (restored < floor) problems.push(`${restoredName} has ${restored} ${what}, fewer than ${Math.round((1 - tolerance) * 100)}% of the ${source} in ${sourceName}`);
  else checks.push(`${restoredName} has ${restored} ${what} (${sourceName}: ${source})`);
}

async function checkDatabase(client: RDSClient, arn: string): Promise<ResourceCheck> {
  const identifier = arn.split(':').pop() ?? arn;
  if (arn.includes(':cluster:')) {
    const cluster = (await client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier }))).DBClusters?.[0];
    if (cluster?.Status === 'available' && cluster.Endpoint) return { checks: [`cluster ${identifier} is available at ${cluster.Endpoint}`], problems: [] };
    return { checks: [], problems: [`cluster ${identifier} is ${cluster?.Status ?? 'missing'}${cluster?.Endpoint ? '' : ' with no endpoint'}`] };
  }
  const instance = (await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }))).DBInstances?.[0];
  if (instance?.DBInstanceStatus === 'available' && instance.Endpoint?.Address) return { checks: [`instance ${identifier} is available at ${instance.Endpoint.Address}`], problems: [] };
  return { checks: [], problems: [`instance ${identifier} is ${instance?.DBInstanceStatus ?? 'missing'}`] };
}
