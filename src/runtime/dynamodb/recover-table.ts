/**
 * In-place recovery of a live table from bad writes: an on-demand backup of the table as it is,
 * a point-in-time restore into `<table>-recovery-<incident>` with the table's own key, a sync that
 * makes the live table equal to the restored one (writing what differs, deleting what it lacks),
 * a verification, and a report of what changed. Optionally the application's functions are held at
 * a reserved concurrency of 0 during the sync and put back afterwards, even when the sync fails.
 *
 * Every step is recorded in a checkpoint (`recover/<table>/<incident>/recovery.json`) before its
 * effect can be lost, so running the same command again continues: the backup is not taken twice,
 * the restore is not started twice, the sync continues from its own checkpoint, and the functions'
 * settings saved before the first change are the ones restored.
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
import { checkRecoveryRequest, checkRestoreWindow, preRecoveryBackupName, recoveryTableName } from '../../policy/recovery';
import { CheckpointWriter } from '../checkpoint';
import { pauseFunctions, readConcurrency, restoreConcurrency, type SavedConcurrency } from '../recovery-mode';
import type { ObjectStore } from '../store';
import { type HydrateProgress, type HydrateTableResult, hydrateTable } from './hydrate-table';

/** How the table is backed up before anything changes. */
export type PreRecoveryBackup =
  /** A DynamoDB on-demand backup (kept until deleted). */
  | { readonly kind: 'dynamodb' }
  /** An AWS Backup on-demand job into the table's category vault, with that vault's lock and lifecycle. */
  | { readonly kind: 'aws-backup'; readonly vaultName: string; readonly roleArn: string; readonly deleteAfterDays?: number }
  /** No backup, for a reason that goes into the report (for example a policy that allows copies only in a locked vault). */
  | { readonly kind: 'none'; readonly reason: string };

export interface RecoverTableOptions {
  /** The live table to repair. */
  readonly table: string;
  /** ISO 8601 time to restore to: the last moment the data was good. */
  readonly toTime: string;
  /** Names the temporary table and the backup; the same ID continues an unfinished recovery. */
  readonly incident: string;
  /** Must repeat `table`: nothing is called otherwise. */
  readonly confirmTableName?: string;
  /** @default { kind: 'dynamodb' } */
  readonly backup?: PreRecoveryBackup;
  /** Functions held at reserved concurrency 0 during the sync (recovery mode). */
  readonly pauseFunctions?: readonly string[];
  /**
   * Deletes the temporary table once the live table is verified equal to it.
   * @default false — it stays for inspection; delete it when done
   */
  readonly removeRecoveryTable?: boolean;
  /** DynamoDB control plane: backups, restores, table descriptions. */
  readonly dynamodb: DynamoDBClient;
  /** DynamoDB data plane for the sync. @default `dynamodb` */
  readonly data?: DynamoDBClient;
  /** Needed for `pauseFunctions`. */
  readonly lambda?: LambdaClient;
  /** Needed for an `aws-backup` backup. @default a client in the default Region */
  readonly awsBackup?: BackupClient;
  /** Where the recovery's checkpoint, the sync's checkpoint and the reports go. */
  readonly state: ObjectStore;
  /** Sync settings (see `hydrateTable`). */
  readonly segments?: number;
  readonly concurrency?: number;
  readonly maxWriteUnits?: number;
  readonly pageLimit?: number;
  /** Polling of the backup and the restore. @default 15 s */
  readonly pollMs?: number;
  /** How long the restore may take. @default 12 hours */
  readonly restoreTimeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => Date;
  readonly onStep?: (step: RecoveryStep, detail: string) => void;
  readonly onSyncProgress?: (progress: HydrateProgress) => void;
}

export type RecoveryStep = 'check' | 'backup' | 'restore' | 'wait' | 'pause' | 'sync' | 'resume-functions' | 'remove' | 'report';

export interface RecoveryResult {
  readonly table: string;
  readonly incident: string;
  readonly toTime: string;
  readonly recoveryTable: string;
  readonly backup: { kind: PreRecoveryBackup['kind']; arn?: string; reason?: string };
  readonly functions: readonly SavedConcurrency[];
  readonly sync: HydrateTableResult;
  readonly verified: boolean;
  readonly recoveryTableRemoved: boolean;
  readonly resumed: boolean;
  readonly durationMs: { backup: number; restore: number; sync: number; total: number };
  readonly report: string;
}

/** The recovery was refused before anything changed. */
export class RecoverRefusedError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(['recovery refused; nothing was changed:', ...problems.map((problem) => `  ${problem}`)].join('\n'));
    this.name = 'RecoverRefusedError';
  }
}

interface RecoveryCheckpoint {
  readonly version: 1;
  readonly table: string;
  readonly incident: string;
  readonly toTime: string;
  readonly recoveryTable: string;
  readonly startedAt: string;
  /** Read before any change; these are the values restored. */
  functions?: SavedConcurrency[];
  backup?: { kind: PreRecoveryBackup['kind']; arn?: string; reason?: string; ms: number };
  restoreRequestedAt?: string;
  restoredAt?: string;
  restoreMs?: number;
}

export function recoveryFolder(table: string, incident: string): string {
  return `recover/${table}/${incident}`;
}

export async function recoverTable(options: RecoverTableOptions): Promise<RecoveryResult> {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const step = options.onStep ?? (() => undefined);
  const started = performance.now();
  const requestProblems = checkRecoveryRequest(options, now());
  if (options.pauseFunctions?.length && !options.lambda) requestProblems.push('pauseFunctions needs a Lambda client');
  if (options.backup?.kind === 'none' && !options.backup.reason.trim()) requestProblems.push('a recovery without a backup needs the reason (--skip-backup "<why>")');
  if (requestProblems.length > 0) throw new RecoverRefusedError(requestProblems);

  const recoveryTable = recoveryTableName(options.table, options.incident);
  const folder = recoveryFolder(options.table, options.incident);
  const checkpointKey = `${folder}/recovery.json`;
  const saved = await CheckpointWriter.load<RecoveryCheckpoint>(options.state, checkpointKey);

  // Checks against AWS, all before the first change.
  step('check', `${options.table}: point-in-time window, key, ${recoveryTable}`);
  const problems: string[] = [];
  if (saved && saved.toTime !== options.toTime) problems.push(`incident ${options.incident} was started with --to-time ${saved.toTime}; continue it with the same time, or use another incident ID`);
  const live = await describe(options.dynamodb, options.table);
  if (!live) throw new RecoverRefusedError([`table ${options.table} does not exist`]);
  if (live.TableStatus !== 'ACTIVE') problems.push(`${options.table} is ${live.TableStatus}, not ACTIVE`);
  const toTime = new Date(options.toTime);
  if (!saved?.restoreRequestedAt) {
    const { ContinuousBackupsDescription: continuous } = await options.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: options.table }));
    const pitr = continuous?.PointInTimeRecoveryDescription;
    problems.push(...checkRestoreWindow(toTime, options.table, { status: pitr?.PointInTimeRecoveryStatus, earliest: pitr?.EarliestRestorableDateTime, latest: pitr?.LatestRestorableDateTime }));
    if (await describe(options.dynamodb, recoveryTable)) problems.push(`${recoveryTable} already exists and this incident's checkpoint did not create it; delete it or use another incident ID`);
  }
  let functions = saved?.functions;
  if (!functions && options.pauseFunctions?.length) {
    const read = await readConcurrency(options.lambda!, options.pauseFunctions);
    problems.push(...read.problems);
    functions = read.saved;
  }
  if (problems.length > 0) throw new RecoverRefusedError(problems);

  const checkpoint: RecoveryCheckpoint = saved ?? { version: 1, table: options.table, incident: options.incident, toTime: options.toTime, recoveryTable, startedAt: now().toISOString() };
  checkpoint.functions = functions ?? [];
  const writer = new CheckpointWriter(options.state, checkpointKey, () => checkpoint);
  await writer.save();

  if (!checkpoint.backup) {
    const backup = options.backup ?? { kind: 'dynamodb' };
    step('backup', backup.kind === 'none' ? `skipped: ${backup.reason}` : `${backup.kind} on-demand backup of ${options.table}`);
    const backupStart = performance.now();
    const arn = await takeBackup(backup, live, options, sleep);
    checkpoint.backup = { kind: backup.kind, ...(arn ? { arn } : {}), ...(backup.kind === 'none' ? { reason: backup.reason } : {}), ms: Math.round(performance.now() - backupStart) };
    await writer.save();
  }

  if (!checkpoint.restoredAt) {
    const restoreStart = performance.now();
    if (!checkpoint.restoreRequestedAt || !(await describe(options.dynamodb, recoveryTable))) {
      step('restore', `${options.table} as of ${toTime.toISOString()} into ${recoveryTable}`);
      checkpoint.restoreRequestedAt = now().toISOString();
      await writer.save();
      await options.dynamodb.send(new RestoreTableToPointInTimeCommand(restoreRequest(live, recoveryTable, toTime)));
    }
    step('wait', `${recoveryTable} to become ACTIVE`);
    await waitForTable(options.dynamodb, recoveryTable, { pollMs: options.pollMs ?? 15_000, timeoutMs: options.restoreTimeoutMs ?? 12 * 3_600_000, sleep });
    checkpoint.restoredAt = now().toISOString();
    checkpoint.restoreMs = Math.round(performance.now() - restoreStart);
    await writer.save();
  }

  let sync: HydrateTableResult;
  const syncStart = performance.now();
  if (checkpoint.functions.length > 0) {
    step('pause', checkpoint.functions.map((saved) => saved.functionName).join(', '));
    try {
      await pauseFunctions(options.lambda!, checkpoint.functions);
    } catch (error) {
      await restoreConcurrency(options.lambda!, checkpoint.functions);
      throw error;
    }
  }
  try {
    step('sync', `${options.table} from ${recoveryTable}`);
    sync = await hydrateTable({
      client: options.data ?? options.dynamodb,
      source: recoveryTable,
      target: options.table,
      mode: 'sync',
      state: options.state,
      segments: options.segments,
      concurrency: options.concurrency,
      maxWriteUnits: options.maxWriteUnits,
      pageLimit: options.pageLimit,
      onProgress: options.onSyncProgress,
    });
  } finally {
    if (checkpoint.functions.length > 0) {
      step('resume-functions', checkpoint.functions.map((saved) => `${saved.functionName} → ${saved.previous ?? 'unreserved'}`).join(', '));
      await restoreConcurrency(options.lambda!, checkpoint.functions);
    }
  }
  const syncMs = performance.now() - syncStart;

  const verified = sync.verified === true;
  let removed = false;
  if (options.removeRecoveryTable && verified) {
    step('remove', recoveryTable);
    await options.dynamodb.send(new DeleteTableCommand({ TableName: recoveryTable }));
    removed = true;
  }
  const result: RecoveryResult = {
    table: options.table,
    incident: options.incident,
    toTime: options.toTime,
    recoveryTable,
    backup: { kind: checkpoint.backup.kind, arn: checkpoint.backup.arn, reason: checkpoint.backup.reason },
    functions: checkpoint.functions,
    sync,
    verified,
    recoveryTableRemoved: removed,
    resumed: saved !== undefined,
    durationMs: { backup: checkpoint.backup.ms, restore: checkpoint.restoreMs ?? 0, sync: Math.round(syncMs), total: Math.round(performance.now() - started) },
    report: `${options.state.location}/${folder}/report.json`,
  };
  step('report', result.report);
  await options.state.put(`${folder}/report.json`, Buffer.from(JSON.stringify({ ...result, startedAt: checkpoint.startedAt, finishedAt: now().toISOString() }, null, 2)), 'application/json');
  if (verified) await options.state.delete(checkpointKey);
  return result;
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

async function takeBackup(backup: PreRecoveryBackup, live: TableDescription, options: RecoverTableOptions, sleep: (ms: number) => Promise<void>): Promise<string | undefined> {
  const pollMs = options.pollMs ?? 15_000;
  const advice = ` — nothing was changed; if the table's policy forbids this backup, take one the way it allows and run again with --skip-backup "<where it is>"`;
  try {
    if (backup.kind === 'none') return undefined;
    if (backup.kind === 'dynamodb') {
      const { BackupDetails } = await options.dynamodb.send(new CreateBackupCommand({ TableName: options.table, BackupName: preRecoveryBackupName(options.table, options.incident) }));
      const arn = BackupDetails!.BackupArn!;
      for (let status = BackupDetails?.BackupStatus; status !== 'AVAILABLE'; ) {
        if (status === 'DELETED') throw new Error(`backup ${arn} was deleted while it was being created`);
        await sleep(pollMs);
        status = (await options.dynamodb.send(new DescribeBackupCommand({ BackupArn: arn }))).BackupDescription?.BackupDetails?.BackupStatus;
      }
      return arn;
    }
    const client = options.awsBackup ?? new BackupClient({});
    const job = await client.send(
      new StartBackupJobCommand({
        BackupVaultName: backup.vaultName,
        ResourceArn: live.TableArn,
        IamRoleArn: backup.roleArn,
        ...(backup.deleteAfterDays ? { Lifecycle: { DeleteAfterDays: backup.deleteAfterDays } } : {}),
      }),
    );
    for (;;) {
      const described = await client.send(new DescribeBackupJobCommand({ BackupJobId: job.BackupJobId }));
      if (described.State === 'COMPLETED') return described.RecoveryPointArn ?? job.RecoveryPointArn;
      if (described.State === 'FAILED' || described.State === 'ABORTED' || described.State === 'EXPIRED') throw new Error(`backup job ${job.BackupJobId} ended ${described.State}: ${described.StatusMessage ?? 'no message'}`);
      await sleep(pollMs);
    }
  } catch (error) {
    throw new Error(`the backup of ${options.table} failed: ${error instanceof Error ? error.message : String(error)}${advice}`);
  }
}

async function waitForTable(client: DynamoDBClient, table: string, options: { pollMs: number; timeoutMs: number; sleep: (ms: number) => Promise<void> }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const description = await describe(client, table);
    if (description?.TableStatus === 'ACTIVE' && !description.RestoreSummary?.RestoreInProgress) return;
    if (Date.now() > deadline) throw new Error(`${table} is still ${description?.TableStatus ?? 'not created'} after ${Math.round(options.timeoutMs / 60_000)} minutes; run the same command again to keep waiting`);
    await options.sleep(options.pollMs);
  }
}

async function describe(client: DynamoDBClient, table: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: table }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException || (error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}
