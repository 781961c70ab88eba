/**
 * The backup account's side of a recovery into a cold standby: the standby's recovery vault as the
 * one place recovery points may be copied back to, the role AWS Backup copies with, and the role the
 * standby's orchestrator assumes to find recovery points and start and follow those copies. Pure.
 */
import { accountRootArn, backupVaultArn, roleArn } from './arns';
import { type PolicyStatementJson, copyTargetDenyStatements } from './statements';

/** The recovery vault a standby creates when its app names none. */
export const DEFAULT_RECOVERY_VAULT_NAME = 'RetentionRecoveryVault';
/** The role the standby's recovery orchestrator runs as, when its app names none. */
export const DEFAULT_ORCHESTRATOR_ROLE_NAME = 'retention-failover-orchestrator';
/** The role in the backup account that AWS Backup copies recovery points back to a standby with. */
export const COPY_BACK_ROLE_NAME = 'retention-copy-back';
/** The role in the backup account that a standby's orchestrator assumes. */
export const FAILOVER_ACCESS_ROLE_NAME = 'retention-failover-access';

/** A cold standby that recovery points may be copied back to. */
export interface StandbyTarget {
  /** The standby's account. */
  readonly accountId: string;
  /** The standby's Region. */
  readonly region: string;
  /** The vault in the standby that receives the copies. */
  readonly recoveryVaultName: string;
  /** The vault in the standby that receives copies of sensitive recovery points (break-glass only). */
  readonly sensitiveRecoveryVaultName: string;
  /** The role the standby's orchestrator runs as. */
  readonly orchestratorRoleName: string;
}

/** The sensitive recovery vault's name when none is given: the recovery vault's, with -SSN. */
export const defaultSensitiveRecoveryVaultName = (recoveryVaultName: string): string => `${recoveryVaultName.slice(0, 46)}-SSN`;

/** A standby as the backup account app's context (`standby_recovery`) names it. */
export interface StandbyContext {
  readonly account_id: string;
  readonly region: string;
  readonly recovery_vault_name?: string;
  readonly sensitive_recovery_vault_name?: string;
  readonly orchestrator_role_name?: string;
}

/** The standbys of the context, with the default names filled in. */
export function standbyTargetsOf(standbys: readonly StandbyContext[] = []): StandbyTarget[] {
  return standbys.map((s) => {
    const recoveryVaultName = s.recovery_vault_name ?? DEFAULT_RECOVERY_VAULT_NAME;
    return {
      accountId: s.account_id,
      region: s.region,
      recoveryVaultName,
      sensitiveRecoveryVaultName: s.sensitive_recovery_vault_name ?? defaultSensitiveRecoveryVaultName(recoveryVaultName),
      orchestratorRoleName: s.orchestrator_role_name ?? DEFAULT_ORCHESTRATOR_ROLE_NAME,
    };
  });
}

/** The recovery vaults of the standbys, as ARNs: the general ones, or those for sensitive recovery points. */
export const recoveryVaultArns = (standbys: readonly StandbyTarget[], sensitive = false): string[] =>
  standbys.map((s) => backupVaultArn({ account: s.accountId, region: s.region, vaultName: sensitive ? s.sensitiveRecoveryVaultName : s.recoveryVaultName }));

/**
 * Where a general destination vault may copy to: with standbys, only their recovery vaults (and
 * within the backup account); without, back into any vault of the source accounts, the restore path.
 */
export function copyBackTargets(props: { sourceAccountIds: readonly string[]; backupAccountId: string; standbys: readonly StandbyTarget[] }): string[] {
  const within = `arn:aws:backup:*:${props.backupAccountId}:backup-vault:*`;
  if (props.standbys.length > 0) return [...recoveryVaultArns(props.standbys), within];
  return [...props.sourceAccountIds.map((account) => `arn:aws:backup:*:${account}:backup-vault:*`), within];
}

/** The copy-back role's own guard: it copies only to the standbys' recovery vaults. */
export function copyBackRoleStatements(standbys: readonly StandbyTarget[]): PolicyStatementJson[] {
  return copyTargetDenyStatements([...recoveryVaultArns(standbys), ...recoveryVaultArns(standbys, true)], true);
}

/** The trust of the failover access role: the standbys' orchestrator roles, by ARN, and nobody else of their accounts. */
export function failoverAccessTrust(standbys: readonly StandbyTarget[]): PolicyStatementJson[] {
  return [
    {
      Sid: 'StandbyOrchestratorsOnly',
      Effect: 'Allow',
      Principal: { AWS: [...new Set(standbys.map((s) => accountRootArn(s.accountId)))] },
      Action: 'sts:AssumeRole',
      // By the principal's ARN, not the role's unique ID: the standby's app may deploy after this one.
      Condition: { ArnEquals: { 'aws:PrincipalArn': standbys.map((s) => roleArn(s.accountId, s.orchestratorRoleName)) } },
    },
  ];
}

/**
 * What the standby's orchestrator may do in the backup account: find recovery points in the
 * destination vaults, start copies of them passing the copy-back role (which may copy only to a
 * recovery vault), and follow the copy jobs. Nothing that restores, deletes or changes a vault.
 */
export function failoverAccessStatements(props: { backupAccountId: string; backupRegion: string; vaultNames: readonly string[] }): PolicyStatementJson[] {
  const { backupAccountId: account, backupRegion: region } = props;
  // Recovery points of the backup account, whichever service names them.
  const recoveryPoints = [
    `arn:aws:backup:${region}:${account}:recovery-point:*`,
    `arn:aws:rds:${region}:${account}:cluster-snapshot:awsbackup:*`,
    `arn:aws:rds:${region}:${account}:snapshot:awsbackup:*`,
    `arn:aws:ec2:${region}::snapshot/*`,
    `arn:aws:ec2:${region}::image/*`,
  ];
  return [
    {
      Sid: 'FindRecoveryPoints',
      Effect: 'Allow',
      Action: ['backup:ListRecoveryPointsByBackupVault', 'backup:DescribeBackupVault'],
      Resource: props.vaultNames.map((vaultName) => backupVaultArn({ account, region, vaultName })),
    },
    { Sid: 'DescribeAndCopyRecoveryPoints', Effect: 'Allow', Action: ['backup:DescribeRecoveryPoint', 'backup:StartCopyJob'], Resource: recoveryPoints },
    { Sid: 'FollowCopyJobs', Effect: 'Allow', Action: ['backup:DescribeCopyJob', 'backup:ListCopyJobs'], Resource: '*' },
    {
      Sid: 'PassTheCopyBackRole',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: roleArn(account, COPY_BACK_ROLE_NAME),
      Condition: { StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' } },
    },
  ];
}
