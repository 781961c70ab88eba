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
  paginateListBackupPlans,
  paginateListBackupSelections,
  paginateListCopyJobs,
  paginateListRecoveryPointsByResource,
} from '@aws-sdk/client-backup';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { CategoryFreshness } from 'retention-kit/policy';
import { resolveTagSelection, selectsByTag } from './tag-selections';

export type FreshnessStatus = 'fresh' | 'stale' | 'never backed up';

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
}

export interface CategorySummary {
  readonly category: string;
  readonly resources: number;
  readonly stale: number;
  /** The largest recovery point age in the category, in hours (Infinity when one was never backed up). */
  readonly oldestAgeHours: number;
}

export interface FreshnessReport {
  readonly checkedAt: Date;
  readonly resources: readonly ResourceFreshness[];
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
): Promise<{ resourceArn: string; category: string; plan: string }[]> {
  const found: { resourceArn: string; category: string; plan: string }[] = [];
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
            found.push({ resourceArn, category, plan: name });
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
    return { resourceArn, category, plan, thresholdHours, newestRecoveryPoint: newestPoint, recoveryPointAgeHours: pointAge, newestCopy: copy, copyAgeHours: copyAge, status, problems };
  });
  const categories = Object.keys(options.categories).map((category): CategorySummary => {
    const inCategory = checked.filter((r) => r.category === category);
    return {
      category,
      resources: inCategory.length,
      stale: inCategory.filter((r) => r.status !== 'fresh').length,
      oldestAgeHours: inCategory.reduce((max, r) => Math.max(max, r.recoveryPointAgeHours ?? Infinity), 0),
    };
  });
  return { checkedAt: now, resources: checked, categories };
}
