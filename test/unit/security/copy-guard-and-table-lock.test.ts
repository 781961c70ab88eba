import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackupAccountApp } from '../../../apps/backup-account/app';
import { sensitiveTableKeyStatement, sensitiveTablePolicyStatements } from 'retention-kit/policy';
import { protectionReport } from '../../../packages/retention-kit-cli/src/report/protection-report';
import { type Deployment, resolve, resourceProps } from '../../support/cfn';
import { ENVIRONMENT_ACCOUNT as ACCOUNT, ENVIRONMENT_REGION as REGION, referenceApp, synthesize, tempDir } from '../../support/apps';
import { evaluate } from '../../support/iam';

const BACKUP = '222222222222';
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const GENERAL_DESTINATION = `arn:aws:backup:us-west-2:${BACKUP}:backup-vault:CompactConnectBackupVault`;
const SENSITIVE_DESTINATION = `arn:aws:backup:us-west-2:${BACKUP}:backup-vault:CompactConnectBackupVault-SSN`;
const recoveryPoint = (account: string, region: string) => `arn:aws:backup:${region}:${account}:recovery-point:3b3a1b5e-0000-4000-8000-000000000003`;

describe('copy-target guard and the sensitive table lock, evaluated', () => {
  let env: Deployment;
  let backupAccount: Deployment;
  let assembly: string;

  beforeAll(() => {
    const app = referenceApp();
    env = synthesize(app);
    assembly = app.outdir;
    const context = JSON.parse(readFileSync(join(__dirname, '../../../apps/backup-account/cdk.context.example.json'), 'utf8'));
    const backupApp = createBackupAccountApp({ context, outdir: tempDir('copy-guard') });
    const dir = backupApp.synth().directory;
    backupAccount = { account: BACKUP, region: 'us-west-2', templates: { BackupAccountStack: JSON.parse(readFileSync(join(dir, 'BackupAccountStack.template.json'), 'utf8')) } };
  });

  describe('local vaults and backup roles', () => {
    const copy = async (vaultPrefix: string, rolePrefix: string, target: string) => {
      const vault = resourceProps(env, 'BackupInfrastructure', 'AWS::Backup::BackupVault', vaultPrefix);
      const role = resourceProps(env, 'BackupInfrastructure', 'AWS::IAM::Role', rolePrefix);
      return evaluate({
        principal: `arn:aws:iam::${ACCOUNT}:role/${role.RoleName}`,
        action: 'backup:CopyFromBackupVault',
        resource: recoveryPoint(ACCOUNT, REGION),
        resourceAccount: ACCOUNT,
        // backup:* stands in for the AWS managed policies; the role's own inline policies are the real ones.
        identityPolicies: [ALLOW_ALL, ...role.Policies.map((p: { PolicyDocument: unknown }) => p.PolicyDocument)],
        resourcePolicy: vault.AccessPolicy,
        context: { 'backup:CopyTargets': [target] },
      });
    };

    it('allows a copy from the general vault to its category destination', async () => {
      expect(await copy('GeneralVault', 'GeneralBackupRole', GENERAL_DESTINATION)).toBe('Allowed');
    });

    it.each([
      ['another vault of the backup account', `arn:aws:backup:us-west-2:${BACKUP}:backup-vault:Elsewhere`],
      ['another account', `arn:aws:backup:us-west-2:444444444444:backup-vault:CompactConnectBackupVault`],
      ['another Region', `arn:aws:backup:eu-west-1:${BACKUP}:backup-vault:CompactConnectBackupVault`],
      ['the sensitive destination', SENSITIVE_DESTINATION],
    ])('denies a copy from the general vault to %s', async (_name, target) => {
      expect(await copy('GeneralVault', 'GeneralBackupRole', target)).toBe('ExplicitlyDenied');
    });

    it('allows the sensitive vault to copy only to the sensitive destination', async () => {
      expect(await copy('SensitiveVault', 'SensitiveBackupRole', SENSITIVE_DESTINATION)).toBe('Allowed');
      expect(await copy('SensitiveVault', 'SensitiveBackupRole', GENERAL_DESTINATION)).toBe('ExplicitlyDenied');
    });

    it('carries the restriction in the role itself, whatever vault policy it meets', async () => {
      const role = resourceProps(env, 'BackupInfrastructure', 'AWS::IAM::Role', 'GeneralBackupRole');
      const result = await evaluate({
        principal: `arn:aws:iam::${ACCOUNT}:role/${role.RoleName}`,
        action: 'backup:CopyFromBackupVault',
        resource: recoveryPoint(ACCOUNT, REGION),
        resourceAccount: ACCOUNT,
        identityPolicies: [ALLOW_ALL, role.Policies[0].PolicyDocument],
        context: { 'backup:CopyTargets': ['arn:aws:backup:us-west-2:444444444444:backup-vault:Mine'] },
      });
      expect(result).toBe('ExplicitlyDenied');
    });
  });

  describe('backup account vaults', () => {
    const copyOut = (prefix: string, target: string) => {
      const vault = resourceProps(backupAccount, 'BackupAccountStack', 'AWS::Backup::BackupVault', prefix);
      return evaluate({
        principal: `arn:aws:iam::${BACKUP}:role/Administrator`,
        action: 'backup:CopyFromBackupVault',
        resource: recoveryPoint(BACKUP, 'us-west-2'),
        resourceAccount: BACKUP,
        identityPolicies: [ALLOW_ALL],
        resourcePolicy: vault.AccessPolicy,
        context: { 'backup:CopyTargets': [target] },
      });
    };

    it('denies any copy out of the sensitive destination vault', async () => {
      expect(await copyOut('SSNBackupVault', `arn:aws:backup:us-east-1:${ACCOUNT}:backup-vault:Standby`)).toBe('ExplicitlyDenied');
      expect(await copyOut('SSNBackupVault', `arn:aws:backup:us-west-2:444444444444:backup-vault:Mine`)).toBe('ExplicitlyDenied');
    });

    it('lets the general destination vault copy back to a source account (the restore path), nowhere else', async () => {
      expect(await copyOut('BackupVault', `arn:aws:backup:us-east-2:${ACCOUNT}:backup-vault:Standby`)).toBe('Allowed');
      expect(await copyOut('BackupVault', `arn:aws:backup:us-west-2:444444444444:backup-vault:Mine`)).toBe('ExplicitlyDenied');
    });
  });

  describe('the SSN table', () => {
    let tablePolicy: unknown;
    let tableArn: string;
    let keyPolicy: unknown;
    let keyArn: string;
    let apiRole: string;
    let recoveryRole: string;
    const admin = `arn:aws:iam::${ACCOUNT}:role/Administrator`;
    const backupRole = `arn:aws:iam::${ACCOUNT}:role/CompactConnect-SSNBackupRole`;

    beforeAll(() => {
      const resources = env.templates.Persistent.Resources;
      const [ssnId] = Object.keys(resources).filter((id) => id.startsWith('SSNTable') && resources[id].Type === 'AWS::DynamoDB::Table');
      tablePolicy = resolve(env, resources[ssnId].Properties!.ResourcePolicy).PolicyDocument;
      tableArn = resolve(env, { 'Fn::GetAtt': [ssnId, 'Arn'] });
      keyPolicy = resourceProps(env, 'Persistent', 'AWS::KMS::Key', 'SSNTableKey').KeyPolicy;
      keyArn = resolve(env, { 'Fn::GetAtt': [Object.keys(resources).find((id) => id.startsWith('SSNTableKey')), 'Arn'] });
      apiRole = resolve(env, { 'Fn::GetAtt': [Object.keys(resources).find((id) => id.startsWith('ProviderApiRole')), 'Arn'] });
      recoveryRole = resolve(env, { 'Fn::GetAtt': [Object.keys(resources).find((id) => id.startsWith('RecoveryRole')), 'Arn'] });
    });

    const onTable = (principal: string, action: string) =>
      evaluate({ principal, action, resource: tableArn, resourceAccount: ACCOUNT, identityPolicies: [ALLOW_ALL], resourcePolicy: tablePolicy });

    it('deploys exactly the statements the policy model defines, on the table and its key', () => {
      expect(tablePolicy).toEqual({
        Version: '2012-10-17',
        Statement: sensitiveTablePolicyStatements({ appRoleArns: [apiRole], recoveryRoleArns: [recoveryRole], backupRoleArn: backupRole }),
      });
      expect((keyPolicy as { Statement: unknown[] }).Statement).toContainEqual(
        sensitiveTableKeyStatement({ appRoleArns: [apiRole], recoveryRoleArns: [recoveryRole], backupRoleArn: backupRole }, REGION),
      );
    });

    it('lets the named app role read an item and not scan', async () => {
      expect(await onTable(apiRole, 'dynamodb:GetItem')).toBe('Allowed');
      expect(await onTable(apiRole, 'dynamodb:Scan')).toBe('ExplicitlyDenied');
      expect(await onTable(apiRole, 'dynamodb:BatchGetItem')).toBe('ExplicitlyDenied');
    });

    it.each(['dynamodb:Scan', 'dynamodb:BatchGetItem', 'dynamodb:PartiQLSelect', 'dynamodb:ExportTableToPointInTime', 'dynamodb:GetItem', 'dynamodb:CreateBackup'])(
      'denies an administrator %s',
      async (action) => {
        expect(await onTable(admin, action)).toBe('ExplicitlyDenied');
      },
    );

    it('lets the recovery tooling scan', async () => {
      expect(await onTable(recoveryRole, 'dynamodb:Scan')).toBe('Allowed');
    });

    it('does not block AWS Backup, point-in-time recovery, or the DynamoDB service', async () => {
      expect(await onTable(backupRole, 'dynamodb:StartAwsBackupJob')).toBe('Allowed');
      expect(await onTable(backupRole, 'dynamodb:CreateBackup')).toBe('Allowed');
      expect(await onTable(recoveryRole, 'dynamodb:RestoreTableToPointInTime')).toBe('Allowed');
      const asService = await evaluate({ principal: 'dynamodb.amazonaws.com', action: 'dynamodb:Scan', resource: tableArn, resourceAccount: ACCOUNT, resourcePolicy: tablePolicy });
      expect(asService).not.toBe('ExplicitlyDenied');
    });

    it("limits the table key to DynamoDB, AWS Backup and the named roles", async () => {
      const decrypt = (principal: string, viaService?: string) =>
        evaluate({ principal, action: 'kms:Decrypt', resource: keyArn, resourceAccount: ACCOUNT, identityPolicies: [ALLOW_ALL], resourcePolicy: keyPolicy, context: viaService ? { 'kms:ViaService': viaService } : {} });
      expect(await decrypt(admin)).toBe('ExplicitlyDenied');
      expect(await decrypt(admin, `dynamodb.${REGION}.amazonaws.com`)).toBe('Allowed');
      expect(await decrypt(admin, `backup.${REGION}.amazonaws.com`)).toBe('Allowed');
      expect(await decrypt(recoveryRole)).toBe('Allowed');
    });
  });

  it('shows in the protection report who may copy, restore, scan and decrypt', () => {
    const { access } = protectionReport(assembly);
    const byVault = Object.fromEntries(access.vaults.map((v) => [v.vault, v]));
    expect(byVault['CompactConnectBackupVault-SSN']).toEqual({
      stack: 'BackupInfrastructure',
      vault: 'CompactConnectBackupVault-SSN',
      copyIn: 'this account (IAM)',
      copyOut: `by SensitiveBackupRole, to ${SENSITIVE_DESTINATION}`,
      restore: 'nobody (break-glass)',
      decrypt: 'only through AWS Backup (break-glass)',
    });
    expect(byVault.CompactConnectBackupVault).toMatchObject({ copyOut: `by principals IAM allows, to ${GENERAL_DESTINATION}`, restore: 'principals IAM allows' });
    expect(access.sensitiveTables).toEqual([
      {
        stack: 'Persistent',
        path: 'Persistent/SSNTable',
        items: 'ProviderApiRole, RecoveryRole only',
        scan: 'RecoveryRole only',
        onDemandBackup: 'BackupInfrastructure/SensitiveBackupRole (AWS Backup) only',
        decrypt: 'DynamoDB, AWS Backup and ProviderApiRole, RecoveryRole, BackupInfrastructure/SensitiveBackupRole only',
      },
    ]);
  });
});
