/**
 * The CloudFormation template a service-managed StackSet deploys into every account an organization
 * backup policy reaches: the vault, its key and the backup role the policy names, guarded like the
 * environment app's own. Pure data, built from the same statement functions as the stacks.
 */
import { defaultKeyAlias } from './arns';
import type { RetentionPolicy } from './config';
import { VAULT_TAG, copyTargetDenyStatements, policyDocument } from './statements';

/**
 * AWS managed policies of the general backup role. The two S3 policies live at the root path,
 * not under `service-role/` like the other two; aws-cdk-lib's default selection role has neither.
 */
export const GENERAL_BACKUP_MANAGED_POLICIES = [
  'service-role/AWSBackupServiceRolePolicyForBackup',
  'service-role/AWSBackupServiceRolePolicyForRestores',
  'AWSBackupServiceRolePolicyForS3Backup',
  'AWSBackupServiceRolePolicyForS3Restore',
] as const;

/** Where the organization-managed categories copy to: the member vault's (and role's) only copy targets. */
export function organizationCopyTargets(policy: RetentionPolicy): string[] {
  const categories = (policy.organizationPolicy?.categories ?? []).map((name) => policy.categories[name]).filter((c) => c !== undefined);
  return [...new Set(categories.flatMap((c) => [c.copyDestination?.vaultArn, c.airGappedCopy?.vaultArn].filter((arn): arn is string => arn !== undefined)))];
}

const RETAIN = { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' } as const;

/** The member accounts' template: a KMS key (rotated, retained), its alias, the vault with the copy-target guard, and the backup role. */
export function memberBackupTemplate(policy: RetentionPolicy): Record<string, unknown> {
  const vaultName = policy.vaultNames.general;
  const targets = organizationCopyTargets(policy);
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `retention-kit: the vault ${vaultName}, its key and the role ${policy.generalRoleName} that the organization backup policy names`,
    Resources: {
      VaultKey: {
        Type: 'AWS::KMS::Key',
        ...RETAIN,
        Properties: {
          Description: `Encrypts recovery points in the ${vaultName} backup vault`,
          EnableKeyRotation: true,
          KeyPolicy: policyDocument({
            Sid: 'KeyAdministrationByTheAccount',
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } as unknown as string },
            Action: 'kms:*',
            Resource: '*',
          }),
          Tags: [{ Key: VAULT_TAG, Value: vaultName }],
        },
      },
      VaultKeyAlias: { Type: 'AWS::KMS::Alias', Properties: { AliasName: defaultKeyAlias(vaultName), TargetKeyId: { Ref: 'VaultKey' } } },
      Vault: {
        Type: 'AWS::Backup::BackupVault',
        ...RETAIN,
        Properties: {
          BackupVaultName: vaultName,
          EncryptionKeyArn: { 'Fn::GetAtt': ['VaultKey', 'Arn'] },
          AccessPolicy: policyDocument(...copyTargetDenyStatements(targets)),
        },
      },
      BackupRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: policy.generalRoleName,
          Description: 'AWS Backup service role of the organization backup policy',
          AssumeRolePolicyDocument: policyDocument({ Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' }, Action: 'sts:AssumeRole' }),
          ManagedPolicyArns: GENERAL_BACKUP_MANAGED_POLICIES.map((name) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:iam::aws:policy/${name}` })),
          Policies: [{ PolicyName: 'Restrictions', PolicyDocument: policyDocument(...copyTargetDenyStatements(targets, true)) }],
        },
      },
    },
    Outputs: {
      BackupVaultArn: { Value: { 'Fn::GetAtt': ['Vault', 'BackupVaultArn'] } },
      BackupRoleArn: { Value: { 'Fn::GetAtt': ['BackupRole', 'Arn'] } },
    },
  };
}
