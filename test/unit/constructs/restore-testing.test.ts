import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { RestoreTestResource, RestoreTesting } from '../../../packages/retention-kit/src/constructs/restore-testing';
import { BackupInfrastructureStack } from '../../../packages/retention-kit/src/stacks/backup-infrastructure-stack';
import { REFERENCE_CONTEXT, referenceApp, synthesize } from '../../support/apps';
import { type Deployment, resolve } from '../../support/cfn';
import { matchesPattern } from '../../support/event-pattern';
import { evaluate } from '../../support/iam';

const ACCOUNT = '111111111111';
const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '../../fixtures/events', name), 'utf8')) as unknown;

describe('RestoreTesting in the reference app', () => {
  let deployment: Deployment & { directory: string };
  let resources: Record<string, any>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  beforeAll(() => {
    deployment = synthesize(referenceApp());
    resources = deployment.templates.Persistent.Resources;
  });

  it('has one restore testing plan per tested category, on the general vault, weekly, and none for ssn_data', () => {
    const plans = ofType('AWS::Backup::RestoreTestingPlan').map(([, r]) => resolve(deployment, r.Properties));
    expect(plans.map((plan) => plan.RestoreTestingPlanName).sort()).toEqual(['Persistent_configuration_data', 'Persistent_critical_data', 'Persistent_document_storage', 'Persistent_relational_data']);
    for (const plan of plans) {
      expect(plan.ScheduleExpression).toBe('cron(0 5 ? * MON *)');
      expect(plan.RecoveryPointSelection).toMatchObject({ Algorithm: 'RANDOM_WITHIN_WINDOW', RecoveryPointTypes: ['SNAPSHOT'], SelectionWindowDays: 7 });
      expect(plan.RecoveryPointSelection.IncludeVaults).toHaveLength(1);
      expect(plan.RecoveryPointSelection.IncludeVaults[0]).toMatch(/:backup-vault:.*BackupVault$/);
      expect(plan.RecoveryPointSelection.IncludeVaults[0]).not.toMatch(/Sensitive|SSN/);
    }
  });

  it('selects the named resources by type with the general role, a validation window and, for Aurora, its own subnet group', () => {
    // ARNs and overrides stay as template expressions: the cluster's and subnet group's names are generated.
    const selections = ofType('AWS::Backup::RestoreTestingSelection').map(([, r]) => ({
      ...r.Properties,
      IamRoleArn: resolve(deployment, r.Properties.IamRoleArn),
      arns: JSON.stringify(r.Properties.ProtectedResourceArns),
      dependsOn: r.DependsOn,
    }));
    const byType = Object.fromEntries(selections.map((s) => [s.ProtectedResourceType, s]));
    expect(Object.keys(byType).sort()).toEqual(['Aurora', 'DynamoDB', 'S3']);
    expect(selections).toHaveLength(4);
    for (const selection of selections) {
      expect(selection.IamRoleArn).toMatch(/^arn:aws:iam::111111111111:role\//);
      expect(selection.ValidationWindowHours).toBe(4);
      expect(selection.dependsOn).toHaveLength(1);
    }
    expect(byType.DynamoDB.arns).toMatch(/"Fn::GetAtt":\["(ProviderTable|CompactConfigurationTable)[0-9A-F]+","Arn"\]/);
    expect(byType.S3.arns).toMatch(/"Fn::GetAtt":\["ProviderUsersBucket[0-9A-F]+","Arn"\]/);
    expect(byType.Aurora.arns).toContain(':cluster:",{"Ref":"LicensingDatabase');
    expect(JSON.stringify(byType.Aurora.RestoreMetadataOverrides.dbsubnetgroupname)).toMatch(/"Ref":"LicensingDatabaseSubnets/);
    expect(Object.keys(byType.Aurora.RestoreMetadataOverrides).sort()).toEqual(['dbsubnetgroupname', 'vpcsecuritygroupids']);
  });

  it('runs the validation function for completed restore jobs only', () => {
    const rule = ofType('AWS::Events::Rule').find(([id]) => id.startsWith('RestoreTestingRestoreCompleted'))![1];
    const pattern = rule.Properties.EventPattern;
    expect(matchesPattern(pattern, fixture('restore-job-completed.json'))).toBe(true);
    expect(matchesPattern(pattern, fixture('restore-job-running.json'))).toBe(false);
    expect(matchesPattern(pattern, fixture('restore-job-failed.json'))).toBe(false);
    expect(rule.Properties.Targets[0].RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 7200, MaximumRetryAttempts: 4 });
  });

  it('tells the function each plan with its category and RTO', () => {
    const fn = ofType('AWS::Lambda::Function').find(([, r]) => String(r.Properties.Description).startsWith('Validates restore tests'))![1];
    const plans = JSON.parse(fn.Properties.Environment.Variables.RESTORE_TEST_PLANS) as Record<string, { category: string; rtoHours: number }>;
    expect(plans.Persistent_critical_data).toEqual({ category: 'critical_data', rtoHours: 4 });
    expect(Object.keys(plans)).toHaveLength(4);
  });

  it('alarms per category when a restore takes longer than the RTO, or fails validation, to the alert topic', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties).filter((a) => String(a.AlarmName).includes('restore-'));
    expect(alarms).toHaveLength(8);
    const overRto = alarms.find((a) => a.AlarmName === 'Persistent-critical_data-restore-over-rto');
    expect(overRto).toMatchObject({ MetricName: 'RestoreDurationSeconds', Namespace: 'RetentionKit/RestoreTesting', Statistic: 'Maximum', Threshold: 14400, ComparisonOperator: 'GreaterThanThreshold' });
    expect(overRto.Dimensions).toEqual(expect.arrayContaining([{ Name: 'Category', Value: 'critical_data' }]));
    for (const alarm of alarms) expect(alarm.AlarmActions).toHaveLength(1);
  });

  describe("the validation function's permissions, evaluated", () => {
    let policies: unknown[];
    const principal = `arn:aws:iam::${ACCOUNT}:role/RestoreTestingValidationRole`;
    const decide = (action: string, resource: string) => evaluate({ principal, action, resource, resourceAccount: ACCOUNT, identityPolicies: policies });

    beforeAll(() => {
      const [roleId, role] = ofType('AWS::IAM::Role').find(([id]) => id.startsWith('RestoreTestingValidationRole'))!;
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      policies = ofType('AWS::IAM::Policy')
        .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
        .map(([, p]) => resolve(deployment, p.Properties.PolicyDocument));
    });

    it('may read restore jobs, report their validation, and count restored tables, buckets and databases', async () => {
      // Neither call has resource-level permissions: IAM evaluates them against "*".
      expect(await decide('backup:DescribeRestoreJob', '*')).toBe('Allowed');
      expect(await decide('backup:PutRestoreValidationResult', '*')).toBe('Allowed');
      const restoredTable = `arn:aws:dynamodb:${deployment.region}:${ACCOUNT}:table/awsbackup-restore-test-1234`;
      expect(await decide('dynamodb:Scan', restoredTable)).toBe('Allowed');
      expect(await decide('dynamodb:DescribeTable', restoredTable)).toBe('Allowed');
      expect(await decide('s3:ListBucket', 'arn:aws:s3:::awsbackup-restore-test-1234')).toBe('Allowed');
      expect(await decide('rds:DescribeDBClusters', `arn:aws:rds:${deployment.region}:${ACCOUNT}:cluster:awsbackup-restore-test`)).toBe('Allowed');
    });

    it('may not change or read the content of any table, bucket or backup', async () => {
      const table = `arn:aws:dynamodb:${deployment.region}:${ACCOUNT}:table/ProviderTable`;
      for (const action of ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:DeleteTable', 'dynamodb:GetItem', 'dynamodb:ExportTableToPointInTime']) expect(await decide(action, table), action).toBe('ImplicitlyDenied');
      for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) expect(await decide(action, 'arn:aws:s3:::awsbackup-restore-test-1234/a'), action).toBe('ImplicitlyDenied');
      expect(await decide('s3:DeleteBucket', 'arn:aws:s3:::awsbackup-restore-test-1234')).toBe('ImplicitlyDenied');
      const recoveryPoint = `arn:aws:backup:${deployment.region}:${ACCOUNT}:recovery-point:1`;
      for (const action of ['backup:StartRestoreJob', 'backup:DeleteRecoveryPoint']) expect(await decide(action, recoveryPoint), action).toBe('ImplicitlyDenied');
      expect(await decide('dynamodb:Scan', `arn:aws:dynamodb:${deployment.region}:222222222222:table/other`)).toBe('ImplicitlyDenied');
    });

    it('may not scan, describe or list the protected tables and buckets themselves: only what restore tests create', async () => {
      for (const table of ['ProviderTable', 'CompactConnect-SSNTable', 'restore-test-lookalike']) {
        expect(await decide('dynamodb:Scan', `arn:aws:dynamodb:${deployment.region}:${ACCOUNT}:table/${table}`), table).toBe('ImplicitlyDenied');
      }
      expect(await decide('s3:ListBucket', 'arn:aws:s3:::provider-users-documents')).toBe('ImplicitlyDenied');
    });
  });
});

describe('RestoreTesting validation', () => {
  it('refuses, naming every problem at once: no resources tested, a sensitive-vault category, and windows out of range', () => {
    const app = new App({ context: REFERENCE_CONTEXT });
    const infrastructure = new BackupInfrastructureStack(app, 'Infra', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const stack = new Stack(app, 'Data', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const table = new dynamodb.Table(stack, 'SSN', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    expect(() => new RestoreTesting(stack, 'Tests', { backup: infrastructure, resources: [RestoreTestResource.fromTable(table, 'ssn_data')], selectionWindow: Duration.days(400), validationWindow: Duration.hours(0) })).toThrow(
      /Data\/Tests: restore testing is not valid:\n {2}- selectionWindow must be whole days from 1 to 365, got 400 days\n {2}- validationWindow must be whole hours from 1 to 168 .*got 0 hours\n {2}- Data\/SSN: category "ssn_data" keeps its recovery points in the sensitive vault/,
    );
    expect(() => new RestoreTesting(stack, 'Empty', { backup: infrastructure, resources: [] })).toThrow('resources is empty; name at least one resource to restore-test');
  });
});
