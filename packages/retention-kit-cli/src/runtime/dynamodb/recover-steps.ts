/**
 * The steps of an in-place recovery, each one call or one look, so that the CLI
 * (recover-table.ts) can run them in a loop and the recovery state machine can run them as tasks
 * with Wait states between the looks: check the request against the table, start the backup and
 * look at it, start the point-in-time restore and look at it, and remove the restored copy.
 */
import { BackupClient, DescribeBackupJobCommand, StartBackupJobCommand } from '@aws-sdk/client-backup';
import {
  CreateBackupCommand,
  DeleteTableCommand,
  DescribeBackupCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  RestoreTableToPointInTimeCommand,
  type RestoreTableToPointInTimeCommandInput,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { checkRecoveryRequest, checkRestoreWindow, type PreRecoveryBackup, preRecoveryBackupName, type RecoveryRequest, recoveryTableName } from 'retention-kit/policy';
import { readConcurrency, type SavedConcurrency } from '../recovery-mode';
import { type HydrationVerdict, verifyHydration } from './hydrate-steps';
import { addChanges, NO_CHANGES, type SegmentPosition, type SyncChanges } from './segment-copy';
import { defaultSegments, keySchemaOf } from './table-scan';

export type { PreRecoveryBackup } from 'retention-kit/policy';

/** The recovery was refused before anything changed. */
export class RecoverRefusedError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(['recovery refused; nothing was changed:', ...problems.map((problem) => `  ${problem}`)].join('\n'));
    this.name = 'RecoverRefusedError';
  }
}

export interface RecoveryCheck {
  readonly live: TableDescription;
  readonly recoveryTable: string;
  readonly problems: string[];
}

/**
 * Every problem with recovering `request.table` to `request.toTime`: the request's own (checked
 * before any call), then the table's state, its point-in-time window, and a recovery table that
 * already exists (unless `restoreStarted`: a continued recovery created it).
 */
export async function checkRecovery(client: DynamoDBClient, request: RecoveryRequest, options: { restoreStarted?: boolean; now?: Date } = {}): Promise<RecoveryCheck> {
  const own = checkRecoveryRequest(request, options.now);
  if (own.length > 0) throw new RecoverRefusedError(own);
  const recoveryTable = recoveryTableName(request.table, request.incident);
  const live = await describeTable(client, request.table);
  if (!live) throw new RecoverRefusedError([`table ${request.table} does not exist`]);
  const problems: string[] = [];
  if (live.TableStatus !== 'ACTIVE') problems.push(`${request.table} is ${live.TableStatus}, not ACTIVE`);
  if (!options.restoreStarted) {
    const { ContinuousBackupsDescription: continuous } = await client.send(new DescribeContinuousBackupsCommand({ TableName: request.table }));
    const pitr = continuous?.PointInTimeRecoveryDescription;
    problems.push(...checkRestoreWindow(new Date(request.toTime), request.table, { status: pitr?.PointInTimeRecoveryStatus, earliest: pitr?.EarliestRestorableDateTime, latest: pitr?.LatestRestorableDateTime }));
    if (await describeTable(client, recoveryTable)) problems.push(`${recoveryTable} already exists and this incident's checkpoint did not create it; delete it or use another incident ID`);
  }
  return { live, recoveryTable, problems };
}

/** A backup started, and where it stands. */
export interface BackupHandle {
  readonly kind: PreRecoveryBackup['kind'];
  /** The DynamoDB backup's ARN, or the AWS Backup recovery point's once known. */
  readonly arn?: string;
  readonly jobId?: string;
  readonly reason?: string;
  readonly done: boolean;
}

export interface BackupClients {
  readonly dynamodb: DynamoDBClient;
  readonly awsBackup?: BackupClient;
}

export async function startBackup(clients: BackupClients, backup: PreRecoveryBackup, live: TableDescription, incident: string): Promise<BackupHandle> {
  return explainBackupFailure(live.TableName!, async () => {
    if (backup.kind === 'none') return { kind: 'none', reason: backup.reason, done: true };
    if (backup.kind === 'dynamodb') {
      const { BackupDetails } = await clients.dynamodb.send(new CreateBackupCommand({ TableName: live.TableName, BackupName: preRecoveryBackupName(live.TableName!, incident) }));
      return { kind: 'dynamodb', arn: BackupDetails!.BackupArn!, done: BackupDetails?.BackupStatus === 'AVAILABLE' };
    }
    const job = await (clients.awsBackup ?? new BackupClient({})).send(
      new StartBackupJobCommand({
        BackupVaultName: backup.vaultName,
        ResourceArn: live.TableArn,
        IamRoleArn: backup.roleArn,
        ...(backup.deleteAfterDays ? { Lifecycle: { DeleteAfterDays: backup.deleteAfterDays } } : {}),
      }),
    );
    return { kind: 'aws-backup', jobId: job.BackupJobId!, arn: job.RecoveryPointArn, done: false };
  });
}

export async function backupStatus(clients: BackupClients, handle: BackupHandle, table: string): Promise<BackupHandle> {
  if (handle.done) return handle;
  return explainBackupFailure(table, async () => {
    if (handle.kind === 'dynamodb') {
      const status = (await clients.dynamodb.send(new DescribeBackupCommand({ BackupArn: handle.arn }))).BackupDescription?.BackupDetails?.BackupStatus;
      if (status === 'DELETED') throw new Error(`backup ${handle.arn} was deleted while it was being created`);
      return { ...handle, done: status === 'AVAILABLE' };
    }
    const job = await (clients.awsBackup ?? new BackupClient({})).send(new DescribeBackupJobCommand({ BackupJobId: handle.jobId }));
    if (job.State === 'FAILED' || job.State === 'ABORTED' || job.State === 'EXPIRED') throw new Error(`backup job ${handle.jobId} ended ${job.State}: ${job.StatusMessage ?? 'no message'}`);
    return { ...handle, arn: job.RecoveryPointArn ?? handle.arn, done: job.State === 'COMPLETED' };
  });
}

export class BackupFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupFailedError';
  }
}

async function explainBackupFailure<T>(table: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new BackupFailedError(
      `the backup of ${table} failed: ${error instanceof Error ? error.message : String(error)} — nothing was changed; if the table's policy forbids this backup, take one the way it allows and run again with --skip-backup "<where it is>"`,
    );
  }
}

/**
 * The restore call: the live table's own KMS key (a customer managed or AWS managed key; the AWS
 * owned key when it has none), on-demand billing so the sync's reads never wait for capacity, and
 * no secondary indexes, which the sync does not read and which would lengthen the restore.
 */
export function restoreRequest(live: TableDescription, recoveryTable: string, toTime: Date): RestoreTableToPointInTimeCommandInput {
  const key = live.SSEDescription?.SSEType === 'KMS' ? live.SSEDescription.KMSMasterKeyArn : undefined;
  return {
    SourceTableArn: live.TableArn,
    TargetTableName: recoveryTable,
    RestoreDateTime: toTime,
    SSESpecificationOverride: key ? { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: key } : { Enabled: false },
    BillingModeOverride: 'PAY_PER_REQUEST',
    GlobalSecondaryIndexOverride: [],
    LocalSecondaryIndexOverride: [],
  };
}

/** Starts the restore unless the recovery table is already there (a retried or continued step). */
export async function startRestore(client: DynamoDBClient, live: TableDescription, recoveryTable: string, toTime: Date): Promise<{ started: boolean }> {
  if (await describeTable(client, recoveryTable)) return { started: false };
  await client.send(new RestoreTableToPointInTimeCommand(restoreRequest(live, recoveryTable, toTime)));
  return { started: true };
}

/** True once the restored table is ACTIVE and its restore finished. */
export async function restoreFinished(client: DynamoDBClient, recoveryTable: string): Promise<boolean> {
  const description = await describeTable(client, recoveryTable);
  return description?.TableStatus === 'ACTIVE' && !description.RestoreSummary?.RestoreInProgress;
}

export async function removeTable(client: DynamoDBClient, table: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: table }));
}

export async function describeTable(client: DynamoDBClient, table: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: table }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException || (error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/** Distributed Map results are kept in the execution's state, whose size is limited: two passes and a checksum per segment must fit. */
export const MAX_RECOVERY_SEGMENTS = 256;

/** What the recovery state machine carries from its check to every later step. */
export interface RecoveryPlan {
  readonly table: string;
  readonly recoveryTable: string;
  readonly toTime: string;
  readonly incident: string;
  readonly removeRecoveryTable: boolean;
  /** An earlier execution took the backup and started the restore: both are skipped. */
  readonly resume: boolean;
  /** What the restore and the backup need of the live table. */
  readonly live: Pick<TableDescription, 'TableName' | 'TableArn' | 'SSEDescription'>;
  readonly keyNames: string[];
  readonly totalSegments: number;
  /** 0 for no cap. */
  readonly maxWriteUnitsPerSegment: number;
  /** The sync's tasks: each segment's upsert and prune pass. */
  readonly tasks: { segment: number; pass: 'upsert' | 'prune' }[];
  /** The segments of the checksum of the repaired table. */
  readonly segments: { segment: number }[];
  /** Recovery mode: the functions' reserved concurrency, read before any change. */
  readonly functions: SavedConcurrency[];
}

export interface RecoveryExecutionInput extends Omit<RecoveryRequest, 'table'> {
  /** Continues an earlier execution of the same incident: its backup was taken and its recovery table exists. */
  readonly resume?: boolean;
  readonly removeRecoveryTable?: boolean;
  readonly segments?: number;
  readonly maxWriteUnitsPerSegment?: number;
}

/** The state machine's first step: every check of the CLI, and the plan, or a refusal naming every problem. */
export async function planRecovery(clients: { dynamodb: DynamoDBClient; lambda?: LambdaClient }, table: string, input: RecoveryExecutionInput, pauseFunctionNames: readonly string[], now = new Date()): Promise<RecoveryPlan> {
  const { live, recoveryTable, problems } = await checkRecovery(clients.dynamodb, { ...input, table }, { now, restoreStarted: input.resume === true });
  if (input.resume === true && !(await describeTable(clients.dynamodb, recoveryTable))) problems.push(`resume is set but ${recoveryTable} does not exist; start without resume`);
  const totalSegments = input.segments ?? Math.min(MAX_RECOVERY_SEGMENTS, defaultSegments(live.TableSizeBytes ?? 0, 16));
  if (!Number.isInteger(totalSegments) || totalSegments < 1 || totalSegments > MAX_RECOVERY_SEGMENTS) problems.push(`segments must be a whole number from 1 to ${MAX_RECOVERY_SEGMENTS}, got ${totalSegments}`);
  let functions: SavedConcurrency[] = [];
  if (pauseFunctionNames.length > 0) {
    const read = await readConcurrency(clients.lambda!, pauseFunctionNames);
    problems.push(...read.problems);
    functions = read.saved;
  }
  if (problems.length > 0) throw new RecoverRefusedError(problems);
  const segments = Array.from({ length: totalSegments }, (_, segment) => ({ segment }));
  return {
    table,
    recoveryTable,
    toTime: input.toTime,
    incident: input.incident,
    removeRecoveryTable: input.removeRecoveryTable === true,
    resume: input.resume === true,
    live: { TableName: live.TableName, TableArn: live.TableArn, ...(live.SSEDescription ? { SSEDescription: { SSEType: live.SSEDescription.SSEType, KMSMasterKeyArn: live.SSEDescription.KMSMasterKeyArn } } : {}) },
    keyNames: keySchemaOf(live).map((key) => key.name),
    totalSegments,
    maxWriteUnitsPerSegment: input.maxWriteUnitsPerSegment ?? 0,
    tasks: segments.flatMap(({ segment }) => [
      { segment, pass: 'upsert' as const },
      { segment, pass: 'prune' as const },
    ]),
    segments,
    functions,
  };
}

export interface RecoveryVerdict extends HydrationVerdict {
  readonly changes: SyncChanges;
}

/** Adds up the upsert passes (the restored copy's count and checksum), the checksum of the repaired table, and every pass's changes. */
export function verifyRecovery(synced: readonly { pass: string; position: SegmentPosition }[], readBack: readonly { position: SegmentPosition }[], names: { source: string; target: string }): RecoveryVerdict {
  const verdict = verifyHydration(
    synced.filter((result) => result.pass === 'upsert'),
    readBack,
    names,
  );
  return { ...verdict, changes: synced.reduce((sum, result) => addChanges(sum, result.position.changes ?? NO_CHANGES), NO_CHANGES) };
}
