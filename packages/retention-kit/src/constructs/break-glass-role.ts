import { Annotations, ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { breakGlassRoleAuditRules, closedTrustPolicy } from '../policy';
import { alertRule } from './alert-rules';
import { findBackupInfrastructure } from './backup-infrastructure';

/** Properties of a break-glass role. */
export interface BreakGlassRoleProps {
  /**
   * The role's name: `retention break-glass open --role <name>` names it.
   */
  readonly roleName: string;
  /**
   * What the role is for.
   * @default none
   */
  readonly description?: string;
  /**
   * The longest session an operator gets: `break-glass close` also revokes the sessions issued
   * before it, so this bounds nothing after a close, but it bounds a session inside the window.
   * @default one hour
   */
  readonly maxSessionDuration?: Duration;
}

/**
 * A role that nobody can assume until break-glass opens it: its trust has no Allow, only a DENY of
 * `sts:AssumeRole` that `retention break-glass open --role` carves one operator out of, for a time box
 * IAM itself enforces (`aws:CurrentTime`); `close` puts the deployed trust back and revokes the
 * sessions issued before. For the roles a lock exempts, such as the recovery role of a sensitive
 * table: an administrator of the account cannot become it outside an audited break-glass.
 *
 * Every change to its trust or permissions, and every assumption of it, raises an alert on the
 * backup infrastructure's sensitive topic (the changes made by break-glass as expected ones). The
 * trust is fixed: statements added to `assumeRolePolicy` are not deployed.
 */
export class BreakGlassRole extends iam.Role {
  constructor(scope: Construct, id: string, props: BreakGlassRoleProps) {
    super(scope, id, {
      // Replaced below; iam.Role needs a principal to build, and its document is not what deploys.
      assumedBy: new iam.AccountRootPrincipal(),
      roleName: props.roleName,
      description: props.description,
      maxSessionDuration: props.maxSessionDuration ?? Duration.hours(1),
    });
    (this.node.defaultChild as iam.CfnRole).assumeRolePolicyDocument = closedTrustPolicy();
    this.alertOnUse(props.roleName);
  }

  private alertOnUse(roleName: string): void {
    const monitoring = findBackupInfrastructure(this)?.monitoring;
    if (!monitoring) {
      Annotations.of(this).addWarningV2('retention-kit:break-glass-role-unwatched', 'no backup infrastructure with monitoring in this Stage yet: changes to this role and its assumptions raise no alert. Create the BackupInfrastructureStack first');
      return;
    }
    const stack = Stack.of(this);
    const roleArn = stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: roleName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    for (const rule of breakGlassRoleAuditRules({ roleNames: [roleName], roleArns: [roleArn] })) alertRule(this, rule, monitoring.sensitiveTopic ?? monitoring.topic);
    if (!Token.isUnresolved(stack.region) && stack.region !== 'us-east-1') {
      Annotations.of(this).addWarningV2('retention-kit:break-glass-role-iam-events', `IAM delivers its CloudTrail events to EventBridge in us-east-1 only: changes to this role are not alerted from ${stack.region}. Deploy a rule there too, or rely on retention review sensitive`);
    }
  }
}
