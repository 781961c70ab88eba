import { Duration, Lazy, Stack, Tags } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { IBackupInfrastructure } from './backup-infrastructure';
import { acknowledge } from './nag';
import { CATEGORY_TAG, type CategoryPolicy, EXCLUDE_TAG, type TagConditions, policyDocument, sensitiveRoleTableStatements } from '../policy';

/** AWS Backup quotas the plans must stay within (AWS Backup endpoints and quotas). */
export const AWS_BACKUP_QUOTAS = {
  /** ARNs in one backup selection, without wildcards. */
  resourcesPerSelection: 500,
  /** Backup selections in one backup plan. */
  selectionsPerPlan: 100,
  /** Backup plans in one account and Region. */
  plansPerAccountAndRegion: 300,
} as const;

/** Where a category's recovery points go and which role AWS Backup uses for them: the part of the infrastructure a plan needs. */
export type BackupTargets = Pick<IBackupInfrastructure, 'vaultFor' | 'roleFor'> & Partial<Pick<IBackupInfrastructure, 'staleAlarmFor' | 'localAirGappedVaultArn' | 'malwareScannerRole'>>;

/** AWS Backup's limits on tiering configurations (AWS::Backup::TieringConfiguration, ResourceSelection). */
export const TIERING_QUOTAS = {
  /** Resource selections in one tiering configuration. */
  selectionsPerConfiguration: 5,
  /** Specific resource ARNs in one tiering configuration. */
  resourcesPerConfiguration: 100,
} as const;


/** Renders tag conditions as AWS Backup selection `Conditions`, with the opt-out tag always excluded. */
export function selectionConditions(conditions: TagConditions): Record<string, { ConditionKey: string; ConditionValue: string }[]> {
  const render = (tags: { readonly [key: string]: string }) => Object.entries(tags).map(([key, value]) => ({ ConditionKey: `aws:ResourceTag/${key}`, ConditionValue: value }));
  const rendered = {
    StringEquals: render(conditions.stringEquals),
    StringLike: render(conditions.stringLike),
    StringNotEquals: render(conditions.stringNotEquals),
    StringNotLike: [...render(conditions.stringNotLike), { ConditionKey: `aws:ResourceTag/${EXCLUDE_TAG}`, ConditionValue: '*' }],
  };
  return Object.fromEntries(Object.entries(rendered).filter(([, list]) => list.length > 0));
}

const pascal = (name: string) => name.replace(/(^|_)([a-z0-9])/g, (_m, _s, c: string) => c.toUpperCase());

/** One category's plan in one stack, with its selections of at most 500 ARNs each. */
export class CategoryBackupPlan extends Construct {
  readonly plan: backup.BackupPlan;
  readonly category: CategoryPolicy;
  private readonly targets: BackupTargets;
  private readonly selections: string[][] = [];
  private readonly sensitiveTables: string[] = [];
  /** AWS Backup resource types of the selected resources, for the scan settings and the index action. */
  private readonly resourceTypes = new Set<string>();
  private readonly tieredResources: string[] = [];

  constructor(scope: Construct, id: string, category: CategoryPolicy, targets: BackupTargets) {
    super(scope, id);
    this.category = category;
    this.targets = targets;
    const stack = Stack.of(this);
    const copyActions: backup.BackupPlanCopyActionProps[] = category.copyDestination
      ? [
          {
            destinationBackupVault: backup.BackupVault.fromBackupVaultArn(this, 'CopyDestination', category.copyDestination.vaultArn),
            deleteAfter: Duration.days(category.retentionDays),
            moveToColdStorageAfter: category.coldStorageAfterDays ? Duration.days(category.coldStorageAfterDays) : undefined,
          },
        ]
      : [];
    if (category.airGappedCopy) {
      copyActions.push({
        destinationBackupVault: backup.BackupVault.fromBackupVaultArn(this, 'AirGappedCopyDestination', category.airGappedCopy.vaultArn),
        deleteAfter: Duration.days(category.retentionDays),
      });
    }
    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupPlanName: `${stack.stackName}-${category.name}`.slice(0, 50),
      backupVault: targets.vaultFor(category),
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: pascal(category.name),
          scheduleExpression: events.Schedule.expression(category.schedule),
          startWindow: Duration.minutes(category.startWindowMinutes),
          completionWindow: Duration.minutes(category.completionWindowMinutes),
          deleteAfter: Duration.days(category.retentionDays),
          moveToColdStorageAfter: category.coldStorageAfterDays ? Duration.days(category.coldStorageAfterDays) : undefined,
          copyActions,
        }),
      ],
    });
    if (category.continuousBackupDays !== undefined) {
      // Point-in-time restore for RDS, Aurora and S3, beside the daily recovery points kept for years.
      this.plan.addRule(
        new backup.BackupPlanRule({
          ruleName: `${pascal(category.name)}Continuous`,
          scheduleExpression: events.Schedule.expression(category.schedule),
          startWindow: Duration.minutes(category.startWindowMinutes),
          completionWindow: Duration.minutes(category.completionWindowMinutes),
          enableContinuousBackup: true,
          deleteAfter: Duration.days(category.continuousBackupDays),
        }),
      );
    }
    Tags.of(this.plan).add(CATEGORY_TAG, category.name);
    this.addNewerProtections();
  }

  /** Air-gapped target, archive tier, malware scanning and indexing: plan properties aws-cdk-lib's L2 does not have. */
  private addNewerProtections(): void {
    const cfn = this.plan.node.defaultChild as backup.CfnBackupPlan;
    const rule = 'BackupPlan.BackupPlanRule.0';
    const { category, targets } = this;
    if (category.airGappedTarget) {
      const arn = targets.localAirGappedVaultArn;
      if (!arn) this.node.addValidation({ validate: () => [`category ${category.name} backs up into a local air-gapped vault (air_gapped_target), but the backup infrastructure has none`] });
      else cfn.addPropertyOverride(`${rule}.TargetLogicallyAirGappedBackupVaultArn`, arn);
    }
    if (category.archiveTier) cfn.addPropertyOverride(`${rule}.Lifecycle.OptInToArchiveForSupportedResources`, true);
    if (category.malwareScan) {
      const scanner = targets.malwareScannerRole;
      if (!scanner) {
        this.node.addValidation({ validate: () => [`category ${category.name} scans for malware, but the backup infrastructure has no scanner role`] });
      } else {
        cfn.addPropertyOverride(`${rule}.ScanActions`, [{ MalwareScanner: 'GUARDDUTY', ScanMode: category.malwareScan }]);
        cfn.addPropertyOverride(
          'BackupPlan.ScanSettings',
          Lazy.any({ produce: () => [{ MalwareScanner: 'GUARDDUTY', ResourceTypes: [...this.resourceTypes].sort(), ScannerRoleArn: scanner.roleArn }] }),
        );
      }
    }
    if (category.index) {
      // One index action per rule, for one resource type.
      cfn.addPropertyOverride(`${rule}.IndexActions`, Lazy.any({ produce: () => [{ ResourceTypes: [...this.resourceTypes].sort() }] }));
      this.node.addValidation({
        validate: () =>
          this.resourceTypes.size > 1
            ? [`category ${category.name} indexes its recovery points, and AWS Backup indexes one resource type per rule, but it selects ${[...this.resourceTypes].sort().join(' and ')}: put each type in its own category`]
            : [],
      });
    }
  }

  /** S3 recovery points of the plan move to the low-cost warm tier: one configuration per 100 buckets (AWS's limit). */
  private addTiered(arn: string): void {
    const per = TIERING_QUOTAS.resourcesPerConfiguration;
    if (this.tieredResources.length % per === 0) {
      const index = this.tieredResources.length / per + 1;
      const resources = this.tieredResources;
      const start = this.tieredResources.length;
      new backup.CfnTieringConfiguration(this, `Tiering${index}`, {
        tieringConfigurationName: `${Stack.of(this).stackName}-${this.category.name}-${index}`.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 200),
        backupVaultName: this.targets.vaultFor(this.category).backupVaultName,
        resourceSelection: [{ resourceType: 'S3', resources: Lazy.list({ produce: () => resources.slice(start, start + per) }), tieringDownSettingsInDays: this.category.tieringAfterDays! }],
      });
    }
    this.tieredResources.push(arn);
  }

  /** Selects the resources outside the app that carry the category's tag conditions (AND), minus those tagged with EXCLUDE_TAG. */
  addTagSelection(conditions: TagConditions): void {
    new backup.CfnBackupSelection(this, 'TagSelection', {
      backupPlanId: this.plan.backupPlanId,
      backupSelection: {
        selectionName: `${pascal(this.category.name)}-tags`,
        iamRoleArn: this.targets.roleFor(this.category).roleArn,
        resources: ['*'],
        conditions: selectionConditions(conditions),
      },
    });
  }

  /** Number of ARNs selected by this plan. */
  get resourceCount(): number {
    return this.selections.reduce((n, s) => n + s.length, 0);
  }

  /** Selects a resource by ARN, opening a new selection every 500 ARNs. */
  addResource(arn: string, path: string, backupResourceType?: string): void {
    if (backupResourceType) this.resourceTypes.add(backupResourceType);
    if (backupResourceType === 'S3' && this.category.tieringAfterDays !== undefined) this.addTiered(arn);
    let current = this.selections[this.selections.length - 1];
    if (!current || current.length >= AWS_BACKUP_QUOTAS.resourcesPerSelection) {
      if (this.selections.length >= AWS_BACKUP_QUOTAS.selectionsPerPlan) {
        const max = AWS_BACKUP_QUOTAS.selectionsPerPlan * AWS_BACKUP_QUOTAS.resourcesPerSelection;
        throw new Error(
          `${path}: the ${this.category.name} plan of stack ${Stack.of(this).stackName} already selects ${max} resources ` +
            `(${AWS_BACKUP_QUOTAS.selectionsPerPlan} selections of ${AWS_BACKUP_QUOTAS.resourcesPerSelection} ARNs, AWS Backup's quotas); ` +
            'split these resources across stacks',
        );
      }
      const resources: string[] = [];
      this.selections.push(resources);
      current = resources;
      const index = this.selections.length;
      new backup.CfnBackupSelection(this, `Selection${index}`, {
        backupPlanId: this.plan.backupPlanId,
        backupSelection: {
          selectionName: `${pascal(this.category.name)}-${index}`,
          iamRoleArn: this.targets.roleFor(this.category).roleArn,
          resources: Lazy.list({ produce: () => resources }),
        },
      });
    }
    current.push(arn);
  }

  /**
   * Lets the sensitive role back up this DynamoDB table. The policy lives in this stack and names
   * the role, so the infrastructure stack does not depend on the data stacks.
   */
  allowSensitiveTable(tableArn: string): void {
    if (this.sensitiveTables.length === 0) {
      new iam.CfnPolicy(this, 'SensitiveRoleTables', {
        policyName: `${Stack.of(this).stackName}-${this.category.name}-tables`.slice(0, 128),
        roles: [this.targets.roleFor(this.category).roleName],
        policyDocument: Lazy.any({ produce: () => policyDocument(...sensitiveRoleTableStatements(this.sensitiveTables)) }),
      });
    }
    const tableLogicalId = (Stack.of(this).resolve(tableArn) as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[0];
    acknowledge(this.node.findChild('SensitiveRoleTables'), {
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/backup/*]`,
      reason: 'DescribeBackup and DeleteBackup are limited to the backups of this table (<table ARN>/backup/*); backup ids are not known in advance.',
    });
    this.sensitiveTables.push(tableArn);
  }
}

/** The category plans of one stack: one plan per category, created on first use. */
export class CategoryBackupPlans extends Construct {
  static readonly ID = 'RetentionKitBackupPlans';

  /** The plans of the stack that holds `scope`, created on first use. */
  static of(scope: Construct, targets: BackupTargets): CategoryBackupPlans {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(CategoryBackupPlans.ID);
    return existing instanceof CategoryBackupPlans ? existing : new CategoryBackupPlans(stack, CategoryBackupPlans.ID, targets);
  }

  private readonly targets: BackupTargets;
  private readonly plans = new Map<string, CategoryBackupPlan>();

  private constructor(scope: Construct, id: string, targets: BackupTargets) {
    super(scope, id);
    this.targets = targets;
  }

  planFor(category: CategoryPolicy): CategoryBackupPlan {
    let plan = this.plans.get(category.name);
    if (!plan) {
      plan = new CategoryBackupPlan(this, pascal(category.name), category, this.targets);
      this.plans.set(category.name, plan);
    }
    return plan;
  }
}
