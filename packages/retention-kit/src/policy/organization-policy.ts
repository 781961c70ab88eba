/**
 * The AWS Organizations backup policy (BACKUP_POLICY) that the retention policy's organization-managed
 * categories become, in the documented policy syntax: every value under an `@@assign` operator, numbers
 * as strings, `$account` for each member account. Pure: no CDK, no SDK.
 * https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html
 */
import { z } from 'zod';
import type { CategoryPolicy, RetentionPolicy } from './config';
import { type ConfigProblem, RetentionConfigError } from './errors';
import { CATEGORY_TAG } from './protection-record';

/** Largest backup policy document AWS Organizations accepts, in characters (Organizations quotas). */
export const BACKUP_POLICY_MAX_CHARACTERS = 10_000;

const assign = <T extends z.ZodType>(value: T) => z.strictObject({ '@@assign': value });
const numberString = z.string().regex(/^\d+$/, 'must be a whole number, written as a string');
const booleanString = z.enum(['true', 'false']);
const lifecycleSchema = z.strictObject({
  move_to_cold_storage_after_days: assign(numberString).optional(),
  delete_after_days: assign(numberString).optional(),
  opt_in_to_archive_for_supported_resources: assign(booleanString).optional(),
});
const ruleSchema = z.strictObject({
  schedule_expression: assign(z.string().regex(/^cron\(.+\)$/, 'must be a cron() expression')),
  start_backup_window_minutes: assign(numberString).optional(),
  complete_backup_window_minutes: assign(numberString).optional(),
  enable_continuous_backup: assign(booleanString).optional(),
  target_backup_vault_name: assign(z.string().regex(/^[a-zA-Z0-9_-]{2,50}$/)),
  recovery_point_tags: z.record(z.string(), z.strictObject({ tag_key: assign(z.string()), tag_value: assign(z.string()) })).optional(),
  lifecycle: lifecycleSchema.optional(),
  copy_actions: z
    .record(
      z.string().regex(/^arn:aws[a-z-]*:backup:[a-z0-9-]+:(\d{12}|\$account):backup-vault:[\w-]+$/, 'a copy action is keyed by its target vault ARN'),
      z.strictObject({ target_backup_vault_arn: assign(z.string()), lifecycle: lifecycleSchema.optional() }),
    )
    .optional(),
});
const planSchema = z.strictObject({
  regions: assign(z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/)).min(1)),
  rules: z.record(z.string().regex(/^[\w.-]{1,50}$/, 'rule names are 1-50 letters, digits, _ . -'), ruleSchema),
  selections: z.strictObject({
    tags: z.record(
      z.string(),
      z.strictObject({
        iam_role_arn: assign(z.string().regex(/^arn:aws[a-z-]*:iam::(\d{12}|\$account):role\/[\w+=,.@/-]+$/, 'must be a role ARN, $account standing for each member account')),
        tag_key: assign(z.string().min(1).max(128)),
        tag_value: assign(z.array(z.string().max(256)).min(1)),
      }),
    ),
  }),
  backup_plan_tags: z.record(z.string(), z.strictObject({ tag_key: assign(z.string()), tag_value: assign(z.string()) })).optional(),
});

/** The documented syntax of a backup policy, as far as this toolkit writes it. */
export const BACKUP_POLICY_SCHEMA = z.strictObject({
  plans: z.record(z.string().regex(/^[\w.-]{1,50}$/, 'plan names are 1-50 letters, digits, _ . -'), planSchema),
});

/** A backup policy document as this toolkit writes it. */
export type BackupPolicyDocument = z.infer<typeof BACKUP_POLICY_SCHEMA>;

/** What a category asks that this policy cannot carry: those stay in the app's own plans. */
function unsupportedInOrganizationPolicy(category: CategoryPolicy): string[] {
  const problems: string[] = [];
  if (category.malwareScan) problems.push('malware_scan');
  if (category.index) problems.push('index');
  if (category.airGappedTarget) problems.push('air_gapped_target');
  if (category.tieringAfterDays !== undefined) problems.push('tiering_after_days');
  return problems;
}

const pascal = (name: string) => name.replace(/(^|_)([a-z0-9])/g, (_m, _s, c: string) => c.toUpperCase());

function lifecycle(retentionDays: number, coldStorageAfterDays: number | undefined, archiveTier: boolean) {
  return {
    ...(coldStorageAfterDays !== undefined ? { move_to_cold_storage_after_days: { '@@assign': String(coldStorageAfterDays) } } : {}),
    delete_after_days: { '@@assign': String(retentionDays) },
    ...(archiveTier ? { opt_in_to_archive_for_supported_resources: { '@@assign': 'true' } } : {}),
  };
}

/**
 * The backup policy document for the policy's organization-managed categories: one plan per category,
 * selecting the resources tagged `retention-kit:category=<name>` in every member account, backed up by
 * the account's general backup role into its general vault, copied to the backup account.
 * Throws a RetentionConfigError naming every problem (a category it cannot carry, the size limit, the syntax).
 */
export function organizationBackupPolicy(policy: RetentionPolicy): Record<string, unknown> {
  const settings = policy.organizationPolicy;
  if (!settings) throw new RetentionConfigError([{ path: 'organization_backup_policy', message: 'required: target_ids, regions and the categories the organization policy keeps' }]);
  const problems: ConfigProblem[] = [];
  const plans: Record<string, unknown> = {};
  for (const [i, name] of settings.categories.entries()) {
    const category = policy.categories[name];
    const unsupported = unsupportedInOrganizationPolicy(category);
    if (unsupported.length > 0) {
      problems.push({
        path: `organization_backup_policy.categories.${i}`,
        value: name,
        message: `uses ${unsupported.join(', ')}, which this toolkit does not write into an organization backup policy: keep the category in the app's own plans`,
      });
      continue;
    }
    const copies = [category.copyDestination?.vaultArn, category.airGappedCopy?.vaultArn].filter((arn): arn is string => arn !== undefined);
    const rules: Record<string, unknown> = {
      [pascal(name)]: {
        schedule_expression: { '@@assign': category.schedule },
        start_backup_window_minutes: { '@@assign': String(category.startWindowMinutes) },
        complete_backup_window_minutes: { '@@assign': String(category.completionWindowMinutes) },
        target_backup_vault_name: { '@@assign': policy.vaultNames.general },
        lifecycle: lifecycle(category.retentionDays, category.coldStorageAfterDays, category.archiveTier),
        ...(copies.length > 0
          ? {
              copy_actions: Object.fromEntries(
                copies.map((arn) => [arn, { target_backup_vault_arn: { '@@assign': arn }, lifecycle: lifecycle(category.retentionDays, arn === category.airGappedCopy?.vaultArn ? undefined : category.coldStorageAfterDays, false) }]),
              ),
            }
          : {}),
      },
    };
    if (category.continuousBackupDays !== undefined) {
      rules[`${pascal(name)}Continuous`] = {
        schedule_expression: { '@@assign': category.schedule },
        start_backup_window_minutes: { '@@assign': String(category.startWindowMinutes) },
        complete_backup_window_minutes: { '@@assign': String(category.completionWindowMinutes) },
        enable_continuous_backup: { '@@assign': 'true' },
        target_backup_vault_name: { '@@assign': policy.vaultNames.general },
        lifecycle: { delete_after_days: { '@@assign': String(category.continuousBackupDays) } },
      };
    }
    plans[`retention-kit-${name}`.slice(0, 50)] = {
      regions: { '@@assign': settings.regions },
      rules,
      selections: {
        tags: {
          [pascal(name)]: {
            iam_role_arn: { '@@assign': `arn:aws:iam::$account:role/${policy.generalRoleName}` },
            tag_key: { '@@assign': CATEGORY_TAG },
            tag_value: { '@@assign': [name] },
          },
        },
      },
      backup_plan_tags: { category: { tag_key: { '@@assign': CATEGORY_TAG }, tag_value: { '@@assign': name } } },
    };
  }
  const document = { plans };
  problems.push(...backupPolicyProblems(document));
  if (problems.length > 0) throw new RetentionConfigError(problems, 'organization backup policy');
  return document;
}

/** Problems of a backup policy document against the documented syntax and the size limit. */
export function backupPolicyProblems(document: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const parsed = BACKUP_POLICY_SCHEMA.safeParse(document);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push({ path: ['(policy)', ...issue.path.map(String)].join('.'), message: issue.message });
  }
  const size = JSON.stringify(document).length;
  if (size > BACKUP_POLICY_MAX_CHARACTERS) {
    problems.push({
      path: 'organization_backup_policy',
      value: `${size} characters`,
      message: `the backup policy is longer than the ${BACKUP_POLICY_MAX_CHARACTERS} characters AWS Organizations accepts: split the categories across two policies`,
    });
  }
  return problems;
}
