/**
 * The data categories users get without writing any configuration. Every category is backed up at
 * least daily (an RPO of one day); categories differ in retention, lifecycle and where copies go.
 */

/** A category as written in CDK context (`backup_policies.<name>`), snake_case like the context. */
export interface CategoryContext {
  schedule?: string;
  retention_days?: number;
  rpo_hours?: number;
  rto_hours?: number;
  engine_backup_retention_days?: number;
  continuous_backup?: boolean;
  continuous_backup_days?: number;
  start_window_minutes?: number;
  completion_window_minutes?: number;
  lifecycle?: { cold_storage_days?: number | null; delete_after_days?: number };
  copy_to_backup_account?: boolean;
  cross_account_vault_arn?: string;
  dedicated_vault?: boolean;
  enhanced_monitoring?: boolean;
  specialized_role?: string;
  description?: string;
  air_gapped_copy?: boolean;
  air_gapped_target?: boolean;
  malware_scan?: boolean | { mode: 'FULL_SCAN' | 'INCREMENTAL_SCAN' };
  index?: boolean;
  tiering_after_days?: number;
  archive_tier?: boolean;
  tag_selection?: {
    string_equals?: Record<string, string>;
    string_like?: Record<string, string>;
    string_not_equals?: Record<string, string>;
    string_not_like?: Record<string, string>;
  };
}

export const DAILY_0200_UTC = 'cron(0 2 * * ? *)';

/** Seven years, the retention the reference plan gives critical and SSN data. */
const SEVEN_YEARS = 2555;

export const BUILT_IN_CATEGORIES = {
  critical_data: {
    description: 'Primary records that cannot be regenerated',
    schedule: DAILY_0200_UTC,
    retention_days: SEVEN_YEARS,
    lifecycle: { cold_storage_days: 30 },
  },
  ssn_data: {
    description: 'Social Security Numbers: own vault, key and role; break-glass restore',
    schedule: DAILY_0200_UTC,
    retention_days: SEVEN_YEARS,
    lifecycle: { cold_storage_days: 30 },
    dedicated_vault: true,
    enhanced_monitoring: true,
    specialized_role: 'CompactConnect-SSNBackupRole' as const,
  },
  configuration_data: {
    description: 'Compact and jurisdiction configuration',
    schedule: DAILY_0200_UTC,
    retention_days: 1095,
    lifecycle: { cold_storage_days: 30 },
  },
  document_storage: {
    description: 'Uploaded documents and other irreplaceable objects',
    schedule: DAILY_0200_UTC,
    retention_days: 90,
  },
  export_data: {
    description: 'Exports of data that AWS Backup cannot back up directly (Cognito users)',
    schedule: DAILY_0200_UTC,
    retention_days: 90,
  },
  audit_logs: {
    description: 'Audit trails (CloudTrail logs of the sensitive path): kept as long as the data they cover',
    schedule: DAILY_0200_UTC,
    retention_days: SEVEN_YEARS,
  },
  compliance_reports: {
    description: 'AWS Backup Audit Manager reports: the evidence of what was backed up, copied and restored',
    schedule: DAILY_0200_UTC,
    retention_days: SEVEN_YEARS,
  },
} as const satisfies Record<string, CategoryContext>;

export type BuiltInCategory = keyof typeof BUILT_IN_CATEGORIES;

export const BUILT_IN_CATEGORY_NAMES = Object.keys(BUILT_IN_CATEGORIES) as BuiltInCategory[];

/** Defaults for the fields a category may leave out, built-in or user-defined. */
export const CATEGORY_FIELD_DEFAULTS = {
  schedule: DAILY_0200_UTC,
  rpo_hours: 24,
  /** The restore-time target the restore tests and Audit Manager hold restores to. */
  rto_hours: 4,
  start_window_minutes: 60,
  completion_window_minutes: 24 * 60,
  copy_to_backup_account: true,
  dedicated_vault: false,
  enhanced_monitoring: false,
} as const;

export const DEFAULT_VAULT_NAMES = {
  general: 'CompactConnectBackupVault',
  sensitive: 'CompactConnectBackupVault-SSN',
} as const;

/** Backup service role names in an environment account; the backup account's key policies name them. */
export const DEFAULT_ROLE_NAMES = {
  general: 'CompactConnect-BackupServiceRole',
  sensitive: BUILT_IN_CATEGORIES.ssn_data.specialized_role,
} as const;
