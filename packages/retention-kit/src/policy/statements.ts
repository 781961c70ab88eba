/**
 * Policies as data. The same functions feed the constructs that deploy them, the tests that
 * evaluate them, and the runbooks that print them, so the three cannot drift apart.
 * Inputs may be plain strings or CDK tokens (strings that resolve at deploy time).
 */

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
  /** The destination vault's name, which its key's VAULT_TAG carries. */
  destinationVaultName?: string;
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
  if (props.destinationAccount && props.destinationRegion && props.destinationVaultName) {
    // The destination key's ID is made in the backup account; its tag names the vault it encrypts.
    statements.push({
      Sid: 'UseDestinationKeyThroughBackup',
      Effect: 'Allow',
      Action: ['kms:DescribeKey', 'kms:GenerateDataKey', 'kms:Encrypt', 'kms:CreateGrant'],
      Resource: destinationKeysArn(props.destinationAccount, props.destinationRegion),
      Condition: { StringEquals: { 'kms:ViaService': `backup.${props.destinationRegion}.amazonaws.com`, [`aws:ResourceTag/${VAULT_TAG}`]: props.destinationVaultName } },
    });
  }
  return statements;
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

/** The tag every vault key the toolkit creates carries: the name of the vault it encrypts. */
export const VAULT_TAG = 'retention-kit:vault';

/** Every KMS key of the backup account in its Region: the copy destination's key is created there (narrowed by VAULT_TAG). */
export function destinationKeysArn(account: string, region: string): string {
  return `arn:aws:kms:${region}:${account}:key/*`;
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

/** The whole access policy of an environment account's sensitive vault. */
export function localSensitiveVaultStatements(props: { copyRoleArn: string; copyTargets: readonly string[] }): PolicyStatementJson[] {
  return [...sensitiveVaultDenyStatements({ copyRoleArns: [props.copyRoleArn] }), ...copyTargetDenyStatements(props.copyTargets)];
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
