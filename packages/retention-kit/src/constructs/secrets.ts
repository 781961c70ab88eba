import { Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';

/** Days between rotations of database credentials unless told otherwise. */
export const DEFAULT_ROTATION_DAYS = 30;

/** Properties of a database's credential rotation. */
export interface DatabaseRotationProps {
  /**
   * Time between rotations.
   * @default Duration.days(30)
   */
  readonly automaticallyAfter?: Duration;
  /**
   * Subnets of the rotation function.
   * @default the database's subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
}

const acknowledged = new WeakMap<IConstruct, string>();

/**
 * Rotation of secrets, which the coverage check demands of every Secrets Manager secret:
 * `CredentialRotation.rotateDatabase(cluster, vpc)`, or `CredentialRotation.acknowledgeUnrotated(secret, why)`.
 */
export class CredentialRotation {
  /**
   * Rotates a PostgreSQL database's generated credentials with Secrets Manager's hosted rotation
   * (a function Secrets Manager deploys and maintains), and lets it reach the database.
   */
  static rotateDatabase(database: rds.DatabaseCluster | rds.DatabaseInstance, vpc: ec2.IVpc, props: DatabaseRotationProps = {}): secretsmanager.RotationSchedule {
    const secret = database.secret;
    if (!secret) throw new Error(`CredentialRotation.rotateDatabase(${database.node.path}): the database has no generated secret to rotate`);
    const hostedRotation = secretsmanager.HostedRotation.postgreSqlSingleUser({ vpc, vpcSubnets: props.vpcSubnets });
    const schedule = secret.addRotationSchedule('Rotation', { hostedRotation, automaticallyAfter: props.automaticallyAfter ?? Duration.days(DEFAULT_ROTATION_DAYS) });
    database.connections.allowDefaultPortFrom(hostedRotation);
    return schedule;
  }

  /** Declares a secret deliberately not rotated, and why (at least 10 characters); the coverage check then lets it pass. */
  static acknowledgeUnrotated(secret: secretsmanager.ISecret, reason: string): void {
    if (!reason || reason.trim().length < 10) throw new Error(`CredentialRotation.acknowledgeUnrotated(${secret.node.path}): give a written reason of at least 10 characters`);
    const cfn = secret.node.defaultChild;
    acknowledged.set(cfn ?? secret, reason.trim());
  }

  private constructor() {}
}

/** Problems of a secret with no rotation schedule, found at synth. */
export function secretRotationProblems(secret: secretsmanager.CfnSecret): string[] {
  if (acknowledged.has(secret)) return [];
  const stack = Stack.of(secret);
  // Compare references as the stack renders them: logical ids may be overridden until synth.
  const ref = (value: unknown) => JSON.stringify(stack.resolve(value));
  const id = ref(secret.ref);
  const inStack = stack.node.findAll();
  // A database's generated secret is rotated through its target attachment, which names the secret.
  const attachments = new Map(inStack.flatMap((c) => (c instanceof secretsmanager.CfnSecretTargetAttachment ? [[ref(c.ref), ref(c.secretId)] as const] : [])));
  const rotated = inStack.some((c) => {
    if (!(c instanceof secretsmanager.CfnRotationSchedule)) return false;
    const target = ref(c.secretId);
    return target === id || attachments.get(target) === id;
  });
  return rotated
    ? []
    : [`secret ${secret.node.path} has no rotation: rotate it (CredentialRotation.rotateDatabase, or addRotationSchedule with hosted rotation, every ${DEFAULT_ROTATION_DAYS} days by default) or CredentialRotation.acknowledgeUnrotated(secret, reason)`];
}
