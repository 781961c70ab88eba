import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackupAccountApp } from '../../../apps/backup-account/app';
import { protectionReport } from '../../../packages/retention-kit-cli/src/report/protection-report';
import { type Deployment, resolve, resourceProps } from '../../support/cfn';
import { ENVIRONMENT_ACCOUNT as ACCOUNT, ENVIRONMENT_REGION as REGION, referenceApp, synthesize, tempDir } from '../../support/apps';
import { assumeRole, evaluate } from '../../support/iam';
import { openPolicy } from 'retention-kit/policy';

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
    const copy = async (vaultPrefix: string, rolePrefix: string, target: string | undefined) => {
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
        context: target === undefined ? {} : { 'backup:CopyTargets': [target] },
      });
    };

    it('allows a copy from the general vault to its category destination', async () => {
      expect(await copy('GeneralVault', 'GeneralBackupRole', GENERAL_DESTINATION)).toBe('Allowed');
    });

    it.each([
      ['another vault of the backup account', `arn:aws:backup:us-west-2:${BACKUP}:backup-vault:Elsewhere`],
      ['another account', `arn:aws:backup:us-west-2:555555555555:backup-vault:CompactConnectBackupVault`],
      ['another Region', `arn:aws:backup:eu-west-1:${BACKUP}:backup-vault:CompactConnectBackupVault`],
      ['the sensitive destination', SENSITIVE_DESTINATION],
    ])('denies a copy from the general vault to %s', async (_name, target) => {
      expect(await copy('GeneralVault', 'GeneralBackupRole', target)).toBe('ExplicitlyDenied');
    });

    it('denies a copy whose request names no target at all, from either vault (the guard fails closed)', async () => {
      expect(await copy('GeneralVault', 'GeneralBackupRole', undefined)).toBe('ExplicitlyDenied');
      expect(await copy('SensitiveVault', 'SensitiveBackupRole', undefined)).toBe('ExplicitlyDenied');
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
        context: { 'backup:CopyTargets': ['arn:aws:backup:us-west-2:555555555555:backup-vault:Mine'] },
      });
      expect(result).toBe('ExplicitlyDenied');
    });
  });

  describe('backup account vaults', () => {
    const copyOut = (prefix: string, target: string | undefined) => {
      const vault = resourceProps(backupAccount, 'BackupAccountStack', 'AWS::Backup::BackupVault', prefix);
      return evaluate({
        principal: `arn:aws:iam::${BACKUP}:role/Administrator`,
        action: 'backup:CopyFromBackupVault',
        resource: recoveryPoint(BACKUP, 'us-west-2'),
        resourceAccount: BACKUP,
        identityPolicies: [ALLOW_ALL],
        resourcePolicy: vault.AccessPolicy,
        context: target === undefined ? {} : { 'backup:CopyTargets': [target] },
      });
    };

    it('denies a copy out of either destination vault whose request names no target', async () => {
      expect(await copyOut('BackupVault', undefined)).toBe('ExplicitlyDenied');
      expect(await copyOut('SSNBackupVault', undefined)).toBe('ExplicitlyDenied');
    });

    it('denies any copy out of the sensitive destination vault', async () => {
      expect(await copyOut('SSNBackupVault', `arn:aws:backup:us-east-1:${ACCOUNT}:backup-vault:Standby`)).toBe('ExplicitlyDenied');
      expect(await copyOut('SSNBackupVault', `arn:aws:backup:us-west-2:555555555555:backup-vault:Mine`)).toBe('ExplicitlyDenied');
    });

    const copyIn = (prefix: string, account: string, role: string) => {
      const vault = resourceProps(backupAccount, 'BackupAccountStack', 'AWS::Backup::BackupVault', prefix);
      return evaluate({
        principal: `arn:aws:iam::${account}:role/${role}`,
        action: 'backup:CopyIntoBackupVault',
        resource: `arn:aws:backup:us-west-2:${BACKUP}:backup-vault:${vault.BackupVaultName}`,
        resourceAccount: BACKUP,
        identityPolicies: [ALLOW_ALL],
        resourcePolicy: vault.AccessPolicy,
        context: { 'aws:PrincipalOrgID': 'o-exampleorg1', 'aws:PrincipalAccount': account },
      });
    };
    const useKey = (prefix: string, account: string, role: string) => {
      const key = resourceProps(backupAccount, 'BackupAccountStack', 'AWS::KMS::Key', prefix);
      return evaluate({
        principal: `arn:aws:iam::${account}:role/${role}`,
        action: 'kms:GenerateDataKey',
        resource: `arn:aws:kms:us-west-2:${BACKUP}:key/0000`,
        resourceAccount: BACKUP,
        identityPolicies: [ALLOW_ALL],
        resourcePolicy: key.KeyPolicy,
        context: { 'aws:PrincipalOrgID': 'o-exampleorg1', 'aws:PrincipalAccount': account, 'kms:ViaService': 'backup.us-west-2.amazonaws.com' },
      });
    };

    it('admits to the sensitive vault and key only the accounts that send sensitive data: the document archive account copies to the general vault only', async () => {
      expect(await copyIn('SSNBackupVault', ACCOUNT, 'CompactConnect-SSNBackupRole')).toBe('Allowed');
      expect(await useKey('SSNBackupVaultKey', ACCOUNT, 'CompactConnect-SSNBackupRole')).toBe('Allowed');
      expect(await copyIn('SSNBackupVault', '444444444444', 'DocumentArchive-BackupServiceRole')).toBe('ExplicitlyDenied');
      expect(await useKey('SSNBackupVaultKey', '444444444444', 'DocumentArchive-BackupServiceRole')).not.toBe('Allowed');
      expect(await copyIn('BackupVault', '444444444444', 'DocumentArchive-BackupServiceRole')).toBe('Allowed');
      expect(await useKey('BackupVaultKey', '444444444444', 'DocumentArchive-BackupServiceRole')).toBe('Allowed');
      // A general role of an account that does send sensitive data still cannot use the sensitive key.
      expect(await useKey('SSNBackupVaultKey', ACCOUNT, 'CompactConnect-BackupServiceRole')).not.toBe('Allowed');
    });

    const RECOVERY_VAULT = `arn:aws:backup:us-west-2:${ACCOUNT}:backup-vault:CompactConnectRecoveryVault`;

    it("lets the general destination vault copy back only to the standby's recovery vault, nowhere else in the source account or elsewhere", async () => {
      expect(await copyOut('BackupVault', RECOVERY_VAULT)).toBe('Allowed');
      expect(await copyOut('BackupVault', `arn:aws:backup:us-east-1:${ACCOUNT}:backup-vault:CompactConnectBackupVault`)).toBe('ExplicitlyDenied');
      expect(await copyOut('BackupVault', `arn:aws:backup:us-west-2:555555555555:backup-vault:Mine`)).toBe('ExplicitlyDenied');
    });

    describe('the copy-back path to the standby, evaluated', () => {
      const role = (prefix: string) => {
        const found = Object.entries(backupAccount.templates.BackupAccountStack.Resources).find(([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith(prefix))!;
        return resolve(backupAccount, found[1].Properties);
      };
      const ORCHESTRATOR = `arn:aws:iam::${ACCOUNT}:role/CompactConnect-FailoverOrchestrator`;
      const ACCESS_ROLE = `arn:aws:iam::${BACKUP}:role/retention-failover-access`;

      it("lets only the standby's orchestrator role assume the failover access role: no other principal of its account, nor of the backup account", async () => {
        const trust = role('FailoverAccessRole').AssumeRolePolicyDocument;
        expect(await assumeRole(ORCHESTRATOR, ACCESS_ROLE, trust)).toBe('Allowed');
        expect(await assumeRole(`arn:aws:iam::${ACCOUNT}:role/Administrator`, ACCESS_ROLE, trust)).not.toBe('Allowed');
        expect(await assumeRole(`arn:aws:iam::${BACKUP}:role/Administrator`, ACCESS_ROLE, trust)).not.toBe('Allowed');
        expect(await assumeRole('arn:aws:iam::555555555555:role/CompactConnect-FailoverOrchestrator', ACCESS_ROLE, trust)).not.toBe('Allowed');
      });

      it('lets the failover access role list recovery points and start copies passing the copy-back role, nothing that restores, deletes or passes another role', async () => {
        const access = (action: string, resource: string, context: Record<string, string> = {}) =>
          evaluate({ principal: ACCESS_ROLE, action, resource, resourceAccount: BACKUP, identityPolicies: role('FailoverAccessRole').Policies.map((p: { PolicyDocument: unknown }) => p.PolicyDocument), context });
        const point = recoveryPoint(BACKUP, 'us-west-2');
        expect(await access('backup:ListRecoveryPointsByBackupVault', `arn:aws:backup:us-west-2:${BACKUP}:backup-vault:CompactConnectBackupVault`)).toBe('Allowed');
        expect(await access('backup:StartCopyJob', point)).toBe('Allowed');
        expect(await access('iam:PassRole', `arn:aws:iam::${BACKUP}:role/retention-copy-back`, { 'iam:PassedToService': 'backup.amazonaws.com' })).toBe('Allowed');
        for (const action of ['backup:StartRestoreJob', 'backup:DeleteRecoveryPoint', 'backup:UpdateRecoveryPointLifecycle']) expect(await access(action, point), action).toBe('ImplicitlyDenied');
        expect(await access('backup:PutBackupVaultAccessPolicy', `arn:aws:backup:us-west-2:${BACKUP}:backup-vault:CompactConnectBackupVault`)).toBe('ImplicitlyDenied');
        expect(await access('iam:PassRole', `arn:aws:iam::${BACKUP}:role/Administrator`, { 'iam:PassedToService': 'backup.amazonaws.com' })).toBe('ImplicitlyDenied');
      });

      /** A copy made by the copy-back role (what AWS Backup does for a copy job it was passed), against a vault policy or none. */
      const copyBack = (target: string, vaultPolicy?: unknown) =>
        evaluate({
          principal: `arn:aws:iam::${BACKUP}:role/retention-copy-back`,
          action: 'backup:CopyFromBackupVault',
          resource: recoveryPoint(BACKUP, 'us-west-2'),
          resourceAccount: BACKUP,
          identityPolicies: [ALLOW_ALL, ...role('CopyBackRole').Policies.map((p: { PolicyDocument: unknown }) => p.PolicyDocument)],
          resourcePolicy: vaultPolicy,
          context: { 'backup:CopyTargets': [target] },
        });

      it('lets the copy-back role copy only to the recovery vault, whatever vault policy it meets', async () => {
        expect(await copyBack(RECOVERY_VAULT)).toBe('Allowed');
        expect(await copyBack(`arn:aws:backup:us-west-2:555555555555:backup-vault:Mine`)).toBe('ExplicitlyDenied');
      });

      it("opens the sensitive vault's copy back for the failover access role only while break-glass is open, and only to the standby's sensitive recovery vault", async () => {
        const deployed = resourceProps(backupAccount, 'BackupAccountStack', 'AWS::Backup::BackupVault', 'SSNBackupVault').AccessPolicy;
        const grant = { principalArn: ACCESS_ROLE, notBefore: '2026-12-06T10:00:00Z', notAfter: '2026-12-06T14:00:00Z' };
        const opened = openPolicy('copy', deployed, grant);
        const start = (principal: string, policy: unknown, time: string) =>
          evaluate({ principal, action: 'backup:StartCopyJob', resource: recoveryPoint(BACKUP, 'us-west-2'), resourceAccount: BACKUP, identityPolicies: [ALLOW_ALL], resourcePolicy: policy, context: { 'aws:CurrentTime': time } });
        expect(await start(ACCESS_ROLE, deployed, '2026-12-06T12:00:00Z')).toBe('ExplicitlyDenied');
        expect(await start(ACCESS_ROLE, opened, '2026-12-06T12:00:00Z')).toBe('Allowed');
        expect(await start(ACCESS_ROLE, opened, '2026-12-06T14:00:01Z')).toBe('ExplicitlyDenied');
        expect(await start(`arn:aws:iam::${BACKUP}:role/Administrator`, opened, '2026-12-06T12:00:00Z')).toBe('ExplicitlyDenied');
        // The copy itself, made by the copy-back role: to the sensitive recovery vault only.
        expect(await copyBack(`arn:aws:backup:us-west-2:${ACCOUNT}:backup-vault:CompactConnectRecoveryVault-SSN`, opened)).toBe('Allowed');
        expect(await copyBack(RECOVERY_VAULT, opened)).toBe('ExplicitlyDenied');
        expect(await copyBack('arn:aws:backup:us-west-2:555555555555:backup-vault:Mine', opened)).toBe('ExplicitlyDenied');
        // Restore and decrypt stay closed: a copy back opens nothing else.
        expect(opened.Statement.find((st) => st.Sid === 'DenyEmergencyRestoreOperations')).toEqual(deployed.Statement.find((st: { Sid: string }) => st.Sid === 'DenyEmergencyRestoreOperations'));
      });

      it('keeps every copy out of the sensitive destination vault denied, the failover access role included (break-glass only)', async () => {
        const vault = resourceProps(backupAccount, 'BackupAccountStack', 'AWS::Backup::BackupVault', 'SSNBackupVault');
        const result = await evaluate({
          principal: ACCESS_ROLE,
          action: 'backup:StartCopyJob',
          resource: recoveryPoint(BACKUP, 'us-west-2'),
          resourceAccount: BACKUP,
          identityPolicies: [ALLOW_ALL],
          resourcePolicy: vault.AccessPolicy,
        });
        expect(result).toBe('ExplicitlyDenied');
      });
    });
  });

  describe("the standby's recovery vaults (the reference app deployed as the standby, in us-west-2), evaluated", () => {
    let standby: Deployment;
    beforeAll(() => {
      standby = synthesize(referenceApp({ environment_region: 'us-west-2' }));
    });
    const vaultPolicy = (prefix: string) => resourceProps(standby, 'BackupInfrastructure', 'AWS::Backup::BackupVault', prefix).AccessPolicy;
    const keyPolicy = (prefix: string) => {
      const [, key] = Object.entries(standby.templates.BackupInfrastructure.Resources).find(([id, r]) => r.Type === 'AWS::KMS::Key' && id.startsWith(prefix))!;
      return resolve(standby, key.Properties).KeyPolicy;
    };
    const copyIn = (prefix: string, principal: string, account: string) =>
      evaluate({
        principal,
        action: 'backup:CopyIntoBackupVault',
        resource: `arn:aws:backup:us-west-2:${ACCOUNT}:backup-vault:CompactConnectRecoveryVault`,
        resourceAccount: ACCOUNT,
        identityPolicies: [ALLOW_ALL],
        resourcePolicy: vaultPolicy(prefix),
        context: { 'aws:PrincipalOrgID': 'o-exampleorg1', 'aws:PrincipalAccount': account },
      });
    const COPY_BACK = `arn:aws:iam::${BACKUP}:role/retention-copy-back`;

    it('admits copies only from the backup account, into both recovery vaults, with their keys', async () => {
      for (const prefix of ['StandbyRecoveryRecoveryVault', 'StandbyRecoverySensitiveRecoveryVault']) {
        expect(await copyIn(prefix, COPY_BACK, BACKUP), prefix).toBe('Allowed');
        expect(await copyIn(prefix, `arn:aws:iam::${ACCOUNT}:role/Administrator`, ACCOUNT), prefix).toBe('ExplicitlyDenied');
        expect(await copyIn(prefix, 'arn:aws:iam::555555555555:role/retention-copy-back', '555555555555'), prefix).toBe('ExplicitlyDenied');
        const useKey = await evaluate({
          principal: COPY_BACK,
          action: 'kms:GenerateDataKey',
          resource: `arn:aws:kms:us-west-2:${ACCOUNT}:key/0000`,
          resourceAccount: ACCOUNT,
          identityPolicies: [ALLOW_ALL],
          resourcePolicy: keyPolicy(`${prefix}Key`),
          context: { 'aws:PrincipalOrgID': 'o-exampleorg1', 'aws:PrincipalAccount': BACKUP, 'kms:ViaService': 'backup.us-west-2.amazonaws.com' },
        });
        expect(useKey, prefix).toBe('Allowed');
      }
    });

    it('lets nothing copy out of a recovery vault, and nobody restore from the sensitive one or decrypt with its key outside AWS Backup (break-glass)', async () => {
      const asAdmin = (action: string, resource: string, policy: unknown, context: Record<string, string | string[]> = {}) =>
        evaluate({ principal: `arn:aws:iam::${ACCOUNT}:role/Administrator`, action, resource, resourceAccount: ACCOUNT, identityPolicies: [ALLOW_ALL], resourcePolicy: policy, context });
      const point = recoveryPoint(ACCOUNT, 'us-west-2');
      for (const prefix of ['StandbyRecoveryRecoveryVault', 'StandbyRecoverySensitiveRecoveryVault']) {
        expect(await asAdmin('backup:CopyFromBackupVault', point, vaultPolicy(prefix), { 'backup:CopyTargets': ['arn:aws:backup:us-west-2:555555555555:backup-vault:Mine'] }), prefix).toBe('ExplicitlyDenied');
      }
      expect(await asAdmin('backup:StartRestoreJob', point, vaultPolicy('StandbyRecoverySensitiveRecoveryVault'))).toBe('ExplicitlyDenied');
      expect(await asAdmin('backup:StartRestoreJob', point, vaultPolicy('StandbyRecoveryRecoveryVault'))).toBe('Allowed');
      expect(await asAdmin('kms:Decrypt', `arn:aws:kms:us-west-2:${ACCOUNT}:key/0000`, keyPolicy('StandbyRecoverySensitiveRecoveryVaultKey'))).toBe('ExplicitlyDenied');
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
        backupJobs: 'BackupInfrastructure/SensitiveBackupRole (AWS Backup) only',
        configuration: 'arn:aws:iam::111111111111:role/cdk-hnb659fds-cfn-exec-role-111111111111-us-east-1 only',
        decrypt: 'DynamoDB (for this table only), AWS Backup and ProviderApiRole, RecoveryRole, BackupInfrastructure/SensitiveBackupRole only',
      },
    ]);
  });
});
