/**
 * The backup account's policies as data: who may copy into its destination vaults and use their
 * keys, and where copies may leave them for.
 */
import { accountRootArn, backupVaultArn, roleArn } from './arns';
import { NOT_AN_AWS_SERVICE, type PolicyStatementJson, copyTargetDenyStatements, sensitiveVaultDenyStatements } from './statements';

/** The roles in the source accounts that may use a destination key: the named backup roles, and AWS Backup's service-linked role. */
export function sourceBackupPrincipalArns(sourceAccountIds: readonly string[], roleNames: readonly string[]): string[] {
  return sourceAccountIds.flatMap((account) => [
    ...roleNames.map((name) => roleArn(account, name)),
    `arn:aws:iam::${account}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup`,
  ]);
}

/**
 * A destination vault's access policy: copies in only from the named source accounts, and only
 * from inside the organization; nobody else may copy in, not even the backup account itself.
 */
export function destinationVaultCopyStatements(props: { sourceAccountIds: readonly string[]; organizationId: string }): PolicyStatementJson[] {
  return [
    {
      Sid: 'AllowCopyIntoFromSourceAccounts',
      Effect: 'Allow',
      Principal: { AWS: props.sourceAccountIds.map((a) => accountRootArn(a)) },
      Action: 'backup:CopyIntoBackupVault',
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } },
    },
    {
      Sid: 'DenyCopyIntoFromOtherAccounts',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'backup:CopyIntoBackupVault',
      Resource: '*',
      Condition: { ...NOT_AN_AWS_SERVICE, StringNotEquals: { 'aws:PrincipalAccount': [...props.sourceAccountIds] } },
    },
    {
      Sid: 'DenyCopyIntoFromOutsideOrganization',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'backup:CopyIntoBackupVault',
      Resource: '*',
      Condition: { ...NOT_AN_AWS_SERVICE, StringNotEquals: { 'aws:PrincipalOrgID': props.organizationId } },
    },
  ];
}

/** A destination key's policy statements: the source accounts' backup roles may use it for copies, through AWS Backup. */
export function destinationKeyUseStatements(props: {
  sourceAccountIds: readonly string[];
  organizationId: string;
  /** The backup roles of the source accounts' apps (one per app that copies here). */
  roleNames: readonly string[];
  backupRegion: string;
}): PolicyStatementJson[] {
  const conditions = {
    StringEquals: { 'aws:PrincipalOrgID': props.organizationId, 'kms:ViaService': `backup.${props.backupRegion}.amazonaws.com` },
    ArnLike: { 'aws:PrincipalArn': sourceBackupPrincipalArns(props.sourceAccountIds, props.roleNames) },
  };
  return [
    {
      Sid: 'AllowSourceBackupRolesToCopy',
      Effect: 'Allow',
      Principal: { AWS: props.sourceAccountIds.map((a) => accountRootArn(a)) },
      Action: ['kms:DescribeKey', 'kms:Encrypt', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext'],
      Resource: '*',
      Condition: conditions,
    },
    {
      Sid: 'AllowSourceBackupRolesGrantsForBackup',
      Effect: 'Allow',
      Principal: { AWS: props.sourceAccountIds.map((a) => accountRootArn(a)) },
      Action: 'kms:CreateGrant',
      Resource: '*',
      Condition: { ...conditions, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    },
  ];
}

/** Where a destination general vault may copy to: back into the source accounts (the restore path) and within the backup account. */
export function destinationGeneralCopyTargets(sourceAccountIds: readonly string[], backupAccountId: string): string[] {
  return [...sourceAccountIds, backupAccountId].map((account) => `arn:aws:backup:*:${account}:backup-vault:*`);
}

/** The whole access policy of the backup account's sensitive vault. */
export function destinationSensitiveVaultStatements(props: {
  sourceAccountIds: readonly string[];
  organizationId: string;
  backupAccountId: string;
  backupRegion: string;
  vaultName: string;
}): PolicyStatementJson[] {
  return [
    ...destinationVaultCopyStatements(props),
    ...sensitiveVaultDenyStatements({ copyRoleArns: [] }),
    ...copyTargetDenyStatements([backupVaultArn({ account: props.backupAccountId, region: props.backupRegion, vaultName: props.vaultName })]),
  ];
}

/**
 * The access policy of the backup account's logically air-gapped vault: copies in only from the named
 * source accounts inside the organization, and copies out only back to them or within the backup account.
 * AWS itself refuses deletion before the vault's minimum retention, for everyone.
 */
export function airGappedVaultAccessStatements(props: { sourceAccountIds: readonly string[]; organizationId: string; backupAccountId: string }): PolicyStatementJson[] {
  return [
    ...destinationVaultCopyStatements(props),
    ...copyTargetDenyStatements(destinationGeneralCopyTargets(props.sourceAccountIds, props.backupAccountId)),
  ];
}
