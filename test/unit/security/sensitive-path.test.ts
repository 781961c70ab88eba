import { beforeAll, describe, expect, it } from 'vitest';
import { type Deployment, resolve, resourceProps } from '../../support/cfn';
import { ENVIRONMENT_ACCOUNT as ACCOUNT, ENVIRONMENT_REGION as REGION, referenceApp, synthesize } from '../../support/apps';
import { evaluate } from '../../support/iam';

/**
 * The sensitive path evaluated with an IAM policy simulator: the synthesized policies decide who
 * can and who cannot, not string matching.
 */
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/Administrator`;
const ADMIN_POLICY = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const SENSITIVE_ROLE = `arn:aws:iam::${ACCOUNT}:role/CompactConnect-SSNBackupRole`;
const RECOVERY_POINT = `arn:aws:backup:${REGION}:${ACCOUNT}:recovery-point:3b3a1b5e-0000-4000-8000-000000000001`;
const SENSITIVE_VAULT = `arn:aws:backup:${REGION}:${ACCOUNT}:backup-vault:CompactConnectBackupVault-SSN`;

describe('sensitive backup path, evaluated', () => {
  let deployment: Deployment;
  let roleIdentityPolicies: unknown[];
  let vaultPolicy: unknown;
  let keyPolicy: unknown;
  let ssnTableArn: string;
  let providerTableArn: string;
  let sensitiveKeyArn: string;

  beforeAll(() => {
    deployment = synthesize(referenceApp());
    const role = resourceProps(deployment, 'BackupInfrastructure', 'AWS::IAM::Role', 'SensitiveBackupRole');
    const tablesPolicy = resourceProps(deployment, 'Persistent', 'AWS::IAM::Policy', 'RetentionKitBackupPlansSsnData');
    expect(tablesPolicy.Roles).toEqual(['CompactConnect-SSNBackupRole']);
    roleIdentityPolicies = [role.Policies[0].PolicyDocument, tablesPolicy.PolicyDocument];
    vaultPolicy = resourceProps(deployment, 'BackupInfrastructure', 'AWS::Backup::BackupVault', 'SensitiveVault').AccessPolicy;
    keyPolicy = resourceProps(deployment, 'BackupInfrastructure', 'AWS::KMS::Key', 'SensitiveVault').KeyPolicy;
    ssnTableArn = resolve(deployment, { 'Fn::GetAtt': [Object.keys(deployment.templates.Persistent.Resources).find((id) => id.startsWith('SSNTable') && deployment.templates.Persistent.Resources[id].Type === 'AWS::DynamoDB::Table'), 'Arn'] });
    providerTableArn = ssnTableArn.replace(/table\/.*/, 'table/ProviderTableEC5D0597');
    sensitiveKeyArn = resolve(deployment, { 'Fn::GetAtt': [Object.keys(deployment.templates.BackupInfrastructure.Resources).find((id) => id.startsWith('SensitiveVaultKey') && !id.includes('Alias')), 'Arn'] });
  });

  describe('the sensitive backup role', () => {
    const asRole = (action: string, resource: string) =>
      evaluate({ principal: SENSITIVE_ROLE, action, resource, resourceAccount: ACCOUNT, identityPolicies: roleIdentityPolicies });

    it('can start an AWS Backup job on the SSN table', async () => {
      expect(await asRole('dynamodb:StartAwsBackupJob', ssnTableArn)).toBe('Allowed');
      expect(await asRole('dynamodb:DescribeTable', ssnTableArn)).toBe('Allowed');
    });

    it('cannot back up any other table', async () => {
      expect(await asRole('dynamodb:StartAwsBackupJob', providerTableArn)).toBe('ImplicitlyDenied');
    });

    it.each(['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:Scan', 'dynamodb:Query', 'dynamodb:PartiQLSelect', 'dynamodb:ExportTableToPointInTime', 'dynamodb:RestoreTableToPointInTime'])(
      'is explicitly denied %s on the SSN table',
      async (action) => {
        expect(await asRole(action, ssnTableArn)).toBe('ExplicitlyDenied');
      },
    );

    it('cannot restore, even if someone attaches backup:* to it later', async () => {
      const widened = [...roleIdentityPolicies, { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'backup:*', Resource: '*' }] }];
      const result = await evaluate({ principal: SENSITIVE_ROLE, action: 'backup:StartRestoreJob', resource: RECOVERY_POINT, resourceAccount: ACCOUNT, identityPolicies: widened });
      expect(result).toBe('ExplicitlyDenied');
    });

    it('may copy into its own vault', async () => {
      expect(await asRole('backup:CopyIntoBackupVault', SENSITIVE_VAULT)).toBe('Allowed');
    });

    it("uses only the sensitive destination vault's key in the backup account, through AWS Backup: not any other key of that account and Region", async () => {
      const useKey = (action: string, vault: string) =>
        evaluate({
          principal: SENSITIVE_ROLE,
          action,
          resource: 'arn:aws:kms:us-west-2:222222222222:key/1a2b3c4d-0000-4000-8000-000000000000',
          resourceAccount: '222222222222',
          identityPolicies: roleIdentityPolicies,
          // A key policy that admits the role, so that the role's own policy decides (the destination key's is evaluated with the backup account).
          resourcePolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: SENSITIVE_ROLE }, Action: 'kms:*', Resource: '*' }] },
          context: { 'kms:ViaService': 'backup.us-west-2.amazonaws.com', 'aws:ResourceTag/retention-kit:vault': vault },
        });
      for (const action of ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:CreateGrant']) {
        expect(await useKey(action, 'CompactConnectBackupVault-SSN')).toBe('Allowed');
        expect(await useKey(action, 'CompactConnectBackupVault')).toBe('ImplicitlyDenied');
        expect(await useKey(action, 'SomeOtherTeamsVault')).toBe('ImplicitlyDenied');
      }
    });
  });

  describe('the sensitive vault', () => {
    const inVault = (principal: string, action: string, identityPolicies: unknown[]) =>
      evaluate({ principal, action, resource: RECOVERY_POINT, resourceAccount: ACCOUNT, identityPolicies, resourcePolicy: vaultPolicy });

    it.each(['backup:StartRestoreJob', 'backup:DeleteRecoveryPoint', 'backup:UpdateRecoveryPointLifecycle', 'backup:StartCopyJob'])(
      'denies an account administrator %s',
      async (action) => {
        expect(await inVault(ADMIN, action, [ADMIN_POLICY])).toBe('ExplicitlyDenied');
      },
    );

    it('lets the sensitive backup role copy out (the plan copy action), and nobody else', async () => {
      const backupEverything = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'backup:*', Resource: '*' }] };
      expect(await inVault(SENSITIVE_ROLE, 'backup:StartCopyJob', [backupEverything])).toBe('Allowed');
      expect(await inVault(`arn:aws:iam::${ACCOUNT}:role/OtherBackupRole`, 'backup:StartCopyJob', [backupEverything])).toBe('ExplicitlyDenied');
    });

    it('still denies the sensitive backup role a restore', async () => {
      expect(await inVault(SENSITIVE_ROLE, 'backup:StartRestoreJob', [ADMIN_POLICY])).toBe('ExplicitlyDenied');
    });
  });

  describe('the sensitive key', () => {
    const decrypt = (viaService?: string) =>
      evaluate({
        principal: ADMIN,
        action: 'kms:Decrypt',
        resource: sensitiveKeyArn,
        resourceAccount: ACCOUNT,
        identityPolicies: [ADMIN_POLICY],
        resourcePolicy: keyPolicy,
        context: viaService ? { 'kms:ViaService': viaService } : {},
      });

    it('denies an administrator decrypt outside AWS Backup', async () => {
      expect(await decrypt()).toBe('ExplicitlyDenied');
      expect(await decrypt(`dynamodb.${REGION}.amazonaws.com`)).toBe('ExplicitlyDenied');
    });

    it('allows decrypt through AWS Backup (backup and copy jobs)', async () => {
      expect(await decrypt(`backup.${REGION}.amazonaws.com`)).toBe('Allowed');
    });

    it('denies granting the key to someone else outside AWS Backup', async () => {
      const result = await evaluate({ principal: ADMIN, action: 'kms:CreateGrant', resource: sensitiveKeyArn, resourceAccount: ACCOUNT, identityPolicies: [ADMIN_POLICY], resourcePolicy: keyPolicy });
      expect(result).toBe('ExplicitlyDenied');
    });
  });
});
