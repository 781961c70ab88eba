/**
 * Whether backup failures are systemic: the distinct resources whose backup or copy jobs failed in
 * the last window, and the categories whose copies to the backup account failed. AWS Backup's own
 * job lists are the record, so a retried job counts its resource once and nothing is stored between
 * runs; AWS Backup's metrics count jobs, not resources, which is why metric math cannot tell one
 * resource failing five times from five resources failing once.
 */
import { type BackupClient, type BackupJobState, type CopyJobState, paginateListBackupJobs, paginateListCopyJobs } from '@aws-sdk/client-backup';
import { JOB_FAILURE_STATES } from 'retention-kit/policy';
import { planCategories } from './plans';

const COPY_FAILURE_STATES: CopyJobState[] = ['FAILED', 'PARTIAL'];

export interface SystemicFailureReport {
  readonly since: Date;
  /** Distinct resources with a failed backup or copy job in the window. */
  readonly failedResources: readonly string[];
  /** Categories (of those that copy) with a failed copy job in the window. */
  readonly categoriesFailingCopy: readonly string[];
  /** Failed jobs in the window (a resource can have several). */
  readonly failedJobs: number;
}

export async function systemicFailures(
  backup: BackupClient,
  options: { windowMinutes: number; copyingCategories: readonly string[]; now?: Date },
): Promise<SystemicFailureReport> {
  const now = options.now ?? new Date();
  const since = new Date(now.getTime() - options.windowMinutes * 60_000);
  const resources = new Set<string>();
  const failingCopy = new Set<string>();
  let failedJobs = 0;
  const plans = options.copyingCategories.length > 0 ? await planCategories(backup, options.copyingCategories) : new Map<string, string>();
  // Each failure state is its own listing: the API filters by one state at a time.
  for (const state of JOB_FAILURE_STATES) {
    for await (const page of paginateListBackupJobs({ client: backup }, { ByState: state as BackupJobState, ByCreatedAfter: since })) {
      for (const job of page.BackupJobs ?? []) {
        failedJobs++;
        if (job.ResourceArn) resources.add(job.ResourceArn);
      }
    }
  }
  // Copy jobs end FAILED or PARTIAL; they are never ABORTED or EXPIRED.
  for (const state of COPY_FAILURE_STATES) {
    for await (const page of paginateListCopyJobs({ client: backup }, { ByState: state, ByCreatedAfter: since })) {
      for (const job of page.CopyJobs ?? []) {
        failedJobs++;
        if (job.ResourceArn) resources.add(job.ResourceArn);
        const category = job.CreatedBy?.BackupPlanId ? plans.get(job.CreatedBy.BackupPlanId) : undefined;
        if (category) failingCopy.add(category);
      }
    }
  }
  return { since, failedResources: [...resources].sort(), categoriesFailingCopy: [...failingCopy].sort(), failedJobs };
}
