/**
 * Policies as data. The same functions feed the constructs that deploy them, the tests that
 * evaluate them, and the runbooks that print them, so the three cannot drift apart.
 * Inputs may be plain strings or CDK tokens (strings that resolve at deploy time).
 */
import { accountRootArn, backupVaultArn, roleArn } from './arns';

/**
 * JSON shapes of IAM, vault and key policies.
 */

export interface PolicyStatementJson {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | Record<string, string | string[]>;
  NotPrincipal?: Record<string, string | string[]>;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

export interface PolicyDocumentJson {
  Version: '2012-10-17';
  Statement: PolicyStatementJson[];
}

/**
 * Condition that keeps a `Principal: "*"` DENY off AWS services acting with their service principal
 * (a wildcard principal matches them too): the idiom AWS's own resource control policy examples use.
 */
export const NOT_AN_AWS_SERVICE = { BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } } as const;

export const policyDocument = (...statements: PolicyStatementJson[]): PolicyDocumentJson => ({ Version: '2012-10-17', Statement: statements });

export const SID = {
  denyRestore: 'DenyEmergencyRestoreOperations',
  denyCopyOut: 'DenyCopyOutExceptBackupRole',
  denyKeyDecrypt: 'DenySSNKeyDecryptOperations',
  denyBatchAndRestore: 'DenyBatchAndRestoreOperations',
  denyCopyTargets: 'DenyCopyToUnexpectedTargets',
} as const;

/** Vault operations that reach sensitive data or destroy it: restore, deletion, lifecycle shortening. */
export const SENSITIVE_VAULT_RESTORE_ACTIONS = [
  'backup:StartRestoreJob',
  'backup:DeleteRecoveryPoint',
  'backup:UpdateRecoveryPointLifecycle',
  'backup:DisassociateRecoveryPoint',
];

export const SENSITIVE_VAULT_COPY_OUT_ACTIONS = ['backup:StartCopyJob', 'backup:CopyFromBackupVault'];

/** KMS operations that expose plaintext or hand the key to someone else. */
export const SENSITIVE_KEY_DECRYPT_ACTIONS = ['kms:Decrypt', 'kms:ReEncryptFrom', 'kms:CreateGrant'];

/**
 * Break-glass statements of a sensitive vault's access policy: nobody restores, deletes or shortens
 * the life of a recovery point; only the named backup role (used by AWS Backup for the plan's copy
 * action) copies out. Opening restore means editing this policy (`retention break-glass`).
 */
export function sensitiveVaultDenyStatements(props: { copyRoleArns: string[] }): PolicyStatementJson[] {
  const statements: PolicyStatementJson[] = [
    {
      Sid: SID.denyRestore,
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: SENSITIVE_VAULT_RESTORE_ACTIONS,
      Resource: '*',
      Condition: { ...NOT_AN_AWS_SERVICE },
    },
  ];
  statements.push({
    Sid: SID.denyCopyOut,
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: SENSITIVE_VAULT_COPY_OUT_ACTIONS,
    Resource: '*',
    Condition: { ...NOT_AN_AWS_SERVICE, ...(props.copyRoleArns.length > 0 ? { ArnNotEquals: { 'aws:PrincipalArn': props.copyRoleArns } } : {}) },
  });
  return statements;
}

/**
 * Break-glass statement of a sensitive key's policy: no principal decrypts with the key except
 * through AWS Backup (which it does for backup and copy jobs).
 */
export function sensitiveKeyDenyStatement(props: { region: string }): PolicyStatementJson {
  return {
    Sid: SID.denyKeyDecrypt,
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: SENSITIVE_KEY_DECRYPT_ACTIONS,
    Resource: '*',
    Condition: { ...NOT_AN_AWS_SERVICE, StringNotEquals: { 'kms:ViaService': `backup.${props.region}.amazonaws.com` } },
  };
}

/** What the sensitive backup role may never do, whatever else is attached to it. */
export function sensitiveRoleDenyStatement(): PolicyStatementJson {
  return {
    Sid: SID.denyBatchAndRestore,
    Effect: 'Deny',
    Action: [
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:BatchExecuteStatement',
      'dynamodb:ExecuteStatement',
      'dynamodb:ExecuteTransaction',
      'dynamodb:PartiQLSelect',
      'dynamodb:PartiQLInsert',
      'dynamodb:PartiQLUpdate',
      'dynamodb:PartiQLDelete',
      'dynamodb:Scan',
      'dynamodb:Query',
      'dynamodb:GetItem',
      'dynamodb:ExportTableToPointInTime',
      'dynamodb:RestoreTableFromBackup',
      'dynamodb:RestoreTableFromAwsBackup',
      'dynamodb:RestoreTableToPointInTime',
      'backup:StartRestoreJob',
      's3:CreateJob',
      'rds:RestoreDBClusterFromSnapshot',
      'rds:RestoreDBClusterToPointInTime',
      'rds:RestoreDBInstanceFromDBSnapshot',
      'rds:RestoreDBInstanceToPointInTime',
    ],
    Resource: '*',
  };
}

/**
 * The sensitive role's allowances that do not depend on which tables it protects: write recovery
 * points into its own vault, copy them to the sensitive destination vault, and use the two keys
 * through AWS Backup only.
 */
export function sensitiveRoleVaultStatements(props: {
  region: string;
  localVaultArn: string;
  localKeyArn: string;
  destinationVaultArn?: string;
  destinationAccount?: string;
  destinationRegion?: string;
}): PolicyStatementJson[] {
  const vaults = [props.localVaultArn, ...(props.destinationVaultArn ? [props.destinationVaultArn] : [])];
  const statements: PolicyStatementJson[] = [
    {
      Sid: 'UseSensitiveVaults',
      Effect: 'Allow',
      Action: ['backup:DescribeBackupVault', 'backup:CopyIntoBackupVault'],
      Resource: vaults,
    },
    {
      Sid: 'UseSensitiveBackupKeyThroughBackup',
      Effect: 'Allow',
      Action: ['kms:DescribeKey', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:Encrypt', 'kms:Decrypt', 'kms:CreateGrant', 'kms:RetireGrant'],
      Resource: props.localKeyArn,
      Condition: { StringEquals: { 'kms:ViaService': `backup.${props.region}.amazonaws.com` } },
    },
    {
      Sid: 'FindResourcesByTag',
      Effect: 'Allow',
      Action: ['tag:GetResources'],
      Resource: '*',
    },
  ];
  if (props.destinationAccount && props.destinationRegion) {
    statements.push({
      Sid: 'UseDestinationKeyThroughBackup',
      Effect: 'Allow',
      Action: ['kms:DescribeKey', 'kms:GenerateDataKey', 'kms:Encrypt', 'kms:CreateGrant'],
      Resource: destinationKeysArn(props.destinationAccount, props.destinationRegion),
      Condition: { StringEquals: { 'kms:ViaService': `backup.${props.destinationRegion}.amazonaws.com` } },
    });
  }
  return statements;
}

/** Every KMS key of the backup account in its Region: the copy destination's key is created there. */
export function destinationKeysArn(account: string, region: string): string {
  return `arn:aws:kms:${region}:${account}:key/*`;
}

/** The sensitive role's allowances for the DynamoDB tables it protects: back up, nothing more. */
export function sensitiveRoleTableStatements(tableArns: string[]): PolicyStatementJson[] {
  return [
    {
      Sid: 'BackUpSensitiveTables',
      Effect: 'Allow',
      Action: ['dynamodb:DescribeTable', 'dynamodb:CreateBackup', 'dynamodb:StartAwsBackupJob', 'dynamodb:ListTagsOfResource', 'dynamodb:DescribeContinuousBackups'],
      Resource: tableArns,
    },
    {
      Sid: 'ManageSensitiveTableBackups',
      Effect: 'Allow',
      Action: ['dynamodb:DescribeBackup', 'dynamodb:DeleteBackup'],
      Resource: tableArns.map((arn) => `${arn}/backup/*`),
    },
  ];
}

/** The roles in the source accounts that may use a destination key: the named backup role, and AWS Backup's service-linked role. */
export function sourceBackupPrincipalArns(sourceAccountIds: readonly string[], roleName: string): string[] {
  return sourceAccountIds.flatMap((account) => [
    roleArn(account, roleName),
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
  roleName: string;
  backupRegion: string;
}): PolicyStatementJson[] {
  const conditions = {
    StringEquals: { 'aws:PrincipalOrgID': props.organizationId, 'kms:ViaService': `backup.${props.backupRegion}.amazonaws.com` },
    ArnLike: { 'aws:PrincipalArn': sourceBackupPrincipalArns(props.sourceAccountIds, props.roleName) },
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

/**
 * Copy-target guard: a copy out of this vault may go only to the listed vaults (ARN patterns).
 * `backup:CopyTargets` is evaluated on `backup:CopyFromBackupVault`, which every copy (plan-driven or
 * on demand) needs on its source recovery point; `StartCopyJob` carries no such key. With no allowed
 * target, every copy out is denied.
 */
export function copyTargetDenyStatement(allowedTargets: readonly string[], forRole = false): PolicyStatementJson {
  return {
    Sid: SID.denyCopyTargets,
    Effect: 'Deny',
    ...(forRole ? {} : { Principal: { AWS: '*' } as Record<string, string> }),
    Action: 'backup:CopyFromBackupVault',
    Resource: '*',
    Condition: {
      ...(forRole ? {} : NOT_AN_AWS_SERVICE),
      ...(allowedTargets.length > 0 ? { 'ForAnyValue:ArnNotLike': { 'backup:CopyTargets': [...allowedTargets] } } : {}),
    },
  };
}

/** Where a destination general vault may copy to: back into the source accounts (the restore path) and within the backup account. */
export function destinationGeneralCopyTargets(sourceAccountIds: readonly string[], backupAccountId: string): string[] {
  return [...sourceAccountIds, backupAccountId].map((account) => `arn:aws:backup:*:${account}:backup-vault:*`);
}

export const SENSITIVE_TABLE_BULK_ACTIONS = [
  'dynamodb:Scan',
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ExecuteStatement',
  'dynamodb:BatchExecuteStatement',
  'dynamodb:ExecuteTransaction',
  'dynamodb:PartiQLSelect',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
  'dynamodb:ExportTableToPointInTime',
];

export const SENSITIVE_TABLE_ITEM_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];

export interface SensitiveTableAccess {
  /** Roles of the application that read and write single items. Empty: item access is left to IAM. */
  readonly appRoleArns: readonly string[];
  /** Roles of the recovery tooling, the only principals that may scan, batch, export or use PartiQL. */
  readonly recoveryRoleArns: readonly string[];
  /** The backup role AWS Backup uses for this table: the only principal that may create an on-demand backup. */
  readonly backupRoleArn: string;
}

const principalNotIn = (arns: readonly string[]) => ({
  Condition: { ...NOT_AN_AWS_SERVICE, ...(arns.length > 0 ? { ArnNotEquals: { 'aws:PrincipalArn': [...arns] } } : {}) },
});

/**
 * The sensitive table's resource policy: SSN data leaves the table one item at a time, to named
 * roles. Every DENY carries NOT_AN_AWS_SERVICE, so AWS services acting with their own principal are
 * untouched; AWS Backup acting through the backup role is named where it needs to be.
 */
export function sensitiveTablePolicyStatements(access: SensitiveTableAccess): PolicyStatementJson[] {
  const statements: PolicyStatementJson[] = [
    { Sid: 'DenyBulkReadsExceptRecovery', Effect: 'Deny', Principal: { AWS: '*' }, Action: SENSITIVE_TABLE_BULK_ACTIONS, Resource: '*', ...principalNotIn(access.recoveryRoleArns) },
    { Sid: 'DenyOnDemandBackupExceptAwsBackup', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'dynamodb:CreateBackup', Resource: '*', ...principalNotIn([access.backupRoleArn]) },
  ];
  if (access.appRoleArns.length > 0) {
    statements.push({
      Sid: 'DenyItemAccessExceptNamedRoles',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: SENSITIVE_TABLE_ITEM_ACTIONS,
      Resource: '*',
      ...principalNotIn([...access.appRoleArns, ...access.recoveryRoleArns]),
    });
  }
  return statements;
}

/** The sensitive table key's policy statement: nobody but the named roles uses the key outside DynamoDB and AWS Backup. */
export function sensitiveTableKeyStatement(access: SensitiveTableAccess, region: string): PolicyStatementJson {
  return {
    Sid: 'DenyTableKeyUseOutsideServices',
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: SENSITIVE_KEY_DECRYPT_ACTIONS,
    Resource: '*',
    Condition: {
      ...NOT_AN_AWS_SERVICE,
      StringNotEquals: { 'kms:ViaService': [`dynamodb.${region}.amazonaws.com`, `backup.${region}.amazonaws.com`] },
      ArnNotEquals: { 'aws:PrincipalArn': [...access.appRoleArns, ...access.recoveryRoleArns, access.backupRoleArn] },
    },
  };
}

/** The whole access policy of an environment account's sensitive vault. */
export function localSensitiveVaultStatements(props: { copyRoleArn: string; copyTargets: readonly string[] }): PolicyStatementJson[] {
  return [...sensitiveVaultDenyStatements({ copyRoleArns: [props.copyRoleArn] }), copyTargetDenyStatement(props.copyTargets)];
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
    copyTargetDenyStatement([backupVaultArn({ account: props.backupAccountId, region: props.backupRegion, vaultName: props.vaultName })]),
  ];
}

/** The alert topic's policy: AWS Backup, EventBridge and CloudWatch publish; no IAM principal does. */
export function alertTopicStatements(topicArn: string): PolicyStatementJson[] {
  return [
    {
      Sid: 'AllowServicesToPublish',
      Effect: 'Allow',
      Principal: { Service: ['backup.amazonaws.com', 'events.amazonaws.com', 'cloudwatch.amazonaws.com'] },
      Action: 'sns:Publish',
      Resource: topicArn,
    },
    {
      Sid: 'DenyPublishByPrincipals',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'sns:Publish',
      Resource: topicArn,
      Condition: { ...NOT_AN_AWS_SERVICE },
    },
  ];
}

/** The alert topics' key: the publishing services may use it to encrypt messages. */
export function alertKeyStatement(): PolicyStatementJson {
  return {
    Sid: 'AllowPublishingServicesToUseKey',
    Effect: 'Allow',
    Principal: { Service: ['backup.amazonaws.com', 'events.amazonaws.com', 'cloudwatch.amazonaws.com'] },
    Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
    Resource: '*',
  };
}
