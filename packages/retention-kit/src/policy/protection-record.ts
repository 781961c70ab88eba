/**
 * What the toolkit writes into each stateful resource's template metadata, so that a synthesized
 * cloud assembly alone tells how every resource is kept.
 */

/** Tag each protected resource and each category plan carries: Audit Manager's controls are scoped by it. */
export const CATEGORY_TAG = 'retention-kit:category';

/** The tag whose value, a reason, keeps a resource out of every tag-based selection (the app's and an organization policy's). */
export const EXCLUDE_TAG = 'retention-kit:exclude';

/** Template metadata key under which each stateful resource carries its protection. */
export const PROTECTION_METADATA_KEY = 'retention-kit:protection';

export interface ProtectedRecord {
  readonly status: 'protected';
  readonly category: string;
  readonly schedule: string;
  readonly rpoHours: number;
  /** Longest gap between scheduled runs: over rpoHours means the schedule cannot meet the RPO. */
  readonly scheduleIntervalHours: number;
  readonly retentionDays: number;
  /** Whether the category requires a copy in the backup account. */
  readonly copyRequired: boolean;
  readonly coldStorageAfterDays?: number;
  readonly localVault: string;
  readonly copyDestination?: string;
  readonly sensitive: boolean;
  /** For a database: days the engine keeps automated backups (its point-in-time window). */
  readonly engineBackupRetentionDays?: number;
  /** Days AWS Backup keeps continuous backups, when the category has them. */
  readonly continuousBackupDays?: number;
  /** The alarm that fires when this resource's recovery points are stale. */
  readonly staleAlarm?: string;
  /** Who selects the resource: the app's own plan (by ARN) or the organization backup policy (by the category tag). */
  readonly selectedBy?: 'plan' | 'organization-policy';
  /** The backup account's air-gapped vault that copies also go to. */
  readonly airGappedCopy?: string;
  /** Backups go straight into the local air-gapped vault. */
  readonly airGappedTarget?: boolean;
  /** GuardDuty malware scan mode of new recovery points. */
  readonly malwareScan?: string;
  /** Recovery points are indexed for item-level search. */
  readonly indexed?: boolean;
  /** The storage tiers a recovery point passes through, and the day each starts. */
  readonly tiers?: readonly StorageTier[];
  /** For an event bus: the EventBridge archive that keeps its events (instead of AWS Backup). */
  readonly archive?: { readonly logicalId: string; readonly name: string };
  /** For a locked sensitive table: who may read items, who may scan, restore or export, who may start backups, who may change it. */
  readonly tableAccess?: {
    readonly appRoleArns: readonly string[];
    readonly recoveryRoleArns: readonly string[];
    readonly backupRoleArn: string;
    readonly deploymentRoleArns: readonly string[];
    readonly streamReaderRoleArns?: readonly string[];
    /** Whether the table's key policy is limited to the same roles. */
    readonly keyLocked: boolean;
    /** Whether the key's use through DynamoDB is limited to this table (its name was known at synth). */
    readonly keyLimitedToTable?: boolean;
  };
}

/** One stretch of a recovery point's life: the tier it is in from `fromDay` on. */
export interface StorageTier {
  readonly tier: 'warm' | 'low-cost warm' | 'cold' | 'archive';
  readonly fromDay: number;
}

/** What a category does with a recovery point of a type: warm, then the low-cost warm tier or cold storage (archive where opted in), until deletion. */
export function recoveryPointTiers(
  category: { retentionDays: number; coldStorageAfterDays?: number; tieringAfterDays?: number; archiveTier: boolean },
  features: { coldStorage: boolean; warmTiering: boolean; archiveTier: boolean },
): StorageTier[] {
  const tiers: StorageTier[] = [{ tier: 'warm', fromDay: 0 }];
  if (category.tieringAfterDays !== undefined && features.warmTiering) tiers.push({ tier: 'low-cost warm', fromDay: category.tieringAfterDays });
  if (category.coldStorageAfterDays !== undefined && features.coldStorage) {
    tiers.push({ tier: category.archiveTier && features.archiveTier ? 'archive' : 'cold', fromDay: category.coldStorageAfterDays });
  }
  return tiers;
}

/** Says a tier list as the report prints it: "warm 0-29 d, cold 30-2554 d". */
export function describeTiers(tiers: readonly StorageTier[], retentionDays: number): string {
  return tiers.map((t, i) => `${t.tier} ${t.fromDay}-${(tiers[i + 1]?.fromDay ?? retentionDays) - 1} d`).join(', ');
}

export interface ExcludedRecord {
  readonly status: 'excluded';
  readonly reason: string;
}

/** A tag-based selection of resources outside the app: shown in the report, which cannot list what it will match. */
export interface TagSelectionRecord {
  readonly category: string;
  /** The conditions, as AWS Backup evaluates them (AND). */
  readonly conditions: Record<string, { ConditionKey: string; ConditionValue: string }[]>;
  readonly selectedBy: 'plan' | 'organization-policy';
}

/** A resource AWS Backup cannot back up (a Cognito user pool), kept by a scheduled export instead. */
export interface ExportedRecord {
  readonly status: 'exported';
  /** The category the export bucket is protected under. */
  readonly category: string;
  /** When the export runs (UTC). */
  readonly schedule: string;
  readonly rpoHours: number;
  readonly retentionDays: number;
  /** Construct path of the export bucket; the bucket itself is protected under `category`. */
  readonly exportBucket: string;
  readonly localVault?: string;
  readonly copyDestination?: string;
  /** The alarm that fires when a scheduled export fails. */
  readonly failureAlarm?: string;
}

export type ProtectionRecord = ProtectedRecord | ExcludedRecord | ExportedRecord;
