/**
 * What the toolkit writes into each stateful resource's template metadata, so that a synthesized
 * cloud assembly alone tells how every resource is kept.
 */

/** Tag each protected resource and each category plan carries: Audit Manager's controls are scoped by it. */
export const CATEGORY_TAG = 'retention-kit:category';

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

export interface ExcludedRecord {
  readonly status: 'excluded';
  readonly reason: string;
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
