/**
 * `retention cost`: the monthly storage cost of what the vaults hold now, per category, from their
 * recovery points. AWS Backup reports each recovery point's full size, not the bytes an incremental
 * backup added, so for incremental types the estimate is a range: at least one full copy per
 * resource and tier, at most every point stored in full. DynamoDB's backups are full copies, so
 * theirs is exact.
 */
import { type BackupClient, type RecoveryPointByBackupVault, paginateListRecoveryPointsByBackupVault } from '@aws-sdk/client-backup';
import { planCategories } from '../plans';
import { type CostEstimate, type CostLine, FULL_COPY_TYPES, summarize } from './plan-estimate';
import { type PriceBook, type PriceTier, priceFor } from './prices';

/** Recovery points from no plan of the toolkit (on-demand ones, copies received from other accounts). */
export const UNCATEGORIZED = '(no toolkit plan)';

const GB = 1024 ** 3;

export interface LiveEstimateInput {
  readonly vaults: readonly string[];
  readonly categories: readonly string[];
  readonly region: string;
  readonly prices: PriceBook;
  readonly now?: Date;
}

function tierOf(point: RecoveryPointByBackupVault, now: Date): PriceTier {
  if (point.VaultType === 'LOGICALLY_AIR_GAPPED_BACKUP_VAULT') return 'air-gapped';
  const cold = point.CalculatedLifecycle?.MoveToColdStorageAt;
  return cold !== undefined && cold <= now ? 'cold' : 'warm';
}

export async function liveEstimate(backup: BackupClient, input: LiveEstimateInput): Promise<CostEstimate> {
  const now = input.now ?? new Date();
  const plans = await planCategories(backup, input.categories);
  // Per category, vault, resource and tier: the bytes of every point, and of its largest.
  const groups = new Map<string, { category: string; vault: string; resourceType: string; tier: PriceTier; sum: number; largest: number }>();
  for (const vault of input.vaults) {
    for await (const page of paginateListRecoveryPointsByBackupVault({ client: backup }, { BackupVaultName: vault })) {
      for (const point of page.RecoveryPoints ?? []) {
        if ((point.Status !== 'COMPLETED' && point.Status !== 'PARTIAL') || point.IsParent) continue;
        const category = (point.CreatedBy?.BackupPlanId && plans.get(point.CreatedBy.BackupPlanId)) || UNCATEGORIZED;
        const resourceType = point.ResourceType ?? 'unknown';
        const tier = tierOf(point, now);
        const bytes = point.BackupSizeInBytes ?? 0;
        const key = [category, vault, resourceType, tier, point.ResourceArn].join('\n');
        const group = groups.get(key) ?? { category, vault, resourceType, tier, sum: 0, largest: 0 };
        group.sum += bytes;
        group.largest = Math.max(group.largest, bytes);
        groups.set(key, group);
      }
    }
  }
  const byLine = new Map<string, { category: string; vault: string; resourceType: string; tier: PriceTier; low: number; high: number }>();
  for (const g of groups.values()) {
    const key = [g.category, g.vault, g.resourceType, g.tier].join('\n');
    const entry = byLine.get(key) ?? { category: g.category, vault: g.vault, resourceType: g.resourceType, tier: g.tier, low: 0, high: 0 };
    entry.high += g.sum;
    entry.low += FULL_COPY_TYPES.has(g.resourceType) ? g.sum : g.largest;
    byLine.set(key, entry);
  }
  const lines: CostLine[] = [];
  let upperBound = 0;
  for (const l of byLine.values()) {
    const pricePerGb = priceFor(input.prices, input.region, l.tier, l.resourceType);
    const gb = l.low / GB;
    lines.push({ category: l.category, path: l.vault, resourceType: l.resourceType, location: 'vault', region: input.region, tier: l.tier, gb, pricePerGb, monthlyUsd: pricePerGb === undefined ? undefined : gb * pricePerGb });
    if (pricePerGb !== undefined) upperBound += (l.high / GB) * pricePerGb;
  }
  lines.sort((a, b) => a.category.localeCompare(b.category) || a.path.localeCompare(b.path) || a.resourceType.localeCompare(b.resourceType) || a.tier.localeCompare(b.tier));
  return summarize('recovery points', lines, [], input.prices, [
    `recovery points in ${input.vaults.join(', ')} (${input.region}), as listed on ${now.toISOString().slice(0, 10)}`,
    `exact for full-copy types (${[...FULL_COPY_TYPES].join(', ')}); for incremental types, one full copy per resource and tier (the upper bound stores every point in full)`,
    'cold: past the point\'s MoveToColdStorageAt; the low-cost warm tier is not visible per recovery point and is priced as warm',
  ], upperBound);
}
