/**
 * The post-deploy smoke test of backup: for one resource of each category, an on-demand backup job
 * into the category's local vault with its role, then (when the category copies) a copy job of the
 * new recovery point to the backup account, each waited for; the times are reported against the
 * category's RPO. A plan's copy actions run only for scheduled jobs, so the copy is started here.
 * The sensitive category is reported as skipped, with the reason: its guards refuse the smoke role.
 */
import {
  type BackupClient,
  DescribeBackupJobCommand,
  DescribeCopyJobCommand,
  StartBackupJobCommand,
  StartCopyJobCommand,
} from '@aws-sdk/client-backup';
import { type RetentionPolicy, roleArn } from 'retention-kit/policy';
import { selectedResources } from './freshness';

export interface SmokeResult {
  readonly category: string;
  readonly resourceArn: string;
  readonly backupJobId?: string;
  readonly backupMinutes?: number;
  readonly copyJobId?: string;
  readonly copyMinutes?: number;
  /** Backup and copy together, against the RPO. */
  readonly totalMinutes?: number;
  readonly rpoHours: number;
  readonly ok: boolean;
  readonly problem?: string;
  /** Why the category was not tested (not a failure). */
  readonly skipped?: string;
}

/** Why the sensitive category is not smoke-tested: the guards that keep its data in place would refuse the test, rightly. */
export const SENSITIVE_SKIP_REASON =
  'skipped: the sensitive vault lets only its own backup role copy out, and the smoke role may not pass that role; `retention status` checks its scheduled backups and copies';

const DONE_BACKUP = new Set(['COMPLETED', 'FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL']);
const DONE_COPY = new Set(['COMPLETED', 'FAILED', 'PARTIAL']);

export interface SmokeOptions {
  /** Categories to test (default: every category with a resource selected by the deployed plans). */
  readonly categories?: readonly string[];
  /** Give up on a job after this long. */
  readonly timeoutMinutes?: number;
  readonly pollMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onProgress?: (line: string) => void;
}

export async function smokeTest(backup: BackupClient, policy: RetentionPolicy, options: SmokeOptions = {}): Promise<SmokeResult[]> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const timeoutMs = (options.timeoutMinutes ?? 180) * 60_000;
  const wanted = options.categories ?? Object.keys(policy.categories);
  const unknown = wanted.filter((c) => !policy.categories[c]);
  if (unknown.length > 0) throw new Error(`unknown categories ${unknown.join(', ')}; known: ${Object.keys(policy.categories).join(', ')}`);
  const selected = await selectedResources(backup, wanted);
  const results: SmokeResult[] = [];
  for (const name of wanted) {
    const category = policy.categories[name];
    const resource = selected.find((r) => r.category === name);
    if (!resource) {
      // A category no deployed plan selects anything in is not a failure of backup; categories asked for by name are.
      if (options.categories) results.push({ category: name, resourceArn: '-', rpoHours: category.rpoHours, ok: false, problem: 'no deployed plan selects a resource of this category' });
      continue;
    }
    if (category.dedicatedVault) {
      results.push({ category: name, resourceArn: resource.resourceArn, rpoHours: category.rpoHours, ok: true, skipped: SENSITIVE_SKIP_REASON });
      continue;
    }
    // The role the deployed selection backs the resource up with (an S3 bucket's ARN names no account to build it from).
    const role = resource.iamRoleArn ?? roleArn(resource.resourceArn.split(':')[4], policy.generalRoleName);
    const vault = policy.vaultNames.general;
    const wait = async <T extends { state?: string }>(describe: () => Promise<T>, done: Set<string>, what: string): Promise<{ state: string; minutes: number; job: T }> => {
      const started = now();
      for (;;) {
        const job = await describe();
        const state = job.state ?? 'UNKNOWN';
        const minutes = (now() - started) / 60_000;
        options.onProgress?.(`${name}: ${what} ${state} (${minutes.toFixed(1)} min)`);
        if (done.has(state)) return { state, minutes, job };
        if (now() - started > timeoutMs) return { state: 'TIMED OUT', minutes, job };
        await sleep(options.pollMs ?? 30_000);
      }
    };
    const started = await backup.send(
      new StartBackupJobCommand({
        BackupVaultName: vault,
        ResourceArn: resource.resourceArn,
        IamRoleArn: role,
        // Kept one day: the smoke test's recovery point is evidence, not a backup to keep.
        Lifecycle: { DeleteAfterDays: 1 },
        IdempotencyToken: `smoke-${name}-${Math.floor(now() / 60_000)}`,
      }),
    );
    const backupJob = await wait(
      async () => {
        const job = await backup.send(new DescribeBackupJobCommand({ BackupJobId: started.BackupJobId }));
        return { state: job.State, recoveryPointArn: job.RecoveryPointArn, message: job.StatusMessage };
      },
      DONE_BACKUP,
      'backup job',
    );
    if (backupJob.state !== 'COMPLETED') {
      results.push({ category: name, resourceArn: resource.resourceArn, backupJobId: started.BackupJobId, backupMinutes: backupJob.minutes, rpoHours: category.rpoHours, ok: false, problem: `backup job ${started.BackupJobId} ended ${backupJob.state}${backupJob.job.message ? `: ${backupJob.job.message}` : ''}` });
      continue;
    }
    let copyJobId: string | undefined;
    let copyMinutes: number | undefined;
    let problem: string | undefined;
    if (category.copyDestination) {
      const copy = await backup.send(
        new StartCopyJobCommand({
          RecoveryPointArn: backupJob.job.recoveryPointArn,
          SourceBackupVaultName: vault,
          DestinationBackupVaultArn: category.copyDestination.vaultArn,
          IamRoleArn: role,
          Lifecycle: { DeleteAfterDays: 1 },
          IdempotencyToken: `smoke-copy-${name}-${Math.floor(now() / 60_000)}`,
        }),
      );
      copyJobId = copy.CopyJobId;
      const copyJob = await wait(
        async () => {
          const job = await backup.send(new DescribeCopyJobCommand({ CopyJobId: copy.CopyJobId }));
          return { state: job.CopyJob?.State, message: job.CopyJob?.StatusMessage };
        },
        DONE_COPY,
        'copy job',
      );
      copyMinutes = copyJob.minutes;
      if (copyJob.state !== 'COMPLETED') problem = `copy job ${copyJobId} to ${category.copyDestination.vaultArn} ended ${copyJob.state}${copyJob.job.message ? `: ${copyJob.job.message}` : ''}`;
    }
    const totalMinutes = backupJob.minutes + (copyMinutes ?? 0);
    if (!problem && totalMinutes > category.rpoHours * 60) problem = `backup and copy took ${totalMinutes.toFixed(0)} minutes, longer than the RPO of ${category.rpoHours} hours`;
    results.push({ category: name, resourceArn: resource.resourceArn, backupJobId: started.BackupJobId, backupMinutes: backupJob.minutes, copyJobId, copyMinutes, totalMinutes, rpoHours: category.rpoHours, ok: !problem, problem });
  }
  return results;
}
