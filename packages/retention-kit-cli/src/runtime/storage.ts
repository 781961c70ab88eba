/**
 * What the vaults hold, per category: recovery points counted and sized by storage tier (warm, or
 * cold once their lifecycle moved them), and the retention-compliance count: recovery points older
 * than their category's retention, or held with no deletion date at all.
 */
import { type BackupClient, paginateListRecoveryPointsByBackupVault } from '@aws-sdk/client-backup';
import { planCategories } from './plans';

export interface TierUsage {
  count: number;
  bytes: number;
}

export interface CategoryStorage {
  readonly category: string;
  readonly vault: string;
  readonly warm: TierUsage;
  readonly cold: TierUsage;
  /** Recovery points older than the category's retention (a day's grace for the deletion to run). */
  readonly overRetention: number;
  /** Recovery points with no deletion date: kept until someone deletes them. */
  readonly withoutLifecycle: number;
}

const DAY = 86_400_000;

export async function vaultStorage(
  backup: BackupClient,
  options: { vaults: readonly string[]; retentionDays: Readonly<Record<string, number>>; now?: Date },
): Promise<CategoryStorage[]> {
  const now = options.now ?? new Date();
  const plans = await planCategories(backup, Object.keys(options.retentionDays));
  const usage = new Map<string, { category: string; vault: string; warm: TierUsage; cold: TierUsage; overRetention: number; withoutLifecycle: number }>();
  for (const vault of options.vaults) {
    for await (const page of paginateListRecoveryPointsByBackupVault({ client: backup }, { BackupVaultName: vault })) {
      for (const point of page.RecoveryPoints ?? []) {
        if (point.Status !== 'COMPLETED' && point.Status !== 'PARTIAL') continue;
        const category = point.CreatedBy?.BackupPlanId ? plans.get(point.CreatedBy.BackupPlanId) : undefined;
        if (!category) continue;
        const key = `${category}\n${vault}`;
        const entry = usage.get(key) ?? { category, vault, warm: { count: 0, bytes: 0 }, cold: { count: 0, bytes: 0 }, overRetention: 0, withoutLifecycle: 0 };
        const cold = point.CalculatedLifecycle?.MoveToColdStorageAt !== undefined && point.CalculatedLifecycle.MoveToColdStorageAt <= now;
        const tier = cold ? entry.cold : entry.warm;
        tier.count++;
        tier.bytes += point.BackupSizeInBytes ?? 0;
        if (point.CalculatedLifecycle?.DeleteAt === undefined) entry.withoutLifecycle++;
        if (point.CreationDate && now.getTime() - point.CreationDate.getTime() > (options.retentionDays[category] + 1) * DAY) entry.overRetention++;
        usage.set(key, entry);
      }
    }
  }
  return [...usage.values()].sort((a, b) => a.category.localeCompare(b.category) || a.vault.localeCompare(b.vault));
}
