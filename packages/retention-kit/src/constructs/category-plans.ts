import { Duration, Lazy, Stack, Tags } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { IBackupInfrastructure } from './backup-infrastructure';
import { acknowledge } from './nag';
import { CATEGORY_TAG, type CategoryPolicy, policyDocument, sensitiveRoleTableStatements } from '../policy';

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
export type BackupTargets = Pick<IBackupInfrastructure, 'vaultFor' | 'roleFor'> & Partial<Pick<IBackupInfrastructure, 'staleAlarmFor'>>;

const pascal = (name: string) => name.replace(/(^|_)([a-z0-9])/g, (_m, _s, c: string) => c.toUpperCase());

/** One category's plan in one stack, with its selections of at most 500 ARNs each. */
export class CategoryBackupPlan extends Construct {
  readonly plan: backup.BackupPlan;
  readonly category: CategoryPolicy;
  private readonly targets: BackupTargets;
  private readonly selections: string[][] = [];
  private readonly sensitiveTables: string[] = [];

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
  }

  /** Number of ARNs selected by this plan. */
  get resourceCount(): number {
    return this.selections.reduce((n, s) => n + s.length, 0);
  }

  /** Selects a resource by ARN, opening a new selection every 500 ARNs. */
  addResource(arn: string, path: string): void {
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
