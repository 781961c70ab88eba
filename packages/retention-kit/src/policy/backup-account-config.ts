/**
 * The backup account's configuration, read from its CDK context in the shape of the reference
 * README (`backup_account_id`, `organization_id`, `backup_region`, `source_account_ids`, ...).
 * Pure: no CDK, no SDK. Every problem is reported at once.
 */
import { z } from 'zod';
import { ACCOUNT_ID, ORGANIZATION_ID, REGION, ROLE_NAME, VAULT_NAME } from './arns';
import { DEFAULT_ROLE_NAMES, DEFAULT_VAULT_NAMES } from './categories';
import type { GeneralAndSensitive, MonitoringSettings } from './config';
import { type ConfigProblem, RetentionConfigError, suggestion } from './errors';
import { type SourceAccount, type SourceOrganizationalUnit, type SourceRoleNames, orgPathPattern } from './source-accounts';
import { type StandbyContext, type StandbyTarget, standbyTargetsOf } from './standby-recovery';

export const DEFAULT_SSN_KEY_ALIAS = 'alias/compactconnect-ssn-backup-key';
export const DEFAULT_GENERAL_KEY_ALIAS = 'alias/compactconnect-backup-key';

/** AWS Backup Vault Lock modes. */
export enum VaultLockMode {
  /** Removable by principals allowed to (backup:DeleteBackupVaultLockConfiguration). */
  GOVERNANCE = 'governance',
  /** After its grace period, removable by nobody, AWS included. */
  COMPLIANCE = 'compliance',
}

/** AWS Backup Vault Lock: governance mode can be removed by privileged users; compliance mode, after its grace period, by nobody. */
export interface VaultLockConfig {
  /** Governance or compliance. */
  readonly mode: VaultLockMode;
  /** Shortest retention a recovery point in the vault may have, in days. */
  readonly minRetentionDays: number;
  /** Longest retention a recovery point in the vault may have, in days. */
  readonly maxRetentionDays: number;
  /**
   * Compliance mode only: days before the lock becomes immutable (at least 3).
   * @default none (governance mode)
   */
  readonly changeableForDays?: number;
}

/** Vault Lock settings of the general and the sensitive destination vault. */
export interface VaultLocks {
  /** The general vault's lock. @default no lock */
  readonly general?: VaultLockConfig;
  /** The sensitive vault's lock. @default no lock */
  readonly sensitive?: VaultLockConfig;
}

/** How a logically air-gapped vault's recovery points are encrypted. */
export enum AirGappedVaultEncryption {
  /** A customer-managed key created with the vault, whose policy admits only the source accounts' backup roles. */
  CUSTOMER_MANAGED = 'customer-managed',
  /** A customer-managed key that already exists (encryptionKeyArn). */
  EXISTING_KEY = 'existing-key',
  /** A key AWS owns: nobody in the organization can change or revoke it, nor can a key policy restrict it. */
  AWS_OWNED = 'aws-owned',
}

/** The backup account's logically air-gapped vault: compliance-locked by AWS, with its own retention range. */
export interface AirGappedVaultConfig {
  /** The vault's name. */
  readonly vaultName: string;
  /** Shortest retention the vault accepts, in days (at least 7). */
  readonly minRetentionDays: number;
  /** Longest retention the vault accepts, in days. */
  readonly maxRetentionDays: number;
  /** How its recovery points are encrypted. */
  readonly encryption: AirGappedVaultEncryption;
  /**
   * The existing key, with encryption EXISTING_KEY.
   * @default none
   */
  readonly encryptionKeyArn?: string;
  /**
   * The multi-party approval team that approves sharing the vault for a restore.
   * @default none: no multi-party approval
   */
  readonly mpaApprovalTeamArn?: string;
}

/** The backup account app's validated configuration. */
export interface BackupAccountConfig {
  /** The backup account. */
  readonly backupAccountId: string;
  /** The organization of the backup and source accounts. */
  readonly organizationId: string;
  /** The Region of the destination vaults. */
  readonly backupRegion: string;
  /** The source accounts, each with the roles it copies in with. */
  readonly sources: SourceAccount[];
  /** Accounts allowed to copy into the general vaults. */
  readonly sourceAccountIds: string[];
  /** Organizational units whose accounts may copy into the general vaults (organization backup policies). */
  readonly sourceOrganizationalUnits: SourceOrganizationalUnit[];
  /** Accounts allowed to copy into the sensitive vault: those that name sensitive backup roles. */
  readonly sensitiveSourceAccountIds: string[];
  /** Regions the source accounts copy from. */
  readonly sourceRegions: string[];
  /** Names of the destination vaults. */
  readonly vaultNames: GeneralAndSensitive;
  /** Aliases of the destination vaults' keys. */
  readonly keyAliases: GeneralAndSensitive;
  /** Backup role names in the source accounts, all accounts together: general, and sensitive (the ones that copy SSN data). */
  readonly sourceRoleNames: SourceRoleNames;
  /** Vault Lock per destination vault. */
  readonly vaultLock: VaultLocks;
  /** Tags on every resource of the stack. */
  readonly tags: { readonly [key: string]: string };
  /** Alert subscriptions. */
  readonly monitoring: MonitoringSettings;
  /**
   * An organization trail to rely on instead of creating one.
   * @default none: the stack creates a trail
   */
  readonly organizationTrailArn?: string;
  /**
   * The logically air-gapped vault that categories may copy to.
   * @default none
   */
  readonly airGappedVault?: AirGappedVaultConfig;
  /**
   * Days after which S3 copies in the general destination vault move to the low-cost warm tier.
   * @default none: they stay in the standard warm tier
   */
  readonly s3TieringAfterDays?: number;
  /** The cold standbys recovery points may be copied back to (their recovery vaults only); none: back to the source accounts. */
  readonly standbys: StandbyTarget[];
}

const account = z.string({ error: 'must be a 12-digit AWS account id, as a string' }).regex(ACCOUNT_ID, 'must be a 12-digit AWS account id');
const region = z.string({ error: 'must be an AWS Region code such as us-west-2' }).regex(REGION, 'must be an AWS Region code such as us-west-2');
const vaultName = z.string().regex(VAULT_NAME, 'must be 2-50 letters, digits, hyphens or underscores');
const roleName = z.string().regex(ROLE_NAME, 'must be an IAM role name');
const alias = z.string().regex(/^alias\/[a-zA-Z0-9/_-]{1,250}$/, 'must be alias/<name> (letters, digits, / _ -)').refine((a) => !a.startsWith('alias/aws/'), 'alias/aws/ is reserved for AWS managed keys');
const days = (min: number, max: number) => z.number().int('must be a whole number of days').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

const vaultLockSchema = z.strictObject({
  mode: z.enum(['governance', 'compliance'], { error: 'must be "governance" or "compliance"' }),
  min_retention_days: days(1, 36500),
  max_retention_days: days(1, 36500),
  changeable_for_days: days(3, 36500).optional(),
});

const airGappedVaultSchema = z.strictObject({
  name: vaultName.optional(),
  min_retention_days: days(7, 36500),
  max_retention_days: days(7, 36500),
  encryption: z.enum(['customer-managed', 'aws-owned'], { error: 'must be "customer-managed" or "aws-owned" (or give encryption_key_arn)' }).optional(),
  encryption_key_arn: z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/, 'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)').optional(),
  mpa_approval_team_arn: z.string().regex(/^arn:aws[a-z-]*:mpa:[a-z0-9-]*:\d{12}:approval-team\/[\w-]+$/, 'must be a multi-party approval team ARN (arn:aws:mpa:<region>:<account>:approval-team/<id>)').optional(),
});

const sourceAccountSchema = z.strictObject({
  backup_roles: z.array(roleName, { error: 'must be a list of IAM role names' }).min(1, 'name at least one role').optional(),
  sensitive_backup_roles: z.array(roleName, { error: 'must be a list of IAM role names' }).optional(),
});

const shape = {
  backup_account_id: account,
  organization_id: z.string({ error: 'required: the AWS Organizations id, such as o-a1b2c3d4e5' }).regex(ORGANIZATION_ID, 'must be an AWS Organizations id such as o-a1b2c3d4e5'),
  backup_region: region,
  // Each source account with its roles: only those naming sensitive roles are admitted to the sensitive vault.
  source_accounts: z
    .record(z.string().regex(ACCOUNT_ID, 'keys must be 12-digit AWS account ids'), sourceAccountSchema, {
      error: (issue) =>
        issue.code === 'invalid_type' ? 'must map each source account id to its backup roles' : issue.code === 'invalid_key' ? 'keys must be 12-digit AWS account ids' : undefined,
    })
    .refine((m) => Object.keys(m).length > 0, 'name at least one source (environment) account')
    .optional(),
  // The OUs an organization backup policy reaches: their accounts copy into the general vaults, with the named roles.
  source_organizational_units: z
    .record(z.string().regex(/^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/, 'keys must be organizational unit ids (ou-...) or the root (r-...)'), z.strictObject({ backup_roles: z.array(roleName).min(1, 'name at least one role') }), {
      error: (issue) =>
        issue.code === 'invalid_type'
          ? 'must map each organizational unit id to its backup roles ({"ou-ab12-cdef3456": {"backup_roles": ["MyApp-BackupServiceRole"]}})'
          : issue.code === 'invalid_key'
            ? 'keys must be organizational unit ids (ou-...) or the root (r-...)'
            : undefined,
    })
    .optional(),
  // The shorthand: every listed account copies with every listed role, to both vaults.
  source_account_ids: z.array(account, { error: 'must be a list of 12-digit account ids' }).min(1, 'name at least one source (environment) account'),
  source_regions: z.array(region, { error: 'must be a list of Region codes' }).min(1, 'name at least one source Region'),
  backup_vault_name: vaultName.optional(),
  ssn_backup_vault_name: vaultName.optional(),
  backup_key_alias: alias.optional(),
  ssn_backup_key_alias: alias.optional(),
  // One name, or one per app of the source accounts that copies here.
  source_backup_role_name: z.union([roleName, z.array(roleName).min(1, 'name at least one role')], { error: 'must be an IAM role name, or a list of them' }).optional(),
  source_ssn_backup_role_name: z.union([roleName, z.array(roleName).min(1, 'name at least one role')], { error: 'must be an IAM role name, or a list of them' }).optional(),
  // Each lock is parsed on its own below, so a problem in one does not hide the other's.
  vault_lock: z.strictObject({ general: z.unknown().optional(), sensitive: z.unknown().optional() }).optional(),
  tags: z.record(z.string(), z.string({ error: 'tag values must be strings' })).optional(),
  audit_trail: z
    .strictObject({
      organization_trail_arn: z.string().regex(/^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:trail\/[\w.-]+$/, 'must be a CloudTrail trail ARN').optional(),
    })
    .optional(),
  air_gapped_vault: airGappedVaultSchema.optional(),
  // The cold standbys a recovery copies recovery points back to: only their recovery vaults receive copies.
  standby_recovery: z
    .array(
      z.strictObject({ account_id: account, region, recovery_vault_name: vaultName.optional(), sensitive_recovery_vault_name: vaultName.optional(), orchestrator_role_name: roleName.optional() }),
      { error: 'must be a list of standbys: [{"account_id": "...", "region": "...", "recovery_vault_name": "...", "orchestrator_role_name": "..."}]' },
    )
    .min(1, 'name at least one standby, or leave the key out')
    .optional(),
  s3_tiering_after_days: z
    .number()
    .int('must be a whole number of days')
    .min(60, 'must be at least 60: AWS Backup moves S3 recovery points to the low-cost warm tier after 60 days at the earliest')
    .max(36500, 'must be at most 36500')
    .optional(),
  monitoring: z
    .strictObject({
      email_subscriptions: z.array(z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be an email address')).optional(),
      https_subscriptions: z.array(z.string().regex(/^https:\/\/\S+$/, 'must be an https:// URL')).optional(),
      sensitive_email_subscriptions: z.array(z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be an email address')).optional(),
    })
    .optional(),
};

export const BACKUP_ACCOUNT_CONTEXT_KEYS = Object.keys(shape);
const REQUIRED = new Set(['backup_account_id', 'organization_id', 'backup_region', 'source_regions']);

function lockProblems(lock: z.infer<typeof vaultLockSchema>, path: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (lock.min_retention_days > lock.max_retention_days) {
    problems.push({ path: `${path}.min_retention_days`, value: lock.min_retention_days, message: `must not exceed max_retention_days (${lock.max_retention_days})` });
  }
  if (lock.mode === 'compliance' && lock.changeable_for_days === undefined) {
    problems.push({ path: `${path}.changeable_for_days`, message: 'required in compliance mode: the days (at least 3) before the lock can no longer be removed by anyone' });
  }
  if (lock.mode === 'governance' && lock.changeable_for_days !== undefined) {
    problems.push({ path: `${path}.changeable_for_days`, value: lock.changeable_for_days, message: 'applies only to compliance mode; remove it or use mode "compliance"' });
  }
  return problems;
}

const toLock = (lock: z.infer<typeof vaultLockSchema> | undefined): VaultLockConfig | undefined =>
  lock && { mode: lock.mode === 'compliance' ? VaultLockMode.COMPLIANCE : VaultLockMode.GOVERNANCE, minRetentionDays: lock.min_retention_days, maxRetentionDays: lock.max_retention_days, changeableForDays: lock.changeable_for_days };

/** Reads and validates the backup account configuration; throws RetentionConfigError with every problem. */
export function parseBackupAccountConfig(context: Record<string, unknown>): BackupAccountConfig {
  const problems: ConfigProblem[] = [];
  const cfg: Record<string, unknown> = {};
  const parseInto = (target: Record<string, unknown>, key: string, schema: z.ZodType, value: unknown, path: string[]) => {
    const parsed = schema.safeParse(value);
    if (parsed.success) {
      target[key] = parsed.data;
      return;
    }
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) problems.push({ path: [...path, ...issue.path.map(String), k].join('.'), message: `unknown key${suggestion(k, Object.keys(vaultLockSchema.shape))}` });
        continue;
      }
      let at: unknown = value;
      for (const p of issue.path) at = (at as Record<PropertyKey, unknown> | undefined)?.[p];
      problems.push({ path: [...path, ...issue.path.map(String)].join('.'), value: at, message: issue.message });
    }
  };
  for (const [key, schema] of Object.entries(shape)) {
    const value = context[key];
    if (value === undefined) {
      if (REQUIRED.has(key)) problems.push({ path: key, message: 'required' });
      continue;
    }
    parseInto(cfg, key, schema as z.ZodType, value, [key]);
  }
  const locks = cfg.vault_lock as { general?: unknown; sensitive?: unknown } | undefined;
  if (locks) {
    const parsedLocks: Record<string, unknown> = {};
    for (const which of ['general', 'sensitive'] as const) {
      if (locks[which] !== undefined) parseInto(parsedLocks, which, vaultLockSchema, locks[which], ['vault_lock', which]);
    }
    cfg.vault_lock = parsedLocks;
  }

  const shorthand = ['source_account_ids', 'source_backup_role_name', 'source_ssn_backup_role_name'].filter((k) => context[k] !== undefined);
  if (context.source_accounts === undefined && context.source_account_ids === undefined && context.source_organizational_units === undefined) {
    problems.push({ path: 'source_accounts', message: 'required: the environment accounts whose backups this account receives, each with its backup roles ({"111111111111": {"backup_roles": [...], "sensitive_backup_roles": [...]}})' });
  }
  if (context.source_accounts !== undefined && shorthand.length > 0) {
    problems.push({ path: shorthand[0], message: `give source_accounts or the shorthand (${shorthand.join(', ')}), not both: source_accounts names each account's roles` });
  }
  const c = cfg as {
    backup_account_id?: string;
    backup_region?: string;
    source_account_ids?: string[];
    source_regions?: string[];
    backup_vault_name?: string;
    ssn_backup_vault_name?: string;
    vault_lock?: { general?: z.infer<typeof vaultLockSchema>; sensitive?: z.infer<typeof vaultLockSchema> };
  } & Record<string, unknown>;
  const sources = sourceAccountsOf(cfg);
  if (c.backup_account_id && sources.some((source) => source.accountId === c.backup_account_id)) {
    const key = cfg.source_accounts ? 'source_accounts' : 'source_account_ids';
    problems.push({ path: key, value: sources.map((source) => source.accountId), message: `must not include the backup account itself (${c.backup_account_id}): the copy has to leave the account it protects` });
  }
  for (const [i, standby] of ((cfg.standby_recovery as { account_id: string }[] | undefined) ?? []).entries()) {
    if (standby.account_id === c.backup_account_id) {
      problems.push({ path: `standby_recovery.${i}.account_id`, value: standby.account_id, message: 'must not be the backup account: the standby is where the data is recovered to, outside the account that keeps the copies' });
    }
  }
  if (c.backup_region && c.source_regions?.includes(c.backup_region)) {
    problems.push({ path: 'source_regions', value: c.source_regions, message: `must not include backup_region (${c.backup_region}): the copy has to leave the Region it protects` });
  }
  const vaultNames = { general: c.backup_vault_name ?? DEFAULT_VAULT_NAMES.general, sensitive: c.ssn_backup_vault_name ?? DEFAULT_VAULT_NAMES.sensitive };
  if (vaultNames.general === vaultNames.sensitive) {
    problems.push({ path: 'ssn_backup_vault_name', value: vaultNames.sensitive, message: 'must differ from backup_vault_name: sensitive data needs its own vault' });
  }
  if (c.vault_lock?.general) problems.push(...lockProblems(c.vault_lock.general, 'vault_lock.general'));
  if (c.vault_lock?.sensitive) problems.push(...lockProblems(c.vault_lock.sensitive, 'vault_lock.sensitive'));
  const airGapped = cfg.air_gapped_vault as z.infer<typeof airGappedVaultSchema> | undefined;
  if (airGapped) {
    if (airGapped.min_retention_days > airGapped.max_retention_days) {
      problems.push({ path: 'air_gapped_vault.min_retention_days', value: airGapped.min_retention_days, message: `must not exceed max_retention_days (${airGapped.max_retention_days})` });
    }
    if (airGapped.encryption_key_arn && airGapped.encryption) {
      problems.push({ path: 'air_gapped_vault.encryption', value: airGapped.encryption, message: 'give encryption or encryption_key_arn, not both' });
    }
    if (airGapped.encryption_key_arn && c.backup_account_id && !airGapped.encryption_key_arn.includes(`:${c.backup_account_id}:`)) {
      problems.push({ path: 'air_gapped_vault.encryption_key_arn', value: airGapped.encryption_key_arn, message: `must be a key of the backup account (${c.backup_account_id})` });
    }
    const name = airGapped.name ?? `${vaultNames.general.slice(0, 40)}-AirGapped`;
    if (name === vaultNames.general || name === vaultNames.sensitive) {
      problems.push({ path: 'air_gapped_vault.name', value: name, message: 'must differ from the standard vaults\' names' });
    }
  }
  if (problems.length > 0) throw new RetentionConfigError(problems, 'backup account configuration (CDK context)');
  return {
    backupAccountId: c.backup_account_id!,
    organizationId: cfg.organization_id as string,
    backupRegion: c.backup_region!,
    sources,
    sourceAccountIds: sources.map((source) => source.accountId),
    sensitiveSourceAccountIds: sources.filter((source) => source.sensitiveBackupRoleNames.length > 0).map((source) => source.accountId),
    sourceOrganizationalUnits: Object.entries((cfg.source_organizational_units as Record<string, { backup_roles: string[] }> | undefined) ?? {}).map(([id, entry]) => ({
      organizationalUnitId: id,
      orgPathPattern: orgPathPattern(cfg.organization_id as string, id),
      backupRoleNames: entry.backup_roles,
    })),
    sourceRegions: c.source_regions!,
    vaultNames,
    keyAliases: {
      general: (cfg.backup_key_alias as string | undefined) ?? DEFAULT_GENERAL_KEY_ALIAS,
      sensitive: (cfg.ssn_backup_key_alias as string | undefined) ?? DEFAULT_SSN_KEY_ALIAS,
    },
    sourceRoleNames: {
      general: [...new Set([...sources.flatMap((source) => source.backupRoleNames), ...Object.values((cfg.source_organizational_units as Record<string, { backup_roles: string[] }> | undefined) ?? {}).flatMap((e) => e.backup_roles)])],
      sensitive: [...new Set(sources.flatMap((source) => source.sensitiveBackupRoleNames))],
    },
    vaultLock: { general: toLock(c.vault_lock?.general), sensitive: toLock(c.vault_lock?.sensitive) },
    tags: (cfg.tags as Record<string, string> | undefined) ?? {},
    monitoring: {
      emails: (cfg.monitoring as { email_subscriptions?: string[] } | undefined)?.email_subscriptions ?? [],
      httpsEndpoints: (cfg.monitoring as { https_subscriptions?: string[] } | undefined)?.https_subscriptions ?? [],
      sensitiveEmails: (cfg.monitoring as { sensitive_email_subscriptions?: string[] } | undefined)?.sensitive_email_subscriptions ?? [],
      freshnessMarginHours: 0,
    },
    organizationTrailArn: (cfg.audit_trail as { organization_trail_arn?: string } | undefined)?.organization_trail_arn,
    airGappedVault: airGapped && {
      vaultName: airGapped.name ?? `${vaultNames.general.slice(0, 40)}-AirGapped`,
      minRetentionDays: airGapped.min_retention_days,
      maxRetentionDays: airGapped.max_retention_days,
      encryption: airGapped.encryption_key_arn
        ? AirGappedVaultEncryption.EXISTING_KEY
        : airGapped.encryption === 'aws-owned'
          ? AirGappedVaultEncryption.AWS_OWNED
          : AirGappedVaultEncryption.CUSTOMER_MANAGED,
      encryptionKeyArn: airGapped.encryption_key_arn,
      mpaApprovalTeamArn: airGapped.mpa_approval_team_arn,
    },
    s3TieringAfterDays: cfg.s3_tiering_after_days as number | undefined,
    standbys: standbyTargetsOf(cfg.standby_recovery as StandbyContext[] | undefined),
  };
}

/**
 * The source accounts with their roles: from source_accounts, or from the shorthand, where every
 * listed account copies with every listed role (the default role names when none are listed).
 */
function sourceAccountsOf(cfg: Record<string, unknown>): SourceAccount[] {
  const map = cfg.source_accounts as Record<string, z.infer<typeof sourceAccountSchema>> | undefined;
  if (map) {
    return Object.entries(map).map(([accountId, roles]) => ({
      accountId,
      backupRoleNames: roles.backup_roles ?? [DEFAULT_ROLE_NAMES.general],
      sensitiveBackupRoleNames: roles.sensitive_backup_roles ?? [],
    }));
  }
  const general = [(cfg.source_backup_role_name as string | string[] | undefined) ?? DEFAULT_ROLE_NAMES.general].flat();
  const sensitive = [(cfg.source_ssn_backup_role_name as string | string[] | undefined) ?? DEFAULT_ROLE_NAMES.sensitive].flat();
  return ((cfg.source_account_ids as string[] | undefined) ?? []).map((accountId) => ({ accountId, backupRoleNames: general, sensitiveBackupRoleNames: sensitive }));
}
