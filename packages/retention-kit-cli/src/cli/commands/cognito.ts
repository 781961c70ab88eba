import { S3Client } from '@aws-sdk/client-s3';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { clientSettings } from '../../runtime/clients';
import { createCognitoClient, type QuotaOverrides } from '../../runtime/cognito/client';
import { openExport, verifyExport } from '../../runtime/cognito/export-reader';
import { runExportJob } from '../../runtime/cognito/export-job';
import { RestoreRefusedError, type RestoreMethod, restoreUserPool } from '../../runtime/cognito/restorer';
import { DEFAULT_SOURCE_SUB_ATTRIBUTE } from '../../runtime/cognito/restore-model';
import { formatRestoreSummary, restoreExitCode } from '../../runtime/cognito/restore-summary';
import { sendInvitations } from '../../runtime/cognito/invitations';
import { COGNITO_DEFAULT_QUOTAS, type CognitoQuotaCategory } from '../../runtime/cognito/quotas';
import { FolderStore, storeFor } from '../../runtime/store';
import { parsePositiveInteger } from '../options';

interface StoreOptions {
  region?: string;
  s3PathStyle?: boolean;
}

function s3Client(options: StoreOptions): S3Client {
  return new S3Client({ ...clientSettings(options.region), forcePathStyle: options.s3PathStyle === true });
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--rate UserList=20`: requests per second for one quota category. */
function parseRate(value: string, previous: QuotaOverrides = {}): QuotaOverrides {
  const match = /^(\w+)=(\d+(?:\.\d+)?)$/.exec(value);
  const categories = Object.keys(COGNITO_DEFAULT_QUOTAS);
  if (!match || !categories.includes(match[1]) || Number(match[2]) <= 0) {
    throw new InvalidArgumentError(`expected CATEGORY=RPS with CATEGORY one of ${categories.join(', ')} and RPS above 0, got "${value}"`);
  }
  return { ...previous, [match[1] as CognitoQuotaCategory]: Number(match[2]) };
}

export function cognitoCommand(): Command {
  const command = new Command('cognito').description('Cognito user pools: export every user, group and membership; verify an export; restore it into a new pool');
  command
    .command('export')
    .description('Exports user pools to a folder or s3://bucket/prefix, one new run folder per pool; an interrupted run continues where it stopped')
    .requiredOption('--user-pool-id <id>', 'a pool to export (repeat for several)', collect)
    .requiredOption('--out <dir|s3://bucket/prefix>', 'where the export goes')
    .option('--region <region>', 'the Region')
    .option('--rate <category=rps>', `requests per second for a Cognito quota category (repeatable; defaults: ${Object.entries(COGNITO_DEFAULT_QUOTAS).filter(([c]) => ['UserList', 'UserPoolRead', 'UserPoolResourceRead'].includes(c)).map(([c, n]) => `${c}=${n}`).join(', ')})`, parseRate)
    .option('--no-segments', 'list users in one sequence instead of 16 parallel sub-prefix segments')
    .option('--s3-path-style', 'path-style S3 addressing (for S3-compatible local servers)')
    .action(async (options: { userPoolId: string[]; out: string; rate?: QuotaOverrides; segments: boolean } & StoreOptions) => {
      const client = createCognitoClient({ region: options.region, rates: options.rate });
      const store = storeFor(options.out, s3Client(options));
      const bar = process.stderr.isTTY ? new SingleBar({ format: '{pool} [{bar}] {value}/{total} users | {memberships} memberships | {eta_formatted}' }) : undefined;
      const started = Date.now();
      const result = await runExportJob({
        client,
        store,
        userPoolIds: options.userPoolId,
        segmentUsers: options.segments,
        onPoolStart: (pool) => bar?.start(1, 0, { pool, memberships: 0 }),
        onProgress: (pool, progress) => {
          if (!bar) return;
          bar.setTotal(Math.max(progress.estimatedUsers ?? 0, progress.users, 1));
          bar.update(progress.users, { pool, memberships: progress.memberships });
        },
      });
      bar?.stop();
      for (const { userPoolId, location, manifest } of result.exported) {
        const statuses = Object.entries(manifest.counts.usersByStatus).map(([status, n]) => `${status} ${n}`).join(', ');
        process.stdout.write(
          `${userPoolId}: ${manifest.counts.users} users (${statuses}; ${manifest.counts.disabledUsers} disabled), ` +
            `${manifest.counts.groups} groups, ${manifest.counts.memberships} memberships -> ${location}` +
            `${manifest.resumes > 0 ? ` (continued ${manifest.resumes} time${manifest.resumes > 1 ? 's' : ''} from its checkpoint)` : ''}\n`,
        );
      }
      for (const { userPoolId, error } of result.failed) process.stderr.write(`${userPoolId}: FAILED: ${error}\n`);
      process.stdout.write(`${result.exported.length} of ${options.userPoolId.length} pools exported in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      if (result.failed.length > 0) process.exitCode = 1;
    });
  command
    .command('verify')
    .description("Checks an export against its manifest: every file's SHA-256 and size, record counts and digests")
    .requiredOption('--from <dir|s3://bucket/prefix>', 'a run folder, a pool folder (its newest complete run) or the export root with one pool')
    .option('--user-pool-id <id>', 'the pool, when the location holds several')
    .option('--region <region>', 'the Region')
    .option('--s3-path-style', 'path-style S3 addressing (for S3-compatible local servers)')
    .action(async (options: { from: string; userPoolId?: string } & StoreOptions) => {
      const store = storeFor(options.from, s3Client(options));
      const run = await openExport(store, options.userPoolId ?? '');
      const verification = await verifyExport(run);
      const where = `${store.location}/${run.path}`.replace(/\/+$/, '');
      if (!verification.ok) {
        process.stderr.write(`${where}: ${verification.problems.length} problem(s)\n${verification.problems.map((p) => `  ${p}`).join('\n')}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`${where}: OK, ${verification.users} users and ${verification.memberships} memberships match the manifest (${run.manifest.files.length} files)\n`);
    });
  command
    .command('restore')
    .description(
      'Restores an export into a new user pool: checks the pool first, then groups, users (invitations suppressed; they must set a new password) and memberships. ' +
        'A re-run skips what is there and reports what differs; an interrupted run continues from its checkpoint. Exit 1 when anything failed, 2 when users or groups differ.',
    )
    .requiredOption('--from <dir|s3://bucket/prefix>', 'a run folder, a pool folder (its newest complete run) or the export root with one pool')
    .requiredOption('--user-pool-id <id>', 'the pool to restore into')
    .option('--source-pool-id <id>', 'the exported pool, when the location holds several')
    .option('--method <method>', 'auto, per-user or import-job', parseMethod, 'auto' as RestoreMethod)
    .option('--import-role-arn <arn>', 'IAM role Cognito writes import-job logs with; lets auto use an import job for large pools')
    .option('--import-threshold <users>', 'auto uses an import job from this many users up', parsePositiveInteger, 10_000)
    .option('--source-sub-attribute <name>', "custom attribute that receives each user's old sub, when the pool has it", DEFAULT_SOURCE_SUB_ATTRIBUTE)
    .option('--state <dir>', 'folder for checkpoints and reports', '.retention/cognito-restore')
    .option('--concurrency <n>', 'users written at once', parsePositiveInteger, 8)
    .option('--region <region>', 'the Region')
    .option('--rate <category=rps>', 'requests per second for a Cognito quota category (repeatable; defaults: the documented quotas)', parseRate)
    .option('--s3-path-style', 'path-style S3 addressing (for S3-compatible local servers)')
    .action(
      async (
        options: {
          from: string;
          userPoolId: string;
          sourcePoolId?: string;
          method: RestoreMethod;
          importRoleArn?: string;
          importThreshold: number;
          sourceSubAttribute: string;
          state: string;
          concurrency: number;
          rate?: QuotaOverrides;
        } & StoreOptions,
      ) => {
        const client = createCognitoClient({ region: options.region, rates: options.rate });
        const run = await openExport(storeFor(options.from, s3Client(options)), options.sourcePoolId ?? '');
        const bar = process.stderr.isTTY ? new SingleBar({ format: '{phase} [{bar}] {value}/{total} | {eta_formatted}' }) : undefined;
        let phase = '';
        try {
          const result = await restoreUserPool({
            client,
            run,
            targetUserPoolId: options.userPoolId,
            state: new FolderStore(options.state),
            method: options.method,
            importJob: { cloudWatchLogsRoleArn: options.importRoleArn, minimumUsers: options.importThreshold },
            sourceSubAttribute: options.sourceSubAttribute,
            concurrency: options.concurrency,
            onProgress: (progress) => {
              if (!bar) return;
              const total = progress.phase === 'memberships' ? progress.totalMemberships : progress.totalUsers;
              const value = progress.phase === 'memberships' ? progress.memberships : progress.users;
              if (progress.phase !== phase) {
                if (phase) bar.stop();
                phase = progress.phase;
                bar.start(Math.max(total, 1), value, { phase });
              }
              bar.update(value, { phase });
            },
          });
          bar?.stop();
          process.stdout.write(formatRestoreSummary(result.summary));
          if (result.status === 'complete') process.stdout.write(`report: ${result.report}\n`);
          process.exitCode = restoreExitCode(result.summary);
        } catch (error) {
          bar?.stop();
          if (error instanceof RestoreRefusedError) {
            process.stderr.write(`${error.message}\n`);
            process.exitCode = 1;
            return;
          }
          throw error;
        }
      },
    );
  command
    .command('invite')
    .description(
      'Sends the pool\'s invitation message, with a new temporary password, to every enabled user still in FORCE_CHANGE_PASSWORD (after a restore). ' +
        'Users invited by an earlier run are skipped: a new invitation would replace the password they were sent. Exit 1 when any failed.',
    )
    .requiredOption('--user-pool-id <id>', 'the restored pool')
    .option('--state <dir>', 'folder that records who was invited', '.retention/cognito-restore')
    .option('--again', 'invite again users an earlier run invited')
    .option('--dry-run', 'count who would be invited; send nothing')
    .option('--region <region>', 'the Region')
    .option('--rate <category=rps>', 'requests per second for a Cognito quota category (repeatable)', parseRate)
    .action(async (options: { userPoolId: string; state: string; again?: boolean; dryRun?: boolean; region?: string; rate?: QuotaOverrides }) => {
      const result = await sendInvitations({
        client: createCognitoClient({ region: options.region, rates: options.rate }),
        userPoolId: options.userPoolId,
        state: new FolderStore(options.state),
        again: options.again,
        dryRun: options.dryRun,
      });
      process.stdout.write(
        `${options.userPoolId}: ${result.sent} invitation(s) ${options.dryRun ? 'would be ' : ''}sent, ${result.alreadyInvited} already invited, ` +
          `${result.disabled} disabled (not invited), ${result.failed.length} failed\n`,
      );
      for (const { username, reason } of result.failed) process.stderr.write(`  failed: ${username}: ${reason}\n`);
      if (result.failed.length > 0) process.exitCode = 1;
    });
  return command;
}

function parseMethod(value: string): RestoreMethod {
  if (!['auto', 'per-user', 'import-job'].includes(value)) throw new InvalidArgumentError(`expected auto, per-user or import-job, got "${value}"`);
  return value as RestoreMethod;
}

