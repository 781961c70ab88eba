import { describe, expect, it } from 'vitest';
import { parseRetentionPolicy } from 'retention-kit/policy';
import { REFERENCE_CONTEXT, referenceApp, synthesize } from '../../support/apps';

type Resource = { Type: string; Properties: Record<string, any> };

const infrastructure = (context: Record<string, unknown> = {}) => synthesize(referenceApp(context)).templates.BackupInfrastructure.Resources as Record<string, Resource>;
const ofType = (resources: Record<string, Resource>, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const alarmNamed = (resources: Record<string, Resource>, name: string) => ofType(resources, 'AWS::CloudWatch::Alarm').find(([, r]) => r.Properties.AlarmName === `BackupInfrastructure-${name}`)![1].Properties;

describe('the escalation topic and the systemic-failure alarms', () => {
  const resources = infrastructure();
  const topicId = ofType(resources, 'AWS::SNS::Topic').find(([id]) => id.startsWith('MonitoringEscalationAlerts'))![0];
  const alertTopicId = ofType(resources, 'AWS::SNS::Topic').find(([id]) => id.startsWith('MonitoringAlerts'))![0];

  it('is a topic of its own, with its own subscribers, encrypted like the others', () => {
    const subscriptions = ofType(resources, 'AWS::SNS::Subscription').filter(([, s]) => s.Properties.TopicArn.Ref === topicId).map(([, s]) => s.Properties.Endpoint);
    expect(subscriptions.sort()).toEqual(['backup-oncall@example.com', 'https://events.pagerduty.example.com/backup-escalations']);
    expect(resources[topicId].Properties.KmsMasterKeyId).toBeDefined();
  });

  it('escalates failed jobs of 3 distinct resources within 60 minutes (the defaults), counted by a function that AWS Backup\'s failure events and a five-minute schedule run', () => {
    const systemic = alarmNamed(resources, 'systemic-backup-failure');
    expect(systemic).toMatchObject({ Threshold: 3, ComparisonOperator: 'GreaterThanOrEqualToThreshold', MetricName: 'FailedResources', Namespace: 'RetentionKit', Statistic: 'Maximum' });
    expect(systemic.AlarmActions).toEqual([{ Ref: topicId }]);
    const fn = ofType(resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('MonitoringSystemicFailures'))![1];
    expect(JSON.parse(fn.Properties.Environment.Variables.WINDOW_MINUTES)).toBe(60);
    const rules = ofType(resources, 'AWS::Events::Rule').filter(([, r]) => JSON.stringify(r.Properties.Targets).includes(ofType(resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('MonitoringSystemicFailures'))![0]));
    expect(rules.map(([, r]) => r.Properties.ScheduleExpression ?? r.Properties.EventPattern['detail-type'])).toEqual(
      expect.arrayContaining([['Backup Job State Change', 'Copy Job State Change'], 'rate(5 minutes)']),
    );
  });

  it('escalates copies failing for every copying category at once as a broken destination', () => {
    const copying = Object.values(parseRetentionPolicy(REFERENCE_CONTEXT).categories).filter((c) => c.copyDestination).length;
    expect(alarmNamed(resources, 'copy-destination-broken')).toMatchObject({ Threshold: copying, MetricName: 'CategoriesFailingCopy', AlarmActions: [{ Ref: topicId }] });
  });

  it('escalates any failure on the sensitive path, beside the sensitive topic', () => {
    for (const prefix of ['MonitoringSensitiveBackupJobFailed', 'MonitoringSensitiveCopyJobFailed']) {
      const [, rule] = ofType(resources, 'AWS::Events::Rule').find(([id]) => id.startsWith(prefix))!;
      const targets = rule.Properties.Targets.map((t: { Arn: { Ref: string } }) => t.Arn.Ref);
      expect(targets).toContain(topicId);
      expect(targets.some((id: string) => id.startsWith('MonitoringSensitiveAlerts'))).toBe(true);
    }
  });

  it('tells the alert topic, not the escalation topic, when the count itself fails', () => {
    expect(alarmNamed(resources, 'systemic-failure-check-errors').AlarmActions).toEqual([{ Ref: alertTopicId }]);
  });

  it('takes the threshold per environment: the test environment escalates at 2 resources', () => {
    expect(alarmNamed(infrastructure({ environment: 'test' }), 'systemic-backup-failure').Threshold).toBe(2);
  });

  it('names every bad escalation setting at once', () => {
    expect(() =>
      parseRetentionPolicy({ ...REFERENCE_CONTEXT, monitoring: { escalation: { min_resources: 1, window_minutes: 2000, email_subscriptions: ['not-an-address'] } } }),
    ).toThrow(/monitoring\.escalation\.email_subscriptions\.0 = "not-an-address": must be an email address[\s\S]*monitoring\.escalation\.min_resources = 1: must be at least 2[\s\S]*monitoring\.escalation\.window_minutes = 2000: must be at most 1440/);
  });
});

describe('slow and missed jobs', () => {
  const resources = infrastructure();
  const topic = (prefix: string) => ofType(resources, 'AWS::SNS::Topic').find(([id]) => id.startsWith(prefix))![0];

  it('alarms per category on a job running past 80% of its completion window, and on a resource its last scheduled run skipped', () => {
    const slow = alarmNamed(resources, 'slow-jobs-critical_data');
    expect(slow).toMatchObject({ MetricName: 'SlowJobs', Threshold: 1, AlarmActions: [{ Ref: topic('MonitoringAlerts') }] });
    expect(slow.AlarmDescription).toContain('80% of its 1440-minute completion window');
    const missed = alarmNamed(resources, 'missed-start-critical_data');
    expect(missed).toMatchObject({ MetricName: 'MissedStarts', Threshold: 1, AlarmActions: [{ Ref: topic('MonitoringAlerts') }] });
    expect(missed.AlarmDescription).toContain('cron(0 2 * * ? *), 60-minute start window');
    // The sensitive category's go to the sensitive topic, like its stale alarm.
    expect(alarmNamed(resources, 'missed-start-ssn_data').AlarmActions).toEqual([{ Ref: topic('MonitoringSensitiveAlerts') }]);
  });

  it('tells the freshness check each category\'s schedule and windows, and the slow share', () => {
    const fn = ofType(resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('MonitoringFreshnessCheck'))![1];
    const variables = fn.Properties.Environment.Variables;
    expect(JSON.parse(variables.CATEGORIES).critical_data).toEqual({ rpoHours: 24, copies: true, schedule: 'cron(0 2 * * ? *)', startWindowMinutes: 60, completionWindowMinutes: 1440 });
    expect(JSON.parse(variables.SLOW_JOB_SHARE)).toBe(0.8);
  });
});
