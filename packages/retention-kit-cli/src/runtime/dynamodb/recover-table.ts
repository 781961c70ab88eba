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
import type { BackupClient } from '@aws-sdk/client-backup';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { checkRecoveryRequest } from 'retention-kit/policy';
import { CheckpointWriter } from '../checkpoint';
import { pauseFunctions, readConcurrency, restoreConcurrency, type SavedConcurrency } from '../recovery-mode';
import type { ObjectStore } from '../store';
import { type HydrateProgress, type HydrateTableResult, hydrateTable } from './hydrate-table';
import { backupStatus, checkRecovery, type PreRecoveryBackup, RecoverRefusedError, removeTable, restoreFinished, startBackup, startRestore } from './recover-steps';

export { type PreRecoveryBackup, RecoverRefusedError } from './recover-steps';

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
  const pollMs = options.pollMs ?? 15_000;
  // The request's own problems are named before any call.
  const own = checkRecoveryRequest(options, now());
  if (options.pauseFunctions?.length && !options.lambda) own.push('pauseFunctions needs a Lambda client');
  if (options.backup?.kind === 'none' && !options.backup.reason.trim()) own.push('a recovery without a backup needs the reason (--skip-backup "<why>")');
  if (own.length > 0) throw new RecoverRefusedError(own);
  const folder = recoveryFolder(options.table, options.incident);
  const checkpointKey = `${folder}/recovery.json`;
  const saved = await CheckpointWriter.load<RecoveryCheckpoint>(options.state, checkpointKey);
  step('check', `${options.table}: point-in-time window, key, recovery table`);
  const { live, recoveryTable, problems } = await checkRecovery(options.dynamodb, options, { restoreStarted: saved?.restoreRequestedAt !== undefined, now: now() });
  if (saved && saved.toTime !== options.toTime) problems.push(`incident ${options.incident} was started with --to-time ${saved.toTime}; continue it with the same time, or use another incident ID`);
  let functions = saved?.functions;
  // Values saved by an earlier run win: by now they may read 0, set by that run.
  if (!functions?.length && options.pauseFunctions?.length) {
    const read = await readConcurrency(options.lambda!, options.pauseFunctions);
    problems.push(...read.problems);
    functions = read.saved;
  }
  if (problems.length > 0) throw new RecoverRefusedError(problems);
  const toTime = new Date(options.toTime);

  const checkpoint: RecoveryCheckpoint = saved ?? { version: 1, table: options.table, incident: options.incident, toTime: options.toTime, recoveryTable, startedAt: now().toISOString() };
  checkpoint.functions = functions ?? [];
  const writer = new CheckpointWriter(options.state, checkpointKey, () => checkpoint);
  await writer.save();

  if (!checkpoint.backup) {
    const backup = options.backup ?? { kind: 'dynamodb' };
    step('backup', backup.kind === 'none' ? `skipped: ${backup.reason}` : `${backup.kind} on-demand backup of ${options.table}`);
    const backupStart = performance.now();
    let handle = await startBackup(options, backup, live, options.incident);
    while (!handle.done) {
      await sleep(pollMs);
      handle = await backupStatus(options, handle, options.table);
    }
    checkpoint.backup = { kind: handle.kind, ...(handle.arn ? { arn: handle.arn } : {}), ...(handle.reason ? { reason: handle.reason } : {}), ms: Math.round(performance.now() - backupStart) };
    await writer.save();
  }

  if (!checkpoint.restoredAt) {
    const restoreStart = performance.now();
    step('restore', `${options.table} as of ${toTime.toISOString()} into ${recoveryTable}`);
    checkpoint.restoreRequestedAt ??= now().toISOString();
    await writer.save();
    await startRestore(options.dynamodb, live, recoveryTable, toTime);
    step('wait', `${recoveryTable} to become ACTIVE`);
    const deadline = Date.now() + (options.restoreTimeoutMs ?? 12 * 3_600_000);
    while (!(await restoreFinished(options.dynamodb, recoveryTable))) {
      if (Date.now() > deadline) throw new Error(`${recoveryTable} is not ACTIVE after ${Math.round((options.restoreTimeoutMs ?? 12 * 3_600_000) / 60_000)} minutes; run the same command again to keep waiting`);
      await sleep(pollMs);
    }
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
    await removeTable(options.dynamodb, recoveryTable);
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
