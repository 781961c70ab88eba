/**
 * `retention cost --plan`: the monthly storage cost of a retention policy before it holds anything,
 * from the synthesized app's protection report (what each resource's plan keeps, where and how
 * long) and the resources' sizes. Pure: the same inputs give the same figure, by hand too.
 *
 * The model, at steady state (every retention window full):
 * - a type whose every backup is a full copy (DynamoDB) holds size x backups in each tier window;
 * - any other type is incremental: one full copy per tier window, plus each later backup's share of
 *   the daily change;
 * - a copy to the backup account holds the same, under the same lifecycle, in the destination's
 *   Region; an air-gapped copy holds it all in the air-gapped tier; a copy to another Region also
 *   pays the transfer of what each backup adds.
 */
import { STATEFUL_RESOURCE_TYPES, type ConfigProblem, RetentionConfigError, parseAwsCron, runsBetween, suggestion } from 'retention-kit/policy';
import { z } from 'zod';
import type { ReportRow } from '../../report/protection-report';
import { type PriceBook, type PriceTier, priceFor } from './prices';

/** AWS Backup types whose every backup is a full copy of the resource, billed as such. */
export const FULL_COPY_TYPES: ReadonlySet<string> = new Set(['DynamoDB']);

/** An average month: 365.25 / 12 days. */
export const DAYS_PER_MONTH = 30.4375;

export interface ResourceSize {
  readonly gb: number;
  /** Share of the data that changes in a day, in percent. */
  readonly dailyChangePercent: number;
}

export interface ResourceSizes {
  readonly byPath: ReadonlyMap<string, ResourceSize>;
}

export type CostLocation = 'vault' | 'copy' | 'air-gapped copy' | 'transfer';

export interface CostLine {
  readonly category: string;
  readonly path: string;
  readonly resourceType: string;
  readonly location: CostLocation;
  readonly region: string;
  /** The tier billed, or `transfer` for the copies' cross-Region transfer. */
  readonly tier: PriceTier | 'transfer';
  /** GB-months held (GB a month, for a transfer). */
  readonly gb: number;
  readonly pricePerGb?: number;
  readonly monthlyUsd?: number;
}

export interface MissingPrice {
  readonly region: string;
  readonly tier: PriceTier | 'transfer';
  readonly resourceType: string;
}

export interface CategoryCost {
  readonly category: string;
  readonly monthlyUsd: number;
  /** Lines with no price (they are not in monthlyUsd). */
  readonly unpriced: number;
}

export interface CostEstimate {
  readonly basis: 'plan' | 'recovery points';
  readonly lines: readonly CostLine[];
  readonly categories: readonly CategoryCost[];
  readonly totalMonthlyUsd: number;
  /** For live estimates of incremental types: the total if every recovery point were stored in full. */
  readonly totalMonthlyUsdUpperBound?: number;
  readonly missingPrices: readonly MissingPrice[];
  /** Protected resources the estimate could not size (not in the sizes file). */
  readonly unsized: readonly string[];
  readonly assumptions: readonly string[];
  /** Price sources used. */
  readonly prices: PriceBook['sources'];
  /** True when every line is priced and every protected resource sized. */
  readonly complete: boolean;
}

const SIZE = z.strictObject({ gb: z.number().nonnegative(), daily_change_percent: z.number().min(0).max(100).optional() });
const SIZES_FILE = z.strictObject({ daily_change_percent: z.number().min(0).max(100).default(1), resources: z.record(z.string(), SIZE) });

/**
 * A sizes file: `{ "daily_change_percent": 1, "resources": { "Persistent/ProviderTable": { "gb": 40 } } }`,
 * keyed by the report's construct paths, checked against the report's protected resources.
 */
export function parseSizes(raw: unknown, rows: readonly ReportRow[], name: string): ResourceSizes {
  const parsed = SIZES_FILE.safeParse(raw);
  if (!parsed.success) {
    throw new RetentionConfigError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(file)', message: i.message })), `sizes file ${name}`);
  }
  const sized = rows.filter((r) => r.status === 'protected').map((r) => r.path);
  const problems: ConfigProblem[] = [];
  const byPath = new Map<string, ResourceSize>();
  for (const [path, size] of Object.entries(parsed.data.resources)) {
    if (!sized.includes(path)) {
      const row = rows.find((r) => r.path === path);
      problems.push({
        path: `resources.${path}`,
        message: row
          ? `is ${row.status}, not kept by an AWS Backup plan: size its protected resources only`
          : `is not a resource of the app${suggestion(path, sized)}: use a construct path from the protection report (${sized.length} protected)`,
      });
      continue;
    }
    byPath.set(path, { gb: size.gb, dailyChangePercent: size.daily_change_percent ?? parsed.data.daily_change_percent });
  }
  if (problems.length > 0) throw new RetentionConfigError(problems, `sizes file ${name}`);
  return { byPath };
}

const BACKUP_TYPE_BY_LABEL = new Map(Object.values(STATEFUL_RESOURCE_TYPES).map((t) => [t.label, t.backupResourceType]));

/** Average scheduled backups a day, over four years from a fixed start (leap day included). */
export function backupsPerDay(schedule: string): number {
  const days = 4 * 365 + 1;
  return runsBetween(parseAwsCron(schedule), new Date(Date.UTC(2025, 0, 1)), days).length / days;
}

/** GB held in a window of `days` days: see the model at the top of the file. */
export function windowGb(size: ResourceSize, resourceType: string, perDay: number, days: number): number {
  if (days <= 0) return 0;
  const backups = perDay * days;
  if (FULL_COPY_TYPES.has(resourceType)) return size.gb * backups;
  const changePerBackup = (size.gb * size.dailyChangePercent) / 100 / perDay;
  return size.gb + changePerBackup * Math.max(backups - 1, 0);
}

function regionOf(arn: string): string {
  return arn.split(':')[3];
}

export interface PlanEstimateInput {
  readonly rows: readonly ReportRow[];
  readonly sizes: ResourceSizes;
  readonly prices: PriceBook;
  /** The Region of the app's vaults. */
  readonly region: string;
}

export function planEstimate(input: PlanEstimateInput): CostEstimate {
  const lines: CostLine[] = [];
  const unsized: string[] = [];
  for (const row of input.rows) {
    if (row.status !== 'protected' || !row.category || !row.schedule || row.retentionDays === undefined) continue;
    const resourceType = BACKUP_TYPE_BY_LABEL.get(row.resourceType);
    if (!resourceType) continue;
    const size = input.sizes.byPath.get(row.path);
    if (!size) {
      unsized.push(row.path);
      continue;
    }
    const perDay = backupsPerDay(row.schedule);
    const retention = row.retentionDays;
    const tiers = [...(row.tiers ?? [{ tier: 'warm' as const, fromDay: 0 }])].sort((a, b) => a.fromDay - b.fromDay);
    const windows = tiers.map((t, i) => ({ tier: t.tier as PriceTier, days: Math.min(tiers[i + 1]?.fromDay ?? retention, retention) - t.fromDay }));
    const line = (location: CostLocation, region: string, tier: PriceTier | 'transfer', gb: number): void => {
      const pricePerGb = tier === 'transfer' ? input.prices.regions[region]?.crossRegionTransferPerGb : priceFor(input.prices, region, tier, resourceType);
      lines.push({ category: row.category!, path: row.path, resourceType, location, region, tier, gb, pricePerGb, monthlyUsd: pricePerGb === undefined ? undefined : gb * pricePerGb });
    };
    if (row.airGappedTarget) line('vault', input.region, 'air-gapped', windowGb(size, resourceType, perDay, retention));
    else for (const w of windows) line('vault', input.region, w.tier, windowGb(size, resourceType, perDay, w.days));

    const transferPerMonth = FULL_COPY_TYPES.has(resourceType) ? size.gb * perDay * DAYS_PER_MONTH : (size.gb * size.dailyChangePercent * DAYS_PER_MONTH) / 100;
    if (row.copyDestination) {
      const region = regionOf(row.copyDestination);
      // A copy keeps the rule's lifecycle (delete, cold); the low-cost warm tier is the destination vault's own setting.
      for (const w of windows) line('copy', region, w.tier === 'low-cost warm' ? 'warm' : w.tier, windowGb(size, resourceType, perDay, w.days));
      if (region !== input.region) line('transfer', input.region, 'transfer', transferPerMonth);
    }
    if (row.airGappedCopy) {
      const region = regionOf(row.airGappedCopy);
      line('air-gapped copy', region, 'air-gapped', windowGb(size, resourceType, perDay, retention));
      if (region !== input.region) line('transfer', input.region, 'transfer', transferPerMonth);
    }
  }
  return summarize('plan', lines, unsized, input.prices, [
    'steady state: every retention window full',
    `full copy per backup: ${[...FULL_COPY_TYPES].join(', ')}; every other type incremental (one full copy per tier, then each backup's share of the daily change)`,
    "copies keep the rule's lifecycle; the low-cost warm tier applies in the source vault only",
    'not priced: continuous-backup (point-in-time) logs, restores, requests, early-deletion charges',
  ]);
}

export function summarize(basis: CostEstimate['basis'], lines: readonly CostLine[], unsized: readonly string[], prices: PriceBook, assumptions: readonly string[], upperBound?: number): CostEstimate {
  const byCategory = new Map<string, { monthlyUsd: number; unpriced: number }>();
  const missing = new Map<string, MissingPrice>();
  for (const l of lines) {
    const entry = byCategory.get(l.category) ?? { monthlyUsd: 0, unpriced: 0 };
    if (l.monthlyUsd === undefined) {
      entry.unpriced++;
      const resourceType = l.tier === 'transfer' ? '(any)' : l.resourceType;
      missing.set(`${l.region}\n${l.tier}\n${resourceType}`, { region: l.region, tier: l.tier, resourceType });
    } else entry.monthlyUsd += l.monthlyUsd;
    byCategory.set(l.category, entry);
  }
  const categories = [...byCategory.entries()].map(([category, c]) => ({ category, ...c })).sort((a, b) => a.category.localeCompare(b.category));
  const totalMonthlyUsd = categories.reduce((sum, c) => sum + c.monthlyUsd, 0);
  const missingPrices = [...missing.values()].sort((a, b) => `${a.region}${a.tier}${a.resourceType}`.localeCompare(`${b.region}${b.tier}${b.resourceType}`));
  const regions = new Set(lines.map((l) => l.region));
  return {
    basis,
    lines,
    categories,
    totalMonthlyUsd,
    totalMonthlyUsdUpperBound: upperBound,
    missingPrices,
    unsized,
    assumptions,
    prices: prices.sources.filter((s) => regions.has(s.region)),
    complete: missingPrices.length === 0 && unsized.length === 0,
  };
}
