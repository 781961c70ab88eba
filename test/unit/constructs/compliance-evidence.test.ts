import { describe, expect, it } from 'vitest';
import { complianceFrameworks, complianceQuotaProblems, parseRetentionPolicy } from 'retention-kit/policy';
import { type Deployment, resolve } from '../../support/cfn';
import { REFERENCE_CONTEXT, referenceApp, synthesize } from '../../support/apps';

const frameworksOf = (d: Deployment) =>
  Object.values(d.templates.BackupInfrastructure.Resources)
    .filter((r) => r.Type === 'AWS::Backup::Framework')
    .map((r) => r.Properties!);
const control = (framework: Record<string, any>, name: string) => framework.FrameworkControls.find((c: { ControlName: string }) => c.ControlName === name);
const params = (c: { ControlInputParameters?: { ParameterName: string; ParameterValue: string }[] }) => Object.fromEntries((c.ControlInputParameters ?? []).map((p) => [p.ParameterName, p.ParameterValue]));

describe('compliance evidence (AWS Backup Audit Manager)', () => {
  it('makes a framework per category used, with controls from the policy, scoped by the category tag', () => {
    const d = synthesize(referenceApp());
    const frameworks = frameworksOf(d);
    expect(frameworks.map((f) => f.FrameworkName).sort()).toEqual(
      ['all_categories', 'audit_logs', 'compliance_reports', 'configuration_data', 'critical_data', 'document_storage', 'export_data', 'relational_data', 'ssn_data'].map((n) => `BackupInfrastructure_${n}`),
    );
    const critical = frameworks.find((f) => f.FrameworkName === 'BackupInfrastructure_critical_data')!;
    expect(params(control(critical, 'BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK'))).toEqual({ requiredFrequencyUnit: 'hours', requiredFrequencyValue: '24', requiredRetentionDays: '2555' });
    expect(params(control(critical, 'BACKUP_LAST_RECOVERY_POINT_CREATED'))).toEqual({ recoveryPointAgeUnit: 'hours', recoveryPointAgeValue: '25' });
    expect(control(critical, 'BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK')).toBeUndefined();
    expect(params(control(critical, 'RESTORE_TIME_FOR_RESOURCES_MEET_TARGET'))).toEqual({ maxRestoreTime: '240' });
    expect(params(control(critical, 'BACKUP_RESOURCES_PROTECTED_BY_CROSS_ACCOUNT'))).toEqual({ crossAccountList: '222222222222' });
    expect(params(control(critical, 'BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION'))).toEqual({ crossRegionList: 'us-west-2' });
    for (const c of critical.FrameworkControls) expect(c.ControlScope).toEqual({ Tags: [{ Key: 'retention-kit:category', Value: 'critical_data' }] });
    const all = frameworks.find((f) => f.FrameworkName === 'BackupInfrastructure_all_categories')!;
    expect(all.FrameworkControls.map((c: { ControlName: string }) => c.ControlName)).toEqual(['BACKUP_RECOVERY_POINT_ENCRYPTED', 'BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED']);
  });

  it('tags each protected resource and each plan with its category, which the controls are scoped by', () => {
    const d = synthesize(referenceApp());
    const resources = Object.entries(d.templates.Persistent.Resources);
    const ssn = resources.find(([id, r]) => id.startsWith('SSNTable') && r.Type === 'AWS::DynamoDB::Table')![1];
    expect(ssn.Properties!.Tags).toContainEqual({ Key: 'retention-kit:category', Value: 'ssn_data' });
    const ssnPlan = resources.find(([id, r]) => id.startsWith('RetentionKitBackupPlansSsnDataPlan') && r.Type === 'AWS::Backup::BackupPlan')![1];
    expect(ssnPlan.Properties!.BackupPlanTags).toEqual({ 'retention-kit:category': 'ssn_data' });
  });

  it('changes the controls when the policy changes', () => {
    const d = synthesize(referenceApp({ backup_policies: { ...(REFERENCE_CONTEXT.backup_policies as object), critical_data: { retention_days: 3650, rto_hours: 2, rpo_hours: 12, schedule: 'cron(0 */12 * * ? *)' } } }));
    const critical = frameworksOf(d).find((f) => f.FrameworkName === 'BackupInfrastructure_critical_data')!;
    expect(params(control(critical, 'BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK'))).toEqual({ requiredFrequencyUnit: 'hours', requiredFrequencyValue: '12', requiredRetentionDays: '3650' });
    expect(params(control(critical, 'RESTORE_TIME_FOR_RESOURCES_MEET_TARGET'))).toEqual({ maxRestoreTime: '120' });
    expect(params(control(critical, 'BACKUP_LAST_RECOVERY_POINT_CREATED'))).toEqual({ recoveryPointAgeUnit: 'hours', recoveryPointAgeValue: '13' });
  });

  it('delivers backup, copy, restore and control compliance reports daily to the versioned, access-logged reports bucket', () => {
    const d = synthesize(referenceApp());
    const resources = d.templates.BackupInfrastructure.Resources;
    const plans = Object.values(resources).filter((r) => r.Type === 'AWS::Backup::ReportPlan').map((r) => resolve(d, r.Properties));
    expect(plans.map((p) => p.ReportSetting.ReportTemplate).sort()).toEqual(['BACKUP_JOB_REPORT', 'CONTROL_COMPLIANCE_REPORT', 'COPY_JOB_REPORT', 'RESTORE_JOB_REPORT']);
    const compliance = plans.find((p) => p.ReportSetting.ReportTemplate === 'CONTROL_COMPLIANCE_REPORT');
    expect(compliance.ReportSetting.FrameworkArns).toHaveLength(9);
    const [bucketId, bucket] = Object.entries(resources).find(([id, r]) => id.startsWith('ComplianceReports') && r.Type === 'AWS::S3::Bucket')!;
    expect(plans[0].ReportDeliveryChannel).toMatchObject({ S3BucketName: bucketId.toLowerCase(), Formats: ['CSV', 'JSON'] });
    expect(bucket.Properties!.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties!.LoggingConfiguration).toBeDefined();
    const policy = Object.values(resources).find((r) => r.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(r.Properties).includes(bucketId))!;
    expect(JSON.stringify(resolve(d, policy.Properties))).toContain('aws-service-role/reports.backup.amazonaws.com/AWSServiceRoleForBackupReports');
  });

  it("refuses, before AWS would, more controls than Audit Manager's 50 per account and Region", () => {
    const many = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`extra_${i}`, { retention_days: 400 }]));
    const policy = parseRetentionPolicy({ ...REFERENCE_CONTEXT, backup_policies: { ...(REFERENCE_CONTEXT.backup_policies as object), ...many } });
    expect(complianceQuotaProblems(complianceFrameworks(policy))).toEqual([
      expect.stringMatching(/^the compliance frameworks use \d+ controls, over AWS Backup Audit Manager's 50 per account and Region/),
      expect.stringMatching(/compliance frameworks, over AWS Backup Audit Manager's 10 per account and Region/),
    ]);
  });
});
