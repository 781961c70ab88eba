import { CfnOutput, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { BackupMonitoring } from '../constructs/backup-monitoring';
import { RetentionContext } from '../constructs/context';
import { acknowledge } from '../constructs/nag';
import { excludeResource } from '../constructs/protection';
import { SensitiveAuditTrail } from '../constructs/sensitive-audit-trail';
import { statements } from '../constructs/statements';
import { EncryptedBackupVault } from '../constructs/encrypted-backup-vault';
import {
  AirGappedVaultEncryption,
  BACKUP_ACCOUNT_CONTEXT_KEYS,
  airGappedVaultAccessStatements,
  copySourcesOf,
  policyDocument,
  type BackupAccountConfig,
  copyTargetDenyStatements,
  destinationSensitiveVaultStatements,
  copyBackTargets,
  copyBackRoleStatements,
  COPY_BACK_ROLE_NAME,
  FAILOVER_ACCESS_ROLE_NAME,
  failoverAccessStatements,
  failoverAccessTrust,
  GENERAL_BACKUP_MANAGED_POLICIES,
  destinationKeyUseStatements,
  destinationVaultCopyStatements,
  parseBackupAccountConfig,
  sensitiveKeyDenyStatement,
} from '../policy';

/** Properties of the backup account stack. */
export interface BackupAccountStackProps extends StackProps {
  /**
   * The backup account's configuration.
   * @default read and validated from the app's CDK context (`backup_account_id`, `organization_id`, `source_accounts`, ...)
   */
  readonly config?: BackupAccountConfig;
}

/**
 * The destination of cross-account copies, deployed in the backup account and Region: a general
 * and a sensitive vault, each with its own customer-managed key. Only the named source accounts,
 * inside the organization, can copy in; the sensitive vault and key carry break-glass DENY
 * statements that block restore, deletion, copy-out and decrypt for every principal.
 */
export class BackupAccountStack extends Stack {
  /** The validated configuration. */
  readonly config: BackupAccountConfig;
  /** The general destination vault and its key. */
  readonly generalVault: EncryptedBackupVault;
  /** The sensitive destination vault and its key (break-glass DENY). */
  readonly sensitiveVault: EncryptedBackupVault;
  /** The backup account's monitoring: failed jobs, vault notifications, alarms. */
  readonly monitoring: BackupMonitoring;
  /** CloudTrail coverage of the backup account's sensitive vault and key. */
  readonly auditTrail: SensitiveAuditTrail;
  /** The logically air-gapped vault, when the configuration has one. */
  readonly airGappedVault?: backup.CfnLogicallyAirGappedBackupVault;
  /** The air-gapped vault's key, when the vault has a customer-managed key created here. */
  readonly airGappedKey?: kms.Key;
  /** The role AWS Backup copies recovery points back to a standby's recovery vault with, when standbys are configured. */
  readonly copyBackRole?: iam.Role;
  /** The role the standbys' orchestrators assume to find recovery points and copy them back, when standbys are configured. */
  readonly failoverAccessRole?: iam.Role;

  constructor(scope: Construct, id: string, props: BackupAccountStackProps = {}) {
    super(scope, id, props);
    const config = (this.config = props.config ?? parseBackupAccountConfig(RetentionContext.values(this, [...BACKUP_ACCOUNT_CONTEXT_KEYS])));
    const sourceOrgPaths = config.sourceOrganizationalUnits.map((ou) => ou.orgPathPattern);
    const copyIn = destinationVaultCopyStatements({ sourceAccountIds: config.sourceAccountIds, organizationId: config.organizationId, sourceOrgPaths });
    // Each vault's key admits the roles that copy into that vault: the sensitive one only the accounts that send sensitive data,
    // the general ones also the organizational units an organization backup policy reaches.
    const keyUse = (vault: 'general' | 'sensitive') =>
      destinationKeyUseStatements({
        sources: copySourcesOf(config, vault),
        organizationId: config.organizationId,
        backupRegion: config.backupRegion,
        organizationalUnits: vault === 'general' ? config.sourceOrganizationalUnits.map((ou) => ({ orgPathPattern: ou.orgPathPattern, roleNames: ou.backupRoleNames })) : [],
      });

    this.generalVault = new EncryptedBackupVault(this, 'BackupVault', {
      vaultName: config.vaultNames.general,
      keyAlias: config.keyAliases.general,
      keyDescription: `Encrypts cross-account copies in ${config.vaultNames.general}`,
      // Copies out go to the standbys' recovery vaults (without standbys, back to the source accounts) or stay in this account.
      accessPolicyStatements: statements(...copyIn, ...copyTargetDenyStatements(copyBackTargets(config))),
      keyPolicyStatements: statements(...keyUse('general')),
      vaultLock: config.vaultLock.general,
    });
    this.sensitiveVault = new EncryptedBackupVault(this, 'SSNBackupVault', {
      vaultName: config.vaultNames.sensitive,
      keyAlias: config.keyAliases.sensitive,
      keyDescription: `Encrypts cross-account copies of sensitive data in ${config.vaultNames.sensitive}; decrypt only through AWS Backup (break-glass)`,
      // Copies in only from the accounts that send sensitive data; nobody starts a copy out but under break-glass (--copy-back).
      accessPolicyStatements: statements(...destinationSensitiveVaultStatements({ ...config, sourceAccountIds: config.sensitiveSourceAccountIds, vaultName: config.vaultNames.sensitive })),
      keyPolicyStatements: statements(...keyUse('sensitive'), sensitiveKeyDenyStatement({ region: config.backupRegion })),
      vaultLock: config.vaultLock.sensitive,
    });

    if (config.airGappedVault) {
      const airGapped = config.airGappedVault;
      if (airGapped.encryption === AirGappedVaultEncryption.CUSTOMER_MANAGED) {
        this.airGappedKey = new kms.Key(this, 'AirGappedVaultKey', {
          alias: `alias/${airGapped.vaultName.toLowerCase()}-key`,
          description: `Encrypts copies in the logically air-gapped vault ${airGapped.vaultName}`,
          enableKeyRotation: true,
          removalPolicy: RemovalPolicy.RETAIN,
        });
        for (const statement of statements(...keyUse('general'))) this.airGappedKey.addToResourcePolicy(statement);
      }
      // The same admission as the general vault: only the named source accounts, inside the organization, copy in.
      this.airGappedVault = new backup.CfnLogicallyAirGappedBackupVault(this, 'AirGappedVault', {
        backupVaultName: airGapped.vaultName,
        minRetentionDays: airGapped.minRetentionDays,
        maxRetentionDays: airGapped.maxRetentionDays,
        encryptionKeyArn: this.airGappedKey?.keyArn ?? airGapped.encryptionKeyArn,
        mpaApprovalTeamArn: airGapped.mpaApprovalTeamArn,
        accessPolicy: policyDocument(...airGappedVaultAccessStatements({ ...config, sourceOrgPaths })),
      });
      this.airGappedVault.applyRemovalPolicy(RemovalPolicy.RETAIN);
      new CfnOutput(this, 'AirGappedVaultArn', { value: this.airGappedVault.attrBackupVaultArn, description: 'Logically air-gapped destination vault' });
    }

    if (config.standbys.length > 0) {
      const access = this.failoverAccess(config);
      this.copyBackRole = access.copyBackRole;
      this.failoverAccessRole = access.failoverAccessRole;
    }

    if (config.s3TieringAfterDays !== undefined) {
      // Every S3 copy in the general vault: the copies' sources are in other accounts, so all of them ("*").
      new backup.CfnTieringConfiguration(this, 'GeneralVaultS3Tiering', {
        tieringConfigurationName: `${config.vaultNames.general}_s3`.replace(/[^A-Za-z0-9_]/g, '_'),
        backupVaultName: this.generalVault.vault.backupVaultName,
        resourceSelection: [{ resourceType: 'S3', resources: ['*'], tieringDownSettingsInDays: config.s3TieringAfterDays }],
      });
    }

    // The smaller monitoring of the backup account: failed jobs (restores from these vaults happen here),
    // vault notifications, failure-metric alarms and a dashboard; freshness is checked from the source accounts.
    // Not backed up by AWS Backup here: this account holds no backup plans; the bucket is versioned and kept by lifecycle.
    this.auditTrail = new SensitiveAuditTrail(this, 'AuditTrail', { organizationTrailArn: config.organizationTrailArn });
    if (this.auditTrail.bucket && this.auditTrail.accessLogBucket) {
      excludeResource(this.auditTrail.bucket, 'audit trail of the backup account itself: versioned and kept seven years by lifecycle in this isolated account, which runs no backup plans');
      excludeResource(this.auditTrail.accessLogBucket, 'server access logs of the audit trail bucket: operational records kept by lifecycle');
    }
    this.monitoring = new BackupMonitoring(this, 'Monitoring', {
      sensitiveAudit: {
        vaultNames: [config.vaultNames.sensitive],
        vaultArns: [this.sensitiveVault.vault.backupVaultArn],
        keyArns: [this.sensitiveVault.key.keyArn],
      },
      vaults: [
        { vault: this.generalVault.vault, sensitive: false },
        { vault: this.sensitiveVault.vault, sensitive: true },
      ],
      settings: config.monitoring,
    });
    new CfnOutput(this, 'AlertTopicArn', { value: this.monitoring.topic.topicArn });

    for (const [key, value] of Object.entries(config.tags)) Tags.of(this).add(key, value);

    new CfnOutput(this, 'BackupVaultArn', { value: this.generalVault.vault.backupVaultArn, description: 'General destination vault' });
    new CfnOutput(this, 'SSNBackupVaultArn', { value: this.sensitiveVault.vault.backupVaultArn, description: 'Sensitive destination vault' });
    new CfnOutput(this, 'BackupEncryptionKeyArn', { value: this.generalVault.key.keyArn, description: 'Key of the general destination vault' });
    new CfnOutput(this, 'SSNBackupEncryptionKeyArn', { value: this.sensitiveVault.key.keyArn, description: 'Key of the sensitive destination vault' });
    new CfnOutput(this, 'EnvironmentContext', {
      description: 'Put these keys in each environment app\'s CDK context',
      value: JSON.stringify(environmentContextFor(config)),
    });
  }

  /**
   * The copy-back path to the standbys: the role AWS Backup copies with (it may copy only to a
   * recovery vault), and the role each standby's orchestrator assumes, by its role's ARN, to list
   * recovery points and start and follow copies with it.
   */
  private failoverAccess(config: BackupAccountConfig): { copyBackRole: iam.Role; failoverAccessRole: iam.Role } {
    const failoverAccess = failoverAccessStatements({ ...config, vaultNames: [config.vaultNames.general, config.vaultNames.sensitive, ...(config.airGappedVault ? [config.airGappedVault.vaultName] : [])] });
    const copyBackRole = new iam.Role(this, 'CopyBackRole', {
      roleName: COPY_BACK_ROLE_NAME,
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: "AWS Backup copies recovery points back to a standby's recovery vault with this role, and nowhere else",
      managedPolicies: GENERAL_BACKUP_MANAGED_POLICIES.slice(0, 1).map((name) => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
      inlinePolicies: { Restrictions: new iam.PolicyDocument({ statements: statements(...copyBackRoleStatements(config.standbys)) }) },
    });
    const failoverAccessRole = new iam.Role(this, 'FailoverAccessRole', {
      roleName: FAILOVER_ACCESS_ROLE_NAME,
      // Replaced below by the standbys' orchestrator roles, named by ARN.
      assumedBy: new iam.AccountRootPrincipal(),
      description: "A standby's recovery orchestrator: lists recovery points, starts and follows copies back to its recovery vault",
      inlinePolicies: { Failover: new iam.PolicyDocument({ statements: statements(...failoverAccess) }) },
    });
    (failoverAccessRole.node.defaultChild as iam.CfnRole).assumeRolePolicyDocument = policyDocument(...failoverAccessTrust(config.standbys));
    acknowledge(copyBackRole, {
      id: `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${GENERAL_BACKUP_MANAGED_POLICIES[0]}]`,
      reason: 'AWS maintains the AWS Backup service policy; the role is assumable only by backup.amazonaws.com, and its own DENY lets it copy only to the standbys\' recovery vaults.',
    });
    const wildcards = failoverAccess.flatMap((statement) => [statement.Resource ?? []].flat()).filter((r) => r.includes('*'));
    acknowledge(
      failoverAccessRole,
      ...[...new Set(wildcards)].map((resource) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`,
        reason: 'Recovery points are named by AWS Backup when made, and copy jobs take no resource-level permissions; the role starts copies only with the copy-back role, whose DENY lets them reach only a recovery vault.',
      })),
    );
    new CfnOutput(this, 'FailoverAccessRoleArn', { value: failoverAccessRole.roleArn, description: "The role the standby's recovery orchestrator assumes" });
    return { copyBackRole, failoverAccessRole };
  }
}

/** The context an environment app needs to copy into this backup account (the first app's role names; other apps name their own, listed here too). */
export function environmentContextFor(config: BackupAccountConfig): Record<string, unknown> {
  const airGapped = config.airGappedVault;
  return {
    ...(airGapped
      ? { destination_air_gapped_vault: { name: airGapped.vaultName, min_retention_days: airGapped.minRetentionDays, max_retention_days: airGapped.maxRetentionDays } }
      : {}),
    backup_account_id: config.backupAccountId,
    backup_region: config.backupRegion,
    organization_id: config.organizationId,
    backup_vault_name: config.vaultNames.general,
    ssn_backup_vault_name: config.vaultNames.sensitive,
    backup_role_name: config.sourceRoleNames.general[0],
    ...(config.sourceRoleNames.sensitive.length > 0 ? { backup_policies: { ssn_data: { specialized_role: config.sourceRoleNames.sensitive[0] } } } : {}),
  };
}
