import { Annotations, DefaultStackSynthesizer, Fn, Reference, Stack, Stage, Token, Tokenization } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { IConstruct } from 'constructs';
import {
  type ProtectedRecord,
  type SensitiveTableAccess,
  policyDocument,
  sensitiveStreamPolicyStatements,
  sensitiveTableKeyStatements,
  sensitiveTablePolicyStatements,
  wholeAccountTrustProblems,
} from '../policy';

/** The lock of a sensitive (dedicated-vault) DynamoDB table. */
export interface SensitiveTableOptions {
  /**
   * Put the sensitive table's resource policy (and, for a customer-managed key created in this app,
   * the key policy statement) in place.
   * @default true
   */
  readonly tableLock?: boolean;
  /**
   * Roles of the application, which read and write single items. When given, nobody else may.
   * @default none: item access is left to IAM
   */
  readonly appRoleArns?: string[];
  /**
   * Roles of the recovery tooling (hydration, in-place recovery): the only principals that may
   * scan, batch, export or use PartiQL on the table.
   * @default none: nobody may
   */
  readonly recoveryRoleArns?: string[];
  /**
   * Roles CloudFormation deploys the table's stack with: the only principals that may change the
   * table's configuration (UpdateTable, DeleteTable, time to live, tags) and its resource policy.
   * @default the stack synthesizer's CloudFormation execution role (DefaultStackSynthesizer); other synthesizers must name it
   */
  readonly deploymentRoleArns?: string[];
  /**
   * Roles of the functions that read the table's stream, when it has one.
   * @default none: nobody reads the stream
   */
  readonly streamReaderRoleArns?: string[];
}

/** The role CloudFormation deploys a stack with, when the stack's synthesizer names one. */
function deploymentRoleOf(stack: Stack): string | undefined {
  const synthesizer = stack.synthesizer;
  // The synthesizer's ARN carries placeholders for the CLI (`${AWS::Partition}`); Fn::Sub resolves them in the template.
  return synthesizer instanceof DefaultStackSynthesizer ? Fn.sub(synthesizer.cloudFormationExecutionRoleArn) : undefined;
}

/** The table's name when it is known before deployment (given in code), which the key policy can then name. */
function knownTableName(cfn: dynamodb.CfnTable): string | undefined {
  const name = cfn.tableName;
  return name !== undefined && !Token.isUnresolved(name) ? name : undefined;
}

/**
 * Locks a sensitive table: its resource policy (and its stream's) lets SSN data leave one item at a
 * time, to named roles, and every other action goes to the roles its class names; its key (when this
 * app owns it) is usable outside DynamoDB and AWS Backup by those roles only, and through DynamoDB
 * for this table only.
 */
function applyTableLock(resource: IConstruct, cfn: dynamodb.CfnTable, access: SensitiveTableAccess): { keyLocked: boolean; keyLimitedToTable: boolean } {
  const statements = sensitiveTablePolicyStatements(access);
  if (resource instanceof dynamodb.Table) {
    for (const statement of statements) resource.addToResourcePolicy(iam.PolicyStatement.fromJson(statement));
  } else if (cfn.resourcePolicy === undefined) {
    cfn.resourcePolicy = { policyDocument: policyDocument(...statements) };
  } else {
    cfn.node.addValidation({ validate: () => ['this sensitive table has a resource policy of its own: pass the dynamodb.Table construct to protect() so the lock can be added to it'] });
  }
  const stream = Stack.of(cfn).resolve(cfn.streamSpecification) as dynamodb.CfnTable.StreamSpecificationProperty | undefined;
  if (stream !== undefined) {
    if (stream.resourcePolicy !== undefined) {
      cfn.node.addValidation({ validate: () => ["this sensitive table's stream has a resource policy of its own: remove it, and name the stream's readers in sensitiveTable.streamReaderRoleArns"] });
    } else {
      cfn.streamSpecification = { ...stream, resourcePolicy: { policyDocument: policyDocument(...sensitiveStreamPolicyStatements(access)) } };
    }
  }
  const key = resource instanceof dynamodb.Table ? resource.encryptionKey : undefined;
  if (key instanceof kms.Key) {
    const tableName = knownTableName(cfn);
    for (const statement of sensitiveTableKeyStatements(access, Stack.of(cfn).region, tableName)) key.addToResourcePolicy(iam.PolicyStatement.fromJson(statement));
    if (tableName === undefined) {
      Annotations.of(cfn).addWarningV2(
        'retention-kit:sensitive-table-name',
        "the table's name is generated at deployment, so its key policy cannot tell it from other tables DynamoDB encrypts with the key: give the table a tableName",
      );
    }
    return { keyLocked: true, keyLimitedToTable: tableName !== undefined };
  }
  Annotations.of(cfn).addWarningV2(
    'retention-kit:sensitive-table-key',
    'the table is not encrypted with a customer-managed key created in this app, so its key policy cannot be limited to the named roles',
  );
  return { keyLocked: false, keyLimitedToTable: false };
}

/**
 * The lock of a sensitive table in a dedicated-vault category, with the roles it exempts: the app's
 * and recovery roles named in the options, the category's backup role, and the deployment role.
 */
export function lockSensitiveTable(resource: IConstruct, cfn: dynamodb.CfnTable, options: SensitiveTableOptions, backupRoleArn: string): NonNullable<ProtectedRecord['tableAccess']> {
  const deploymentRole = deploymentRoleOf(Stack.of(cfn));
  const deploymentRoleArns = options.deploymentRoleArns ?? (deploymentRole ? [deploymentRole] : []);
  if (deploymentRoleArns.length === 0) {
    cfn.node.addValidation({
      validate: () => [
        "the sensitive table's lock lets only the deployment change the table and its policy, but this stack's synthesizer names no CloudFormation execution role: pass sensitiveTable.deploymentRoleArns (the role your pipeline deploys with)",
      ],
    });
  }
  const access: SensitiveTableAccess = {
    appRoleArns: options.appRoleArns ?? [],
    recoveryRoleArns: options.recoveryRoleArns ?? [],
    backupRoleArn,
    deploymentRoleArns,
    streamReaderRoleArns: options.streamReaderRoleArns ?? [],
  };
  cfn.node.addValidation({ validate: () => exemptRoleTrustProblems(cfn, [...access.appRoleArns, ...access.recoveryRoleArns, ...(access.streamReaderRoleArns ?? []), backupRoleArn]) });
  return { ...access, ...applyTableLock(resource, cfn, access) };
}

/** The role an ARN given to the lock names, when the app defines it: the resource its token refers to, or a role of that name in the table's Stage. */
function roleDefinedInApp(scope: IConstruct, arn: string): iam.CfnRole | undefined {
  if (Token.isUnresolved(arn)) {
    const token = Tokenization.reverseString(arn).firstToken;
    const target = token instanceof Reference ? token.target : undefined;
    const cfn = target instanceof iam.CfnRole ? target : target?.node.defaultChild;
    return cfn instanceof iam.CfnRole ? cfn : undefined;
  }
  const [, account, name] = /^arn:[^:]+:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn) ?? [];
  const stage = Stage.of(scope) ?? scope.node.root;
  return stage.node
    .findAll()
    .filter((c): c is iam.CfnRole => c instanceof iam.CfnRole)
    .find((role) => {
      const stack = Stack.of(role);
      return stack.resolve(role.roleName) === name && (Token.isUnresolved(stack.account) || stack.account === account);
    });
}

/**
 * The lock is only as narrow as the trust of the roles it exempts: a role whose trust admits a whole
 * account can be assumed by every administrator there, who then passes the lock. Each such role
 * fails synth, named; a role the app does not define cannot be read, and is named in a warning.
 */
function exemptRoleTrustProblems(cfn: dynamodb.CfnTable, arns: readonly string[]): string[] {
  const problems: string[] = [];
  for (const arn of new Set(arns)) {
    const role = roleDefinedInApp(cfn, arn);
    if (!role) {
      Annotations.of(cfn).addWarningV2(
        'retention-kit:exempt-role-outside-app',
        `the lock exempts ${arn}, which this app does not define, so its trust cannot be checked: make sure no whole account may assume it`,
      );
      continue;
    }
    const path = role.node.scope?.node.path ?? role.node.path;
    for (const problem of wholeAccountTrustProblems(Stack.of(role).resolve(role.assumeRolePolicyDocument))) {
      problems.push(
        `the lock exempts role ${path}, but ${problem}, and so pass the lock. ` +
          'Make it a BreakGlassRole (assumable only while `retention break-glass open --role <name>` admits one operator for a time box), or trust named principals (iam.ArnPrincipal) or an AWS service',
      );
    }
  }
  return problems;
}
