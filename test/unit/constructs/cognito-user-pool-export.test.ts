import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { NIST80053R5Checks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { COGNITO_EXPORT_ACTIONS, CognitoUserPoolExport } from '../../../packages/retention-kit/src/constructs/cognito-user-pool-export';
import { protectionReport } from '../../../packages/retention-kit-cli/src/report/protection-report';
import { checkAssembly } from '../../../packages/retention-kit-cli/src/report/check';
import { BackupInfrastructureStack } from '../../../packages/retention-kit/src/stacks/backup-infrastructure-stack';
import { REFERENCE_CONTEXT, referenceApp, synthError, synthesize, tempDir } from '../../support/apps';
import { type Deployment, resolve } from '../../support/cfn';
import { evaluate } from '../../support/iam';

const ACCOUNT = '111111111111';

describe('CognitoUserPoolExport in the reference app', () => {
  let deployment: Deployment & { directory: string };
  let resources: Record<string, any>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const one = (type: string, pathPart: string) => {
    const found = ofType(type).filter(([, r]) => String(r.Metadata?.['aws:cdk:path']).includes(pathPart));
    expect(found, `${type} at ${pathPart}`).toHaveLength(1);
    return { logicalId: found[0][0], resource: found[0][1] };
  };

  beforeAll(() => {
    deployment = synthesize(referenceApp());
    resources = deployment.templates.Persistent.Resources;
  });

  it('the export bucket is versioned, KMS-encrypted, TLS-only, private, access-logged, and protected as export_data', () => {
    const { logicalId, resource } = one('AWS::S3::Bucket', 'UserPoolExport/Bucket/');
    const props = resource.Properties;
    expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(props.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
    expect(props.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(props.LoggingConfiguration?.DestinationBucketName).toBeDefined();
    const [, policy] = ofType('AWS::S3::BucketPolicy').find(([, r]) => r.Properties.Bucket.Ref === logicalId)!;
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');

    const report = protectionReport(deployment.directory);
    const bucketRow = report.rows.find((row) => row.logicalId === logicalId)!;
    expect(bucketRow).toMatchObject({ status: 'protected', category: 'export_data', retentionDays: 90 });
    expect(bucketRow.copyDestination).toMatch(/^arn:aws:backup:us-west-2:222222222222:backup-vault:/);
  });

  it('both user pools are reported as exported (not excluded), each naming its export bucket and failure alarm', () => {
    const report = protectionReport(deployment.directory);
    const pools = report.rows.filter((row) => row.resourceType === 'Cognito user pool');
    expect(pools.map((row) => [row.path, row.status, row.category])).toEqual([
      ['Persistent/StaffUsers', 'exported', 'export_data'],
      ['Persistent/ProviderUsers', 'exported', 'export_data'],
    ]);
    expect(pools[0].exportBucket).toBe('Persistent/UserPoolExport/Bucket');
    expect(pools[0].failureAlarm).toBe('Persistent-UserPoolExport-failed');
    expect(report.summary.exported).toBe(2);
    expect(checkAssembly(deployment.directory, report)).toEqual([]);
  });

  describe("the function's permissions, evaluated", () => {
    let policies: unknown[];
    let bucketArn: string;
    let poolArns: string[];
    const principal = `arn:aws:iam::${ACCOUNT}:role/UserPoolExportFunctionRole`;

    beforeAll(() => {
      const role = one('AWS::IAM::Role', 'UserPoolExport/FunctionRole/');
      policies = ofType('AWS::IAM::Policy')
        .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === role.logicalId))
        .map(([, p]) => resolve(deployment, p.Properties.PolicyDocument));
      expect(role.resource.Properties.ManagedPolicyArns).toBeUndefined();
      bucketArn = resolve(deployment, { 'Fn::GetAtt': [one('AWS::S3::Bucket', 'UserPoolExport/Bucket/').logicalId, 'Arn'] });
      poolArns = ['StaffUsers', 'ProviderUsers'].map((name) => resolve(deployment, { 'Fn::GetAtt': [one('AWS::Cognito::UserPool', `Persistent/${name}/`).logicalId, 'Arn'] }));
    });
    const decide = async (action: string, resource: string, context?: Record<string, string>) =>
      evaluate({ principal, action, resource, resourceAccount: ACCOUNT, identityPolicies: policies, context });

    it('may read both named pools with exactly the export calls', async () => {
      for (const pool of poolArns) {
        for (const action of COGNITO_EXPORT_ACTIONS) expect(await decide(action, pool), `${action} on ${pool}`).toBe('Allowed');
      }
    });

    it('may not read another pool, nor change any pool', async () => {
      expect(await decide('cognito-idp:ListUsers', `arn:aws:cognito-idp:us-east-1:${ACCOUNT}:userpool/us-east-1_Other`)).toBe('ImplicitlyDenied');
      for (const action of ['cognito-idp:AdminCreateUser', 'cognito-idp:AdminDeleteUser', 'cognito-idp:AdminSetUserPassword', 'cognito-idp:AdminGetUser', 'cognito-idp:DeleteUserPool']) {
        expect(await decide(action, poolArns[0]), action).toBe('ImplicitlyDenied');
      }
    });

    it('may write, read and delete only under the export prefix, and list only that prefix', async () => {
      expect(await decide('s3:PutObject', `${bucketArn}/cognito/pool/20261122T020000Z/manifest.json`)).toBe('Allowed');
      expect(await decide('s3:DeleteObject', `${bucketArn}/cognito/pool/checkpoint.json`)).toBe('Allowed');
      expect(await decide('s3:PutObject', `${bucketArn}/elsewhere/file`)).toBe('ImplicitlyDenied');
      expect(await decide('s3:ListBucket', bucketArn, { 's3:prefix': 'cognito/pool/' })).toBe('Allowed');
      expect(await decide('s3:ListBucket', bucketArn, { 's3:prefix': 'other/' })).toBe('ImplicitlyDenied');
      expect(await decide('s3:DeleteBucket', bucketArn)).toBe('ImplicitlyDenied');
      expect(await decide('s3:PutObject', `arn:aws:s3:::another-bucket/cognito/x`)).toBe('ImplicitlyDenied');
    });
  });

  it('the function is bundled, alone at a time, with the pools and bucket in its environment', () => {
    const { resource } = one('AWS::Lambda::Function', 'UserPoolExport/Function/');
    const props = resolve(deployment, resource.Properties);
    expect(props.Runtime).toBe('nodejs24.x');
    expect(props.Timeout).toBe(900);
    expect(props.ReservedConcurrentExecutions).toBe(1);
    expect(props.Environment.Variables.USER_POOL_IDS.split(',')).toHaveLength(2);
    expect(props.Environment.Variables.EXPORT_PREFIX).toBe('cognito');
  });

  it('a daily 02:00 UTC schedule starts the state machine, with a dead-letter queue and retries', () => {
    const [, rule] = ofType('AWS::Events::Rule').find(([, r]) => String(r.Metadata['aws:cdk:path']).includes('UserPoolExport/Schedule'))!;
    expect(rule.Properties.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    const target = rule.Properties.Targets[0];
    expect(target.Arn.Ref).toBe(one('AWS::StepFunctions::StateMachine', 'UserPoolExport/StateMachine/').logicalId);
    expect(target.DeadLetterConfig.Arn['Fn::GetAtt'][0]).toBe(one('AWS::SQS::Queue', 'UserPoolExport/ScheduleDeadLetters/').logicalId);
    expect(target.RetryPolicy.MaximumRetryAttempts).toBe(3);
    expect(JSON.parse(target.Input)).toEqual({ status: 'continue', completed: [], failed: [] });
  });

  it('the state machine loops the function until it answers complete, and fails when a pool failed', () => {
    const { resource } = one('AWS::StepFunctions::StateMachine', 'UserPoolExport/StateMachine/');
    const definition = JSON.parse(resolve(deployment, resource.Properties.DefinitionString));
    const choice = definition.States['Finished?'];
    expect(choice.Choices[0]).toEqual({ Variable: '$.status', StringEquals: 'continue', Next: 'ExportPools' });
    expect(choice.Choices[1]).toEqual({ Variable: '$.failed[0]', IsPresent: true, Next: 'PoolsFailed' });
    expect(choice.Default).toBe('Exported');
    expect(definition.States.ExportPools.Retry.some((r: { ErrorEquals: string[] }) => r.ErrorEquals.includes('States.TaskFailed'))).toBe(true);
    expect(resource.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(resource.Properties.LoggingConfiguration.Level).toBe('ALL');
  });

  it('alarms on failed runs, missed runs and dead letters go to the alert topic', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').filter(([, r]) => String(r.Metadata['aws:cdk:path']).includes('UserPoolExport/'));
    const byName: Record<string, any> = Object.fromEntries(alarms.map(([, r]) => [r.Properties.AlarmName, r.Properties]));
    expect(Object.keys(byName).sort()).toEqual(['Persistent-UserPoolExport-failed', 'Persistent-UserPoolExport-missed-runs', 'Persistent-UserPoolExport-schedule-dead-letters']);
    const missed = byName['Persistent-UserPoolExport-missed-runs'];
    expect([missed.ComparisonOperator, missed.TreatMissingData, missed.MetricName, missed.Period]).toEqual(['LessThanThreshold', 'breaching', 'ExecutionsSucceeded', 86400]);
    const failed = byName['Persistent-UserPoolExport-failed'];
    expect(failed.Metrics.map((m: { Id: string }) => m.Id)).toEqual(expect.arrayContaining(['aborted', 'failed', 'timedOut']));
    expect(failed.Metrics.find((m: { Expression?: string }) => m.Expression)?.Expression).toBe('failed + timedOut + aborted');
    expect(JSON.stringify(failed.Metrics)).toContain('ExecutionsFailed');
    for (const alarm of Object.values(byName)) expect(JSON.stringify(alarm.AlarmActions)).toContain('ImportValue');
  });
});

describe('CognitoUserPoolExport on its own', () => {
  const build = (configure: (stack: Stack, infra: BackupInfrastructureStack) => void) => {
    const app = new App({ context: REFERENCE_CONTEXT, outdir: tempDir('cognito-export') });
    const env = { account: ACCOUNT, region: 'us-east-1' };
    const infra = new BackupInfrastructureStack(app, 'Infra', { env });
    const stack = new Stack(app, 'Users', { env });
    configure(stack, infra);
    return app;
  };

  it('refuses an empty pool list and an unknown category, naming the fix', () => {
    expect(() => build((stack, infra) => new CognitoUserPoolExport(stack, 'Export', { userPools: [], backup: infra }))).toThrow(
      'Users/Export: userPools is empty; name at least one user pool to export',
    );
    expect(() =>
      build((stack, infra) => new CognitoUserPoolExport(stack, 'Export', { userPools: [new cognito.UserPool(stack, 'Pool')], backup: infra, category: 'exports' })),
    ).toThrow(/category exports is not in the retention policy; use one of critical_data, .*export_data/);
  });

  it('a user pool with neither an export nor an exclusion fails synth, naming the construct', () => {
    const app = build((stack) => new cognito.UserPool(stack, 'Forgotten'));
    expect(synthError(app)).toMatch(/Cognito user pool Users\/Forgotten\S* is neither protected nor excluded: Cognito has no AWS Backup support: export its users with CognitoUserPoolExport, or exclude it with a reason/);
  });

  it('passes the NIST 800-53 r5 pack with every acknowledgement reasoned', () => {
    const app = build((stack, infra) => new CognitoUserPoolExport(stack, 'Export', { userPools: [new cognito.UserPool(stack, 'Pool')], backup: infra }));
    Validations.of(app).addPlugins(new NIST80053R5Checks(app));
    const { directory } = app.synth();
    const report = JSON.parse(readFileSync(join(directory, 'validation-report.json'), 'utf8')) as { pluginReports: { pluginName: string; violations: unknown[]; suppressedViolations: { reason: string }[] }[] };
    const nist = report.pluginReports.find((r) => r.pluginName.includes('NIST'))!;
    expect(nist.violations).toEqual([]);
    for (const suppressed of nist.suppressedViolations) expect(suppressed.reason.length).toBeGreaterThan(30);
  });
});
