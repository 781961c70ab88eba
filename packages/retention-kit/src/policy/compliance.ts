/**
 * AWS Backup Audit Manager controls, derived from the retention policy: change a category and its
 * controls change with it. Control and parameter names follow AWS Backup's "Choosing your controls".
 */
import type { RetentionPolicy } from './config';
import { CATEGORY_TAG } from './protection-record';

export interface ControlSpec {
  readonly ControlName: string;
  readonly ControlInputParameters?: { ParameterName: string; ParameterValue: string }[];
  readonly ControlScope?: { Tags?: { Key: string; Value: string }[]; ComplianceResourceTypes?: string[] };
}

export interface FrameworkSpec {
  /** Suffix of the framework name (letters, digits, underscores). */
  readonly name: string;
  readonly description: string;
  readonly controls: ControlSpec[];
}

/** AWS Backup Audit Manager quotas (a control used in two frameworks counts twice). */
export const AUDIT_MANAGER_QUOTAS = { controlsPerAccountAndRegion: 50, frameworksPerAccountAndRegion: 10 } as const;

const param = (ParameterName: string, value: string | number) => ({ ParameterName, ParameterValue: String(value) });

/**
 * One framework per category, its controls scoped to the resources (and plans) tagged with the
 * category, plus one framework for what holds across categories. Retention is checked on the plans
 * (BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK), not again per recovery point, to leave room in
 * the 50-controls quota for more categories.
 */
export function complianceFrameworks(policy: RetentionPolicy, options: { environmentRegion?: string } = {}): FrameworkSpec[] {
  const frameworks: FrameworkSpec[] = Object.values(policy.categories).map((category) => {
    const scope = { Tags: [{ Key: CATEGORY_TAG, Value: category.name }] };
    const controls: ControlSpec[] = [
      { ControlName: 'BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN', ControlScope: scope },
      {
        ControlName: 'BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK',
        ControlInputParameters: [param('requiredFrequencyUnit', 'hours'), param('requiredFrequencyValue', category.rpoHours), param('requiredRetentionDays', category.retentionDays)],
        ControlScope: scope,
      },
      {
        ControlName: 'BACKUP_LAST_RECOVERY_POINT_CREATED',
        ControlInputParameters: [param('recoveryPointAgeUnit', 'hours'), param('recoveryPointAgeValue', category.rpoHours + policy.monitoring.freshnessMarginHours)],
        ControlScope: scope,
      },
      { ControlName: 'RESTORE_TIME_FOR_RESOURCES_MEET_TARGET', ControlInputParameters: [param('maxRestoreTime', Math.round(category.rtoHours * 60))], ControlScope: scope },
    ];
    const destination = category.copyDestination;
    if (destination) {
      controls.push({ ControlName: 'BACKUP_RESOURCES_PROTECTED_BY_CROSS_ACCOUNT', ControlInputParameters: [param('crossAccountList', destination.account)], ControlScope: scope });
      if (destination.region !== options.environmentRegion) {
        controls.push({ ControlName: 'BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION', ControlInputParameters: [param('crossRegionList', destination.region)], ControlScope: scope });
      }
    }
    return { name: category.name, description: `Backups of ${category.name}: ${category.description ?? 'user-defined category'}`.slice(0, 1024), controls };
  });
  frameworks.push({
    name: 'all_categories',
    description: 'What holds for every recovery point: encrypted, and not deletable by hand',
    controls: [{ ControlName: 'BACKUP_RECOVERY_POINT_ENCRYPTED' }, { ControlName: 'BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED' }],
  });
  return frameworks;
}

/** Problems with the frameworks against Audit Manager's quotas, before CloudFormation meets them. */
export function complianceQuotaProblems(frameworks: readonly FrameworkSpec[]): string[] {
  const controls = frameworks.reduce((n, f) => n + f.controls.length, 0);
  const problems: string[] = [];
  if (controls > AUDIT_MANAGER_QUOTAS.controlsPerAccountAndRegion) {
    problems.push(`the compliance frameworks use ${controls} controls, over AWS Backup Audit Manager's ${AUDIT_MANAGER_QUOTAS.controlsPerAccountAndRegion} per account and Region: drop unused categories or turn compliance off for this stack`);
  }
  if (frameworks.length > AUDIT_MANAGER_QUOTAS.frameworksPerAccountAndRegion) {
    problems.push(`${frameworks.length} compliance frameworks, over AWS Backup Audit Manager's ${AUDIT_MANAGER_QUOTAS.frameworksPerAccountAndRegion} per account and Region: drop unused categories`);
  }
  return problems;
}
