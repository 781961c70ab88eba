/**
 * Freshness: for every resource the toolkit's backup plans select, the newest completed recovery
 * point and (when the category copies) the newest completed copy to the backup account, compared
 * with the category's RPO plus a margin. Catches the backup that never ran, which no failure event
 * reports. Resources are found from the deployed plans and selections, so what is checked is what
 * is actually configured.
 */
import {
  type BackupClient,
  GetBackupSelectionCommand,
  paginateListBackupJobs,
  paginateListBackupPlans,
  paginateListBackupSelections,
  paginateListCopyJobs,
  paginateListRecoveryPointsByResource,
} from '@aws-sdk/client-backup';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { type CategoryFreshness, DEFAULT_SLOW_JOB_SHARE, parseAwsCron, runsBetween } from 'retention-kit/policy';
import { planCategories } from './plans';
import { resolveTagSelection, selectsByTag } from './tag-selections';

export type FreshnessStatus = 'fresh' | 'stale' | 'never backed up';

/** A backup or copy job still running past the slow share of its rule's completion window. */
export interface SlowJob {
  readonly kind: 'backup' | 'copy';
  readonly jobId: string;
  readonly resourceArn?: string;
  readonly category: string;
  readonly runningMinutes: number;
  readonly completionWindowMinutes: number;
}

export interface ResourceFreshness {
  readonly resourceArn: string;
  readonly category: string;
  readonly plan: string;
  readonly thresholdHours: number;
  readonly newestRecoveryPoint?: Date;
  readonly recoveryPointAgeHours?: number;
  readonly newestCopy?: Date;
  readonly copyAgeHours?: number;
  readonly status: FreshnessStatus;
  /** Why it is not fresh, in words. */
  readonly problems: readonly string[];
  /** The last scheduled run whose start window has passed, when the category's schedule is known. */
  readonly lastScheduledRun?: Date;
  /** No backup job was created for it at that run. */
  readonly missedStart?: boolean;
}

export interface CategorySummary {
  readonly category: string;
  readonly resources: number;
  readonly stale: number;
  /** The largest recovery point age in the category, in hours (Infinity when one was never backed up). */
  readonly oldestAgeHours: number;
  /** Running jobs past the slow share of the completion window. */
  readonly slowJobs: number;
  /** Age of the oldest running backup or copy job, in minutes (0 when none runs). */
  readonly oldestRunningJobMinutes: number;
  /** Resources whose last scheduled run created no backup job. */
  readonly missedStarts: number;
}

export interface FreshnessReport {
  readonly checkedAt: Date;
  readonly resources: readonly ResourceFreshness[];
  readonly slowJobs: readonly SlowJob[];
  readonly categories: readonly CategorySummary[];
}

export interface FreshnessOptions {
  readonly categories: Readonly<Record<string, CategoryFreshness>>;
  readonly marginHours: number;
  readonly now?: Date;
  /** Resources checked at once. */
  readonly concurrency?: number;
  /** Lists what tag-based selections select (the app's tag conditions, an organization policy's tags). */
  readonly tagging?: ResourceGroupsTaggingAPIClient;
  /** Share of the completion window after which a running job counts as slow. */
  readonly slowJobShare?: number;
}

/** The latest run of the schedule whose start window had passed by `now`. */
export function lastRunPastStartWindow(schedule: string, startWindowMinutes: number, now: Date): Date | undefined {
  const cron = parseAwsCron(schedule);
  const dayStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - 40 * 86_400_000;
  const limit = now.getTime() / 60_000 - startWindowMinutes;
  const runs = runsBetween(cron, new Date(dayStart), 41).filter((m) => m <= limit);
  return runs.length > 0 ? new Date(runs[runs.length - 1] * 60_000) : undefined;
}

/** Whether any backup job of the resource was created at or after `since` (a scheduled run creates one even when it then fails). */
async function backupJobSince(backup: BackupClient, resourceArn: string, since: Date): Promise<boolean> {
  for await (const page of paginateListBackupJobs({ client: backup }, { ByResourceArn: resourceArn, ByCreatedAfter: since })) {
    if ((page.BackupJobs ?? []).length > 0) return true;
  }
  return false;
}

/** Running backup and copy jobs of the toolkit's plans, with their category and age. */
async function runningJobs(backup: BackupClient, categories: Readonly<Record<string, CategoryFreshness>>, now: Date): Promise<{ kind: 'backup' | 'copy'; jobId: string; resourceArn?: string; category: string; runningMinutes: number }[]> {
  const byPlan = await planCategories(backup, Object.keys(categories));
  const minutes = (created: Date | undefined) => (created ? Math.round((now.getTime() - created.getTime()) / 60_000) : 0);
  const jobs: { kind: 'backup' | 'copy'; jobId: string; resourceArn?: string; category: string; runningMinutes: number }[] = [];
  for await (const page of paginateListBackupJobs({ client: backup }, { ByState: 'RUNNING' })) {
    for (const job of page.BackupJobs ?? []) {
      const category = job.CreatedBy?.BackupPlanId ? byPlan.get(job.CreatedBy.BackupPlanId) : undefined;
      if (category) jobs.push({ kind: 'backup', jobId: job.BackupJobId ?? '?', resourceArn: job.ResourceArn, category, runningMinutes: minutes(job.CreationDate) });
    }
  }
  for await (const page of paginateListCopyJobs({ client: backup }, { ByState: 'RUNNING' })) {
    for (const job of page.CopyJobs ?? []) {
      const category = job.CreatedBy?.BackupPlanId ? byPlan.get(job.CreatedBy.BackupPlanId) : undefined;
      if (category) jobs.push({ kind: 'copy', jobId: job.CopyJobId ?? '?', resourceArn: job.ResourceArn, category, runningMinutes: minutes(job.CreationDate) });
    }
  }
  return jobs;
}

const HOUR = 3_600_000;

/**
 * The resources selected by the toolkit's category plans (named `<stack>-<category>`, or
 * `retention-kit-<category>` for an organization backup policy's): by ARN, and, given the tagging
 * client, by tag.
 */
export async function selectedResources(
  backup: BackupClient,
  categories: readonly string[],
  tagging?: ResourceGroupsTaggingAPIClient,
): Promise<{ resourceArn: string; category: string; plan: string; iamRoleArn?: string }[]> {
  const found: { resourceArn: string; category: string; plan: string; iamRoleArn?: string }[] = [];
  const seen = new Set<string>();
  for await (const page of paginateListBackupPlans({ client: backup }, {})) {
    for (const plan of page.BackupPlansList ?? []) {
      const name = plan.BackupPlanName ?? '';
      const category = categories.find((c) => name.endsWith(`-${c}`));
      if (!category || !plan.BackupPlanId) continue;
      for await (const selections of paginateListBackupSelections({ client: backup }, { BackupPlanId: plan.BackupPlanId })) {
        for (const selection of selections.BackupSelectionsList ?? []) {
          const detail = await backup.send(new GetBackupSelectionCommand({ BackupPlanId: plan.BackupPlanId, SelectionId: selection.SelectionId }));
          const byTag = detail.BackupSelection && selectsByTag(detail.BackupSelection);
          if (byTag && !tagging) continue;
          const arns = byTag ? await resolveTagSelection(tagging!, detail.BackupSelection!) : (detail.BackupSelection?.Resources ?? []).filter((arn) => arn !== '*');
          for (const resourceArn of arns) {
            if (seen.has(resourceArn)) continue;
            seen.add(resourceArn);
            found.push({ resourceArn, category, plan: name, iamRoleArn: detail.BackupSelection?.IamRoleArn });
          }
        }
      }
    }
  }
  return found;
}

async function newestRecoveryPoint(backup: BackupClient, resourceArn: string): Promise<Date | undefined> {
  let newest: Date | undefined;
  for await (const page of paginateListRecoveryPointsByResource({ client: backup }, { ResourceArn: resourceArn })) {
    for (const point of page.RecoveryPoints ?? []) {
      if (point.Status !== 'COMPLETED' || !point.CreationDate) continue;
      if (!newest || point.CreationDate > newest) newest = point.CreationDate;
    }
  }
  return newest;
}

async function newestCopy(backup: BackupClient, resourceArn: string, since: Date): Promise<Date | undefined> {
  let newest: Date | undefined;
  for await (const page of paginateListCopyJobs({ client: backup }, { ByResourceArn: resourceArn, ByState: 'COMPLETED', ByCreatedAfter: since })) {
    for (const job of page.CopyJobs ?? []) {
      const at = job.CompletionDate ?? job.CreationDate;
      if (at && (!newest || at > newest)) newest = at;
    }
  }
  return newest;
}

async function inPool<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return results;
}

const age = (now: Date, at: Date | undefined) => (at ? Math.round(((now.getTime() - at.getTime()) / HOUR) * 10) / 10 : undefined);

export async function checkFreshness(backup: BackupClient, options: FreshnessOptions): Promise<FreshnessReport> {
  const now = options.now ?? new Date();
  const resources = await selectedResources(backup, Object.keys(options.categories), options.tagging);
  const checked = await inPool(resources, options.concurrency ?? 4, async ({ resourceArn, category, plan }): Promise<ResourceFreshness> => {
    const policy = options.categories[category];
    const thresholdHours = policy.rpoHours + options.marginHours;
    const newestPoint = await newestRecoveryPoint(backup, resourceArn);
    const copy = policy.copies ? await newestCopy(backup, resourceArn, new Date(now.getTime() - 2 * thresholdHours * HOUR)) : undefined;
    const pointAge = age(now, newestPoint);
    const copyAge = age(now, copy);
    const problems: string[] = [];
    if (pointAge === undefined) problems.push('no completed recovery point at all');
    else if (pointAge > thresholdHours) problems.push(`newest recovery point is ${pointAge} hours old (limit ${thresholdHours})`);
    if (policy.copies) {
      if (copyAge === undefined) problems.push(`no completed copy to the backup account in the last ${2 * thresholdHours} hours`);
      else if (copyAge > thresholdHours) problems.push(`newest copy to the backup account is ${copyAge} hours old (limit ${thresholdHours})`);
    }
    const status: FreshnessStatus = pointAge === undefined ? 'never backed up' : problems.length > 0 ? 'stale' : 'fresh';
    // A scheduled run creates a job for every selected resource; none since the last run means it did not start.
    const lastScheduledRun = policy.schedule && policy.startWindowMinutes ? lastRunPastStartWindow(policy.schedule, policy.startWindowMinutes, now) : undefined;
    const missedStart = lastScheduledRun ? !(await backupJobSince(backup, resourceArn, new Date(lastScheduledRun.getTime() - 60_000))) : undefined;
    if (missedStart) problems.push(`no backup job was started for the run scheduled at ${lastScheduledRun!.toISOString()}`);
    return { resourceArn, category, plan, thresholdHours, newestRecoveryPoint: newestPoint, recoveryPointAgeHours: pointAge, newestCopy: copy, copyAgeHours: copyAge, status, problems, lastScheduledRun, missedStart };
  });
  const share = options.slowJobShare ?? DEFAULT_SLOW_JOB_SHARE;
  const running = await runningJobs(backup, options.categories, now);
  const slowJobs: SlowJob[] = running.flatMap((job) => {
    const window = options.categories[job.category].completionWindowMinutes;
    return window !== undefined && job.runningMinutes > share * window ? [{ ...job, completionWindowMinutes: window }] : [];
  });
  const categories = Object.keys(options.categories).map((category): CategorySummary => {
    const inCategory = checked.filter((r) => r.category === category);
    return {
      category,
      resources: inCategory.length,
      stale: inCategory.filter((r) => r.status !== 'fresh').length,
      oldestAgeHours: inCategory.reduce((max, r) => Math.max(max, r.recoveryPointAgeHours ?? Infinity), 0),
      slowJobs: slowJobs.filter((j) => j.category === category).length,
      oldestRunningJobMinutes: running.filter((j) => j.category === category).reduce((max, j) => Math.max(max, j.runningMinutes), 0),
      missedStarts: inCategory.filter((r) => r.missedStart).length,
    };
  });
  return { checkedAt: now, resources: checked, slowJobs, categories };
}
