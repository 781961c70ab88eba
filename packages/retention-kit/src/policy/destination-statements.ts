/**
 * The backup account's policies as data: who may copy into its destination vaults and use their
 * keys, and where copies may leave them for.
 */
import { accountRootArn, backupVaultArn, roleArn } from './arns';
import { COPY_BACK_ROLE_NAME, type StandbyTarget, copyBackTargets, recoveryVaultArns } from './standby-recovery';
import { NOT_AN_AWS_SERVICE, type PolicyStatementJson, copyTargetDenyStatements, sensitiveVaultDenyStatements } from './statements';

/** One source account that copies into a destination vault, and the names of its backup roles that do. */
export interface CopySource {
  readonly accountId: string;
  readonly roleNames: readonly string[];
}

/** The roles in the source accounts that may use a destination key: each account's named backup roles, and its AWS Backup service-linked role. */
export function sourceBackupPrincipalArns(sources: readonly CopySource[]): string[] {
  return sources.flatMap((source) => [
    ...source.roleNames.map((name) => roleArn(source.accountId, name)),
    `arn:aws:iam::${source.accountId}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup`,
  ]);
}

/**
 * A destination vault's access policy: copies in only from the named source accounts, and the
 * accounts of the named organizational units (by `aws:PrincipalOrgPaths` patterns), only from inside
 * the organization; nobody else may copy in, not even the backup account itself. With no source,
 * nobody copies in.
 */
export function destinationVaultCopyStatements(props: { sourceAccountIds: readonly string[]; organizationId: string; sourceOrgPaths?: readonly string[] }): PolicyStatementJson[] {
  const paths = props.sourceOrgPaths ?? [];
  if (props.sourceAccountIds.length === 0 && paths.length === 0) {
    return [{ Sid: 'DenyCopyIntoFromEveryAccount', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'backup:CopyIntoBackupVault', Resource: '*', Condition: { ...NOT_AN_AWS_SERVICE } }];
  }
  const inOrganization = { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } };
  return [
    ...(props.sourceAccountIds.length > 0
      ? [
          {
            Sid: 'AllowCopyIntoFromSourceAccounts',
            Effect: 'Allow' as const,
            Principal: { AWS: props.sourceAccountIds.map((a) => accountRootArn(a)) },
            Action: 'backup:CopyIntoBackupVault',
            Resource: '*',
            Condition: inOrganization,
          },
        ]
      : []),
    ...(paths.length > 0
      ? [
          {
            Sid: 'AllowCopyIntoFromSourceOrganizationalUnits',
            Effect: 'Allow' as const,
            Principal: { AWS: '*' },
            Action: 'backup:CopyIntoBackupVault',
            Resource: '*',
            Condition: { ...inOrganization, 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': [...paths] } },
          },
        ]
      : []),
    {
      Sid: 'DenyCopyIntoFromOtherAccounts',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'backup:CopyIntoBackupVault',
      Resource: '*',
      // Denied unless the account is named or lies in a named OU (a principal with no org path is in none).
      Condition: {
        ...NOT_AN_AWS_SERVICE,
        ...(props.sourceAccountIds.length > 0 ? { StringNotEquals: { 'aws:PrincipalAccount': [...props.sourceAccountIds] } } : {}),
        ...(paths.length > 0 ? { 'ForAllValues:StringNotLike': { 'aws:PrincipalOrgPaths': [...paths] } } : {}),
      },
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

/** The backup roles of the accounts in an organizational unit that may use a destination key. */
export interface OrganizationalUnitCopySource {
  readonly orgPathPattern: string;
  readonly roleNames: readonly string[];
}

/** A destination key's policy statements: each source account's backup roles may use it for copies, through AWS Backup. With no source, none. */
export function destinationKeyUseStatements(props: {
  sources: readonly CopySource[];
  organizationId: string;
  backupRegion: string;
  /** Organizational units whose accounts' named roles may use the key too. */
  organizationalUnits?: readonly OrganizationalUnitCopySource[];
}): PolicyStatementJson[] {
  return [...accountKeyUseStatements(props), ...(props.organizationalUnits ?? []).flatMap((ou, i) => organizationalUnitKeyUseStatements(props, ou, i))];
}

const KEY_USE_ACTIONS = ['kms:DescribeKey', 'kms:Encrypt', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext'];

/** An OU's accounts' named backup roles (and AWS Backup's service-linked role) may use the key for copies, through AWS Backup. */
function organizationalUnitKeyUseStatements(props: { organizationId: string; backupRegion: string }, ou: OrganizationalUnitCopySource, index: number): PolicyStatementJson[] {
  const conditions = {
    StringEquals: { 'aws:PrincipalOrgID': props.organizationId, 'kms:ViaService': `backup.${props.backupRegion}.amazonaws.com` },
    'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': [ou.orgPathPattern] },
    ArnLike: { 'aws:PrincipalArn': [...ou.roleNames.map((name) => `arn:aws:iam::*:role/${name}`), 'arn:aws:iam::*:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup'] },
  };
  return [
    { Sid: `AllowOrganizationalUnitBackupRolesToCopy${index}`, Effect: 'Allow', Principal: { AWS: '*' }, Action: KEY_USE_ACTIONS, Resource: '*', Condition: conditions },
    { Sid: `AllowOrganizationalUnitBackupRolesGrants${index}`, Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:CreateGrant', Resource: '*', Condition: { ...conditions, Bool: { 'kms:GrantIsForAWSResource': 'true' } } },
  ];
}

function accountKeyUseStatements(props: { sources: readonly CopySource[]; organizationId: string; backupRegion: string }): PolicyStatementJson[] {
  if (props.sources.length === 0) return [];
  const accounts = props.sources.map((s) => accountRootArn(s.accountId));
  const conditions = {
    StringEquals: { 'aws:PrincipalOrgID': props.organizationId, 'kms:ViaService': `backup.${props.backupRegion}.amazonaws.com` },
    ArnLike: { 'aws:PrincipalArn': sourceBackupPrincipalArns(props.sources) },
  };
  return [
    {
      Sid: 'AllowSourceBackupRolesToCopy',
      Effect: 'Allow',
      Principal: { AWS: accounts },
      Action: KEY_USE_ACTIONS,
      Resource: '*',
      Condition: conditions,
    },
    {
      Sid: 'AllowSourceBackupRolesGrantsForBackup',
      Effect: 'Allow',
      Principal: { AWS: accounts },
      Action: 'kms:CreateGrant',
      Resource: '*',
      Condition: { ...conditions, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    },
  ];
}

/**
 * The whole access policy of the backup account's sensitive vault. Nobody copies out; with standbys,
 * break-glass can let the failover access role start copies (`break-glass open --copy-back`), which
 * the copy-back role then makes, only to the standbys' sensitive recovery vaults.
 */
export function destinationSensitiveVaultStatements(props: {
  sourceAccountIds: readonly string[];
  organizationId: string;
  backupAccountId: string;
  backupRegion: string;
  vaultName: string;
  standbys?: readonly StandbyTarget[];
}): PolicyStatementJson[] {
  const standbys = props.standbys ?? [];
  return [
    ...destinationVaultCopyStatements(props),
    // The copy-back role copies only where its own guard and the targets below allow; starting a copy stays denied to all.
    ...sensitiveVaultDenyStatements({ copyRoleArns: standbys.length > 0 ? [roleArn(props.backupAccountId, COPY_BACK_ROLE_NAME)] : [] }),
    ...copyTargetDenyStatements([backupVaultArn({ account: props.backupAccountId, region: props.backupRegion, vaultName: props.vaultName }), ...recoveryVaultArns(standbys, true)]),
  ];
}

/**
 * The access policy of the backup account's logically air-gapped vault: copies in only from the named
 * source accounts inside the organization, and copies out only to the standbys' recovery vaults (without
 * standbys, back to the source accounts) or within the backup account.
 * AWS itself refuses deletion before the vault's minimum retention, for everyone.
 */
export function airGappedVaultAccessStatements(props: {
  sourceAccountIds: readonly string[];
  organizationId: string;
  backupAccountId: string;
  sourceOrgPaths?: readonly string[];
  standbys?: readonly StandbyTarget[];
}): PolicyStatementJson[] {
  return [
    ...destinationVaultCopyStatements(props),
    ...copyTargetDenyStatements(copyBackTargets({ ...props, standbys: props.standbys ?? [] })),
  ];
}
