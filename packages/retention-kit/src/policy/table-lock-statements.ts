/**
 * The sensitive table's lock as data: its resource policy, its stream's, and its key's statements,
 * derived from the classification of every DynamoDB action in sensitive-table-actions.ts.
 */
import { sensitiveTableActions } from './sensitive-table-actions';
import { NOT_AN_AWS_SERVICE, type PolicyStatementJson, SENSITIVE_KEY_DECRYPT_ACTIONS } from './statements';

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
