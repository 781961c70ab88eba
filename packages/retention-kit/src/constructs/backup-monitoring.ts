import { Duration, Stack } from 'aws-cdk-lib';
import type * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import {
  DEFAULT_SLOW_JOB_SHARE,
  type EscalationSettings,
  JOB_FAILURE_STATES,
  SCAN_RESULT_PATTERN,
  SYSTEMIC_FAILURES_ENVIRONMENT,
  SYSTEMIC_FAILURE_METRICS,
  FRESHNESS_CHECK_ENVIRONMENT,
  FRESHNESS_METRICS,
  type JobAlertRule,
  type MonitoringSettings,
  alertKeyStatement,
  alertTopicStatements,
  jobAlertRules,
  sensitiveAuditRules,
} from '../policy';
import { handlerFunction } from './handler-function';
import { alertRule, alertText, eventPatternOf } from './alert-rules';
import { acknowledge } from './nag';
import { operationalLogGroup } from './log-group';

/** Vault events AWS Backup sends to the topic itself (besides the EventBridge rules). */
export const VAULT_NOTIFICATION_EVENTS = [
  'BACKUP_JOB_FAILED',
  'BACKUP_JOB_EXPIRED',
  'COPY_JOB_FAILED',
  'RESTORE_JOB_FAILED',
  'RESTORE_JOB_COMPLETED',
  'RECOVERY_POINT_MODIFIED',
  'S3_BACKUP_OBJECT_FAILED',
  'S3_RESTORE_OBJECT_FAILED',
];

/** AWS Backup job metrics that count failures (namespace AWS/Backup, summed over all vaults). */
const FAILED_JOB_METRICS = { BackupJobs: 'NumberOfBackupJobsFailed', CopyJobs: 'NumberOfCopyJobsFailed', RestoreJobs: 'NumberOfRestoreJobsFailed' };

/** A vault whose notifications and job failures are watched. */
export interface MonitoredVault {
  /** The vault. */
  readonly vault: backup.BackupVault;
  /** Whether it holds sensitive data: its alerts then go to the sensitive topic. */
  readonly sensitive: boolean;
}

/** How fresh one category's recovery points must be. */
export interface FreshnessTarget {
  /** The category's recovery point objective, in hours. */
  readonly rpoHours: number;
  /** Whether the category copies to the backup account (a copy must then be as fresh). */
  readonly copies: boolean;
  /** Whether stale points alert on the sensitive topic. */
  readonly enhancedMonitoring: boolean;
  /**
   * The rule's schedule (AWS cron, UTC): resources with no backup job since its last run past the start window alarm.
   * @default no missed-start alarm
   */
  readonly schedule?: string;
  /**
   * Minutes a scheduled job has to start.
   * @default no missed-start alarm
   */
  readonly startWindowMinutes?: number;
  /**
   * Minutes a started job has to complete: a job running past the slow share of it alarms.
   * @default no slow-job alarm
   */
  readonly completionWindowMinutes?: number;
  /**
   * Days the category keeps recovery points: older ones count against retention compliance.
   * @default not counted
   */
  readonly retentionDays?: number;
}

/** The sensitive vaults and keys whose every touch alerts. */
export interface SensitiveAuditTargets {
  /** Names of the sensitive vaults. */
  readonly vaultNames: string[];
  /** ARNs of the sensitive vaults. */
  readonly vaultArns: string[];
  /** ARNs of the sensitive vaults' keys. */
  readonly keyArns: string[];
}

/** Properties of the backup monitoring. */
export interface BackupMonitoringProps {
  /** The vaults whose notifications and job failures are watched. */
  readonly vaults: MonitoredVault[];
  /** Subscriptions and the freshness margin. */
  readonly settings: MonitoringSettings;
  /**
   * Categories whose recovery point freshness is checked, with their RPO; those with enhanced
   * monitoring alert on the sensitive topic.
   * @default no freshness check (the backup account's smaller monitoring)
   */
  readonly freshness?: { readonly [category: string]: FreshnessTarget };
  /**
   * A separate topic for the sensitive vaults' alerts.
   * @default true when a monitored vault is sensitive
   */
  readonly sensitiveTopic?: boolean;
  /**
   * Prefix of alarm names.
   * @default the stack name
   */
  readonly alarmNamePrefix?: string;
  /**
   * Alert on GuardDuty malware scans of recovery points (threats found, scans incomplete), and list every finished scan on the dashboard.
   * @default false
   */
  readonly malwareScanning?: boolean;
  /**
   * Escalate systemic failures to a topic of their own: failed jobs of at least `minResources`
   * distinct resources in the window, copies of every copying category failing at once, and any
   * failure on the sensitive path.
   * @default no escalation topic
   */
  readonly escalation?: EscalationSettings;
  /**
   * Categories that copy to the backup account, for the broken-destination alarm.
   * @default none
   */
  readonly copyingCategories?: string[];
  /**
   * The sensitive vaults and keys whose every touch (policy changes, restores, refused decrypts)
   * alerts on the sensitive topic, from CloudTrail's API-call events.
   * @default no audit rules
   */
  readonly sensitiveAudit?: SensitiveAuditTargets;
}

/**
 * Every failure and every stale backup reaches a person: an encrypted SNS topic (and one for the
 * sensitive data), EventBridge rules for failed backup, copy and restore jobs with plain-words
 * messages, alarms on AWS Backup's failure metrics, vault notifications, a scheduled freshness check
 * with an alarm per category, and a dashboard.
 */
export class BackupMonitoring extends Construct {
  /** The alert topic. */
  readonly topic: sns.Topic;
  /** The sensitive data's alert topic. */
  readonly sensitiveTopic?: sns.Topic;
  /** The topics' key. */
  readonly key: kms.Key;
  /** The EventBridge rules: failed jobs and sensitive-path audit events. */
  readonly rules: events.Rule[] = [];
  /** The alarms, as the dashboard lists them. */
  readonly alarms: cloudwatch.Alarm[] = [];
  /** The hourly freshness check. */
  readonly freshnessFunction?: lambda.Function;
  /** The backup dashboard. */
  readonly dashboard: cloudwatch.Dashboard;
  /** The topic systemic failures escalate to, when escalation is on. */
  readonly escalationTopic?: sns.Topic;
  /** The function that counts failed resources in the window, when escalation is on. */
  readonly systemicFailureFunction?: lambda.Function;
  /** The log of finished malware scans, when scanning is on. */
  readonly scanResults?: logs.ILogGroup;
  private readonly staleAlarmNames = new Map<string, string>();

  constructor(scope: Construct, id: string, props: BackupMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const prefix = props.alarmNamePrefix ?? stack.stackName;

    this.key = new kms.Key(this, 'TopicKey', { enableKeyRotation: true, description: 'Encrypts the backup alert topics' });
    this.key.addToResourcePolicy(iam.PolicyStatement.fromJson(alertKeyStatement()));
    this.topic = this.alertTopic('Alerts', 'Backup alerts', props.settings.emails, props.settings.httpsEndpoints);
    const hasSensitive = props.vaults.some((v) => v.sensitive);
    if (props.sensitiveTopic ?? hasSensitive) {
      this.sensitiveTopic = this.alertTopic('SensitiveAlerts', 'Sensitive data backup alerts', props.settings.sensitiveEmails, []);
    }

    if (props.escalation) {
      this.escalationTopic = this.alertTopic('EscalationAlerts', 'Backup escalations: systemic failures', props.escalation.emails, props.escalation.httpsEndpoints);
    }

    const sensitiveVaults = props.vaults.filter((v) => v.sensitive);
    for (const rule of jobAlertRules({
      sensitiveVaultNames: sensitiveVaults.map((v) => v.vault.backupVaultName),
      sensitiveVaultArns: sensitiveVaults.map((v) => v.vault.backupVaultArn),
      separateSensitive: this.sensitiveTopic !== undefined,
      malwareScanning: props.malwareScanning,
    })) {
      const rule_ = this.jobRule(rule, rule.sensitive && this.sensitiveTopic ? this.sensitiveTopic : this.topic);
      // Any failure on the sensitive path escalates as well.
      if (rule.sensitive && this.escalationTopic) rule_.addTarget(new targets.SnsTopic(this.escalationTopic, { message: events.RuleTargetInput.fromText(alertText(rule)) }));
      this.rules.push(rule_);
    }

    if (props.sensitiveAudit) {
      for (const rule of sensitiveAuditRules(props.sensitiveAudit)) this.rules.push(this.jobRule(rule, this.sensitiveTopic ?? this.topic));
    }

    for (const [jobs, metricName] of Object.entries(FAILED_JOB_METRICS)) {
      const alarm = new cloudwatch.Alarm(this, `Failed${jobs}Alarm`, {
        alarmName: `${prefix}-failed-${jobs.replace('Jobs', '').toLowerCase()}-jobs`,
        alarmDescription: `AWS Backup reported failed ${jobs.replace('Jobs', '').toLowerCase()} jobs in this account and Region`,
        metric: new cloudwatch.Metric({ namespace: 'AWS/Backup', metricName, statistic: 'Sum', period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new actions.SnsAction(this.topic));
      this.alarms.push(alarm);
    }

    for (const { vault, sensitive } of props.vaults) {
      const cfn = vault.node.defaultChild as backup.CfnBackupVault;
      cfn.notifications = { snsTopicArn: (sensitive && this.sensitiveTopic ? this.sensitiveTopic : this.topic).topicArn, backupVaultEvents: VAULT_NOTIFICATION_EVENTS };
    }

    if (props.malwareScanning) {
      // Every finished scan, kept for the dashboard's list of recent results (alerts go through the rules above).
      this.scanResults = operationalLogGroup(this, 'ScanResults', 'Scan job events: recovery point ARNs, states and results, no data');
      const logArn = this.scanResults.logGroupArn;
      // The log group's own resource policy lets EventBridge write to it (aws-cdk-lib's target would add a custom resource for that).
      new logs.ResourcePolicy(this, 'ScanResultsPolicy', {
        policyStatements: [
          new iam.PolicyStatement({
            principals: [new iam.ServicePrincipal('events.amazonaws.com'), new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
            actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            resources: [`${logArn}`],
          }),
        ],
      });
      new events.Rule(this, 'ScanResultsToLog', {
        description: 'Every finished malware scan of a recovery point, for the dashboard',
        eventPattern: eventPatternOf(SCAN_RESULT_PATTERN),
        targets: [{ bind: () => ({ arn: logArn }) }],
      });
    }

    if (props.escalation && this.escalationTopic) {
      this.systemicFailureFunction = this.systemicFailureCheck(props.escalation, props.copyingCategories ?? [], prefix, this.escalationTopic);
    }

    if (props.freshness && Object.keys(props.freshness).length > 0) {
      this.freshnessFunction = this.freshnessCheck(props.freshness, props.settings.freshnessMarginHours, prefix, props.vaults.map((v) => v.vault.backupVaultName));
    }
    this.dashboard = this.buildDashboard(prefix, Object.keys(props.freshness ?? {}));
  }

  /** Adds an alarm of another construct (the Cognito export, say) to the dashboard's alarm list. */
  addAlarm(alarm: cloudwatch.Alarm): void {
    this.alarms.push(alarm);
  }

  /** Name of the alarm that fires when a category's recovery points are stale. */
  staleAlarmName(category: string): string | undefined {
    return this.staleAlarmNames.get(category);
  }

  private alertTopic(id: string, displayName: string, emails: readonly string[], endpoints: readonly string[]): sns.Topic {
    const topic = new sns.Topic(this, id, { displayName, masterKey: this.key, enforceSSL: true });
    for (const statement of alertTopicStatements(topic.topicArn)) topic.addToResourcePolicy(iam.PolicyStatement.fromJson(statement));
    for (const address of emails) topic.addSubscription(new subscriptions.EmailSubscription(address));
    for (const url of endpoints) topic.addSubscription(new subscriptions.UrlSubscription(url, { protocol: sns.SubscriptionProtocol.HTTPS }));
    return topic;
  }

  private jobRule(rule: JobAlertRule, topic: sns.ITopic): events.Rule {
    return alertRule(this, rule, topic);
  }

  /** The role of a read-only monitoring function: the list calls it needs, and writing to its own log group. */
  private readOnlyFunctionRole(id: string, props: { description: string; logContents: string; actions: string[]; why: string }): { role: iam.Role; logGroup: logs.ILogGroup } {
    const role = new iam.Role(this, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: props.description });
    const logGroup = operationalLogGroup(this, `${id}Logs`, props.logContents);
    role.addToPolicy(new iam.PolicyStatement({ actions: props.actions, resources: ['*'] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    const logGroupLogicalId = (Stack.of(this).resolve(logGroup.logGroupArn) as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    acknowledge(
      role.node.findChild('DefaultPolicy'),
      { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: props.why },
      { id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${logGroupLogicalId}.Arn>:*]`, reason: "Log streams of the function's own log group, whose names are not known in advance." },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy', reason: 'Read-only permissions of this one function, kept with its role.' },
    );
    return { role, logGroup };
  }

  /**
   * Counts, on every failed backup or copy job (and every five minutes, so the count falls back),
   * the distinct resources failing in the window and the categories failing their copies; two alarms
   * on those counts escalate.
   */
  private systemicFailureCheck(escalation: EscalationSettings, copyingCategories: readonly string[], prefix: string, topic: sns.Topic): lambda.Function {
    const { role, logGroup } = this.readOnlyFunctionRole('SystemicFailures', {
      description: 'Lists failed backup and copy jobs and the backup plans',
      logContents: 'The log holds resource ARNs and counts of failed jobs, no data',
      actions: ['backup:ListBackupJobs', 'backup:ListCopyJobs', 'backup:ListBackupPlans'],
      why: 'ListBackupJobs, ListCopyJobs and ListBackupPlans support no resource-level permissions; all are read-only.',
    });
    const fn = handlerFunction(this, 'SystemicFailures', {
      handler: 'systemic-failures',
      serviceName: SYSTEMIC_FAILURE_METRICS.service,
      memorySize: 256,
      timeout: Duration.minutes(2),
      role,
      logGroup,
      description: 'Counts the distinct resources whose backup or copy jobs failed in the escalation window',
      environment: SYSTEMIC_FAILURES_ENVIRONMENT.encode({ WINDOW_MINUTES: escalation.windowMinutes, COPYING_CATEGORIES: [...copyingCategories] }),
      // Runs at once are the same count: one at a time is enough, the others are dropped as throttled.
      reservedConcurrentExecutions: 1,
    });
    acknowledge(
      fn,
      { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC', reason: 'The function calls only AWS Backup APIs and reads no data; it needs no network access to resources in a VPC.' },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ', reason: 'Each run recounts the whole window from AWS Backup; a lost run is repeated by the next event or the five-minute schedule.' },
    );
    new events.Rule(this, 'SystemicFailuresOnJobFailure', {
      description: 'Recounts the failed resources on every failed backup or copy job',
      eventPattern: { source: ['aws.backup'], detailType: ['Backup Job State Change', 'Copy Job State Change'], detail: { state: JOB_FAILURE_STATES } },
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 2 })],
    });
    new events.Rule(this, 'SystemicFailuresSchedule', {
      description: 'Recounts the failed resources every five minutes, so the count falls back as the window moves on',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 1 })],
    });
    const metric = (metricName: string) =>
      new cloudwatch.Metric({ namespace: SYSTEMIC_FAILURE_METRICS.namespace, metricName, dimensionsMap: { service: SYSTEMIC_FAILURE_METRICS.service }, statistic: 'Maximum', period: Duration.minutes(5) });
    const systemic = new cloudwatch.Alarm(this, 'SystemicFailure', {
      alarmName: `${prefix}-systemic-backup-failure`,
      alarmDescription: `Backup or copy jobs of at least ${escalation.minResources} distinct resources failed within ${escalation.windowMinutes} minutes: something they share is broken (role, key, vault, quota, an AWS event)`,
      metric: metric(SYSTEMIC_FAILURE_METRICS.failedResources),
      threshold: escalation.minResources,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    systemic.addAlarmAction(new actions.SnsAction(topic));
    this.alarms.push(systemic);
    if (copyingCategories.length > 1) {
      const broken = new cloudwatch.Alarm(this, 'BrokenCopyDestination', {
        alarmName: `${prefix}-copy-destination-broken`,
        alarmDescription: `Copies to the backup account failed for every category that copies (${copyingCategories.join(', ')}) within ${escalation.windowMinutes} minutes: the destination vault, its key or its policy is broken`,
        metric: metric(SYSTEMIC_FAILURE_METRICS.categoriesFailingCopy),
        threshold: copyingCategories.length,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      broken.addAlarmAction(new actions.SnsAction(topic));
      this.alarms.push(broken);
    }
    const errors = new cloudwatch.Alarm(this, 'SystemicFailuresErrors', {
      alarmName: `${prefix}-systemic-failure-check-errors`,
      alarmDescription: 'The systemic-failure count failed: failures are not being escalated',
      metric: fn.metricErrors({ period: Duration.minutes(15), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    errors.addAlarmAction(new actions.SnsAction(this.topic));
    this.alarms.push(errors);
    return fn;
  }

  private freshnessCheck(categories: NonNullable<BackupMonitoringProps['freshness']>, marginHours: number, prefix: string, vaultNames: string[]): lambda.Function {
    const { role, logGroup } = this.readOnlyFunctionRole('Freshness', {
      description: 'Reads backup plans, selections, recovery points and copy jobs',
      logContents: 'The log holds resource ARNs, recovery point ages and counts, no data',
      // tag:GetResources lists what tag-based selections select (tag conditions, an organization backup policy).
      actions: [
        'backup:ListBackupPlans',
        'backup:ListBackupSelections',
        'backup:GetBackupSelection',
        'backup:ListRecoveryPointsByResource',
        'backup:ListRecoveryPointsByBackupVault',
        'backup:ListCopyJobs',
        'backup:ListBackupJobs',
        'tag:GetResources',
      ],
      why: 'The AWS Backup list operations the check uses (ListBackupPlans, ListCopyJobs, ...) and tag:GetResources support no resource-level permissions; all are read-only.',
    });
    const fn = handlerFunction(this, 'FreshnessCheck', {
      handler: 'freshness-check',
      serviceName: FRESHNESS_METRICS.service,
      memorySize: 256,
      timeout: Duration.minutes(5),
      role,
      logGroup,
      description: 'Checks that every protected resource has a recovery point (and a copy) within its RPO',
      environment: FRESHNESS_CHECK_ENVIRONMENT.encode({
        CATEGORIES: Object.fromEntries(
          Object.entries(categories).map(([c, { rpoHours, copies, schedule, startWindowMinutes, completionWindowMinutes }]) => [c, { rpoHours, copies, schedule, startWindowMinutes, completionWindowMinutes }]),
        ),
        MARGIN_HOURS: marginHours,
        SLOW_JOB_SHARE: DEFAULT_SLOW_JOB_SHARE,
        VAULTS: vaultNames,
        RETENTION_DAYS: Object.fromEntries(Object.entries(categories).flatMap(([c, { retentionDays }]) => (retentionDays ? [[c, retentionDays]] : []))),
      }),
      // One run at a time is all an hourly check needs.
      reservedConcurrentExecutions: 1,
    });
    acknowledge(
      fn,
      { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC', reason: 'The check calls only AWS Backup APIs and reads no data; it needs no network access to resources in a VPC.' },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ', reason: 'Invoked by an hourly schedule with retries; failures raise the errors alarm and the missed-runs alarm, and the next run repeats the whole check.' },
    );
    new events.Rule(this, 'FreshnessSchedule', {
      description: 'Runs the recovery point freshness check every hour',
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 2 })],
    });

    const failing = new cloudwatch.Alarm(this, 'FreshnessCheckErrors', {
      alarmName: `${prefix}-freshness-check-errors`,
      alarmDescription: 'The freshness check failed: recovery point age is not being watched',
      metric: fn.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const missed = new cloudwatch.Alarm(this, 'FreshnessCheckMissedRuns', {
      alarmName: `${prefix}-freshness-check-missed-runs`,
      alarmDescription: 'The hourly freshness check has not run for two hours',
      metric: fn.metricInvocations({ period: Duration.hours(1), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    for (const alarm of [failing, missed]) {
      alarm.addAlarmAction(new actions.SnsAction(this.topic));
      this.alarms.push(alarm);
    }

    for (const [category, { enhancedMonitoring, rpoHours }] of Object.entries(categories)) {
      const alarmName = `${prefix}-stale-${category}`;
      const alarm = new cloudwatch.Alarm(this, `Stale${category.replace(/(^|_)(\w)/g, (_m, _s, c: string) => c.toUpperCase())}`, {
        alarmName,
        alarmDescription: `A ${category} resource has no recovery point (or copy) newer than ${rpoHours + marginHours} hours (RPO ${rpoHours} h + ${marginHours} h margin): see the freshness check's log or run \`retention status\``,
        metric: new cloudwatch.Metric({
          namespace: FRESHNESS_METRICS.namespace,
          metricName: FRESHNESS_METRICS.staleResources,
          dimensionsMap: { [FRESHNESS_METRICS.dimension]: category, service: FRESHNESS_METRICS.service },
          statistic: 'Maximum',
          period: Duration.hours(1),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new actions.SnsAction(enhancedMonitoring && this.sensitiveTopic ? this.sensitiveTopic : this.topic));
      this.alarms.push(alarm);
      this.staleAlarmNames.set(category, alarmName);
      const id = category.replace(/(^|_)(\w)/g, (_m, _s, c: string) => c.toUpperCase());
      const target = categories[category];
      const perCategory = (metricName: string) =>
        new cloudwatch.Metric({ namespace: FRESHNESS_METRICS.namespace, metricName, dimensionsMap: { [FRESHNESS_METRICS.dimension]: category, service: FRESHNESS_METRICS.service }, statistic: 'Maximum', period: Duration.hours(1) });
      const extra: cloudwatch.Alarm[] = [];
      if (target.completionWindowMinutes !== undefined) {
        extra.push(
          new cloudwatch.Alarm(this, `Slow${id}`, {
            alarmName: `${prefix}-slow-jobs-${category}`,
            alarmDescription: `A ${category} backup or copy job has run longer than ${Math.round(DEFAULT_SLOW_JOB_SHARE * 100)}% of its ${target.completionWindowMinutes}-minute completion window: AWS Backup cancels it at the window's end`,
            metric: perCategory(FRESHNESS_METRICS.slowJobs),
            threshold: 1,
            evaluationPeriods: 1,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
        );
      }
      if (target.schedule !== undefined && target.startWindowMinutes !== undefined) {
        extra.push(
          new cloudwatch.Alarm(this, `MissedStart${id}`, {
            alarmName: `${prefix}-missed-start-${category}`,
            alarmDescription: `A ${category} resource got no backup job at its last scheduled run (${target.schedule}, ${target.startWindowMinutes}-minute start window): the plan did not run for it`,
            metric: perCategory(FRESHNESS_METRICS.missedStarts),
            threshold: 1,
            evaluationPeriods: 1,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
        );
      }
      for (const a of extra) {
        a.addAlarmAction(new actions.SnsAction(enhancedMonitoring && this.sensitiveTopic ? this.sensitiveTopic : this.topic));
        this.alarms.push(a);
      }
    }
    return fn;
  }

  private buildDashboard(prefix: string, categories: string[]): cloudwatch.Dashboard {
    const backupMetric = (metricName: string, label: string) => new cloudwatch.Metric({ namespace: 'AWS/Backup', metricName, statistic: 'Sum', period: Duration.hours(1), label });
    const perCategory = (metricName: string, statistic: string) =>
      categories.map(
        (category) =>
          new cloudwatch.Metric({
            namespace: FRESHNESS_METRICS.namespace,
            metricName,
            dimensionsMap: { [FRESHNESS_METRICS.dimension]: category, service: FRESHNESS_METRICS.service },
            statistic,
            period: Duration.hours(1),
            label: category,
          }),
      );
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: `${prefix}-backups`.replace(/[^\w-]/g, '-') });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Backup jobs',
        left: [backupMetric('NumberOfBackupJobsCompleted', 'completed'), backupMetric('NumberOfBackupJobsFailed', 'failed'), backupMetric('NumberOfBackupJobsExpired', 'expired')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Copy jobs (to the backup account)',
        left: [backupMetric('NumberOfCopyJobsCompleted', 'completed'), backupMetric('NumberOfCopyJobsFailed', 'failed')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Restore jobs',
        left: [backupMetric('NumberOfRestoreJobsCompleted', 'completed'), backupMetric('NumberOfRestoreJobsFailed', 'failed')],
        width: 8,
      }),
    );
    if (categories.length > 0) {
      dashboard.addWidgets(
        new cloudwatch.GraphWidget({ title: 'Oldest newest-recovery-point age per category (hours)', left: perCategory(FRESHNESS_METRICS.oldestRecoveryPointAgeHours, 'Maximum'), width: 12 }),
        new cloudwatch.GraphWidget({ title: 'Stale resources per category', left: perCategory(FRESHNESS_METRICS.staleResources, 'Maximum'), width: 12 }),
        new cloudwatch.GraphWidget({ title: 'Oldest running backup or copy job per category (minutes)', left: perCategory(FRESHNESS_METRICS.oldestRunningJobMinutes, 'Maximum'), width: 12 }),
        new cloudwatch.GraphWidget({ title: 'Resources the last scheduled run skipped, per category', left: perCategory(FRESHNESS_METRICS.missedStarts, 'Maximum'), width: 12 }),
        new cloudwatch.GraphWidget({
          title: 'Recovery points per category and tier (GB)',
          left: [
            new cloudwatch.MathExpression({
              expression: `SEARCH('{${FRESHNESS_METRICS.namespace},${FRESHNESS_METRICS.dimension},Tier,Vault,service} MetricName="${FRESHNESS_METRICS.recoveryPointGigabytes}"', 'Maximum', 3600)`,
              label: '',
              period: Duration.hours(1),
            }),
          ],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Retention compliance: recovery points past their retention, or without a deletion date',
          left: [
            new cloudwatch.MathExpression({
              expression: `SEARCH('{${FRESHNESS_METRICS.namespace},${FRESHNESS_METRICS.dimension},Vault,service} MetricName="${FRESHNESS_METRICS.overRetention}" OR MetricName="${FRESHNESS_METRICS.withoutLifecycle}"', 'Maximum', 3600)`,
              label: '',
              period: Duration.hours(1),
            }),
          ],
          width: 12,
        }),
      );
    }
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Recovery points stored',
        left: [backupMetric('NumberOfRecoveryPointsWarm', 'warm'), backupMetric('NumberOfRecoveryPointsCold', 'cold')],
        width: 12,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Backup alarms', alarms: this.alarms, width: 12 }),
    );
    if (this.scanResults) {
      dashboard.addWidgets(
        new cloudwatch.LogQueryWidget({
          title: 'Malware scans of recovery points (latest 50)',
          logGroupNames: [this.scanResults.logGroupName],
          queryLines: ['fields @timestamp, detail.resourceArn, detail.state, detail.scanResult.scanResultStatus, detail.recoveryPointArn', 'sort @timestamp desc', 'limit 50'],
          width: 24,
        }),
      );
    }
    return dashboard;
  }
}
