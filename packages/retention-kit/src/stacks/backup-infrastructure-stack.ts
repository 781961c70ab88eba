import { ArnFormat, Aspects, CfnOutput, Stack, type StackProps, Stage } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct, IConstruct } from 'constructs';
import { type IBackupInfrastructure, backupInfrastructureOf, registerBackupInfrastructure } from '../constructs/backup-infrastructure';
import { BackupMonitoring } from '../constructs/backup-monitoring';
import { GeneralBackupRole, MalwareScannerRole, SensitiveBackupRole } from '../constructs/backup-roles';
import { AWS_BACKUP_QUOTAS, CategoryBackupPlan, CategoryBackupPlans } from '../constructs/category-plans';
import { ComplianceEvidence } from '../constructs/compliance-evidence';
import { RetentionContext } from '../constructs/context';
import { statements } from '../constructs/statements';
import { EncryptedBackupVault } from '../constructs/encrypted-backup-vault';
import { ProtectionCoverageCheck, excludeResource, protectResource } from '../constructs/protection';
import { SensitiveAuditTrail } from '../constructs/sensitive-audit-trail';
import {
  DEFAULT_ROLE_NAMES,
  type CategoryPolicy,
  type RetentionPolicy,
  copyTargetDenyStatements,
  destinationKeysArn,
  policyDocument,
  sensitiveKeyDenyStatement,
  sensitiveRoleVaultStatements,
  localSensitiveVaultStatements,
} from '../policy';

/** Properties of an environment account's backup infrastructure. */
export interface BackupInfrastructureStackProps extends StackProps {
  /**
   * The retention policy.
   * @default read and validated from the app's CDK context (`backup_policies`, `backup_account_id`, ...)
   */
  readonly policy?: RetentionPolicy;
  /**
   * Name of the general backup service role. The backup account's key policy names it.
   * @default the policy's `backup_role_name` (CompactConnect-BackupServiceRole)
   */
  readonly generalRoleName?: string;
  /**
   * Monitoring and alerting: topics, job failure rules, alarms, the freshness check, a dashboard.
   * @default true
   */
  readonly monitoring?: boolean;
  /**
   * Compliance evidence: AWS Backup Audit Manager frameworks and daily report plans.
   * @default true
   */
  readonly compliance?: boolean;
  /**
   * Alias of the local sensitive vault's key.
   * @default `alias/<sensitive vault name>-key`
   */
  readonly sensitiveKeyAlias?: string;
}

/**
 * The environment account's backup infrastructure: a general and a sensitive local vault, each with
 * its own customer-managed key; the general service role; the minimal sensitive-data role; the
 * break-glass DENY on the sensitive vault and key. Resources in any stack of its Stage (or App) are
 * added to their category's plan with `Retention.of(resource).protect(category)`, or declared as
 * deliberately not backed up with `Retention.of(resource).exclude(reason)`; synth fails for any
 * stateful resource that is neither. One per Stage.
 */
export class BackupInfrastructureStack extends Stack implements IBackupInfrastructure {
  /** The backup infrastructure of the Stage (or App) that holds `scope`. */
  static find(scope: IConstruct): IBackupInfrastructure {
    return backupInfrastructureOf(scope);
  }

  /** The validated retention policy. */
  readonly policy: RetentionPolicy;
  /** The general local vault and its key. */
  readonly generalVault: EncryptedBackupVault;
  /** The sensitive local vault and its key (break-glass DENY). */
  readonly sensitiveVault: EncryptedBackupVault;
  /** The general AWS Backup service role. */
  readonly generalRole: iam.IRole;
  /** The minimal role that backs up the sensitive category. */
  readonly sensitiveRole: iam.IRole;
  /** Topics, rules, alarms, the freshness check and the dashboard, unless turned off. */
  readonly monitoring?: BackupMonitoring;
  /** CloudTrail coverage of the sensitive path. */
  readonly auditTrail: SensitiveAuditTrail;
  /** AWS Backup Audit Manager frameworks and report plans, unless turned off. */
  readonly compliance?: ComplianceEvidence;
  /** The local logically air-gapped vault, when a category backs up into one (air_gapped_target). */
  readonly localAirGappedVault?: backup.CfnLogicallyAirGappedBackupVault;
  /** ARN of the local logically air-gapped vault. */
  readonly localAirGappedVaultArn?: string;
  /** The role GuardDuty Malware Protection reads recovery points with, when a category scans (malware_scan). */
  readonly malwareScannerRole?: iam.IRole;

  constructor(scope: Construct, id: string, props: BackupInfrastructureStackProps = {}) {
    super(scope, id, props);
    this.policy = props.policy ?? RetentionContext.policy(this);
    const { vaultNames } = this.policy;

    // Copy-target guard: each vault, and the role that copies out of it, may copy only to its categories' destinations.
    const targetsOf = (uses: (c: CategoryPolicy) => boolean) => [
      ...new Set(
        Object.values(this.policy.categories).flatMap((c) => (uses(c) ? [c.copyDestination?.vaultArn, c.airGappedCopy?.vaultArn].filter((arn): arn is string => arn !== undefined) : [])),
      ),
    ];
    const generalTargets = targetsOf((c) => !c.dedicatedVault);
    const sensitiveTargets = targetsOf((c) => c.dedicatedVault);

    this.generalVault = new EncryptedBackupVault(this, 'GeneralVault', {
      vaultName: vaultNames.general,
      accessPolicyStatements: statements(...copyTargetDenyStatements(generalTargets)),
    });
    this.generalRole = new GeneralBackupRole(this, 'GeneralBackupRole', {
      roleName: props.generalRoleName ?? this.policy.generalRoleName,
      statements: statements(...copyTargetDenyStatements(generalTargets, true)),
    }).role;

    const sensitiveCategory = Object.values(this.policy.categories).find((c) => c.dedicatedVault);
    const roleName = sensitiveCategory?.specializedRole ?? DEFAULT_ROLE_NAMES.sensitive;
    const destination = sensitiveCategory?.copyDestination;
    this.sensitiveVault = new EncryptedBackupVault(this, 'SensitiveVault', {
      vaultName: vaultNames.sensitive,
      keyAlias: props.sensitiveKeyAlias,
      keyDescription: `Encrypts sensitive recovery points in ${vaultNames.sensitive}; decrypt only through AWS Backup (break-glass)`,
      keyPolicyStatements: statements(sensitiveKeyDenyStatement({ region: this.region })),
    });
    this.sensitiveRole = new SensitiveBackupRole(this, 'SensitiveBackupRole', {
      roleName,
      statements: statements(...copyTargetDenyStatements(sensitiveTargets, true), ...sensitiveRoleVaultStatements({
        region: this.region,
        // Derived from the name, not referenced: the vault's policy already refers to this role.
        localVaultArn: this.formatArn({ service: 'backup', resource: 'backup-vault', resourceName: vaultNames.sensitive, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        localKeyArn: this.sensitiveVault.key.keyArn,
        destinationVaultArn: destination?.vaultArn,
        destinationAccount: destination?.account,
        destinationVaultName: destination?.vaultName,
        destinationRegion: destination?.region,
      })),
      destinationKeysArn: destination ? destinationKeysArn(destination.account, destination.region) : undefined,
    }).role;
    // The vault's DENY names the role as the one principal that may copy out, for the plan's copy action.
    for (const statement of localSensitiveVaultStatements({ copyRoleArn: this.sensitiveRole.roleArn, copyTargets: sensitiveTargets })) {
      this.sensitiveVault.vault.addToAccessPolicy(iam.PolicyStatement.fromJson(statement));
    }

    const categories = Object.values(this.policy.categories);
    const airGappedTargets = categories.filter((c) => c.airGappedTarget);
    if (this.policy.localAirGappedVaultName && airGappedTargets.length > 0) {
      const days = airGappedTargets.map((c) => c.retentionDays);
      // The vault refuses recovery points whose retention lies outside its range: the range of the categories that use it.
      this.localAirGappedVault = new backup.CfnLogicallyAirGappedBackupVault(this, 'LocalAirGappedVault', {
        backupVaultName: this.policy.localAirGappedVaultName,
        minRetentionDays: Math.min(...days),
        maxRetentionDays: Math.max(...days),
        encryptionKeyArn: this.generalVault.key.keyArn,
        // Like every vault here: copies out go only to the destinations of the categories that back up into it.
        accessPolicy: policyDocument(...copyTargetDenyStatements(targetsOf((c) => c.airGappedTarget))),
      });
      this.localAirGappedVaultArn = this.localAirGappedVault.attrBackupVaultArn;
    }
    if (categories.some((c) => c.malwareScan)) {
      const scanner = new MalwareScannerRole(this, 'MalwareScanner', { account: this.account });
      this.malwareScannerRole = scanner.role;
      scanner.allowBackupRoleToStartScans(this.generalRole);
    }

    this.auditTrail = new SensitiveAuditTrail(this, 'AuditTrail', { organizationTrailArn: this.policy.organizationTrailArn });

    if (props.monitoring !== false) {
      this.monitoring = new BackupMonitoring(this, 'Monitoring', {
        sensitiveAudit: {
          vaultNames: [vaultNames.sensitive],
          vaultArns: [this.sensitiveVault.vault.backupVaultArn],
          keyArns: [this.sensitiveVault.key.keyArn],
        },
        vaults: [
          { vault: this.generalVault.vault, sensitive: false },
          { vault: this.sensitiveVault.vault, sensitive: true },
        ],
        settings: this.policy.monitoring,
        malwareScanning: categories.some((c) => c.malwareScan !== undefined),
        escalation: this.policy.monitoring.escalation,
        copyingCategories: categories.filter((c) => c.copyDestination !== undefined).map((c) => c.name),
        freshness: Object.fromEntries(
          Object.values(this.policy.categories).map((c) => [
            c.name,
            {
              rpoHours: c.rpoHours,
              copies: c.copyDestination !== undefined,
              enhancedMonitoring: c.enhancedMonitoring,
              schedule: c.schedule,
              startWindowMinutes: c.startWindowMinutes,
              completionWindowMinutes: c.completionWindowMinutes,
              retentionDays: c.retentionDays,
            },
          ]),
        ),
      });
      new CfnOutput(this, 'AlertTopicArn', { value: this.monitoring.topic.topicArn });
      if (this.monitoring.escalationTopic) new CfnOutput(this, 'EscalationTopicArn', { value: this.monitoring.escalationTopic.topicArn });
    }

    if (props.compliance !== false) {
      this.compliance = new ComplianceEvidence(this, 'Compliance', { policy: this.policy, accessLogBucket: this.auditTrail.accessLogBucket });
      protectResource(this.policy, this, this.compliance.bucket, 'compliance_reports');
      if (this.compliance.accessLogBucket) {
        excludeResource(this.compliance.accessLogBucket, 'server access logs of the compliance reports bucket: operational records kept by lifecycle');
      }
    }

    // The trail's own logs are kept like the data they cover, under audit_logs.
    if (this.auditTrail.bucket && this.auditTrail.accessLogBucket) {
      protectResource(this.policy, this, this.auditTrail.bucket, 'audit_logs');
      excludeResource(this.auditTrail.accessLogBucket, 'server access logs of the audit trail bucket: operational records kept by lifecycle, not the audit trail itself');
    }

    new CfnOutput(this, 'BackupVaultArn', { value: this.generalVault.vault.backupVaultArn });
    new CfnOutput(this, 'SSNBackupVaultArn', { value: this.sensitiveVault.vault.backupVaultArn });
    new CfnOutput(this, 'BackupEncryptionKeyArn', { value: this.generalVault.key.keyArn });
    new CfnOutput(this, 'SSNBackupEncryptionKeyArn', { value: this.sensitiveVault.key.keyArn });

    // Resources outside the app, selected by their tags (AND), in this stack's plan of the category.
    for (const category of categories.filter((c) => c.tagSelection && !c.organizationManaged)) {
      CategoryBackupPlans.of(this, this).planFor(category).addTagSelection(category.tagSelection!);
    }

    registerBackupInfrastructure(this);
    // Every stateful resource of the Stage is checked, whichever stack holds it.
    Aspects.of(Stage.of(this) ?? this.node.root).add(new ProtectionCoverageCheck(Object.keys(this.policy.categories)));
    this.node.addValidation({ validate: () => this.planQuotaProblems() });
  }

  /** The local vault a category's recovery points go to. */
  vaultFor(category: CategoryPolicy): backup.IBackupVault {
    return category.dedicatedVault ? this.sensitiveVault.vault : this.generalVault.vault;
  }

  /** The role AWS Backup uses for a category's resources. */
  roleFor(category: CategoryPolicy): iam.IRole {
    return category.dedicatedVault ? this.sensitiveRole : this.generalRole;
  }

  /** Name of the alarm that fires when the category's recovery points are stale, if monitored. */
  staleAlarmFor(category: CategoryPolicy): string | undefined {
    return this.monitoring?.staleAlarmName(category.name);
  }

  private planQuotaProblems(): string[] {
    const plans = this.node.root.node.findAll().filter((c) => c instanceof CategoryBackupPlan);
    const byEnvironment = new Map<string, number>();
    for (const plan of plans) {
      const stack = Stack.of(plan);
      const key = `${stack.account}/${stack.region}`;
      byEnvironment.set(key, (byEnvironment.get(key) ?? 0) + 1);
    }
    return [...byEnvironment.entries()]
      .filter(([, count]) => count > AWS_BACKUP_QUOTAS.plansPerAccountAndRegion)
      .map(([env, count]) => `this app creates ${count} backup plans in ${env}, over AWS Backup's quota of ${AWS_BACKUP_QUOTAS.plansPerAccountAndRegion} per account and Region: merge stacks`);
  }
}
