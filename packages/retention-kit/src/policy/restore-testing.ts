/**
 * Restore testing as data: which resources each category's restore testing plan selects, in
 * selections AWS Backup accepts, and how a finished restore is judged against the category's RTO.
 * Pure: the construct and the validation function both use it.
 */
import type { CategoryPolicy } from './config';

/** AWS Backup's restore testing resource type for each CloudFormation type it can test. */
/** AWS Backup's restore testing resource types (`ProtectedResourceType` of a selection). */
export enum RestoreTestResourceType {
  /** A DynamoDB table. */
  DYNAMODB = 'DynamoDB',
  /** An S3 bucket. */
  S3 = 'S3',
  /** An Aurora cluster. */
  AURORA = 'Aurora',
  /** An RDS instance. */
  RDS = 'RDS',
  /** An EFS file system. */
  EFS = 'EFS',
}

export const RESTORE_TEST_TYPES: Readonly<Record<string, RestoreTestResourceType>> = {
  'AWS::DynamoDB::Table': RestoreTestResourceType.DYNAMODB,
  'AWS::S3::Bucket': RestoreTestResourceType.S3,
  'AWS::RDS::DBCluster': RestoreTestResourceType.AURORA,
  'AWS::RDS::DBInstance': RestoreTestResourceType.RDS,
  'AWS::EFS::FileSystem': RestoreTestResourceType.EFS,
};

/** How a restore testing plan picks the recovery point to restore. */
export enum RecoveryPointSelection {
  /** The newest recovery point within the window. */
  LATEST_WITHIN_WINDOW = 'LATEST_WITHIN_WINDOW',
  /** A random recovery point within the window: over time every recent point gets tested, not only the newest. */
  RANDOM_WITHIN_WINDOW = 'RANDOM_WITHIN_WINDOW',
}

/** AWS Backup's documented limits for restore testing. */
export const RESTORE_TESTING_LIMITS = {
  /** Specific ARNs in one selection. */
  arnsPerSelection: 30,
  /** Hours a restored resource is kept for validation. */
  maxValidationWindowHours: 168,
  /** Days back a recovery point may be chosen from. */
  maxSelectionWindowDays: 365,
} as const;

/** CloudWatch namespace and metric names the validation function publishes. */
export const RESTORE_TEST_METRICS = {
  namespace: 'RetentionKit/RestoreTesting',
  duration: 'RestoreDurationSeconds',
  overRto: 'RestoreOverRto',
  validationFailed: 'RestoreValidationFailed',
  categoryDimension: 'Category',
} as const;

export interface RestoreTestTarget {
  /** ARN of the protected resource (a token in a template is fine). */
  readonly arn: string;
  readonly type: RestoreTestResourceType;
  readonly category: string;
  /**
   * Restore metadata overrides, e.g. `{ dbsubnetgroupname: 'restore-tests' }` for Aurora.
   * @default none
   */
  readonly metadataOverrides?: Readonly<Record<string, string>>;
  /** For messages. */
  readonly path?: string;
}

/** One restore testing selection of a plan. */
export interface PlannedSelection {
  /** Unique within the plan: letters, digits and underscores. */
  readonly name: string;
  /** The resource type the selection restores. */
  readonly resourceType: RestoreTestResourceType;
  /** The selected resources (at most 30). */
  readonly arns: string[];
  /**
   * Restore metadata overrides of these resources.
   * @default none
   */
  readonly metadataOverrides?: { readonly [key: string]: string };
}

/** One category's restore testing plan. */
export interface PlannedRestoreTest {
  /** The category. */
  readonly category: string;
  /** Letters, digits and underscores, as AWS Backup requires; unique per account and Region. */
  readonly planName: string;
  /** The category's RTO, which a restore must beat. */
  readonly rtoHours: number;
  /** The plan's selections. */
  readonly selections: PlannedSelection[];
}

/** Restore testing plan names allow letters, digits and underscores only. */
export function restoreTestPlanName(prefix: string, category: string): string {
  return `${prefix}_${category}`.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 50);
}

/**
 * Groups the targets into one plan per category and selections of at most 30 ARNs per resource
 * type (resources with their own metadata overrides get their own selection). Every problem is
 * returned together; the plans are only usable when there is none.
 */
export function planRestoreTests(
  categories: Readonly<Record<string, CategoryPolicy>>,
  targets: readonly RestoreTestTarget[],
  planPrefix: string,
): { plans: PlannedRestoreTest[]; problems: string[] } {
  const problems: string[] = [];
  const byCategory = new Map<string, RestoreTestTarget[]>();
  for (const target of targets) {
    const where = target.path ? `${target.path}: ` : '';
    const category = categories[target.category];
    if (!category) {
      problems.push(`${where}category "${target.category}" is not in the retention policy; use one of ${Object.keys(categories).join(', ')}`);
      continue;
    }
    if (category.dedicatedVault) {
      problems.push(
        `${where}category "${target.category}" keeps its recovery points in the sensitive vault, whose policy denies every restore; a restore test cannot run there (restore it through break-glass, and leave it out of restore testing)`,
      );
      continue;
    }
    if (!Object.values(RESTORE_TEST_TYPES).includes(target.type)) problems.push(`${where}resource type "${target.type}" has no restore testing; use one of ${[...new Set(Object.values(RESTORE_TEST_TYPES))].join(', ')}`);
    byCategory.set(target.category, [...(byCategory.get(target.category) ?? []), target]);
  }
  const plans: PlannedRestoreTest[] = [];
  for (const [categoryName, members] of byCategory) {
    const selections: PlannedSelection[] = [];
    const groups = new Map<string, RestoreTestTarget[]>();
    for (const member of members) {
      const key = `${member.type}|${JSON.stringify(member.metadataOverrides ?? {})}`;
      groups.set(key, [...(groups.get(key) ?? []), member]);
    }
    for (const group of groups.values()) {
      for (let start = 0; start < group.length; start += RESTORE_TESTING_LIMITS.arnsPerSelection) {
        const chunk = group.slice(start, start + RESTORE_TESTING_LIMITS.arnsPerSelection);
        selections.push({ name: `${chunk[0].type}_${selections.length + 1}`, resourceType: chunk[0].type, arns: chunk.map((target) => target.arn), metadataOverrides: chunk[0].metadataOverrides });
      }
    }
    plans.push({ category: categoryName, planName: restoreTestPlanName(planPrefix, categoryName), rtoHours: categories[categoryName].rtoHours, selections });
  }
  return { plans, problems };
}

export interface RestoreDurationVerdict {
  readonly seconds: number;
  readonly rtoSeconds: number;
  readonly withinRto: boolean;
  readonly message: string;
}

/** How long a restore took against the category's RTO. */
export function judgeRestoreDuration(created: Date, completed: Date, rtoHours: number): RestoreDurationVerdict {
  const seconds = Math.max(0, Math.round((completed.getTime() - created.getTime()) / 1000));
  const rtoSeconds = Math.round(rtoHours * 3600);
  const withinRto = seconds <= rtoSeconds;
  const took = formatDuration(seconds);
  return {
    seconds,
    rtoSeconds,
    withinRto,
    message: withinRto ? `restore took ${took}, within the RTO of ${formatDuration(rtoSeconds)}` : `restore took ${took}, over the RTO of ${formatDuration(rtoSeconds)}`,
  };
}

export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s} s` : `${s} s`;
}
