import { describe, expect, it } from 'vitest';
import { BUILT_IN_CATEGORY_NAMES, type ConfigProblem, RetentionConfigError, parseRetentionPolicy } from 'retention-kit/policy';

const base = { backup_account_id: '222222222222', backup_region: 'us-west-2' };

function problemsOf(context: Record<string, unknown>): ConfigProblem[] {
  try {
    parseRetentionPolicy(context);
  } catch (e) {
    if (e instanceof RetentionConfigError) return [...e.problems];
    throw e;
  }
  throw new Error('expected the configuration to be refused');
}

describe('retention policy defaults', () => {
  it('gives every built-in category a daily schedule, its retention and a copy to the backup account', () => {
    const policy = parseRetentionPolicy(base);
    expect(Object.keys(policy.categories).sort()).toEqual([...BUILT_IN_CATEGORY_NAMES].sort());
    expect(policy.categories.critical_data).toMatchObject({
      schedule: 'cron(0 2 * * ? *)',
      rpoHours: 24,
      scheduleIntervalHours: 24,
      retentionDays: 2555,
      coldStorageAfterDays: 30,
      dedicatedVault: false,
      copyDestination: { vaultArn: 'arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault' },
    });
    expect(policy.categories.ssn_data).toMatchObject({
      dedicatedVault: true,
      enhancedMonitoring: true,
      specializedRole: 'CompactConnect-SSNBackupRole',
      copyDestination: { vaultArn: 'arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault-SSN' },
    });
    expect(policy.categories.configuration_data.retentionDays).toBe(1095);
    expect(policy.categories.document_storage).toMatchObject({ retentionDays: 90, coldStorageAfterDays: undefined });
    expect(policy.categories.export_data).toMatchObject({ retentionDays: 90, coldStorageAfterDays: undefined });
  });

  it('derives copy destinations from the configured vault names, so the two apps cannot drift', () => {
    const policy = parseRetentionPolicy({ ...base, backup_vault_name: 'General', ssn_backup_vault_name: 'Secret' });
    expect(policy.categories.critical_data.copyDestination?.vaultArn).toBe('arn:aws:backup:us-west-2:222222222222:backup-vault:General');
    expect(policy.categories.ssn_data.copyDestination?.vaultArn).toBe('arn:aws:backup:us-west-2:222222222222:backup-vault:Secret');
  });

  it('copies to differently named destination vaults when a second app in the account names its own vaults', () => {
    const context = { ...base, backup_vault_name: 'ServiceVault', ssn_backup_vault_name: 'ServiceVault-SSN', destination_vault_name: 'General', destination_ssn_vault_name: 'Secret' };
    const policy = parseRetentionPolicy(context);
    expect(policy.vaultNames).toEqual({ general: 'ServiceVault', sensitive: 'ServiceVault-SSN' });
    expect(policy.categories.critical_data.copyDestination?.vaultArn).toBe('arn:aws:backup:us-west-2:222222222222:backup-vault:General');
    expect(policy.categories.ssn_data.copyDestination?.vaultArn).toBe('arn:aws:backup:us-west-2:222222222222:backup-vault:Secret');
    expect(() => parseRetentionPolicy({ ...context, backup_policies: { ssn_data: { cross_account_vault_arn: 'arn:aws:backup:us-west-2:222222222222:backup-vault:ServiceVault-SSN' } } })).toThrow(
      'names vault ServiceVault-SSN, but this dedicated-vault category copies to Secret (destination_ssn_vault_name, by default ssn_backup_vault_name)',
    );
  });

  it('reads the reference plan shape, accepts user-defined categories and applies environment overrides', () => {
    const policy = parseRetentionPolicy({
      ...base,
      backup_policies: {
        ssn_data: {
          schedule: 'cron(0 2 * * ? *)',
          retention_days: 2555,
          lifecycle: { cold_storage_days: 30, delete_after_days: 2555 },
          cross_account_vault_arn: 'arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault-SSN',
          dedicated_vault: true,
          enhanced_monitoring: true,
          specialized_role: 'CompactConnect-SSNBackupRole',
        },
        audit_logs: { schedule: 'cron(0 */12 * * ? *)', rpo_hours: 12, retention_days: 400, copy_to_backup_account: false },
      },
    });
    expect(policy.categories.ssn_data).toMatchObject({ retentionDays: 2555, coldStorageAfterDays: 30, specializedRole: 'CompactConnect-SSNBackupRole' });
    expect(policy.categories.audit_logs).toMatchObject({ rpoHours: 12, scheduleIntervalHours: 12, retentionDays: 400, copyDestination: undefined });
  });

  it('applies the selected environment over the base settings', () => {
    const policy = parseRetentionPolicy({
      ...base,
      environment: 'test',
      backup_environments: { test: { backup_account_id: '333333333333', backup_policies: { critical_data: { retention_days: 365 } } } },
    });
    expect(policy.categories.critical_data).toMatchObject({ retentionDays: 365, coldStorageAfterDays: 30 });
    expect(policy.backupAccountId).toBe('333333333333');
    expect(policy.categories.document_storage.copyDestination?.account).toBe('333333333333');
  });

  it('lets a category drop the built-in cold storage with null', () => {
    const policy = parseRetentionPolicy({ ...base, backup_policies: { critical_data: { lifecycle: { cold_storage_days: null } } } });
    expect(policy.categories.critical_data.coldStorageAfterDays).toBeUndefined();
  });

  it('accepts JSON given as a string, as `cdk synth -c key=value` passes it', () => {
    const policy = parseRetentionPolicy({ ...base, backup_policies: JSON.stringify({ critical_data: { retention_days: 400 } }) });
    expect(policy.categories.critical_data.retentionDays).toBe(400);
  });
});

describe('bad retention configuration', () => {
  const cases: { name: string; context: Record<string, unknown>; path: string; value?: unknown; message: string }[] = [
    {
      name: 'an environment that moves the backup account but keeps the base destination ARN',
      context: {
        ...base,
        backup_policies: { ssn_data: { cross_account_vault_arn: 'arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault-SSN' } },
        environment: 'test',
        backup_environments: { test: { backup_account_id: '333333333333' } },
      },
      path: 'backup_policies.ssn_data.cross_account_vault_arn',
      message: 'names account 222222222222, but backup_account_id is 333333333333 (environment test)',
    },
    { name: 'malformed account id', context: { ...base, backup_account_id: '12345' }, path: 'backup_account_id', value: '12345', message: '12-digit AWS account id' },
    { name: 'account id as a number', context: { ...base, backup_account_id: 222222222222 }, path: 'backup_account_id', value: 222222222222, message: 'as a string' },
    { name: 'malformed region', context: { ...base, backup_region: 'west' }, path: 'backup_region', value: 'west', message: 'Region code' },
    { name: 'malformed organization id', context: { ...base, organization_id: 'org-1' }, path: 'organization_id', value: 'org-1', message: 'o-a1b2c3d4e5' },
    {
      name: 'a cron AWS Backup will not take',
      context: { ...base, backup_policies: { critical_data: { schedule: 'cron(0 2 * * * *)' } } },
      path: 'backup_policies.critical_data.schedule',
      value: 'cron(0 2 * * * *)',
      message: 'exactly one of day-of-month and day-of-week must be "?"',
    },
    {
      name: 'a rate expression',
      context: { ...base, backup_policies: { critical_data: { schedule: 'rate(1 day)' } } },
      path: 'backup_policies.critical_data.schedule',
      message: 'only cron(...)',
    },
    {
      name: 'cold storage without 90 days before deletion',
      context: { ...base, backup_policies: { document_storage: { lifecycle: { cold_storage_days: 30 } } } },
      path: 'backup_policies.document_storage.lifecycle.cold_storage_days',
      value: 30,
      message: 'at least 90 days before deletion',
    },
    {
      name: 'a malformed destination ARN',
      context: { ...base, backup_policies: { critical_data: { cross_account_vault_arn: 'arn:aws:backup:us-west-2:2222:vault/x' } } },
      path: 'backup_policies.critical_data.cross_account_vault_arn',
      message: 'is not a backup vault ARN',
    },
    {
      name: 'a destination in another account than backup_account_id',
      context: { ...base, backup_policies: { critical_data: { cross_account_vault_arn: 'arn:aws:backup:us-west-2:999999999999:backup-vault:CompactConnectBackupVault' } } },
      path: 'backup_policies.critical_data.cross_account_vault_arn',
      message: 'names account 999999999999, but backup_account_id is 222222222222',
    },
    {
      name: 'a sensitive destination that names another vault (the drifted name)',
      context: { ...base, backup_policies: { ssn_data: { cross_account_vault_arn: 'arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectSSNBackupVault' } } },
      path: 'backup_policies.ssn_data.cross_account_vault_arn',
      message: 'copies to CompactConnectBackupVault-SSN (destination_ssn_vault_name, by default ssn_backup_vault_name)',
    },
    {
      name: 'copy enabled with no destination',
      context: {},
      path: 'backup_policies.critical_data.copy_to_backup_account',
      message: 'no destination',
    },
    {
      name: 'retention shorter than the RPO',
      context: { ...base, backup_policies: { scratch: { schedule: 'cron(0 2 ? * SUN *)', rpo_hours: 168, retention_days: 3 } } },
      path: 'backup_policies.scratch.retention_days',
      message: 'shorter than the RPO of 168 hours',
    },
    {
      name: 'a schedule slower than the RPO',
      context: { ...base, backup_policies: { critical_data: { schedule: 'cron(0 2 ? * SUN *)' } } },
      path: 'backup_policies.critical_data.schedule',
      message: 'runs 168 hours apart at worst, longer than the category\'s RPO of 24 hours',
    },
    {
      name: 'a new category without retention (a typo of a built-in)',
      context: { ...base, backup_policies: { critcal_data: { schedule: 'cron(0 2 * * ? *)' } } },
      path: 'backup_policies.critcal_data.retention_days',
      message: 'did you mean critical_data?',
    },
    {
      name: 'an unknown category in an environment override',
      context: { ...base, environment: 'prod', backup_environments: { prod: { backup_policies: { ssn_dta: { retention_days: 10 } } } } },
      path: 'backup_environments.prod.backup_policies.ssn_dta',
      message: 'unknown category (did you mean ssn_data?)',
    },
    {
      name: 'an unknown environment',
      context: { ...base, environment: 'staging', backup_environments: { prod: {} } },
      path: 'environment',
      value: 'staging',
      message: 'known environments: prod',
    },
    {
      name: 'an unknown key in a category',
      context: { ...base, backup_policies: { critical_data: { retention: 10 } } },
      path: 'backup_policies.critical_data.retention',
      message: 'did you mean retention_days?',
    },
    {
      name: 'retention as a string',
      context: { ...base, backup_policies: { critical_data: { retention_days: '2555' } } },
      path: 'backup_policies.critical_data.retention_days',
      value: '2555',
      message: 'whole number of days',
    },
    {
      name: 'a start window under 60 minutes',
      context: { ...base, backup_policies: { critical_data: { start_window_minutes: 30 } } },
      path: 'backup_policies.critical_data.start_window_minutes',
      value: 30,
      message: 'at least 60 minutes',
    },
    {
      name: 'the same vault name for general and sensitive data',
      context: { ...base, backup_vault_name: 'Vault', ssn_backup_vault_name: 'Vault' },
      path: 'ssn_backup_vault_name',
      message: 'must differ from backup_vault_name',
    },
    {
      name: 'retention_days and delete_after_days that disagree',
      context: { ...base, backup_policies: { critical_data: { retention_days: 2555, lifecycle: { delete_after_days: 2000 } } } },
      path: 'backup_policies.critical_data.lifecycle.delete_after_days',
      message: 'disagrees with retention_days (2555)',
    },
  ];

  it.each(cases)('$name: names the key, the value and what is allowed', ({ context, path, value, message }) => {
    const problems = problemsOf(context);
    const problem = problems.find((p) => p.path === path);
    expect(problem, `problems were: ${JSON.stringify(problems)}`).toBeDefined();
    expect(problem!.message).toContain(message);
    if (value !== undefined) expect(problem!.value).toEqual(value);
  });

  it('reports every problem at once, across categories and keys', () => {
    const context = {
      ...base,
      backup_policies: {
        critical_data: { schedule: 'cron(0 2 * * * *)' },
        document_storage: { lifecycle: { cold_storage_days: 30 } },
        ssn_data: { cross_account_vault_arn: 'not-an-arn' },
        scratch: { schedule: 'cron(0 2 ? * SUN *)', rpo_hours: 168, retention_days: 3 },
        configuration_data: { retention: 10 },
      },
    };
    const paths = problemsOf(context).map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'backup_policies.critical_data.schedule',
        'backup_policies.document_storage.lifecycle.cold_storage_days',
        'backup_policies.ssn_data.cross_account_vault_arn',
        'backup_policies.scratch.retention_days',
        'backup_policies.configuration_data.retention',
      ]),
    );
  });

  it('says it all in one readable message, one problem per line', () => {
    const error = (() => {
      try {
        parseRetentionPolicy({ ...base, backup_account_id: 'x', backup_policies: { critical_data: { schedule: 'rate(1 day)' } } });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(RetentionConfigError);
    expect(error!.message).toMatch(/^The retention configuration \(CDK context\) has \d+ problems?:\n {2}- /);
    expect(error!.message).toContain('  - backup_account_id = "x": must be a 12-digit AWS account id');
  });
});
