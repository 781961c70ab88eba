import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudformation from 'aws-cdk-lib/aws-cloudformation';
import * as organizations from 'aws-cdk-lib/aws-organizations';
import type { Construct } from 'constructs';
import { RetentionContext } from '../constructs/context';
import { type RetentionPolicy, memberBackupTemplate, organizationBackupPolicy } from '../policy';

/** Properties of the organization backup policy stack. */
export interface OrganizationBackupPolicyStackProps extends StackProps {
  /**
   * The retention policy whose organization-managed categories the backup policy keeps.
   * @default read and validated from the app's CDK context, with `organization_backup_policy`
   */
  readonly policy?: RetentionPolicy;
  /**
   * Deploy the vault, key and role the policy names into every account it reaches, with a
   * service-managed StackSet that follows accounts into and out of the targeted OUs.
   * @default true
   */
  readonly memberInfrastructure?: boolean;
  /**
   * Accounts the StackSet leaves out: those that deploy an environment app of their own with the
   * same vault and role names (its BackupInfrastructureStack creates them there).
   * @default none
   */
  readonly excludeAccountIds?: string[];
  /**
   * Whether this stack is deployed by a delegated administrator for StackSets rather than by the
   * management account.
   * @default false: the management account
   */
  readonly delegatedAdministrator?: boolean;
}

/**
 * An AWS Organizations backup policy (BACKUP_POLICY), deployed in the management account or its
 * delegated administrator for backup policies, attached to the named organizational units. It keeps
 * the categories listed in `organization_backup_policy.categories`, selecting resources by their
 * `retention-kit:category` tag in every member account; the environment apps create no plans of their
 * own for those categories, only the vaults and roles the policy names.
 */
export class OrganizationBackupPolicyStack extends Stack {
  /** The backup policy. */
  readonly backupPolicy: organizations.CfnPolicy;
  /** The policy document, as deployed. */
  readonly document: Record<string, unknown>;
  /** The StackSet that puts the vault, key and role into every account the policy reaches. */
  readonly memberStackSet?: cloudformation.CfnStackSet;

  constructor(scope: Construct, id: string, props: OrganizationBackupPolicyStackProps = {}) {
    super(scope, id, props);
    const policy = props.policy ?? RetentionContext.policy(this);
    this.document = organizationBackupPolicy(policy);
    const settings = policy.organizationPolicy!;
    const accountsOnly = settings.targetIds.every((id) => /^\d{12}$/.test(id));
    if (props.memberInfrastructure !== false && accountsOnly) {
      this.node.addValidation({
        validate: () => [
          `organization_backup_policy.target_ids names accounts only (${settings.targetIds.join(', ')}); the StackSet that gives each account the policy's vault and role reaches accounts through an OU: add their OU or the root (r-...) to target_ids, or set memberInfrastructure: false and create them another way`,
        ],
      });
    }
    this.backupPolicy = new organizations.CfnPolicy(this, 'BackupPolicy', {
      name: settings.name,
      type: 'BACKUP_POLICY',
      description: `Backup plans of ${settings.categories.join(', ')}, from the retention policy`,
      content: this.document,
      targetIds: settings.targetIds,
    });
    new CfnOutput(this, 'BackupPolicyId', { value: this.backupPolicy.attrId });
    if (props.memberInfrastructure !== false) {
      this.memberStackSet = new cloudformation.CfnStackSet(this, 'MemberBackupInfrastructure', {
        stackSetName: `${settings.name}-member-infrastructure`,
        description: `The vault, key and role the backup policy ${settings.name} names, in every account it reaches`,
        permissionModel: 'SERVICE_MANAGED',
        // New accounts of the OUs get it; an account leaving keeps its vault and recovery points.
        autoDeployment: { enabled: true, retainStacksOnAccountRemoval: true },
        callAs: props.delegatedAdministrator ? 'DELEGATED_ADMIN' : 'SELF',
        capabilities: ['CAPABILITY_NAMED_IAM'],
        managedExecution: { Active: true },
        operationPreferences: { failureTolerancePercentage: 0, maxConcurrentPercentage: 25, regionConcurrencyType: 'PARALLEL' },
        stackInstancesGroup: memberDeploymentTargets(settings.targetIds, props.excludeAccountIds ?? []).map((deploymentTargets) => ({ deploymentTargets, regions: settings.regions })),
        templateBody: JSON.stringify(memberBackupTemplate(policy)),
      });
      new CfnOutput(this, 'MemberStackSetId', { value: this.memberStackSet.attrStackSetId });
    }
  }
}

/**
 * Where a service-managed StackSet deploys for the policy's targets: its OUs (and root) less the
 * excluded accounts, and the accounts it names one by one, as the intersection with their root (a
 * service-managed StackSet reaches accounts only through an OU; an OU's ID carries its root's).
 */
export function memberDeploymentTargets(targetIds: readonly string[], excludeAccountIds: readonly string[]): cloudformation.CfnStackSet.DeploymentTargetsProperty[] {
  const units = targetIds.filter((id) => !/^\d{12}$/.test(id));
  const accounts = targetIds.filter((id) => /^\d{12}$/.test(id) && !excludeAccountIds.includes(id));
  const root = units.map((id) => (id.startsWith('r-') ? id : `r-${id.split('-')[1]}`))[0];
  return [
    ...(units.length > 0
      ? [excludeAccountIds.length > 0 ? { organizationalUnitIds: units, accounts: [...excludeAccountIds], accountFilterType: 'DIFFERENCE' } : { organizationalUnitIds: units }]
      : []),
    ...(accounts.length > 0 && root ? [{ organizationalUnitIds: [root], accounts, accountFilterType: 'INTERSECTION' }] : []),
  ];
}
