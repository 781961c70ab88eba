import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { VAULT_NOTIFICATION_EVENTS } from '../../../packages/retention-kit/src/constructs/backup-monitoring';
import { FRESHNESS_METRICS, jobAlertRules, renderAlert } from 'retention-kit/policy';
import { protectionReport } from '../../../packages/retention-kit-cli/src/report/protection-report';
import { type Deployment, resolve } from '../../support/cfn';
import { ENVIRONMENT_ACCOUNT as ACCOUNT, ENVIRONMENT_REGION as REGION, referenceApp, synthesize } from '../../support/apps';
import { matchesPattern } from '../../support/event-pattern';
import { evaluate } from '../../support/iam';

const FIXTURES = join(__dirname, '../../fixtures/events');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Record<string, any>;

describe('BackupMonitoring in the environment stack', () => {
  let d: Deployment;
  let t: Template;
  let resources: Record<string, { Type: string; Properties?: Record<string, any> }>;
  let assembly: string;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  beforeAll(() => {
    const app = referenceApp();
    d = synthesize(app);
    assembly = app.outdir;
    t = Template.fromJSON(d.templates.BackupInfrastructure);
    resources = d.templates.BackupInfrastructure.Resources;
  });

  it('creates an alert topic and a sensitive topic, both encrypted with a customer-managed key, with the configured subscriptions', () => {
    const topics = ofType('AWS::SNS::Topic');
    expect(topics.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['MonitoringAlerts', 'MonitoringEscalationAlerts', 'MonitoringSensitiveAlerts']);
    for (const [, topic] of topics) expect(topic.Properties!.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^MonitoringTopicKey/), 'Arn'] });
    const subs = ofType('AWS::SNS::Subscription').map(([, s]) => [s.Properties!.Protocol, s.Properties!.Endpoint, s.Properties!.TopicArn.Ref.replace(/[0-9A-F]{8}$/, '')]);
    expect(subs.sort()).toEqual([
      ['email', 'backup-alerts@example.com', 'MonitoringAlerts'],
      ['email', 'backup-oncall@example.com', 'MonitoringEscalationAlerts'],
      ['email', 'security-team@example.com', 'MonitoringSensitiveAlerts'],
      ['https', 'https://events.pagerduty.example.com/backup-escalations', 'MonitoringEscalationAlerts'],
      ['https', 'https://hooks.example.com/backup-alerts', 'MonitoringAlerts'],
    ]);
  });

  it('lets only AWS Backup, EventBridge and CloudWatch publish (evaluated)', async () => {
    const [[topicId]] = ofType('AWS::SNS::Topic').filter(([id]) => id.startsWith('MonitoringAlerts'));
    const topicArn = resolve(d, { Ref: topicId }) as string;
    const [, policy] = ofType('AWS::SNS::TopicPolicy').find(([, p]) => JSON.stringify(p.Properties!.Topics).includes(topicId))!;
    const document = resolve(d, policy.Properties!.PolicyDocument);
    const publish = (principal: string, extra: unknown[] = []) =>
      evaluate({ principal, action: 'sns:Publish', resource: topicArn, resourceAccount: ACCOUNT, resourcePolicy: document, identityPolicies: extra, context: { 'aws:SecureTransport': 'true' } });
    for (const service of ['backup.amazonaws.com', 'events.amazonaws.com', 'cloudwatch.amazonaws.com']) expect(await publish(service), service).toBe('Allowed');
    expect(await publish('sns.amazonaws.com')).not.toBe('Allowed');
    const admin = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
    expect(await publish(`arn:aws:iam::${ACCOUNT}:role/Administrator`, [admin])).toBe('ExplicitlyDenied');
  });

  it('deploys the job rules the policy defines, and each matches its documented sample event', () => {
    const rules = ofType('AWS::Events::Rule').filter(([id]) => /JobFailed/.test(id));
    const expected = jobAlertRules({
      sensitiveVaultNames: ['CompactConnectBackupVault-SSN'],
      sensitiveVaultArns: [`arn:aws:backup:${REGION}:${ACCOUNT}:backup-vault:CompactConnectBackupVault-SSN`],
      separateSensitive: true,
    });
    expect(rules.map(([id]) => id.replace(/^Monitoring|[0-9A-F]{8}$/g, '')).sort()).toEqual(expected.map((r) => r.id).sort());
    for (const rule of expected) {
      const [, deployed] = rules.find(([id]) => id.replace(/^Monitoring|[0-9A-F]{8}$/g, '') === rule.id)!;
      expect(resolve(d, deployed.Properties!.EventPattern), rule.id).toEqual(rule.pattern);
      expect(deployed.Properties!.State).toBe('ENABLED');
    }
    const pattern = (id: string) => resolve(d, rules.find(([rid]) => rid.startsWith(`Monitoring${id}`))![1].Properties!.EventPattern);
    expect(matchesPattern(pattern('BackupJobFailed'), fixture('backup-job-failed'))).toBe(true);
    expect(matchesPattern(pattern('BackupJobFailed'), fixture('backup-job-completed'))).toBe(false);
    expect(matchesPattern(pattern('CopyJobFailed'), fixture('copy-job-failed'))).toBe(true);
    expect(matchesPattern(pattern('RestoreJobFailed'), fixture('restore-job-failed'))).toBe(true);
    expect(matchesPattern(pattern('RestoreJobFailed'), fixture('restore-job-completed'))).toBe(false);
    const sensitive = fixture('backup-job-failed');
    sensitive.detail.backupVaultName = 'CompactConnectBackupVault-SSN';
    expect(matchesPattern(pattern('BackupJobFailed'), sensitive)).toBe(false);
    expect(matchesPattern(pattern('SensitiveBackupJobFailed'), sensitive)).toBe(true);
  });

  it('sends each rule to its topic with a plain-words message built from the event', () => {
    const [, rule] = ofType('AWS::Events::Rule').find(([id]) => id.startsWith('MonitoringBackupJobFailed'))!;
    const [target] = rule.Properties!.Targets;
    expect(target.Arn.Ref).toMatch(/^MonitoringAlerts/);
    const { InputPathsMap, InputTemplate } = target.InputTransformer;
    expect(InputPathsMap).toMatchObject({ 'detail-backupJobId': '$.detail.backupJobId', 'detail-resourceArn': '$.detail.resourceArn', 'detail-backupVaultName': '$.detail.backupVaultName' });
    // Fill the template as EventBridge does, from the documented sample event.
    const event = fixture('backup-job-failed');
    const filled = (InputTemplate as string).replace(/<([\w-]+)>/g, (_m, key: string) => renderAlert({ message: '<v>', fields: { v: InputPathsMap[key] } }, event));
    // Only identifiers and enums are inserted (no free text that could carry quotes), so the filled template stays valid JSON.
    expect(JSON.parse(filled)).toBe(renderAlert(jobAlertRules({ sensitiveVaultNames: [], sensitiveVaultArns: [], separateSensitive: false })[0], event));
    expect(JSON.parse(filled)).toContain('AWS Backup could not back up type arn:aws:service:us-west-2:1112233445566:resource-type/resource-id: the backup job 34176239-e96d-4e1d-9fad-529dbb3c3556');
    const [, sensitiveRule] = ofType('AWS::Events::Rule').find(([id]) => id.startsWith('MonitoringSensitiveBackupJobFailed'))!;
    expect(sensitiveRule.Properties!.Targets[0].Arn.Ref).toMatch(/^MonitoringSensitiveAlerts/);
  });

  it('alarms on AWS Backup failure metrics, to the alert topic', () => {
    for (const metric of ['NumberOfBackupJobsFailed', 'NumberOfCopyJobsFailed', 'NumberOfRestoreJobsFailed']) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Backup',
        MetricName: metric,
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^MonitoringAlerts') }],
      });
    }
  });

  it('alarms per category on stale recovery points, the sensitive one to the sensitive topic', () => {
    const stale = ofType('AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties!.MetricName === FRESHNESS_METRICS.staleResources);
    const byCategory = Object.fromEntries(stale.map(([, a]) => [a.Properties!.Dimensions.find((x: { Name: string }) => x.Name === 'Category').Value, a.Properties!]));
    expect(Object.keys(byCategory).sort()).toEqual(['audit_logs', 'compliance_reports', 'configuration_data', 'critical_data', 'document_storage', 'export_data', 'relational_data', 'ssn_data']);
    expect(byCategory.critical_data).toMatchObject({
      AlarmName: 'BackupInfrastructure-stale-critical_data',
      Namespace: 'RetentionKit',
      Statistic: 'Maximum',
      Period: 3600,
      Threshold: 1,
      Dimensions: expect.arrayContaining([{ Name: 'service', Value: FRESHNESS_METRICS.service }]),
      AlarmActions: [{ Ref: expect.stringMatching(/^MonitoringAlerts/) }],
    });
    expect(byCategory.critical_data.AlarmDescription).toContain('newer than 25 hours (RPO 24 h + 1 h margin)');
    expect(byCategory.ssn_data.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^MonitoringSensitiveAlerts/) }]);
  });

  it('runs the freshness check hourly, with read-only AWS Backup permissions, and alarms when it fails or stops running', () => {
    const [, fn] = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('MonitoringFreshnessCheck'))!;
    expect(fn.Properties!.Runtime).toBe('nodejs24.x');
    expect(JSON.parse(fn.Properties!.Environment.Variables.CATEGORIES)).toMatchObject({ critical_data: { rpoHours: 24, copies: true }, ssn_data: { rpoHours: 24, copies: true } });
    expect(fn.Properties!.Environment.Variables.MARGIN_HOURS).toBe('1');
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' });
    const [, policy] = ofType('AWS::IAM::Policy').find(([id]) => id.startsWith('MonitoringFreshnessRole'))!;
    const actions = policy.Properties!.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => s.Action);
    expect(actions.sort()).toEqual(['backup:GetBackupSelection', 'backup:ListBackupJobs', 'backup:ListBackupPlans', 'backup:ListBackupSelections', 'backup:ListCopyJobs', 'backup:ListRecoveryPointsByBackupVault', 'backup:ListRecoveryPointsByResource', 'logs:CreateLogStream', 'logs:PutLogEvents', 'tag:GetResources']);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'BackupInfrastructure-freshness-check-errors', MetricName: 'Errors' });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'BackupInfrastructure-freshness-check-missed-runs', MetricName: 'Invocations', ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' });
  });

  it('wires the vaults\' own notifications to the topics', () => {
    const vaults = Object.fromEntries(ofType('AWS::Backup::BackupVault').map(([, v]) => [v.Properties!.BackupVaultName, v.Properties!.Notifications]));
    expect(vaults.CompactConnectBackupVault).toEqual({ BackupVaultEvents: VAULT_NOTIFICATION_EVENTS, SNSTopicArn: { Ref: expect.stringMatching(/^MonitoringAlerts/) } });
    expect(vaults['CompactConnectBackupVault-SSN'].SNSTopicArn).toEqual({ Ref: expect.stringMatching(/^MonitoringSensitiveAlerts/) });
  });

  it('draws a dashboard of job outcomes, recovery point age, stale resources and stored recovery points', () => {
    const [, dashboard] = ofType('AWS::CloudWatch::Dashboard')[0];
    const body = JSON.stringify(dashboard.Properties!.DashboardBody);
    for (const text of ['Backup jobs', 'Copy jobs', 'Restore jobs', 'OldestRecoveryPointAgeHours', 'Stale resources per category', 'NumberOfRecoveryPointsCold', 'Backup alarms']) expect(body).toContain(text);
  });

  it('gives each protected resource its stale alarm in the protection report', () => {
    const rows = protectionReport(assembly).rows;
    expect(rows.find((r) => r.path === 'Persistent/SSNTable')!.staleAlarm).toBe('BackupInfrastructure-stale-ssn_data');
    expect(rows.find((r) => r.path === 'Persistent/ProviderUsersBucket')!.staleAlarm).toBe('BackupInfrastructure-stale-document_storage');
  });
});
