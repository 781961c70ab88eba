import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { type AwsOptions, awsSettings, output, withAws, withJson } from '../aws';
import { EXIT_CODES, exitWith } from '../exit-codes';
import { formatRecovery } from '../../runtime/dynamodb/recover-summary';
import { type PreRecoveryBackup, RecoverRefusedError, recoverTable } from '../../runtime/dynamodb/recover-table';
import { storeFor } from '../../runtime/store';
import { parsePositiveInteger } from '../options';

interface RecoverOptions extends AwsOptions {
  json?: boolean;
  table: string;
  toTime: string;
  incident: string;
  confirmTableName?: string;
  pauseFunctions?: string;
  backupVault?: string;
  backupRoleArn?: string;
  backupDeleteAfterDays?: number;
  skipBackup?: string;
  removeRecoveryTable?: boolean;
  segments?: number;
  concurrency: number;
  maxWriteUnits?: number;
  state: string;
}

export function recoverCommand(): Command {
  const command = new Command('recover').description('Repairs live resources in place from an earlier point in time');
  const dynamodb = command
    .command('dynamodb')
    .description(
      'Repairs a live table after bad writes: takes an on-demand backup of it, restores it to --to-time into <table>-recovery-<incident> with its own key, ' +
        'makes the live table equal to that copy (writes what differs, deletes what it lacks), verifies count and checksum, and reports what changed. ' +
        'Run the same command again to continue an interrupted recovery.',
    )
    .requiredOption('--table <name>', 'the live table to repair')
    .requiredOption('--to-time <iso8601>', 'the last moment the data was good, e.g. 2026-11-20T14:05:00Z')
    .requiredOption('--incident <id>', 'names the recovery table and backup; the same ID continues an unfinished recovery')
    .option('--confirm-table-name <name>', "repeat the table's name: the recovery overwrites and deletes items in it")
    .option('--pause-functions <names>', "recovery mode: comma-separated Lambda functions held at reserved concurrency 0 during the sync, then put back as they were")
    .option('--backup-vault <name>', 'take the backup with AWS Backup into this vault (with --backup-role-arn) instead of a DynamoDB on-demand backup')
    .option('--backup-role-arn <arn>', 'the role AWS Backup uses for the backup')
    .option('--backup-delete-after-days <days>', "the AWS Backup recovery point's retention", parsePositiveInteger)
    .option('--skip-backup <reason>', "take no backup, for this reason (recorded in the report), e.g. when the table's policy allows copies only in its locked vault")
    .option('--remove-recovery-table', 'delete the recovery table once the live table is verified equal to it')
    .option('--segments <n>', 'scan segments of the sync', parsePositiveInteger)
    .option('--concurrency <n>', 'segments synced at once', parsePositiveInteger, 8)
    .option('--max-write-units <wcu>', "cap on the sync's write capacity units per second", parsePositiveInteger)
    .option('--state <dir|s3://bucket/prefix>', 'where checkpoints and reports go', '.retention/recover');
  withJson(withAws(dynamodb, 'the Region of the table'))
    .action(async (options: RecoverOptions) => {
      const problems: string[] = [];
      if (options.skipBackup !== undefined && options.backupVault) problems.push('--skip-backup and --backup-vault exclude each other');
      if (Boolean(options.backupVault) !== Boolean(options.backupRoleArn)) problems.push('--backup-vault and --backup-role-arn go together');
      if (problems.length > 0) return refuse(new RecoverRefusedError(problems));
      const backup: PreRecoveryBackup =
        options.skipBackup !== undefined
          ? { kind: 'none', reason: options.skipBackup }
          : options.backupVault
            ? { kind: 'aws-backup', vaultName: options.backupVault, roleArn: options.backupRoleArn!, deleteAfterDays: options.backupDeleteAfterDays }
            : { kind: 'dynamodb' };
      const pauseFunctions = options.pauseFunctions
        ?.split(',')
        .map((name) => name.trim())
        .filter(Boolean);
      const bar = process.stderr.isTTY ? new SingleBar({ format: 'sync [{bar}] {value}/{total} items | {written} written, {deleted} deleted | {eta_formatted}' }) : undefined;
      let barStarted = false;
      const settings = await awsSettings(options);
      try {
        const result = await recoverTable({
          table: options.table,
          toTime: options.toTime,
          incident: options.incident,
          confirmTableName: options.confirmTableName,
          backup,
          pauseFunctions,
          removeRecoveryTable: options.removeRecoveryTable,
          dynamodb: new DynamoDBClient(settings),
          lambda: pauseFunctions?.length ? new LambdaClient(settings) : undefined,
          awsBackup: backup.kind === 'aws-backup' ? new BackupClient(settings) : undefined,
          state: storeFor(options.state),
          segments: options.segments,
          concurrency: options.concurrency,
          maxWriteUnits: options.maxWriteUnits,
          onStep: (step, detail) => {
            if (barStarted) bar?.stop();
            barStarted = false;
            process.stderr.write(`${step}: ${detail}\n`);
          },
          onSyncProgress: (progress) => {
            if (!bar || progress.phase !== 'sync') return;
            const payload = { written: progress.changes?.written ?? 0, deleted: progress.changes?.deleted ?? 0 };
            if (!barStarted) bar.start(Math.max(progress.estimatedItems, progress.items, 1), progress.items, payload);
            barStarted = true;
            bar.setTotal(Math.max(progress.estimatedItems, progress.items, 1));
            bar.update(progress.items, payload);
          },
        });
        if (barStarted) bar?.stop();
        output(options, result, () => formatRecovery(result));
        if (!result.verified) exitWith(EXIT_CODES.problem);
      } catch (error) {
        if (barStarted) bar?.stop();
        if (error instanceof RecoverRefusedError) return refuse(error);
        throw new Error(`${error instanceof Error ? error.message : String(error)}\nthe recovery's checkpoint in ${options.state} is kept; run the same command again to continue`);
      }
    });
  return command;
}

function refuse(error: RecoverRefusedError): void {
  process.stderr.write(`${error.message}\n`);
  exitWith(EXIT_CODES.problem);
}
