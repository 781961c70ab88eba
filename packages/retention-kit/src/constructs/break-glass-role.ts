import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { closedTrustPolicy } from '../policy';

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
 * The trust is fixed: statements added to `assumeRolePolicy` are not deployed.
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
  }
}
