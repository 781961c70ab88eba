import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { GENERAL_BACKUP_MANAGED_POLICIES } from '../../../packages/retention-kit/src/constructs/backup-roles';
import { copyTargetDenyStatements, sensitiveKeyDenyStatement, sensitiveRoleDenyStatement, sensitiveVaultDenyStatements } from 'retention-kit/policy';
import { BackupInfrastructureStack } from '../../../packages/retention-kit/src/stacks/backup-infrastructure-stack';
import { type Deployment, resolve, resourceProps } from '../../support/cfn';
import { ENVIRONMENT_ACCOUNT, ENVIRONMENT_REGION, referenceApp, synthesize } from '../../support/apps';

describe('BackupInfrastructureStack (environment account)', () => {
  let template: Template;
  let deployment: Deployment;
  let stack: BackupInfrastructureStack;

  beforeAll(() => {
    const app = referenceApp();
    stack = app.node.findChild('BackupInfrastructure') as BackupInfrastructureStack;
    deployment = synthesize(app);
    template = Template.fromJSON(deployment.templates.BackupInfrastructure);
  });

  it('creates the general and the sensitive local vault, each with its own key (and the standby recovery vaults the reference app adds)', () => {
    template.resourceCountIs('AWS::Backup::BackupVault', 4);
    const general = resourceProps(deployment, 'BackupInfrastructure', 'AWS::Backup::BackupVault', 'GeneralVault');
    const sensitive = resourceProps(deployment, 'BackupInfrastructure', 'AWS::Backup::BackupVault', 'SensitiveVault');
    expect(general.BackupVaultName).toBe('CompactConnectBackupVault');
    expect(sensitive.BackupVaultName).toBe('CompactConnectBackupVault-SSN');
    expect(general.EncryptionKeyArn).toMatch(/^arn:aws:kms:us-east-1:111111111111:key\/generalvaultkey/);
    expect(sensitive.EncryptionKeyArn).toMatch(/^arn:aws:kms:us-east-1:111111111111:key\/sensitivevaultkey/);
    expect(general.AccessPolicy).toEqual({ Version: '2012-10-17', Statement: copyTargetDenyStatements(['arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault']) });
  });

  it('turns rotation on for both keys and keeps keys and vaults when the stack is deleted', () => {
    template.resourceCountIs('AWS::KMS::Key', 6); // two vault keys, two recovery vault keys, the alert topics' key and the audit trail's key
    template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    for (const type of ['AWS::KMS::Key', 'AWS::Backup::BackupVault']) {
      for (const resource of Object.values(template.findResources(type))) expect(resource.DeletionPolicy).toBe('Retain');
    }
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/CompactConnectBackupVault-key' });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/CompactConnectBackupVault-SSN-key' });
  });

  it('gives the general role the AWS Backup service policies, S3 included, and only the copy-target guard inline', () => {
    const role = resourceProps(deployment, 'BackupInfrastructure', 'AWS::IAM::Role', 'GeneralBackupRole');
    expect(role.RoleName).toBe('CompactConnect-BackupServiceRole');
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' } },
    ]);
    expect(role.ManagedPolicyArns).toEqual(GENERAL_BACKUP_MANAGED_POLICIES.map((name) => `arn:aws:iam::aws:policy/${name}`));
    expect(role.ManagedPolicyArns).toContain('arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup');
    expect(role.ManagedPolicyArns).toContain('arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore');
    expect(role.Policies).toEqual([
      {
        PolicyName: 'Restrictions',
        PolicyDocument: { Version: '2012-10-17', Statement: copyTargetDenyStatements(['arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault'], true) },
      },
    ]);
  });

  it('names the sensitive role from the category and gives it no managed policy, with the batch and restore DENY inline', () => {
    const role = resourceProps(deployment, 'BackupInfrastructure', 'AWS::IAM::Role', 'SensitiveBackupRole');
    expect(role.RoleName).toBe('CompactConnect-SSNBackupRole');
    expect(role.ManagedPolicyArns).toBeUndefined();
    const statements = role.Policies[0].PolicyDocument.Statement;
    expect(statements[0]).toEqual(sensitiveRoleDenyStatement());
    expect(statements.map((s: { Sid: string }) => s.Sid)).toEqual([
      'DenyBatchAndRestoreOperations',
      'DenyCopyToUnexpectedTargets',
      'DenyCopyWithoutNamedTargets',
      'UseSensitiveVaults',
      'UseSensitiveBackupKeyThroughBackup',
      'FindResourcesByTag',
      'UseDestinationKeyThroughBackup',
    ]);
    expect(statements[3].Resource).toEqual([
      'arn:aws:backup:us-east-1:111111111111:backup-vault:CompactConnectBackupVault-SSN',
      'arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault-SSN',
    ]);
  });

  it('puts exactly the break-glass DENY statements on the sensitive vault, naming the sensitive role as the only copier', () => {
    const vault = resourceProps(deployment, 'BackupInfrastructure', 'AWS::Backup::BackupVault', 'SensitiveVault');
    const roleArn = `arn:aws:iam::${ENVIRONMENT_ACCOUNT}:role/CompactConnect-SSNBackupRole`;
    expect(vault.AccessPolicy).toEqual({
      Version: '2012-10-17',
      Statement: [
        ...sensitiveVaultDenyStatements({ copyRoleArns: [roleArn] }),
        ...copyTargetDenyStatements(['arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault-SSN']),
      ],
    });
    expect(vault.AccessPolicy.Statement[0]).toEqual({
      Sid: 'DenyEmergencyRestoreOperations',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['backup:StartRestoreJob', 'backup:DeleteRecoveryPoint', 'backup:UpdateRecoveryPointLifecycle', 'backup:DisassociateRecoveryPoint'],
      Resource: '*',
      Condition: { BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } },
    });
  });

  it('puts the decrypt DENY on the sensitive key only', () => {
    const keys = template.findResources('AWS::KMS::Key');
    const [sensitiveId] = Object.keys(keys).filter((id) => id.startsWith('SensitiveVault'));
    const [generalId] = Object.keys(keys).filter((id) => id.startsWith('GeneralVault'));
    const sensitiveStatements = resolve(deployment, keys[sensitiveId].Properties.KeyPolicy.Statement);
    expect(sensitiveStatements).toContainEqual(sensitiveKeyDenyStatement({ region: ENVIRONMENT_REGION }));
    expect(JSON.stringify(keys[generalId].Properties.KeyPolicy)).not.toContain('Deny');
  });

  it('outputs both vault ARNs and both key ARNs', () => {
    for (const name of ['BackupVaultArn', 'SSNBackupVaultArn', 'BackupEncryptionKeyArn', 'SSNBackupEncryptionKeyArn']) {
      template.hasOutput(name, { Value: Match.anyValue() });
    }
  });

  it('exposes the policy it was built from', () => {
    expect(stack.policy.categories.ssn_data.copyDestination?.vaultArn).toBe('arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault-SSN');
  });
});
