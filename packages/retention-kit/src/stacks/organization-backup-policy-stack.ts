import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as organizations from 'aws-cdk-lib/aws-organizations';
import type { Construct } from 'constructs';
import { RetentionContext } from '../constructs/context';
import { type RetentionPolicy, organizationBackupPolicy } from '../policy';

/** Properties of the organization backup policy stack. */
export interface OrganizationBackupPolicyStackProps extends StackProps {
  /**
   * The retention policy whose organization-managed categories the backup policy keeps.
   * @default read and validated from the app's CDK context, with `organization_backup_policy`
   */
  readonly policy?: RetentionPolicy;
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

  constructor(scope: Construct, id: string, props: OrganizationBackupPolicyStackProps = {}) {
    super(scope, id, props);
    const policy = props.policy ?? RetentionContext.policy(this);
    this.document = organizationBackupPolicy(policy);
    const settings = policy.organizationPolicy!;
    this.backupPolicy = new organizations.CfnPolicy(this, 'BackupPolicy', {
      name: settings.name,
      type: 'BACKUP_POLICY',
      description: `Backup plans of ${settings.categories.join(', ')}, from the retention policy`,
      content: this.document,
      targetIds: settings.targetIds,
    });
    new CfnOutput(this, 'BackupPolicyId', { value: this.backupPolicy.attrId });
  }
}
