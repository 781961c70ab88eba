/**
 * The retention policy, read from CDK context and validated. Pure: no CDK, no SDK.
 *
 * Context shape (the reference plan's):
 * ```json
 * {
 *   "backup_account_id": "123456789012",
 *   "backup_region": "us-west-2",
 *   "organization_id": "o-abc123def4",
 *   "backup_vault_name": "CompactConnectBackupVault",
 *   "ssn_backup_vault_name": "CompactConnectBackupVault-SSN",
 *   "backup_policies": { "ssn_data": { "schedule": "cron(0 2 * * ? *)", "retention_days": 2555, ... } },
 *   "environment": "prod",
 *   "backup_environments": { "prod": { "backup_account_id": "...", "backup_policies": { ... } } }
 * }
 * ```
 */
import { z } from 'zod';
import { ACCOUNT_ID, ORGANIZATION_ID, REGION, ROLE_NAME, VAULT_NAME, backupVaultArn, parseBackupVaultArn } from './arns';
import { BUILT_IN_CATEGORIES, BUILT_IN_CATEGORY_NAMES, CATEGORY_FIELD_DEFAULTS, type CategoryContext, DEFAULT_ROLE_NAMES, DEFAULT_VAULT_NAMES } from './categories';
import { backupScheduleProblems, parseAwsCron, scheduleIntervals } from './cron';
import { type ConfigProblem, RetentionConfigError, suggestion } from './errors';
import { DEFAULT_ESCALATION, DEFAULT_FRESHNESS_MARGIN_HOURS } from './monitoring';

/** Cold storage must last at least this long before deletion (AWS Backup rule). */
export const MIN_COLD_STORAGE_DAYS = 90;

/** A general and a sensitive name of one kind (vaults, key aliases, roles). */
export interface GeneralAndSensitive {
  /** The general one. */
  readonly general: string;
  /** The sensitive (SSN) one. */
  readonly sensitive: string;
}

/** A backup-account vault that a category's copies go to. */
export interface CopyDestination {
  /** The vault's ARN. */
  readonly vaultArn: string;
  /** The backup account. */
  readonly account: string;
  /** The backup Region. */
  readonly region: string;
  /** The vault's name. */
  readonly vaultName: string;
}

/** How GuardDuty Malware Protection scans a category's recovery points. */
export enum MalwareScanMode {
  /** Every recovery point scanned whole. */
  FULL_SCAN = 'FULL_SCAN',
  /** Each recovery point scanned for what changed since the last scanned one (the first is scanned whole). */
  INCREMENTAL_SCAN = 'INCREMENTAL_SCAN',
}

/** A logically air-gapped vault that copies go to, with the retention range it enforces. */
export interface AirGappedDestination extends CopyDestination {
  /** Shortest retention the vault accepts, in days. */
  readonly minRetentionDays: number;
  /** Longest retention the vault accepts, in days. */
  readonly maxRetentionDays: number;
}

/**
 * Tag conditions that select resources the app does not define, all of which must hold (AND).
 * Keys are tag keys; values may use * wildcards in the Like conditions.
 */
export interface TagConditions {
  /** Tags that must have exactly these values. */
  readonly stringEquals: { readonly [key: string]: string };
  /** Tags that must match these patterns. */
  readonly stringLike: { readonly [key: string]: string };
  /** Tags that must not have these values. */
  readonly stringNotEquals: { readonly [key: string]: string };
  /** Tags that must not match these patterns. */
  readonly stringNotLike: { readonly [key: string]: string };
}

/** A resolved category: every field known, every rule checked. */
export interface CategoryPolicy {
  /** The category's name (its key in `backup_policies`). */
  readonly name: string;
  /**
   * What the category holds, in plain words.
   * @default none
   */
  readonly description?: string;
  /** AWS cron expression, UTC. */
  readonly schedule: string;
  /** Longest acceptable age of the newest recovery point, in hours. */
  readonly rpoHours: number;
  /** Longest gap between two scheduled runs, in hours. */
  readonly scheduleIntervalHours: number;
  /** Longest acceptable restore time, in hours. */
  readonly rtoHours: number;
  /** Days an RDS/Aurora engine keeps its own automated backups (1-35): the point-in-time window. */
  readonly engineBackupRetentionDays: number;
  /**
   * Days AWS Backup keeps continuous (point-in-time) backups, when the category asks for them.
   * @default none: no continuous backup
   */
  readonly continuousBackupDays?: number;
  /** Days after creation that a recovery point is deleted. */
  readonly retentionDays: number;
  /**
   * Days after creation that a recovery point moves to cold storage; undefined for none.
   * @default none: no cold storage
   */
  readonly coldStorageAfterDays?: number;
  /** Minutes within which a scheduled backup job must start. */
  readonly startWindowMinutes: number;
  /** Minutes within which a started backup job must complete. */
  readonly completionWindowMinutes: number;
  /** Uses the sensitive vault, key and role (the ssn_data path). */
  readonly dedicatedVault: boolean;
  /** Alerts of this category go to the sensitive-data topic. */
  readonly enhancedMonitoring: boolean;
  /**
   * Name of the dedicated backup role, for dedicated-vault categories.
   * @default none (categories without a dedicated vault)
   */
  readonly specializedRole?: string;
  /**
   * The backup-account vault that copies go to; undefined when the category keeps no copy.
   * @default none: no copy
   */
  readonly copyDestination?: CopyDestination;
  /**
   * The backup account's logically air-gapped vault that copies also (or instead) go to.
   * @default none: no air-gapped copy
   */
  readonly airGappedCopy?: AirGappedDestination;
  /** Backups go straight into the environment's local air-gapped vault (air_gapped_target). */
  readonly airGappedTarget: boolean;
  /**
   * GuardDuty Malware Protection scans each new recovery point.
   * @default none: no scan
   */
  readonly malwareScan?: MalwareScanMode;
  /** Recovery points are indexed for item-level search (S3, EBS). */
  readonly index: boolean;
  /**
   * Days after which S3 recovery points move to the low-cost warm tier (one way).
   * @default none: they stay in the standard warm tier
   */
  readonly tieringAfterDays?: number;
  /** Cold storage uses the archive tier where the resource type has one (EBS). */
  readonly archiveTier: boolean;
  /**
   * Resources outside the app selected by tag, in AND logic.
   * @default none: only the resources the app protects, by ARN
   */
  readonly tagSelection?: TagConditions;
  /** The organization backup policy keeps this category (selected by tag); the app creates no plan of its own for it. */
  readonly organizationManaged: boolean;
}

/** The organization backup policy that the management account deploys from this retention policy. */
export interface OrganizationBackupPolicySettings {
  /** The policy's name. */
  readonly name: string;
  /** Organizational units (ou-...) or accounts the policy is attached to. */
  readonly targetIds: string[];
  /** The Regions the policy's plans run in. */
  readonly regions: string[];
  /** Categories the policy keeps; the others stay in the app's own plans. */
  readonly categories: string[];
}

/** A validated retention policy: what is kept, how long and where. Read one with `RetentionContext.policy(scope)`. */
export interface RetentionPolicy {
  /**
   * The environment's name (test, beta, prod), which selects `backup_environments` overrides.
   * @default none: the base policy
   */
  readonly environment?: string;
  /**
   * The backup account that copies go to.
   * @default none: no copies
   */
  readonly backupAccountId?: string;
  /**
   * The backup account's Region.
   * @default none: no copies
   */
  readonly backupRegion?: string;
  /**
   * The AWS Organizations organization of both accounts.
   * @default none
   */
  readonly organizationId?: string;
  /** Names of the local (and destination) vaults. */
  readonly vaultNames: GeneralAndSensitive;
  /** Name of the general backup service role (the sensitive one is the category's specialized_role). */
  readonly generalRoleName: string;
  /** The categories, by name. */
  readonly categories: { readonly [name: string]: CategoryPolicy };
  /** Alert subscriptions and the freshness margin. */
  readonly monitoring: MonitoringSettings;
  /**
   * An organization trail to rely on instead of creating one.
   * @default none: the stack creates a trail
   */
  readonly organizationTrailArn?: string;
  /** Production: databases get deletion protection and a final snapshot. */
  readonly production: boolean;
  /**
   * The name of the environment's local logically air-gapped vault, for categories with air_gapped_target.
   * @default none: no category backs up into one
   */
  readonly localAirGappedVaultName?: string;
  /**
   * The organization backup policy, for teams whose management account owns backups.
   * @default none: the app's own plans keep every category
   */
  readonly organizationPolicy?: OrganizationBackupPolicySettings;
}

/** Who is told when failures are systemic, and what counts as systemic. */
export interface EscalationSettings {
  /** Email addresses subscribed to the escalation topic. */
  readonly emails: string[];
  /** HTTPS endpoints subscribed to the escalation topic (a paging service). */
  readonly httpsEndpoints: string[];
  /** Distinct resources whose backup or copy jobs fail within the window before it escalates. */
  readonly minResources: number;
  /** The window, in minutes. */
  readonly windowMinutes: number;
}

/** Who is told about backup failures and stale recovery points. */
export interface MonitoringSettings {
  /** Email addresses subscribed to the alert topic. */
  readonly emails: string[];
  /** HTTPS endpoints subscribed to the alert topic (a chat webhook, an incident tool). */
  readonly httpsEndpoints: string[];
  /** Email addresses subscribed to the sensitive-data topic. */
  readonly sensitiveEmails: string[];
  /** Hours past the RPO before a recovery point counts as stale. */
  readonly freshnessMarginHours: number;
  /**
   * The escalation topic's subscribers and when failures are systemic.
   * @default nobody subscribed; 3 resources within 60 minutes
   */
  readonly escalation?: EscalationSettings;
}

const wholeDays = (min: number) => z.number({ error: 'must be a whole number of days' }).int('must be a whole number of days').min(min, `must be at least ${min}`);

const lifecycleSchema = z.strictObject({
  cold_storage_days: wholeDays(1).nullable().optional(),
  delete_after_days: wholeDays(1).optional(),
});

/** Tag keys and values as AWS allows them: keys up to 128 characters, values up to 256. */
const tagMap = z.record(
  z.string().min(1).max(128, 'a tag key is at most 128 characters').refine((k) => !k.startsWith('aws:'), 'tag keys starting with aws: are reserved'),
  z.string({ error: 'must be a string' }).max(256, 'a tag value is at most 256 characters'),
);

const categorySchema = z.strictObject({
  description: z.string().optional(),
  schedule: z.string({ error: 'must be an AWS cron expression such as "cron(0 2 * * ? *)"' }).optional(),
  retention_days: wholeDays(1).optional(),
  rpo_hours: z.number().int().min(1, 'must be at least 1 hour').optional(),
  rto_hours: z.number().min(0.25, 'must be at least a quarter of an hour').max(720, 'must be at most 720 hours').optional(),
  engine_backup_retention_days: z
    .number()
    .int('must be a whole number of days')
    .min(1, 'must be at least 1')
    .max(35, 'must be at most 35: RDS and Aurora keep their own automated backups 1-35 days; AWS Backup keeps recovery points longer (retention_days)')
    .optional(),
  continuous_backup: z.boolean().optional(),
  continuous_backup_days: z.number().int('must be a whole number of days').min(1, 'must be at least 1').max(35, 'must be at most 35: AWS Backup keeps continuous backups 1-35 days').optional(),
  start_window_minutes: z.number().int().min(60, 'AWS Backup needs a start window of at least 60 minutes').optional(),
  completion_window_minutes: z.number().int().min(120, 'must be at least 120 minutes').optional(),
  lifecycle: lifecycleSchema.optional(),
  copy_to_backup_account: z.boolean().optional(),
  cross_account_vault_arn: z.string().optional(),
  dedicated_vault: z.boolean().optional(),
  enhanced_monitoring: z.boolean().optional(),
  specialized_role: z.string().regex(ROLE_NAME, 'must be an IAM role name (letters, digits and +=,.@_-, at most 64)').optional(),
  air_gapped_copy: z.boolean().optional(),
  air_gapped_target: z.boolean().optional(),
  malware_scan: z.union([z.boolean(), z.strictObject({ mode: z.enum(['FULL_SCAN', 'INCREMENTAL_SCAN'], { error: 'must be "FULL_SCAN" or "INCREMENTAL_SCAN"' }) })], { error: 'must be true, false or { "mode": "FULL_SCAN" | "INCREMENTAL_SCAN" }' }).optional(),
  index: z.boolean().optional(),
  tiering_after_days: z.number().int('must be a whole number of days').min(60, 'must be at least 60: AWS Backup moves S3 recovery points to the low-cost warm tier after 60 days at the earliest').max(36500, 'must be at most 36500').optional(),
  archive_tier: z.boolean().optional(),
  tag_selection: z
    .strictObject({
      string_equals: tagMap.optional(),
      string_like: tagMap.optional(),
      string_not_equals: tagMap.optional(),
      string_not_like: tagMap.optional(),
    })
    .optional(),
});

const accountSettingsShape = {
  backup_account_id: z.string({ error: 'must be a 12-digit AWS account id, as a string' }).regex(ACCOUNT_ID, 'must be a 12-digit AWS account id').optional(),
  backup_region: z.string().regex(REGION, 'must be an AWS Region code such as us-west-2').optional(),
  organization_id: z.string().regex(ORGANIZATION_ID, 'must be an AWS Organizations id such as o-a1b2c3d4e5').optional(),
};

const email = z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be an email address');
const escalationSchema = z.strictObject({
  email_subscriptions: z.array(email).optional(),
  https_subscriptions: z.array(z.string().regex(/^https:\/\/\S+$/, 'must be an https:// URL')).optional(),
  min_resources: z.number().int('must be a whole number').min(2, 'must be at least 2: one failing resource is what the alert topic is for').max(1000).optional(),
  window_minutes: z.number().int('must be a whole number of minutes').min(5, 'must be at least 5 minutes').max(1440, 'must be at most 1440 minutes (a day)').optional(),
});

const monitoringSchema = z.strictObject({
  email_subscriptions: z.array(email).optional(),
  https_subscriptions: z.array(z.string().regex(/^https:\/\/\S+$/, 'must be an https:// URL')).optional(),
  sensitive_email_subscriptions: z.array(email).optional(),
  freshness_margin_hours: z.number().int().min(0).max(168, 'must be at most 168 hours').optional(),
  escalation: escalationSchema.optional(),
});

const environmentSchema = z.strictObject({
  ...accountSettingsShape,
  production: z.boolean().optional(),
  // What counts as systemic differs by environment (a test account has few resources).
  monitoring: z.strictObject({ escalation: escalationSchema.optional() }).optional(),
  backup_policies: z.record(z.string(), z.unknown()).optional(),
});

const rootSchema = z.object({
  ...accountSettingsShape,
  backup_vault_name: z.string().regex(VAULT_NAME, 'must be 2-50 letters, digits, hyphens or underscores').optional(),
  ssn_backup_vault_name: z.string().regex(VAULT_NAME, 'must be 2-50 letters, digits, hyphens or underscores').optional(),
  // The backup account's vaults, when they are named differently from this app's own (several apps in one account).
  destination_vault_name: z.string().regex(VAULT_NAME, 'must be 2-50 letters, digits, hyphens or underscores').optional(),
  destination_ssn_vault_name: z.string().regex(VAULT_NAME, 'must be 2-50 letters, digits, hyphens or underscores').optional(),
  backup_role_name: z.string().regex(ROLE_NAME, 'must be an IAM role name (letters, digits and +=,.@_-, at most 64)').optional(),
  monitoring: monitoringSchema.optional(),
  production: z.boolean().optional(),
  audit_trail: z
    .strictObject({
      organization_trail_arn: z.string().regex(/^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:trail\/[\w.-]+$/, 'must be a CloudTrail trail ARN (arn:aws:cloudtrail:<region>:<account>:trail/<name>)').optional(),
    })
    .optional(),
  backup_policies: z.record(z.string(), z.unknown(), { error: 'must be an object of category name to policy' }).optional(),
  environment: z.string().optional(),
  backup_environments: z.record(z.string(), environmentSchema).optional(),
  // The backup account's air-gapped vault, as its app's EnvironmentContext output gives it.
  destination_air_gapped_vault: z
    .strictObject({
      name: z.string().regex(VAULT_NAME, 'must be 2-50 letters, digits, hyphens or underscores'),
      min_retention_days: z.number().int().min(7, 'AWS Backup requires at least 7 days').max(36500),
      max_retention_days: z.number().int().min(7).max(36500, 'must be at most 36500'),
    })
    .optional(),
  local_air_gapped_vault_name: z.string().regex(VAULT_NAME, 'must be 2-50 letters, digits, hyphens or underscores').optional(),
  organization_backup_policy: z
    .strictObject({
      name: z.string().regex(/^[\w+=,.@-]{1,128}$/, 'must be 1-128 letters, digits or +=,.@_-').optional(),
      target_ids: z.array(z.string().regex(/^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32}|\d{12})$/, 'must be an organizational unit id (ou-...), the root (r-...) or an account id')).min(1, 'name at least one organizational unit or account'),
      regions: z.array(z.string().regex(REGION, 'must be an AWS Region code such as us-east-1'), { error: 'required: the Regions the policy\'s plans run in, such as ["us-east-1"]' }).min(1, 'name at least one Region'),
      categories: z.array(z.string()).min(1, 'name at least one category'),
    })
    .optional(),
});

/** The context keys this module reads; everything else in CDK context is left alone. */
export const RETENTION_CONTEXT_KEYS = [
  'backup_account_id',
  'backup_region',
  'organization_id',
  'backup_vault_name',
  'ssn_backup_vault_name',
  'destination_vault_name',
  'destination_ssn_vault_name',
  'backup_role_name',
  'monitoring',
  'production',
  'audit_trail',
  'backup_policies',
  'environment',
  'backup_environments',
  'destination_air_gapped_vault',
  'local_air_gapped_vault_name',
  'organization_backup_policy',
] as const;

const CATEGORY_NAME = /^[a-z][a-z0-9_]{0,39}$/;

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function zodProblems(error: z.ZodError, raw: unknown, prefix: string[], allowedKeys?: string[]): ConfigProblem[] {
  return error.issues.flatMap((issue): ConfigProblem[] => {
    const path = [...prefix, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') {
      const allowed = issue.path.length === 0 ? allowedKeys : undefined;
      return issue.keys.map((key) => ({
        path: [...path, key].join('.'),
        message: `unknown key${allowed ? `${suggestion(key, allowed)}; allowed: ${allowed.join(', ')}` : ''}`,
      }));
    }
    return [{ path: path.join('.'), value: valueAt(raw, issue.path), message: issue.message }];
  });
}



function escalationSettings(e: z.infer<typeof escalationSchema>): EscalationSettings {
  return {
    emails: e.email_subscriptions ?? [],
    httpsEndpoints: e.https_subscriptions ?? [],
    minResources: e.min_resources ?? DEFAULT_ESCALATION.minResources,
    windowMinutes: e.window_minutes ?? DEFAULT_ESCALATION.windowMinutes,
  };
}

/** CDK context given on the command line (`-c key=value`) arrives as a string; accept JSON there. */
export function fromContextValue(value: unknown): unknown {
  if (typeof value === 'string' && /^\s*[{[]/.test(value)) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

function mergeCategory(base: CategoryContext, override: CategoryContext): CategoryContext {
  const lifecycle = base.lifecycle || override.lifecycle ? { ...base.lifecycle, ...override.lifecycle } : undefined;
  return { ...base, ...override, ...(lifecycle ? { lifecycle } : {}) };
}

interface Settings {
  backupAccountId?: string;
  backupRegion?: string;
  vaultNames: { general: string; sensitive: string };
  /** The backup account's vaults that copies go to. */
  destinationVaultNames: { general: string; sensitive: string };
  environment?: string;
  /** The backup account's air-gapped vault, when the context names one. */
  airGappedVault?: { name: string; min_retention_days: number; max_retention_days: number };
  /** Categories the organization backup policy keeps. */
  organizationCategories: string[];
}

/** Name of the environment's local air-gapped vault when the context does not give one. */
export function defaultLocalAirGappedVaultName(generalVaultName: string): string {
  return `${generalVaultName.slice(0, 40)}-AirGapped`;
}

/** The new protections' settings of one category, checked against each other and the category. */
function protectionSettings(ctx: CategoryContext, settings: Settings, at: (field: string) => string, retentionDays: number, dedicatedVault: boolean) {
  const problems: ConfigProblem[] = [];
  const refuseSensitive = (field: string, value: unknown, why: string) => {
    if (dedicatedVault) problems.push({ path: at(field), value, message: `cannot be used by a dedicated-vault (sensitive) category: ${why}` });
  };
  let airGappedCopy: AirGappedDestination | undefined;
  if (ctx.air_gapped_copy) {
    refuseSensitive('air_gapped_copy', true, 'an air-gapped vault can be shared with other accounts and restored there, outside the break-glass DENY of the sensitive vault and key (docs/sensitive-data-guards.md)');
    const vault = settings.airGappedVault;
    if (!vault) {
      problems.push({ path: at('air_gapped_copy'), value: true, message: 'needs destination_air_gapped_vault (name, min_retention_days, max_retention_days), from the EnvironmentContext output of the backup account app' });
    } else if (!settings.backupAccountId || !settings.backupRegion) {
      problems.push({ path: at('air_gapped_copy'), value: true, message: 'needs backup_account_id and backup_region: the air-gapped vault is in the backup account' });
    } else {
      if (retentionDays > 0 && (retentionDays < vault.min_retention_days || retentionDays > vault.max_retention_days)) {
        problems.push({
          path: at('retention_days'),
          value: retentionDays,
          message: `must lie within the air-gapped vault's retention range (${vault.min_retention_days}-${vault.max_retention_days} days, destination_air_gapped_vault), which refuses copies outside it`,
        });
      }
      const destination = { account: settings.backupAccountId, region: settings.backupRegion, vaultName: vault.name };
      airGappedCopy = { ...destination, vaultArn: backupVaultArn(destination), minRetentionDays: vault.min_retention_days, maxRetentionDays: vault.max_retention_days };
    }
  }
  if (ctx.air_gapped_target) refuseSensitive('air_gapped_target', true, 'the sensitive path backs up into its own vault with its own key and role');
  if (ctx.tiering_after_days !== undefined && retentionDays > 0 && ctx.tiering_after_days >= retentionDays) {
    problems.push({ path: at('tiering_after_days'), value: ctx.tiering_after_days, message: `must be less than retention_days (${retentionDays}), or recovery points are deleted before they move` });
  }
  if (ctx.archive_tier && ctx.lifecycle?.cold_storage_days == null) {
    problems.push({ path: at('archive_tier'), value: true, message: 'needs lifecycle.cold_storage_days: the archive tier is where cold storage goes' });
  }
  let tagSelection: TagConditions | undefined;
  if (ctx.tag_selection) {
    const t = ctx.tag_selection;
    refuseSensitive('tag_selection', t, 'the sensitive role may back up only the tables named in its policy');
    if (Object.keys(t.string_equals ?? {}).length + Object.keys(t.string_like ?? {}).length === 0) {
      problems.push({
        path: at('tag_selection'),
        value: t,
        message: 'needs at least one string_equals or string_like condition: negative conditions alone would select every resource of the account',
      });
    }
    tagSelection = { stringEquals: t.string_equals ?? {}, stringLike: t.string_like ?? {}, stringNotEquals: t.string_not_equals ?? {}, stringNotLike: t.string_not_like ?? {} };
    // These name the resource types of the plan's recovery points, which a tag selection leaves open.
    for (const field of ['malware_scan', 'index', 'tiering_after_days'] as const) {
      if (ctx[field] !== undefined && ctx[field] !== false) {
        problems.push({
          path: at(field),
          value: ctx[field],
          message: 'cannot be combined with tag_selection: AWS Backup needs the resource types it applies to, which a tag selection leaves open; put the tagged resources in a category of their own',
        });
      }
    }
  }
  const malwareScan = ctx.malware_scan === true ? MalwareScanMode.INCREMENTAL_SCAN : ctx.malware_scan ? (ctx.malware_scan.mode as MalwareScanMode) : undefined;
  return { problems, airGappedCopy, tagSelection, malwareScan };
}

function resolveCategory(name: string, ctx: CategoryContext, settings: Settings, where: string): { category?: CategoryPolicy; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const at = (field: string) => `${where}.${field}`;
  const schedule = ctx.schedule ?? CATEGORY_FIELD_DEFAULTS.schedule;
  const rpoHours = ctx.rpo_hours ?? CATEGORY_FIELD_DEFAULTS.rpo_hours;
  const startWindowMinutes = ctx.start_window_minutes ?? CATEGORY_FIELD_DEFAULTS.start_window_minutes;
  const completionWindowMinutes = ctx.completion_window_minutes ?? CATEGORY_FIELD_DEFAULTS.completion_window_minutes;
  const dedicatedVault = ctx.dedicated_vault ?? CATEGORY_FIELD_DEFAULTS.dedicated_vault;

  let scheduleIntervalHours = Infinity;
  const scheduleProblems = backupScheduleProblems(schedule);
  for (const message of scheduleProblems) problems.push({ path: at('schedule'), value: schedule, message });
  if (scheduleProblems.length === 0) {
    scheduleIntervalHours = scheduleIntervals(parseAwsCron(schedule)).maxMinutes / 60;
    if (scheduleIntervalHours > rpoHours) {
      const gap = Number.isFinite(scheduleIntervalHours) ? `${scheduleIntervalHours} hours apart at worst` : 'less than twice in four years';
      problems.push({
        path: at('schedule'),
        value: schedule,
        message: `runs ${gap}, longer than the category's RPO of ${rpoHours} hours (rpo_hours); schedule more often or raise rpo_hours`,
      });
    }
  }

  const deleteAfter = ctx.lifecycle?.delete_after_days;
  if (ctx.retention_days === undefined && deleteAfter === undefined) {
    problems.push({
      path: at('retention_days'),
      message: `required: how many days to keep each recovery point${suggestion(name, BUILT_IN_CATEGORY_NAMES)}`,
    });
  }
  if (ctx.retention_days !== undefined && deleteAfter !== undefined && ctx.retention_days !== deleteAfter) {
    problems.push({
      path: at('lifecycle.delete_after_days'),
      value: deleteAfter,
      message: `disagrees with retention_days (${ctx.retention_days}); they mean the same thing, give one or make them equal`,
    });
  }
  const retentionDays = ctx.retention_days ?? deleteAfter ?? 0;
  if (retentionDays > 0 && retentionDays * 24 < rpoHours) {
    problems.push({
      path: at('retention_days'),
      value: retentionDays,
      message: `keeps recovery points ${retentionDays * 24} hours, shorter than the RPO of ${rpoHours} hours: there would be moments with no recovery point`,
    });
  }
  const coldStorageAfterDays = ctx.lifecycle?.cold_storage_days ?? undefined;
  if (coldStorageAfterDays !== undefined && retentionDays > 0 && retentionDays < coldStorageAfterDays + MIN_COLD_STORAGE_DAYS) {
    problems.push({
      path: at('lifecycle.cold_storage_days'),
      value: coldStorageAfterDays,
      message: `cold storage must last at least ${MIN_COLD_STORAGE_DAYS} days before deletion: with retention of ${retentionDays} days, cold storage may start on day ${retentionDays - MIN_COLD_STORAGE_DAYS} at the latest (or remove it with null)`,
    });
  }
  if (completionWindowMinutes < startWindowMinutes + 60) {
    problems.push({
      path: at('completion_window_minutes'),
      value: completionWindowMinutes,
      message: `must be at least 60 minutes longer than start_window_minutes (${startWindowMinutes}) so a job that starts late can still finish`,
    });
  }
  if (ctx.continuous_backup_days !== undefined && !ctx.continuous_backup) {
    problems.push({ path: at('continuous_backup_days'), value: ctx.continuous_backup_days, message: 'applies only with continuous_backup: true' });
  }
  if (ctx.specialized_role !== undefined && !dedicatedVault) {
    problems.push({ path: at('specialized_role'), value: ctx.specialized_role, message: 'applies only to a category with dedicated_vault: true' });
  }

  const vaultName = dedicatedVault ? settings.destinationVaultNames.sensitive : settings.destinationVaultNames.general;
  const vaultKey = dedicatedVault ? 'destination_ssn_vault_name, by default ssn_backup_vault_name' : 'destination_vault_name, by default backup_vault_name';
  let copyDestination: CategoryPolicy['copyDestination'];
  const copy = ctx.copy_to_backup_account ?? CATEGORY_FIELD_DEFAULTS.copy_to_backup_account;
  if (ctx.cross_account_vault_arn !== undefined) {
    const parsed = parseBackupVaultArn(ctx.cross_account_vault_arn);
    if (!parsed) {
      problems.push({
        path: at('cross_account_vault_arn'),
        value: ctx.cross_account_vault_arn,
        message: 'is not a backup vault ARN; expected arn:aws:backup:<region>:<12-digit account>:backup-vault:<name>',
      });
    } else {
      if (settings.backupAccountId && parsed.account !== settings.backupAccountId) {
        problems.push({ path: at('cross_account_vault_arn'), value: ctx.cross_account_vault_arn, message: `names account ${parsed.account}, but backup_account_id is ${settings.backupAccountId}` });
      }
      if (settings.backupRegion && parsed.region !== settings.backupRegion) {
        problems.push({ path: at('cross_account_vault_arn'), value: ctx.cross_account_vault_arn, message: `names Region ${parsed.region}, but backup_region is ${settings.backupRegion}` });
      }
      if (parsed.vaultName !== vaultName) {
        problems.push({
          path: at('cross_account_vault_arn'),
          value: ctx.cross_account_vault_arn,
          message: `names vault ${parsed.vaultName}, but ${dedicatedVault ? 'this dedicated-vault category' : 'this category'} copies to ${vaultName} (${vaultKey}); name the same vault in both`,
        });
      }
      if (!copy) {
        problems.push({ path: at('cross_account_vault_arn'), value: ctx.cross_account_vault_arn, message: 'is set but copy_to_backup_account is false; remove one of them' });
      }
      copyDestination = { vaultArn: ctx.cross_account_vault_arn, account: parsed.account, region: parsed.region, vaultName: parsed.vaultName };
    }
  } else if (copy) {
    if (settings.backupAccountId && settings.backupRegion) {
      const destination = { account: settings.backupAccountId, region: settings.backupRegion, vaultName };
      copyDestination = { ...destination, vaultArn: backupVaultArn(destination) };
    } else {
      problems.push({
        path: at('copy_to_backup_account'),
        value: copy,
        message: 'a copy to the backup account is enabled but there is no destination: set backup_account_id and backup_region (or cross_account_vault_arn), or set copy_to_backup_account to false',
      });
    }
  }

  const protections = protectionSettings(ctx, settings, at, retentionDays, dedicatedVault);
  problems.push(...protections.problems);
  if (problems.length > 0) return { problems };
  return {
    problems,
    category: {
      name,
      description: ctx.description,
      schedule,
      rpoHours,
      scheduleIntervalHours,
      rtoHours: ctx.rto_hours ?? CATEGORY_FIELD_DEFAULTS.rto_hours,
      engineBackupRetentionDays: ctx.engine_backup_retention_days ?? Math.min(retentionDays, 35),
      continuousBackupDays: ctx.continuous_backup ? (ctx.continuous_backup_days ?? 35) : undefined,
      retentionDays,
      coldStorageAfterDays,
      startWindowMinutes,
      completionWindowMinutes,
      dedicatedVault,
      enhancedMonitoring: ctx.enhanced_monitoring ?? CATEGORY_FIELD_DEFAULTS.enhanced_monitoring,
      specializedRole: dedicatedVault ? (ctx.specialized_role ?? DEFAULT_ROLE_NAMES.sensitive) : undefined,
      copyDestination,
      airGappedCopy: protections.airGappedCopy,
      airGappedTarget: ctx.air_gapped_target ?? false,
      malwareScan: protections.malwareScan,
      index: ctx.index ?? false,
      tieringAfterDays: ctx.tiering_after_days,
      archiveTier: ctx.archive_tier ?? false,
      tagSelection: protections.tagSelection,
      organizationManaged: settings.organizationCategories.includes(name),
    },
  };
}

/**
 * Reads and validates the retention policy from CDK context values. Throws a RetentionConfigError
 * listing every problem at once; returns a policy in which every category is complete and valid.
 */
export function parseRetentionPolicy(context: Record<string, unknown>): RetentionPolicy {
  const raw: Record<string, unknown> = {};
  for (const key of RETENTION_CONTEXT_KEYS) {
    if (context[key] !== undefined) raw[key] = fromContextValue(context[key]);
  }
  const problems: ConfigProblem[] = [];
  // Each top-level key on its own: a bad account id must not hide a bad schedule.
  const cfg: z.infer<typeof rootSchema> = {};
  for (const [key, schema] of Object.entries(rootSchema.shape)) {
    if (raw[key] === undefined) continue;
    const parsed = (schema as z.ZodType).safeParse(raw[key]);
    if (parsed.success) (cfg as Record<string, unknown>)[key] = parsed.data;
    else problems.push(...zodProblems(parsed.error, raw[key], [key]));
  }

  let envOverride: z.infer<typeof environmentSchema> | undefined;
  if (cfg.environment !== undefined) {
    const known = Object.keys(cfg.backup_environments ?? {});
    envOverride = cfg.backup_environments?.[cfg.environment];
    if (!envOverride) {
      problems.push({
        path: 'environment',
        value: cfg.environment,
        message: `no such entry in backup_environments${suggestion(cfg.environment, known)}; known environments: ${known.length ? known.join(', ') : '(none)'}`,
      });
    }
  }

  const settings: Settings = {
    backupAccountId: envOverride?.backup_account_id ?? cfg.backup_account_id,
    backupRegion: envOverride?.backup_region ?? cfg.backup_region,
    vaultNames: {
      general: cfg.backup_vault_name ?? DEFAULT_VAULT_NAMES.general,
      sensitive: cfg.ssn_backup_vault_name ?? DEFAULT_VAULT_NAMES.sensitive,
    },
    destinationVaultNames: {
      general: cfg.destination_vault_name ?? cfg.backup_vault_name ?? DEFAULT_VAULT_NAMES.general,
      sensitive: cfg.destination_ssn_vault_name ?? cfg.ssn_backup_vault_name ?? DEFAULT_VAULT_NAMES.sensitive,
    },
    environment: cfg.environment,
    airGappedVault: cfg.destination_air_gapped_vault,
    organizationCategories: cfg.organization_backup_policy?.categories ?? [],
  };
  const airGapped = cfg.destination_air_gapped_vault;
  if (airGapped && airGapped.min_retention_days > airGapped.max_retention_days) {
    problems.push({ path: 'destination_air_gapped_vault.min_retention_days', value: airGapped.min_retention_days, message: `must not exceed max_retention_days (${airGapped.max_retention_days})` });
  }
  if (settings.vaultNames.general === settings.vaultNames.sensitive) {
    problems.push({ path: 'ssn_backup_vault_name', value: settings.vaultNames.sensitive, message: 'must differ from backup_vault_name: sensitive data needs its own vault' });
  }

  // Parse each category on its own, so one malformed category does not hide the others' problems.
  const parsedCategories = new Map<string, CategoryContext>();
  const parseCategories = (source: Record<string, unknown> | undefined, prefix: string, mayDefine: boolean) => {
    for (const [name, value] of Object.entries(source ?? {})) {
      const path = `${prefix}.${name}`;
      if (!CATEGORY_NAME.test(name)) {
        problems.push({ path, message: 'a category name must be lower_snake_case, starting with a letter, at most 40 characters' });
        continue;
      }
      const known = [...new Set([...BUILT_IN_CATEGORY_NAMES, ...parsedCategories.keys()])];
      if (!mayDefine && !known.includes(name)) {
        problems.push({ path, message: `unknown category${suggestion(name, known)}; an environment can only adjust categories defined in backup_policies or built in: ${known.join(', ')}` });
        continue;
      }
      const parsed = categorySchema.safeParse(value);
      if (!parsed.success) {
        problems.push(...zodProblems(parsed.error, value, [path], Object.keys(categorySchema.shape)));
        continue;
      }
      parsedCategories.set(name, mergeCategory(parsedCategories.get(name) ?? {}, parsed.data));
    }
  };
  parseCategories(cfg.backup_policies, 'backup_policies', true);
  if (envOverride) parseCategories(envOverride.backup_policies, `backup_environments.${cfg.environment}.backup_policies`, false);

  const categories: Record<string, CategoryPolicy> = {};
  const names = [...new Set([...BUILT_IN_CATEGORY_NAMES, ...parsedCategories.keys()])];
  for (const name of names) {
    const builtIn = (BUILT_IN_CATEGORIES as Record<string, CategoryContext>)[name] ?? {};
    const merged = mergeCategory(builtIn, parsedCategories.get(name) ?? {});
    const where = `backup_policies.${name}`;
    const result = resolveCategory(name, merged, settings, where);
    const suffix = cfg.environment ? ` (environment ${cfg.environment})` : '';
    problems.push(...result.problems.map((p) => ({ ...p, message: p.message + suffix })));
    if (result.category) categories[name] = result.category;
  }

  const roles = new Set(Object.values(categories).flatMap((c) => (c.specializedRole ? [c.specializedRole] : [])));
  if (roles.size > 1) {
    problems.push({ path: 'backup_policies', message: `dedicated-vault categories name different specialized roles (${[...roles].join(', ')}); they share one sensitive path, so give them the same role` });
  }

  const organization = cfg.organization_backup_policy;
  for (const [i, name] of (organization?.categories ?? []).entries()) {
    const path = `organization_backup_policy.categories.${i}`;
    if (!names.includes(name)) problems.push({ path, value: name, message: `unknown category${suggestion(name, names)}; known categories: ${names.join(', ')}` });
    else if (categories[name]?.dedicatedVault) {
      problems.push({ path, value: name, message: 'a dedicated-vault (sensitive) category stays in the app: its role, vault and table lock name the tables one by one, which a tag-based organization policy cannot' });
    } else if (categories[name]?.tagSelection) {
      problems.push({ path, value: name, message: 'this category selects by tag_selection conditions, which an organization policy cannot express (it selects by one tag key and its values): keep it in the app or drop tag_selection' });
    }
  }
  const localAirGapped = Object.values(categories).some((c) => c.airGappedTarget);

  if (problems.length > 0) throw new RetentionConfigError(problems);
  return {
    environment: cfg.environment,
    backupAccountId: settings.backupAccountId,
    backupRegion: settings.backupRegion,
    organizationId: envOverride?.organization_id ?? cfg.organization_id,
    vaultNames: settings.vaultNames,
    generalRoleName: cfg.backup_role_name ?? DEFAULT_ROLE_NAMES.general,
    categories,
    monitoring: {
      emails: cfg.monitoring?.email_subscriptions ?? [],
      httpsEndpoints: cfg.monitoring?.https_subscriptions ?? [],
      sensitiveEmails: cfg.monitoring?.sensitive_email_subscriptions ?? [],
      freshnessMarginHours: cfg.monitoring?.freshness_margin_hours ?? DEFAULT_FRESHNESS_MARGIN_HOURS,
      escalation: escalationSettings({ ...cfg.monitoring?.escalation, ...envOverride?.monitoring?.escalation }),
    },
    organizationTrailArn: cfg.audit_trail?.organization_trail_arn,
    production: envOverride?.production ?? cfg.production ?? /^prod(uction)?$/.test(cfg.environment ?? ''),
    localAirGappedVaultName: localAirGapped ? (cfg.local_air_gapped_vault_name ?? defaultLocalAirGappedVaultName(settings.vaultNames.general)) : undefined,
    organizationPolicy: organization && {
      name: organization.name ?? `retention-kit-${cfg.environment ?? 'backup'}`,
      targetIds: organization.target_ids,
      regions: organization.regions,
      categories: organization.categories,
    },
  };
}
