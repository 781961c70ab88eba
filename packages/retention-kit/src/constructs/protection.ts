import { CfnResource, Duration, Fn, type IAspect, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import {
  CATEGORY_TAG,
  EXCLUDE_TAG,
  PROTECTION_METADATA_KEY,
  type ExportedRecord,
  type ProtectedRecord,
  type ProtectionRecord,
  type CategoryPolicy,
  type RetentionPolicy,
  STATEFUL_RESOURCE_TYPES,
  isStatefulResource,
  recoveryPointTiers,
  suggestion,
  unsupportedDemands,
} from '../policy';
import { type BackupTargets, CategoryBackupPlans } from './category-plans';
import { acknowledge } from './nag';
import { secretRotationProblems } from './secrets';
import { type DatabaseOptions, protectDatabase } from './database-protection';
import { type SensitiveTableOptions, lockSensitiveTable } from './sensitive-table-lock';

/** The properties `isStatefulResource` reads: whether the resource is a member of another (an instance of a cluster). */
function memberProperties(node: CfnResource): Record<string, unknown> | undefined {
  const memberOf = STATEFUL_RESOURCE_TYPES[node.cfnResourceType]?.memberOf;
  if (!memberOf) return undefined;
  // The template's own property names, as the report reads them from a synthesized template.
  const raw = node as unknown as { cfnProperties: Record<string, unknown>; renderProperties(p: Record<string, unknown>): Record<string, unknown> };
  return { [memberOf]: raw.renderProperties(raw.cfnProperties)[memberOf] };
}

const records = new WeakMap<CfnResource, ProtectionRecord>();

/** The protection declared for a resource, if any. */
export function protectionOf(resource: IConstruct): ProtectionRecord | undefined {
  const cfn = resource instanceof CfnResource ? resource : resource.node.defaultChild;
  return cfn instanceof CfnResource ? records.get(cfn) : undefined;
}

const supportedTypes = () =>
  Object.values(STATEFUL_RESOURCE_TYPES)
    .map((t) => t.label)
    .join(', ');

/** The CloudFormation resource behind an L1 or L2 construct, or an error naming the construct. */
function cfnResourceOf(resource: IConstruct, verb: string): CfnResource {
  const cfn = resource instanceof CfnResource ? resource : resource.node.defaultChild;
  if (!(cfn instanceof CfnResource) || !(cfn.cfnResourceType in STATEFUL_RESOURCE_TYPES)) {
    const found = cfn instanceof CfnResource ? cfn.cfnResourceType : 'no CloudFormation resource';
    throw new Error(`${verb}(${resource.node.path}): ${found} is not a stateful resource the toolkit knows; it takes: ${supportedTypes()}`);
  }
  const existing = records.get(cfn);
  if (existing) {
    const what = existing.status === 'excluded' ? `excluded (${existing.reason})` : `${existing.status} as ${existing.category}`;
    throw new Error(`${verb}(${resource.node.path}): already ${what}; declare each resource once`);
  }
  return cfn;
}

function arnOf(cfn: CfnResource): string {
  const rule = STATEFUL_RESOURCE_TYPES[cfn.cfnResourceType].arn;
  if (!rule) throw new Error(`${cfn.node.path}: no ARN rule for ${cfn.cfnResourceType}`);
  return 'attribute' in rule ? cfn.getAtt(rule.attribute).toString() : Fn.sub(rule.sub.replace('${Ref}', '${Id}'), { Id: cfn.ref });
}

function record(cfn: CfnResource, value: ProtectionRecord): void {
  records.set(cfn, value);
  cfn.addMetadata(PROTECTION_METADATA_KEY, value);
}

/** cdk-nag's NIST 800-53 r5 rules that look for the resource in one of the app's own backup plans, by type. */
const NIST_IN_BACKUP_PLAN_RULES: Record<string, string> = {
  'AWS::DynamoDB::Table': 'DynamoDBInBackupPlan',
  'AWS::EC2::Volume': 'EC2EBSInBackupPlan',
  'AWS::EFS::FileSystem': 'EFSInBackupPlan',
  'AWS::RDS::DBCluster': 'RDSInBackupPlan',
  'AWS::RDS::DBInstance': 'RDSInBackupPlan',
};

/** Problems AWS Backup would hit with this resource in this category, found at synth. */
function resourceProblems(cfn: CfnResource, category: CategoryPolicy): string[] {
  const problems: string[] = [];
  const type = STATEFUL_RESOURCE_TYPES[cfn.cfnResourceType];
  if (cfn instanceof s3.CfnBucket) {
    const versioning = Stack.of(cfn).resolve(cfn.versioningConfiguration) as { status?: string } | undefined;
    if (versioning?.status !== 'Enabled') {
      problems.push(`AWS Backup backs up only versioned S3 buckets, and this one's versioning is ${versioning?.status ?? 'off'}: remove the setting (protect() turns versioning on) or set versioned: true`);
    }
  }
  problems.push(...unsupportedDemands(type, category));
  if (category.dedicatedVault && !(cfn instanceof dynamodb.CfnTable)) {
    problems.push(`category ${category.name} uses the sensitive vault and its minimal role, which back up DynamoDB tables only; a ${type.label} needs another category`);
  }
  if (cfn instanceof rds.CfnDBInstance && cfn.dbClusterIdentifier !== undefined) {
    problems.push('this instance belongs to an Aurora cluster: protect the cluster instead');
  }
  return problems;
}

/** How `Retention.of(resource).protect(category, options)` treats the resource. */
export interface ProtectOptions {
  /**
   * For a DynamoDB table in a dedicated-vault (sensitive) category: the table's own lock.
   * @default the lock, with item access left to IAM and no recovery role
   */
  readonly sensitiveTable?: SensitiveTableOptions;
  /**
   * For an Aurora cluster or RDS instance: its backup and maintenance windows.
   * @default the default windows
   */
  readonly database?: DatabaseOptions;
}

/** Noncurrent versions move to infrequent access, then Glacier, when they are kept long enough for it to pay. */
export function noncurrentVersionRule(retentionDays: number): s3.LifecycleRule {
  const transitions =
    retentionDays >= 180
      ? [
          { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) },
          { storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(90) },
        ]
      : [];
  return {
    id: 'retention-kit-noncurrent-versions',
    noncurrentVersionExpiration: Duration.days(retentionDays),
    noncurrentVersionTransitions: transitions,
    expiredObjectDeleteMarker: true,
  };
}

/**
 * A protected bucket keeps its versions: versioning on (AWS Backup needs it), and noncurrent versions
 * and delete markers cleaned up after the category's retention, so versioning does not grow forever.
 */
function keepVersions(resource: IConstruct, cfn: s3.CfnBucket, category: { retentionDays: number }): void {
  if (cfn.versioningConfiguration === undefined) cfn.versioningConfiguration = { status: 'Enabled' };
  const rule = noncurrentVersionRule(category.retentionDays);
  if (resource instanceof s3.Bucket) resource.addLifecycleRule(rule);
  else if (cfn.lifecycleConfiguration === undefined) {
    cfn.lifecycleConfiguration = {
      rules: [
        {
          id: rule.id,
          status: 'Enabled',
          noncurrentVersionExpiration: { noncurrentDays: category.retentionDays },
          noncurrentVersionTransitions: (rule.noncurrentVersionTransitions ?? []).map((t) => ({ storageClass: t.storageClass.value, transitionInDays: t.transitionAfter.toDays() })),
          expiredObjectDeleteMarker: true,
        },
      ],
    };
  }
}

/**
 * Declares that a resource is kept under a category: adds it to the category's plan in the
 * resource's own stack. Problems with the pairing (unknown category, an unversioned bucket, a
 * lifecycle the type cannot do) fail synth together with every other problem, each naming the
 * resource.
 */
export function protectResource(policy: RetentionPolicy, targets: BackupTargets, resource: IConstruct, categoryName: string, options: ProtectOptions = {}): void {
  const cfn = cfnResourceOf(resource, 'protect');
  const type = STATEFUL_RESOURCE_TYPES[cfn.cfnResourceType];
  if (cfn instanceof events.CfnEventBus) {
    archiveEventBus(policy, cfn, categoryName, options);
    return;
  }
  if (!type.awsBackup) throw new Error(`protect(${resource.node.path}): ${type.alternative}`);
  const category = policy.categories[categoryName];
  if (!category) {
    const known = Object.keys(policy.categories);
    records.set(cfn, { status: 'protected', category: categoryName } as ProtectedRecord);
    cfn.node.addValidation({
      validate: () => [`unknown category "${categoryName}"${suggestion(categoryName, known)}; known categories: ${known.join(', ')}`],
    });
    return;
  }
  cfn.node.addValidation({ validate: () => resourceProblems(cfn, category) });
  // Audit Manager's controls, and an organization backup policy, find the resources of a category by this tag.
  Tags.of(cfn).add(CATEGORY_TAG, category.name);
  const arn = arnOf(cfn);
  // An organization-managed category is selected by the policy's tag, in every account it is attached to.
  const plan = category.organizationManaged ? undefined : CategoryBackupPlans.of(cfn, targets).planFor(category);
  const inPlanRule = NIST_IN_BACKUP_PLAN_RULES[cfn.cfnResourceType];
  if (category.organizationManaged && inPlanRule) {
    acknowledge(cfn, {
      id: `NIST.800.53.R5::NIST.800.53.R5-${inPlanRule}`,
      reason: `Kept by the organization backup policy ${policy.organizationPolicy?.name}, which selects it by the tag ${CATEGORY_TAG}=${category.name} in every member account (cdk-nag sees only the app's own plans).`,
    });
  }
  plan?.addResource(arn, cfn.node.path, type.backupResourceType);
  if (cfn instanceof s3.CfnBucket) keepVersions(resource, cfn, category);
  if (cfn instanceof s3.CfnBucket && category.copyDestination) {
    acknowledge(cfn, {
      id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled',
      reason: `AWS Backup keeps copies of this bucket in another account and Region (${category.name} copies to ${category.copyDestination.vaultArn}).`,
    });
  }
  if (cfn instanceof rds.CfnDBCluster) {
    for (const member of resource.node.findAll().filter((c) => c instanceof rds.CfnDBInstance)) {
      acknowledge(member, { id: 'NIST.800.53.R5::NIST.800.53.R5-RDSInBackupPlan', reason: 'A member of an Aurora cluster: AWS Backup protects the cluster as a whole.' });
    }
  }
  const databaseProblems = cfn instanceof rds.CfnDBCluster || cfn instanceof rds.CfnDBInstance ? protectDatabase(cfn, category, options.database ?? {}, policy.production) : [];
  if (databaseProblems.length > 0) cfn.node.addValidation({ validate: () => databaseProblems });
  let tableAccess: ProtectedRecord['tableAccess'];
  if (category.dedicatedVault && cfn instanceof dynamodb.CfnTable) {
    plan?.allowSensitiveTable(arn);
    if (options.sensitiveTable?.tableLock !== false) tableAccess = lockSensitiveTable(resource, cfn, options.sensitiveTable ?? {}, targets.roleFor(category).roleArn);
  } else if (options.sensitiveTable) {
    cfn.node.addValidation({ validate: () => [`sensitiveTable options apply only to a DynamoDB table in a dedicated-vault category, not to category ${category.name}`] });
  }
  record(cfn, {
    status: 'protected',
    category: category.name,
    schedule: category.schedule,
    rpoHours: category.rpoHours,
    scheduleIntervalHours: category.scheduleIntervalHours,
    retentionDays: category.retentionDays,
    copyRequired: category.copyDestination !== undefined,
    ...(cfn instanceof rds.CfnDBCluster || cfn instanceof rds.CfnDBInstance ? { engineBackupRetentionDays: category.engineBackupRetentionDays } : {}),
    ...(category.continuousBackupDays !== undefined ? { continuousBackupDays: category.continuousBackupDays } : {}),
    coldStorageAfterDays: category.coldStorageAfterDays,
    localVault: category.dedicatedVault ? policy.vaultNames.sensitive : policy.vaultNames.general,
    copyDestination: category.copyDestination?.vaultArn,
    sensitive: category.dedicatedVault,
    staleAlarm: targets.staleAlarmFor?.(category),
    ...(tableAccess ? { tableAccess } : {}),
    selectedBy: category.organizationManaged ? 'organization-policy' : 'plan',
    ...(category.airGappedCopy ? { airGappedCopy: category.airGappedCopy.vaultArn } : {}),
    ...(category.airGappedTarget ? { airGappedTarget: true } : {}),
    ...(category.malwareScan ? { malwareScan: category.malwareScan } : {}),
    ...(category.index ? { indexed: true } : {}),
    tiers: recoveryPointTiers(category, type.features),
  });
}

/**
 * An event bus is kept by an EventBridge archive of its events, for the category's retention: AWS
 * Backup has no event bus support. An archive cannot leave its account, so a category that copies
 * to the backup account is refused with the reason.
 */
function archiveEventBus(policy: RetentionPolicy, cfn: events.CfnEventBus, categoryName: string, options: ProtectOptions): void {
  const category = policy.categories[categoryName];
  if (!category) {
    const known = Object.keys(policy.categories);
    records.set(cfn, { status: 'protected', category: categoryName } as ProtectedRecord);
    cfn.node.addValidation({ validate: () => [`unknown category "${categoryName}"${suggestion(categoryName, known)}; known categories: ${known.join(', ')}`] });
    return;
  }
  const problems: string[] = [];
  if (category.copyDestination) {
    problems.push(
      `category ${category.name} copies to the backup account, and an EventBridge archive cannot leave its account: use a category with copy_to_backup_account: false for event buses, or forward the events to a bus in the backup account and archive them there`,
    );
  }
  if (category.dedicatedVault) problems.push(`category ${category.name} is the sensitive path (its own vault, key and role); an event bus needs another category`);
  if (options.sensitiveTable || options.database) problems.push('sensitiveTable and database options do not apply to an event bus');
  if (problems.length > 0) cfn.node.addValidation({ validate: () => problems });
  const stack = Stack.of(cfn);
  const name = [stack.stackName, ...cfn.node.scopes.slice(cfn.node.scopes.indexOf(stack) + 1).map((s) => s.node.id).filter((id) => id !== 'Resource')]
    .join('-')
    .replace(/[^.\-_A-Za-z0-9]/g, '-')
    .slice(0, 48);
  const archive = new events.CfnArchive(cfn.stack, `${cfn.node.id}Archive`, {
    archiveName: name,
    sourceArn: cfn.attrArn,
    retentionDays: category.retentionDays,
    description: `Every event of ${cfn.node.path}, kept ${category.retentionDays} days (category ${category.name})`,
  });
  archive.applyRemovalPolicy(RemovalPolicy.RETAIN);
  Tags.of(cfn).add(CATEGORY_TAG, category.name);
  record(cfn, {
    status: 'protected',
    category: category.name,
    schedule: 'continuous',
    rpoHours: 0,
    scheduleIntervalHours: 0,
    retentionDays: category.retentionDays,
    copyRequired: false,
    localVault: `EventBridge archive ${name}`,
    sensitive: false,
    archive: { logicalId: stack.getLogicalId(archive), name },
    tiers: [{ tier: 'warm', fromDay: 0 }],
  });
}

/** The shortest reason accepted: a reason is a sentence someone can check, not a flag. */
export const MIN_EXCLUSION_REASON_LENGTH = 10;

/** A reason as a tag value: the characters every service accepts in tags, at most 256. */
export function excludeTagValue(reason: string): string {
  return reason.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, ' ').replace(/\s+/g, ' ').trim().slice(0, 256);
}

/** Declares that a stateful resource is deliberately not backed up, and why. */
export function excludeResource(resource: IConstruct, reason: string): void {
  const cfn = cfnResourceOf(resource, 'exclude');
  const trimmed = (reason ?? '').trim();
  if (trimmed.length < MIN_EXCLUSION_REASON_LENGTH) {
    throw new Error(
      `exclude(${resource.node.path}): give a written reason of at least ${MIN_EXCLUSION_REASON_LENGTH} characters ` +
        `(why this data need not be kept, e.g. "derived reports, regenerated from the provider table"); got ${JSON.stringify(reason)}`,
    );
  }
  // Tag-based selections (the app's and an organization policy's) skip a resource carrying the reason.
  Tags.of(cfn).add(EXCLUDE_TAG, excludeTagValue(trimmed));
  record(cfn, { status: 'excluded', reason: trimmed });
}

/** Declares a resource kept by a scheduled export (a Cognito user pool); used by CognitoUserPoolExport. */
export function recordExport(resource: IConstruct, exported: Omit<ExportedRecord, 'status'>): void {
  record(cfnResourceOf(resource, 'export'), { status: 'exported', ...exported });
}

/**
 * Fails synth for every stateful resource that is neither protected nor excluded, and every secret
 * with no rotation, naming each by its construct path. Added to the app by the backup
 * infrastructure stack.
 */
export class ProtectionCoverageCheck implements IAspect {
  /** @param categories the policy's category names, for the error messages */
  constructor(private readonly categories: string[]) {}

  /** Adds the checks to a construct of the app. */

  visit(node: IConstruct): void {
    if (node instanceof secretsmanager.CfnSecret) {
      node.node.addValidation({ validate: () => secretRotationProblems(node) });
      return;
    }
    if (!(node instanceof CfnResource) || records.has(node)) return;
    if (!isStatefulResource(node.cfnResourceType, memberProperties(node))) return;
    const type = STATEFUL_RESOURCE_TYPES[node.cfnResourceType];
    const howTo = type.awsBackup
      ? `protect it with a category (${this.categories.join(', ')}) or exclude it with a written reason`
      : `${type.alternative}`;
    node.node.addValidation({ validate: () => (records.has(node) ? [] : [`${type.label} ${node.node.path} is neither protected nor excluded: ${howTo}`]) });
  }
}
