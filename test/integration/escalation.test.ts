import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceApp, synthesize } from '../support/apps';
import { type BackupStub, startBackupStub } from '../support/backup-stub';
import { type Deployment } from '../support/cfn';
import { matchesPattern } from '../support/event-pattern';
import { LOCAL_CREDENTIALS } from '../support/servers';
import { LocalStateMachines } from '../support/state-machines';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '../fixtures/events', `${name}.json`), 'utf8'));
const table = (name: string) => `arn:aws:dynamodb:us-east-1:111111111111:table/${name}`;

type Resource = { Type: string; Properties: Record<string, any> };

/**
 * AWS's sample failed-job events delivered through the deployed rules: the alert rule raises one
 * alert; the systemic-failure function's bundle counts the failed resources AWS Backup (stubbed)
 * lists, and the deployed alarm's own threshold decides whether it escalates.
 */
describe('escalation of systemic failures, from AWS\'s sample failed-job event (AWS Backup stubbed)', () => {
  let backup: BackupStub;
  let infrastructure: LocalStateMachines;
  let d: Deployment & { directory: string };
  let failedJobs: { ResourceArn: string; BackupJobId: string }[] = [];
  let failedCopies: { ResourceArn: string; CopyJobId: string; CreatedBy: { BackupPlanId: string } }[] = [];
  const now = Date.now() / 1000;
  const copying: string[] = [];

  beforeAll(async () => {
    backup = await startBackupStub([
      [/^\/backup-jobs\/?$/, (_m, _b, query) => ({ BackupJobs: query.get('state') === 'FAILED' ? failedJobs.map((j) => ({ ...j, State: 'FAILED', CreationDate: now - 600 })) : [] })],
      [/^\/copy-jobs\/?$/, (_m, _b, query) => ({ CopyJobs: query.get('state') === 'FAILED' ? failedCopies.map((j) => ({ ...j, State: 'FAILED', CreationDate: now - 600 })) : [] })],
      [/^\/backup\/plans\/?$/, () => ({ BackupPlansList: copying.map((c) => ({ BackupPlanId: `plan-${c}`, BackupPlanName: `Persistent-${c}` })) })],
    ]);
    d = synthesize(referenceApp());
    // The categories that copy, as the deployed function is told them.
    const fn = Object.values(d.templates.BackupInfrastructure.Resources as Record<string, Resource>).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.COPYING_CATEGORIES)!;
    copying.push(...(JSON.parse(fn.Properties.Environment.Variables.COPYING_CATEGORIES) as string[]));
    infrastructure = new LocalStateMachines(d.directory, 'BackupInfrastructure', d, {
      environment: {
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_BACKUP: backup.endpoint,
        POWERTOOLS_METRICS_DISABLED: 'true',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await infrastructure?.stop();
    await new Promise<void>((resolve) => backup?.server.close(() => resolve()));
  });

  const resources = () => d.templates.BackupInfrastructure.Resources as Record<string, Resource>;
  const alarm = (name: string) => Object.values(resources()).find((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.AlarmName === `BackupInfrastructure-${name}`)!.Properties;
  /** The deployed alarm's verdict on a value its metric receives. */
  const inAlarm = (name: string, value: number) => {
    const { Threshold, ComparisonOperator } = alarm(name);
    expect(ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
    return value >= Threshold;
  };
  const ruleNamed = (prefix: string) => Object.entries(resources()).find(([id, r]) => r.Type === 'AWS::Events::Rule' && id.startsWith(prefix))![1].Properties;
  const event = fixture('backup-job-failed');

  it('one failed resource: the alert rule raises an alert, and the count stays under the escalation threshold', async () => {
    expect(matchesPattern(ruleNamed('MonitoringBackupJobFailed').EventPattern, event)).toBe(true);
    failedJobs = [{ ResourceArn: table('ProviderTable'), BackupJobId: 'j1' }];
    const [result] = await infrastructure.deliver('MonitoringSystemicFailuresOnJobFailure', event);
    expect(result).toEqual({ failedResources: 1, categoriesFailingCopy: 0, failedJobs: 1 });
    expect(inAlarm('systemic-backup-failure', result.failedResources)).toBe(false);
  });

  it('three distinct resources in the window escalate; one resource failing three times does not', async () => {
    failedJobs = [table('ProviderTable'), table('StaffUsersTable'), table('TransactionHistoryTable')].map((ResourceArn, i) => ({ ResourceArn, BackupJobId: `j${i}` }));
    const [three] = await infrastructure.deliver('MonitoringSystemicFailuresOnJobFailure', event);
    expect(three.failedResources).toBe(3);
    expect(inAlarm('systemic-backup-failure', three.failedResources)).toBe(true);
    failedJobs = [1, 2, 3].map((i) => ({ ResourceArn: table('ProviderTable'), BackupJobId: `retry${i}` }));
    const [retries] = await infrastructure.deliver('MonitoringSystemicFailuresOnJobFailure', event);
    expect(retries).toMatchObject({ failedResources: 1, failedJobs: 3 });
    expect(inAlarm('systemic-backup-failure', retries.failedResources)).toBe(false);
  });

  it('copies of every copying category failing at once escalate as a broken destination; one category failing does not', async () => {
    failedJobs = [];
    expect(copying).toEqual(expect.arrayContaining(['critical_data', 'ssn_data', 'relational_data']));
    failedCopies = copying.map((c, i) => ({ ResourceArn: table(`T${i}`), CopyJobId: `c${i}`, CreatedBy: { BackupPlanId: `plan-${c}` } }));
    const [all] = await infrastructure.deliver('MonitoringSystemicFailuresOnJobFailure', fixture('copy-job-failed'));
    expect(all.categoriesFailingCopy).toBe(copying.length);
    expect(inAlarm('copy-destination-broken', all.categoriesFailingCopy)).toBe(true);
    failedCopies = failedCopies.slice(0, 1);
    const [one] = await infrastructure.deliver('MonitoringSystemicFailuresOnJobFailure', fixture('copy-job-failed'));
    expect(inAlarm('copy-destination-broken', one.categoriesFailingCopy)).toBe(false);
  });

  it('asks AWS Backup for the jobs of the window only, each failure state on its own', () => {
    const listings = backup.requests.filter((r) => r.path.startsWith('/backup-jobs'));
    expect(new Set(listings.map((r) => r.query.get('state')))).toEqual(new Set(['FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL']));
    const after = new Date(listings[0].query.get('createdAfter')!).getTime();
    expect(Date.now() - after).toBeGreaterThan(59 * 60_000);
    expect(Date.now() - after).toBeLessThan(5 * 60 * 60_000);
    expect(new Set(backup.requests.filter((r) => r.path.startsWith('/copy-jobs')).map((r) => r.query.get('state')))).toEqual(new Set(['FAILED', 'PARTIAL']));
  });
});
