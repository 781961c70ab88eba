import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackupAccountApp } from '../../../apps/backup-account/app';
import { type BreakGlassGrant, type PolicyDocumentJson, openPolicy, parseBackupAccountConfig } from 'retention-kit/policy';
import { type Deployment, resolve, resourceProps } from '../../support/cfn';
import { tempDir } from '../../support/apps';
import { evaluate } from '../../support/iam';

export const EXAMPLE_CONTEXT = JSON.parse(readFileSync(join(__dirname, '../../../apps/backup-account/cdk.context.example.json'), 'utf8')) as Record<string, unknown>;
const BACKUP = '222222222222';
const SOURCE = '111111111111';
const OTHER_IN_ORG = '333333333333';
const ORG = 'o-exampleorg1';
const REGION = 'us-west-2';
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

function synth(context: Record<string, unknown> = EXAMPLE_CONTEXT): Deployment {
  const app = createBackupAccountApp({ context, outdir: tempDir('backup-account') });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const template = JSON.parse(readFileSync(join(assembly.directory, 'BackupAccountStack.template.json'), 'utf8'));
  return { account: BACKUP, region: REGION, templates: { BackupAccountStack: template } };
}

describe('BackupAccountStack', () => {
  let d: Deployment;
  let template: Template;
  let general: { vault: any; key: any; keyArn: string; vaultArn: string };
  let sensitive: { vault: any; key: any; keyArn: string; vaultArn: string };

  beforeAll(() => {
    d = synth();
    template = Template.fromJSON(d.templates.BackupAccountStack);
    const pair = (prefix: string) => {
      const vault = resourceProps(d, 'BackupAccountStack', 'AWS::Backup::BackupVault', prefix);
      const key = resourceProps(d, 'BackupAccountStack', 'AWS::KMS::Key', prefix);
      return { vault, key, keyArn: vault.EncryptionKeyArn as string, vaultArn: `arn:aws:backup:${REGION}:${BACKUP}:backup-vault:${vault.BackupVaultName}` };
    };
    general = pair('BackupVault');
    sensitive = pair('SSNBackupVault');
  });

  it('creates both destination vaults with their own rotating keys and aliases (cdk-nag clean)', () => {
    expect(general.vault.BackupVaultName).toBe('CompactConnectBackupVault');
    expect(sensitive.vault.BackupVaultName).toBe('CompactConnectBackupVault-SSN');
    expect(general.keyArn).not.toBe(sensitive.keyArn);
    template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/compactconnect-ssn-backup-key' });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/compactconnect-backup-key' });
    template.hasResourceProperties('AWS::Backup::BackupVault', { BackupVaultTags: { Project: 'CompactConnect', Environment: 'DataRetention' } });
  });

  it('outputs the vault and key ARNs under the names the README lists, and the environment context', () => {
    const outputs = d.templates.BackupAccountStack.Outputs!;
    expect(Object.keys(outputs).sort()).toEqual(['AirGappedVaultArn', 'AlertTopicArn', 'BackupEncryptionKeyArn', 'BackupVaultArn', 'EnvironmentContext', 'FailoverAccessRoleArn', 'SSNBackupEncryptionKeyArn', 'SSNBackupVaultArn']);
    expect(JSON.parse(outputs.EnvironmentContext.Value as string)).toMatchObject({
      backup_account_id: BACKUP,
      backup_region: REGION,
      ssn_backup_vault_name: 'CompactConnectBackupVault-SSN',
    });
    expect(resolve(d, outputs.SSNBackupVaultArn.Value)).toBe(sensitive.vaultArn);
  });

  it('has the smaller monitoring: topics, job rules and vault notifications, no freshness check', () => {
    const types = Object.values(d.templates.BackupAccountStack.Resources).map((r) => r.Type);
    expect(types.filter((t) => t === 'AWS::SNS::Topic')).toHaveLength(2);
    expect(types.filter((t) => t === 'AWS::Events::Rule').length).toBeGreaterThanOrEqual(3);
    expect(types).not.toContain('AWS::Lambda::Function');
    expect(sensitive.vault.Notifications.BackupVaultEvents).toContain('RESTORE_JOB_COMPLETED');
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'security-team@example.com' });
  });

  it('has the named DENY statements on the sensitive vault and key only', () => {
    const sids = (doc: { Statement: { Sid?: string }[] }) => doc.Statement.map((s) => s.Sid);
    expect(sids(sensitive.vault.AccessPolicy)).toEqual([
      'AllowCopyIntoFromSourceAccounts',
      'DenyCopyIntoFromOtherAccounts',
      'DenyCopyIntoFromOutsideOrganization',
      'DenyEmergencyRestoreOperations',
      'DenyCopyOutExceptBackupRole',
      'DenyCopyToUnexpectedTargets',
      'DenyCopyWithoutNamedTargets',
    ]);
    expect(sids(sensitive.key.KeyPolicy)).toContain('DenySSNKeyDecryptOperations');
    expect(sids(general.vault.AccessPolicy)).not.toContain('DenyEmergencyRestoreOperations');
    expect(sids(general.key.KeyPolicy)).not.toContain('DenySSNKeyDecryptOperations');
    // Only the copy-back role, which AWS Backup alone assumes, is exempt from the copy-out DENY: starting a copy needs break-glass.
    expect(sensitive.vault.AccessPolicy.Statement[4].Condition).toEqual({
      BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
      ArnNotEquals: { 'aws:PrincipalArn': ['arn:aws:iam::222222222222:role/retention-copy-back'] },
    });
  });

  describe('copies in, evaluated', () => {
    const copyIn = (vault: { vault: any; vaultArn: string }, principal: string, orgId: string) =>
      evaluate({
        principal,
        action: 'backup:CopyIntoBackupVault',
        resource: vault.vaultArn,
        resourceAccount: BACKUP,
        identityPolicies: [ALLOW_ALL],
        resourcePolicy: vault.vault.AccessPolicy,
        context: { 'aws:PrincipalOrgID': orgId, 'aws:PrincipalAccount': principal.split(':')[4] },
      });

    it('lets a source account backup role copy into both vaults', async () => {
      expect(await copyIn(general, `arn:aws:iam::${SOURCE}:role/CompactConnect-BackupServiceRole`, ORG)).toBe('Allowed');
      expect(await copyIn(sensitive, `arn:aws:iam::${SOURCE}:role/CompactConnect-SSNBackupRole`, ORG)).toBe('Allowed');
    });

    it('refuses another account of the organization', async () => {
      expect(await copyIn(general, `arn:aws:iam::${OTHER_IN_ORG}:role/CompactConnect-BackupServiceRole`, ORG)).toBe('ExplicitlyDenied');
    });

    it('refuses a source account id used from outside the organization', async () => {
      expect(await copyIn(sensitive, `arn:aws:iam::${SOURCE}:role/CompactConnect-SSNBackupRole`, 'o-someoneelse1')).toBe('ExplicitlyDenied');
    });

    it('refuses the backup account itself, even its administrator', async () => {
      expect(await copyIn(sensitive, `arn:aws:iam::${BACKUP}:role/Administrator`, ORG)).toBe('ExplicitlyDenied');
    });
  });

  describe('destination keys, evaluated', () => {
    const useKey = (key: { key: any; keyArn: string }, principal: string, action: string, viaService?: string) =>
      evaluate({
        principal,
        action,
        resource: key.keyArn,
        resourceAccount: BACKUP,
        identityPolicies: [ALLOW_ALL],
        resourcePolicy: key.key.KeyPolicy,
        context: { 'aws:PrincipalOrgID': ORG, ...(viaService ? { 'kms:ViaService': viaService } : {}) },
      });
    const viaBackup = `backup.${REGION}.amazonaws.com`;

    it("lets the named source backup role use the sensitive key through AWS Backup, and not the general one's role", async () => {
      expect(await useKey(sensitive, `arn:aws:iam::${SOURCE}:role/CompactConnect-SSNBackupRole`, 'kms:GenerateDataKey', viaBackup)).toBe('Allowed');
      expect(await useKey(sensitive, `arn:aws:iam::${SOURCE}:role/CompactConnect-BackupServiceRole`, 'kms:GenerateDataKey', viaBackup)).toBe('ImplicitlyDenied');
      expect(await useKey(general, `arn:aws:iam::${SOURCE}:role/CompactConnect-BackupServiceRole`, 'kms:GenerateDataKey', viaBackup)).toBe('Allowed');
    });

    it('refuses the source role outside AWS Backup', async () => {
      expect(await useKey(general, `arn:aws:iam::${SOURCE}:role/CompactConnect-BackupServiceRole`, 'kms:GenerateDataKey')).toBe('ImplicitlyDenied');
    });

    it('denies the backup account administrator decrypt with the sensitive key, but not through AWS Backup', async () => {
      expect(await useKey(sensitive, `arn:aws:iam::${BACKUP}:role/Administrator`, 'kms:Decrypt')).toBe('ExplicitlyDenied');
      expect(await useKey(sensitive, `arn:aws:iam::${BACKUP}:role/Administrator`, 'kms:Decrypt', viaBackup)).toBe('Allowed');
      expect(await useKey(general, `arn:aws:iam::${BACKUP}:role/Administrator`, 'kms:Decrypt')).toBe('Allowed');
    });
  });

  describe('break-glass on the sensitive destination vault and key, evaluated', () => {
    const P = `arn:aws:iam::${BACKUP}:role/DisasterRecovery`;
    const Q = `arn:aws:iam::${BACKUP}:role/Administrator`;
    const grant: BreakGlassGrant = { principalArn: P, notBefore: '2026-11-22T10:00:00Z', notAfter: '2026-11-22T14:00:00Z' };
    const during = '2026-11-22T12:00:00Z';
    const after = '2026-11-22T15:00:00Z';
    const recoveryPoint = `arn:aws:backup:${REGION}:${BACKUP}:recovery-point:3b3a1b5e-0000-4000-8000-000000000002`;
    const inVault = (policy: PolicyDocumentJson, principal: string, action: string, time: string) =>
      evaluate({ principal, action, resource: recoveryPoint, resourceAccount: BACKUP, identityPolicies: [ALLOW_ALL], resourcePolicy: policy, context: { 'aws:CurrentTime': time } });
    const decrypt = (policy: PolicyDocumentJson, principal: string, time: string) =>
      evaluate({ principal, action: 'kms:Decrypt', resource: sensitive.keyArn, resourceAccount: BACKUP, identityPolicies: [ALLOW_ALL], resourcePolicy: policy, context: { 'aws:CurrentTime': time } });

    it('blocks restore, deletion, copy-out and decrypt for an administrator as deployed', async () => {
      for (const action of ['backup:StartRestoreJob', 'backup:DeleteRecoveryPoint', 'backup:StartCopyJob', 'backup:UpdateRecoveryPointLifecycle']) {
        expect(await inVault(sensitive.vault.AccessPolicy, Q, action, during), action).toBe('ExplicitlyDenied');
      }
      expect(await decrypt(sensitive.key.KeyPolicy, Q, during)).toBe('ExplicitlyDenied');
    });

    it('after open for P: P can restore and decrypt inside the window; Q still cannot; P cannot delete', async () => {
      const vault = openPolicy('vault', sensitive.vault.AccessPolicy, grant);
      const key = openPolicy('key', sensitive.key.KeyPolicy, grant);
      expect(await inVault(vault, P, 'backup:StartRestoreJob', during)).toBe('Allowed');
      expect(await decrypt(key, P, during)).toBe('Allowed');
      expect(await inVault(vault, Q, 'backup:StartRestoreJob', during)).toBe('ExplicitlyDenied');
      expect(await decrypt(key, Q, during)).toBe('ExplicitlyDenied');
      expect(await inVault(vault, P, 'backup:DeleteRecoveryPoint', during)).toBe('ExplicitlyDenied');
      expect(await inVault(vault, P, 'backup:StartCopyJob', during)).toBe('ExplicitlyDenied');
    });

    it('closes itself at the end of the window', async () => {
      const vault = openPolicy('vault', sensitive.vault.AccessPolicy, grant);
      const key = openPolicy('key', sensitive.key.KeyPolicy, grant);
      expect(await inVault(vault, P, 'backup:StartRestoreJob', after)).toBe('ExplicitlyDenied');
      expect(await decrypt(key, P, after)).toBe('ExplicitlyDenied');
      expect(await inVault(vault, P, 'backup:StartRestoreJob', '2026-11-22T09:00:00Z')).toBe('ExplicitlyDenied');
    });

    it('after close (the saved policy put back): nobody can', async () => {
      expect(await inVault(sensitive.vault.AccessPolicy, P, 'backup:StartRestoreJob', during)).toBe('ExplicitlyDenied');
      expect(await decrypt(sensitive.key.KeyPolicy, P, during)).toBe('ExplicitlyDenied');
    });
  });
});

describe('the README deploy steps, offline', () => {
  it('`cdk synth` with cdk.context.example.json copied to cdk.context.json synthesizes the stack', () => {
    const root = join(__dirname, '../../..');
    const dir = tempDir('cdk-cli');
    copyFileSync(join(root, 'apps/backup-account/cdk.context.example.json'), join(dir, 'cdk.context.json'));
    const app = `"${process.execPath}" "${join(root, 'node_modules/tsx/dist/cli.mjs')}" "${join(root, 'apps/backup-account/main.ts')}"`;
    writeFileSync(join(dir, 'cdk.json'), JSON.stringify({ app }));
    const result = spawnSync(process.execPath, [join(root, 'node_modules/aws-cdk/bin/cdk'), 'synth', '--quiet', '--no-notices'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', AWS_EC2_METADATA_DISABLED: 'true' },
    });
    expect(result.status, result.stderr).toBe(0);
    const template = JSON.parse(readFileSync(join(dir, 'cdk.out/BackupAccountStack.template.json'), 'utf8'));
    expect(Object.keys(template.Outputs)).toEqual(expect.arrayContaining(['BackupEncryptionKeyArn', 'SSNBackupEncryptionKeyArn']));
  });

  it('without cdk.context.json, says which keys are required instead of a stack trace', () => {
    const root = join(__dirname, '../../..');
    const result = spawnSync(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'apps/backup-account/main.ts')], {
      encoding: 'utf8',
      env: { ...process.env, CDK_CONTEXT_JSON: '{}', CDK_OUTDIR: tempDir('no-context') },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('The backup account configuration (CDK context) has 5 problems:');
    expect(result.stderr).toContain('source_accounts: required: the environment accounts whose backups this account receives, each with its backup roles');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('backup account configuration', () => {
  it('reads the shorthand with defaults for the key aliases and role names: every account copies into both vaults', () => {
    const { source_accounts: _sources, source_organizational_units: _units, ...rest } = EXAMPLE_CONTEXT;
    const config = parseBackupAccountConfig({ ...rest, source_account_ids: [SOURCE, '444444444444'] });
    expect(config.sensitiveSourceAccountIds).toEqual([SOURCE, '444444444444']);
    expect(config).toMatchObject({
      backupAccountId: BACKUP,
      organizationId: ORG,
      sourceAccountIds: [SOURCE, '444444444444'],
      keyAliases: { sensitive: 'alias/compactconnect-ssn-backup-key' },
      sourceRoleNames: { general: ['CompactConnect-BackupServiceRole'], sensitive: ['CompactConnect-SSNBackupRole'] },
      vaultLock: {},
    });
  });

  it('admits one backup role per app of each source account, the sensitive vault only the accounts naming sensitive roles, and names a bad one', () => {
    const config = parseBackupAccountConfig(EXAMPLE_CONTEXT);
    expect(config.sourceRoleNames).toEqual({
      general: ['CompactConnect-BackupServiceRole', 'PostgresService-BackupServiceRole', 'DocumentArchive-BackupServiceRole'],
      sensitive: ['CompactConnect-SSNBackupRole', 'PostgresService-SSNBackupRole'],
    });
    expect(config.sourceAccountIds).toEqual([SOURCE, '444444444444']);
    expect(config.sensitiveSourceAccountIds).toEqual([SOURCE]);
    expect(() => parseBackupAccountConfig({ ...EXAMPLE_CONTEXT, source_accounts: { [SOURCE]: { backup_roles: ['ok-role', 'not a role!'] } } })).toThrow(
      `source_accounts.${SOURCE}.backup_roles.1 = "not a role!": must be an IAM role name`,
    );
    expect(() => parseBackupAccountConfig({ ...EXAMPLE_CONTEXT, source_account_ids: [SOURCE] })).toThrow('give source_accounts or the shorthand (source_account_ids), not both');
    expect(() => parseBackupAccountConfig({ ...EXAMPLE_CONTEXT, source_accounts: { '12': {} } })).toThrow('keys must be 12-digit AWS account ids');
  });

  it('reads the standbys recovery points may be copied back to, with default names, and refuses the backup account as one', () => {
    expect(parseBackupAccountConfig(EXAMPLE_CONTEXT).standbys).toEqual([
      { accountId: SOURCE, region: 'us-west-2', recoveryVaultName: 'CompactConnectRecoveryVault', sensitiveRecoveryVaultName: 'CompactConnectRecoveryVault-SSN', orchestratorRoleName: 'CompactConnect-FailoverOrchestrator' },
    ]);
    expect(parseBackupAccountConfig({ ...EXAMPLE_CONTEXT, standby_recovery: [{ account_id: SOURCE, region: 'us-west-2' }] }).standbys[0]).toMatchObject({
      recoveryVaultName: 'RetentionRecoveryVault',
      orchestratorRoleName: 'retention-failover-orchestrator',
    });
    expect(() => parseBackupAccountConfig({ ...EXAMPLE_CONTEXT, standby_recovery: [{ account_id: BACKUP, region: 'us-west-2' }] })).toThrow(
      `standby_recovery.0.account_id = "${BACKUP}": must not be the backup account`,
    );
    expect(() => parseBackupAccountConfig({ ...EXAMPLE_CONTEXT, standby_recovery: [{ account: SOURCE }] })).toThrow('standby_recovery.0');
  });

  it('names every problem at once', () => {
    const bad = {
      ...EXAMPLE_CONTEXT,
      backup_account_id: '2222',
      organization_id: undefined,
      source_accounts: undefined,
      source_account_ids: ['111111111111', 'abc'],
      source_regions: ['us-west-2'],
      ssn_backup_key_alias: 'alias/aws/backup',
      vault_lock: { sensitive: { mode: 'compliance', min_retention_days: 3000, max_retention_days: 2555 }, general: { mode: 'strict', min_retention_days: 1, max_retention_days: 10 } },
    };
    let message = '';
    try {
      parseBackupAccountConfig(bad);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^The backup account configuration \(CDK context\) has 8 problems:/);
    for (const line of [
      'backup_account_id = "2222": must be a 12-digit AWS account id',
      'organization_id: required',
      'source_account_ids.1 = "abc": must be a 12-digit AWS account id',
      'source_regions = ["us-west-2"]: must not include backup_region (us-west-2)',
      'ssn_backup_key_alias = "alias/aws/backup": alias/aws/ is reserved',
      'vault_lock.general.mode = "strict": must be "governance" or "compliance"',
      'vault_lock.sensitive.min_retention_days = 3000: must not exceed max_retention_days (2555)',
      'vault_lock.sensitive.changeable_for_days: required in compliance mode',
    ]) {
      expect(message).toContain(line);
    }
  });

  it('applies an optional vault lock in the mode asked for', () => {
    const d = synth({
      ...EXAMPLE_CONTEXT,
      vault_lock: { sensitive: { mode: 'compliance', min_retention_days: 30, max_retention_days: 2555, changeable_for_days: 3 }, general: { mode: 'governance', min_retention_days: 7, max_retention_days: 1095 } },
    });
    const sensitiveVault = resourceProps(d, 'BackupAccountStack', 'AWS::Backup::BackupVault', 'SSNBackupVault');
    const generalVault = resourceProps(d, 'BackupAccountStack', 'AWS::Backup::BackupVault', 'BackupVault');
    expect(sensitiveVault.LockConfiguration).toEqual({ MinRetentionDays: 30, MaxRetentionDays: 2555, ChangeableForDays: 3 });
    expect(generalVault.LockConfiguration).toEqual({ MinRetentionDays: 7, MaxRetentionDays: 1095 });
  });
});

describe('the backup account\'s logically air-gapped vault', () => {
  it('takes its retention range, key and approval team from the configuration, naming every problem at once', () => {
    expect(parseBackupAccountConfig(EXAMPLE_CONTEXT).airGappedVault).toEqual({
      vaultName: 'CompactConnectBackupVault-AirGapped',
      minRetentionDays: 7,
      maxRetentionDays: 3650,
      encryption: 'customer-managed',
      encryptionKeyArn: undefined,
      mpaApprovalTeamArn: undefined,
    });
    expect(() =>
      parseBackupAccountConfig({
        ...EXAMPLE_CONTEXT,
        air_gapped_vault: { min_retention_days: 4, max_retention_days: 30, mpa_approval_team_arn: 'team' },
      }),
    ).toThrow(/air_gapped_vault\.min_retention_days = 4: must be at least 7[\s\S]*air_gapped_vault\.mpa_approval_team_arn = "team": must be a multi-party approval team ARN/);
    expect(() =>
      parseBackupAccountConfig({
        ...EXAMPLE_CONTEXT,
        air_gapped_vault: { min_retention_days: 400, max_retention_days: 30, encryption: 'aws-owned', encryption_key_arn: 'arn:aws:kms:us-west-2:999999999999:key/abc' },
      }),
    ).toThrow(
      /air_gapped_vault\.min_retention_days = 400: must not exceed max_retention_days \(30\)[\s\S]*air_gapped_vault\.encryption = "aws-owned": give encryption or encryption_key_arn, not both[\s\S]*air_gapped_vault\.encryption_key_arn = "arn:aws:kms:us-west-2:999999999999:key\/abc": must be a key of the backup account/,
    );
  });
});

describe('the backup account\'s S3 tiering', () => {
  it('moves every S3 copy in the general vault to the low-cost warm tier after the days given, and refuses fewer than 60', () => {
    const app = createBackupAccountApp({ context: { ...EXAMPLE_CONTEXT, s3_tiering_after_days: 120 }, outdir: tempDir('backup-tiering') });
    const template = Template.fromStack(app.node.findChild('BackupAccountStack') as Stack);
    template.hasResourceProperties('AWS::Backup::TieringConfiguration', {
      ResourceSelection: [{ ResourceType: 'S3', Resources: ['*'], TieringDownSettingsInDays: 120 }],
    });
    expect(() => parseBackupAccountConfig({ ...EXAMPLE_CONTEXT, s3_tiering_after_days: 30 })).toThrow(/s3_tiering_after_days = 30: must be at least 60/);
  });
});
