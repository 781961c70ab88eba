/**
 * Policies as data. The same functions feed the constructs that deploy them, the tests that
 * evaluate them, and the runbooks that print them, so the three cannot drift apart.
 * Inputs may be plain strings or CDK tokens (strings that resolve at deploy time).
 */
import { accountRootArn, backupVaultArn, roleArn } from './arns';
import { sensitiveTableActions } from './sensitive-table-actions';

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
  denyCopyWithoutTargets: 'DenyCopyWithoutNamedTargets',
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

/**
 * Copy-target guard: a copy out of this vault may go only to the listed vaults (ARN patterns).
 * `backup:CopyTargets` is evaluated on `backup:CopyFromBackupVault`, which every copy (plan-driven or
 * on demand) needs on its source recovery point; `StartCopyJob` carries no such key. With no allowed
 * target, every copy out is denied. A `ForAnyValue` condition is false when the request carries no
 * `backup:CopyTargets` at all, and AWS documents no promise that every copy sets it, so a second
 * DENY refuses a copy whose targets are absent: the guard fails closed.
 */
export function copyTargetDenyStatements(allowedTargets: readonly string[], forRole = false): PolicyStatementJson[] {
  const principal = forRole ? {} : { Principal: { AWS: '*' } as Record<string, string> };
  const notAService = forRole ? {} : NOT_AN_AWS_SERVICE;
  if (allowedTargets.length === 0) {
    return [{ Sid: SID.denyCopyTargets, Effect: 'Deny', ...principal, Action: 'backup:CopyFromBackupVault', Resource: '*', Condition: { ...notAService } }];
  }
  return [
    {
      Sid: SID.denyCopyTargets,
      Effect: 'Deny',
      ...principal,
      Action: 'backup:CopyFromBackupVault',
      Resource: '*',
      Condition: { ...notAService, 'ForAnyValue:ArnNotLike': { 'backup:CopyTargets': [...allowedTargets] } },
    },
    {
      Sid: SID.denyCopyWithoutTargets,
      Effect: 'Deny',
      ...principal,
      Action: 'backup:CopyFromBackupVault',
      Resource: '*',
      Condition: { ...notAService, Null: { 'backup:CopyTargets': 'true' } },
    },
  ];
}

/** Where a destination general vault may copy to: back into the source accounts (the restore path) and within the backup account. */
export function destinationGeneralCopyTargets(sourceAccountIds: readonly string[], backupAccountId: string): string[] {
  return [...sourceAccountIds, backupAccountId].map((account) => `arn:aws:backup:*:${account}:backup-vault:*`);
}

export interface SensitiveTableAccess {
  /** Roles of the application that read and write single items. Empty: item access is left to IAM. */
  readonly appRoleArns: readonly string[];
  /** Roles of the recovery tooling, the only principals that may scan, batch, export, restore or use PartiQL. */
  readonly recoveryRoleArns: readonly string[];
  /** The backup role AWS Backup uses for this table: the only principal that may start an AWS Backup job of it. */
  readonly backupRoleArn: string;
  /** The roles CloudFormation deploys the table's stack with: the only principals that change its configuration and this lock. */
  readonly deploymentRoleArns: readonly string[];
  /** Roles of the functions that read the table's stream. Empty: nobody reads it. */
  readonly streamReaderRoleArns?: readonly string[];
}

/** The Sids of the table lock, one per access class of `SENSITIVE_TABLE_ACTION_RULES`. */
export const SENSITIVE_TABLE_SID = {
  items: 'DenyItemAccessExceptNamedRoles',
  recovery: 'DenyBulkReadsExceptRecovery',
  awsBackup: 'DenyBackupJobsExceptSensitiveRole',
  deployment: 'DenyConfigurationExceptDeployment',
  nobody: 'DenyCopiesOutsideTheLock',
  stream: 'DenyStreamReadsExceptNamedReaders',
  key: 'DenyTableKeyUseOutsideServices',
  keyOtherTables: 'DenyTableKeyUseForOtherTables',
} as const;

const principalNotIn = (arns: readonly string[]) => ({
  Condition: { ...NOT_AN_AWS_SERVICE, ...(arns.length > 0 ? { ArnNotEquals: { 'aws:PrincipalArn': [...arns] } } : {}) },
});

const denyExcept = (sid: string, actions: string[], exempt: readonly string[]): PolicyStatementJson => ({
  Sid: sid,
  Effect: 'Deny',
  Principal: { AWS: '*' },
  // One action as a string, as IAM (and CDK's PolicyStatement) writes it.
  Action: actions.length === 1 ? actions[0] : actions,
  Resource: '*',
  ...principalNotIn(exempt),
});

/**
 * The sensitive table's resource policy, derived from `SENSITIVE_TABLE_ACTION_RULES`: one DENY per
 * access class, each to every principal but the class's named roles. Every DENY carries
 * NOT_AN_AWS_SERVICE, so AWS services acting with their own principal are untouched.
 */
export function sensitiveTablePolicyStatements(access: SensitiveTableAccess): PolicyStatementJson[] {
  return [
    ...(access.appRoleArns.length > 0 ? [denyExcept(SENSITIVE_TABLE_SID.items, sensitiveTableActions('items'), [...access.appRoleArns, ...access.recoveryRoleArns])] : []),
    denyExcept(SENSITIVE_TABLE_SID.recovery, sensitiveTableActions('recovery'), access.recoveryRoleArns),
    denyExcept(SENSITIVE_TABLE_SID.awsBackup, sensitiveTableActions('aws-backup'), [access.backupRoleArn]),
    denyExcept(SENSITIVE_TABLE_SID.deployment, sensitiveTableActions('deployment'), access.deploymentRoleArns),
    denyExcept(SENSITIVE_TABLE_SID.nobody, sensitiveTableActions('nobody'), []),
  ];
}

/** The resource policy of the sensitive table's stream: only the named readers read it. */
export function sensitiveStreamPolicyStatements(access: SensitiveTableAccess): PolicyStatementJson[] {
  return [denyExcept(SENSITIVE_TABLE_SID.stream, sensitiveTableActions('stream-readers', 'stream-policy'), access.streamReaderRoleArns ?? [])];
}

/**
 * The sensitive table key's policy statements. Nobody but the named roles uses the key outside
 * DynamoDB and AWS Backup; and, when the table's name is known at synth, DynamoDB decrypts with it
 * for this table and its recovery copies (`<name>-recovery-*`) only, by the encryption context
 * DynamoDB sends with every call (`aws:dynamodb:tableName`).
 */
export function sensitiveTableKeyStatements(access: SensitiveTableAccess, region: string, tableName?: string): PolicyStatementJson[] {
  const statements: PolicyStatementJson[] = [
    {
      Sid: SENSITIVE_TABLE_SID.key,
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: SENSITIVE_KEY_DECRYPT_ACTIONS,
      Resource: '*',
      Condition: {
        ...NOT_AN_AWS_SERVICE,
        StringNotEquals: { 'kms:ViaService': [`dynamodb.${region}.amazonaws.com`, `backup.${region}.amazonaws.com`] },
        ArnNotEquals: { 'aws:PrincipalArn': [...access.appRoleArns, ...access.recoveryRoleArns, access.backupRoleArn] },
      },
    },
  ];
  if (tableName !== undefined) {
    statements.push({
      Sid: SENSITIVE_TABLE_SID.keyOtherTables,
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['kms:Decrypt', 'kms:ReEncryptFrom'],
      Resource: '*',
      Condition: {
        ...NOT_AN_AWS_SERVICE,
        StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` },
        StringNotLike: { 'kms:EncryptionContext:aws:dynamodb:tableName': [tableName, `${tableName}-recovery-*`] },
      },
    });
  }
  return statements;
}

/** The whole access policy of an environment account's sensitive vault. */
export function localSensitiveVaultStatements(props: { copyRoleArn: string; copyTargets: readonly string[] }): PolicyStatementJson[] {
  return [...sensitiveVaultDenyStatements({ copyRoleArns: [props.copyRoleArn] }), ...copyTargetDenyStatements(props.copyTargets)];
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
