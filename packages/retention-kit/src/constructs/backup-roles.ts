import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge } from './nag';
import { GENERAL_BACKUP_MANAGED_POLICIES, SENSITIVE_ROLE_POLICY_NAME, sensitiveRoleDenyStatement } from '../policy';

const BACKUP_SERVICE = 'backup.amazonaws.com';

export { GENERAL_BACKUP_MANAGED_POLICIES } from '../policy';

/** Properties of the general backup role. */
export interface GeneralBackupRoleProps {
  /** Name of the role. @default a generated name */
  readonly roleName?: string;
  /**
   * Inline statements, for restrictions the managed policies cannot express (the copy-target guard).
   * @default none
   */
  readonly statements?: iam.PolicyStatement[];
}

/** The service role AWS Backup assumes for every category but the sensitive one. */
export class GeneralBackupRole extends Construct {
  /** The role. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: GeneralBackupRoleProps = {}) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      assumedBy: new iam.ServicePrincipal(BACKUP_SERVICE),
      description: 'AWS Backup service role: backup and restore of DynamoDB, S3, RDS/Aurora and EFS',
      managedPolicies: GENERAL_BACKUP_MANAGED_POLICIES.map((name) => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
      inlinePolicies: props.statements?.length ? { Restrictions: new iam.PolicyDocument({ statements: props.statements }) } : undefined,
    });
    acknowledge(
      this.role,
      ...GENERAL_BACKUP_MANAGED_POLICIES.map((name) => ({
        id: `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`,
        reason: 'AWS maintains the AWS Backup service policies for every resource type AWS Backup supports; the role is assumable only by backup.amazonaws.com.',
      })),
      { id: 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy', reason: 'The copy-target guard is a DENY that belongs to this one role; a managed policy would let it be detached or shared.' },
    );
  }
}

/** Properties of the sensitive backup role. */
export interface SensitiveBackupRoleProps {
  /** Name of the role (the category's `specialized_role`). */
  readonly roleName: string;
  /** Allowances that do not depend on the protected resources (vaults, keys). */
  readonly statements: iam.PolicyStatement[];
  /**
   * The `key/*` ARN of the backup account's keys, when the role may use them for copies.
   * @default none: no copies
   */
  readonly destinationKeysArn?: string;
}

/**
 * The minimal role for the sensitive path: it can back up the tables it is given and copy to the
 * sensitive vaults, and an explicit DENY keeps batch reads and every restore away from it.
 * Table permissions are attached in each data stack by the category plans, so the infrastructure
 * stack never depends on the stacks that hold the data.
 */
export class SensitiveBackupRole extends Construct {
  /** The role. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: SensitiveBackupRoleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      assumedBy: new iam.ServicePrincipal(BACKUP_SERVICE),
      description: 'AWS Backup role for sensitive data: backup and copy only; batch operations and restore denied',
      inlinePolicies: {
        [SENSITIVE_ROLE_POLICY_NAME]: new iam.PolicyDocument({ statements: [iam.PolicyStatement.fromJson(sensitiveRoleDenyStatement()), ...props.statements] }),
      },
    });
    acknowledge(this.role, {
      id: 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy',
      reason: 'The sensitive role\'s allowances and DENY are inline so they live and die with the role and cannot be attached elsewhere.',
    });
    acknowledge(this.role, {
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'tag:GetResources, which AWS Backup needs to resolve selections, takes no resource; everything else is named.',
    });
    if (props.destinationKeysArn) {
      acknowledge(this.role, {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${props.destinationKeysArn}]`,
        reason: 'The destination key is created in the backup account, so only its account and Region are known here; use is limited to calls through AWS Backup.',
      });
    }
  }
}

/** The service GuardDuty Malware Protection acts as when it reads recovery points. */
export const MALWARE_PROTECTION_SERVICE = 'malware-protection.guardduty.amazonaws.com';

/** AWS managed policy of the scanner role: GuardDuty reads AWS Backup recovery points with it. */
export const SCANNER_MANAGED_POLICY = 'AWSBackupGuardDutyRolePolicyForScans';

/** AWS managed policy of the backup role when its plans scan: it starts the scans and passes the scanner role to GuardDuty. */
export const BACKUP_ROLE_SCAN_POLICY = 'AWSBackupServiceRolePolicyForScans';

/** Properties of the malware scanner role. */
export interface MalwareScannerRoleProps {
  /** The account whose recovery points are scanned: GuardDuty may assume the role only for it (confused deputy). */
  readonly account: string;
  /** Name of the role. @default a generated name */
  readonly roleName?: string;
}

/**
 * The role GuardDuty Malware Protection for AWS Backup assumes to read recovery points: trusted by
 * the malware-protection service for this account only, with AWS's managed scan policy.
 */
export class MalwareScannerRole extends Construct {
  /** The role. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: MalwareScannerRoleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      assumedBy: new iam.ServicePrincipal(MALWARE_PROTECTION_SERVICE, { conditions: { StringEquals: { 'aws:SourceAccount': props.account } } }),
      description: 'GuardDuty Malware Protection for AWS Backup: reads recovery points to scan them',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(SCANNER_MANAGED_POLICY)],
    });
    acknowledge(this.role, {
      id: `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${SCANNER_MANAGED_POLICY}]`,
      reason: 'AWS maintains the scanner policy for every recovery point type GuardDuty scans; the role is assumable only by GuardDuty Malware Protection for this account.',
    });
  }

  /** Lets a backup role start scans and pass this role to GuardDuty (AWS's managed policy for it). */
  allowBackupRoleToStartScans(backupRole: iam.IRole): void {
    backupRole.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName(BACKUP_ROLE_SCAN_POLICY));
    acknowledge(backupRole, {
      id: `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${BACKUP_ROLE_SCAN_POLICY}]`,
      reason: 'AWS maintains the policy that lets AWS Backup start GuardDuty scans and pass the scanner role to GuardDuty only (iam:PassedToService).',
    });
  }
}
