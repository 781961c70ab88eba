import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { AWS_BACKUP_QUOTAS, CategoryBackupPlans } from '../../../packages/retention-kit/src/constructs/category-plans';
import { BackupInfrastructureStack, Retention } from 'retention-kit';
import { type Deployment, resolve } from '../../support/cfn';
import { REFERENCE_CONTEXT, referenceApp, synthError, synthesize, tempDir } from '../../support/apps';

function appWithInfrastructure(): { app: App; infra: BackupInfrastructureStack; data: Stack } {
  const app = new App({ context: REFERENCE_CONTEXT, outdir: tempDir('plans') });
  const env = { account: '111111111111', region: 'us-east-1' };
  const infra = new BackupInfrastructureStack(app, 'Infra', { env });
  const data = new Stack(app, 'Data', { env });
  return { app, infra, data };
}

const table = (scope: Stack, id: string) => new dynamodb.Table(scope, id, { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });

describe('category plans in the reference app', () => {
  let deployment: Deployment;
  let plans: Record<string, any>;
  let selections: any[];

  beforeAll(() => {
    deployment = synthesize(referenceApp());
    const resources = deployment.templates.Persistent.Resources;
    plans = Object.fromEntries(
      Object.values(resources)
        .filter((r) => r.Type === 'AWS::Backup::BackupPlan')
        .map((r) => {
          const plan = resolve(deployment, r.Properties).BackupPlan;
          return [plan.BackupPlanName, plan];
        }),
    );
    selections = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Backup::BackupSelection')
      .map((r) => resolve(deployment, r.Properties).BackupSelection);
  });

  it('makes one plan per category used in the stack, not one per resource', () => {
    expect(Object.keys(plans).sort()).toEqual(['Persistent-configuration_data', 'Persistent-critical_data', 'Persistent-document_storage', 'Persistent-export_data', 'Persistent-relational_data', 'Persistent-ssn_data']);
    expect(selections).toHaveLength(6);
  });

  it('takes the rule from the category: schedule, windows, retention, cold storage and the copy', () => {
    expect(plans['Persistent-critical_data'].BackupPlanRule).toEqual([
      {
        RuleName: 'CriticalData',
        ScheduleExpression: 'cron(0 2 * * ? *)',
        StartWindowMinutes: 60,
        CompletionWindowMinutes: 1440,
        TargetBackupVault: 'CompactConnectBackupVault',
        Lifecycle: { DeleteAfterDays: 2555, MoveToColdStorageAfterDays: 30 },
        CopyActions: [
          {
            DestinationBackupVaultArn: 'arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault',
            Lifecycle: { DeleteAfterDays: 2555, MoveToColdStorageAfterDays: 30 },
          },
        ],
      },
    ]);
    expect(plans['Persistent-document_storage'].BackupPlanRule[0].Lifecycle).toEqual({ DeleteAfterDays: 90 });
  });

  it('sends ssn_data to the sensitive vaults with the sensitive role', () => {
    const rule = plans['Persistent-ssn_data'].BackupPlanRule[0];
    expect(rule.TargetBackupVault).toBe('CompactConnectBackupVault-SSN');
    expect(rule.CopyActions[0].DestinationBackupVaultArn).toBe('arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault-SSN');
    const selection = selections.find((s) => s.SelectionName === 'SsnData-1');
    expect(selection.IamRoleArn).toBe('arn:aws:iam::111111111111:role/CompactConnect-SSNBackupRole');
    expect(selection.Resources).toEqual([expect.stringMatching(/:table\/CompactConnect-SSNTable$/)]);
  });

  it('selects resources by ARN, each in its category', () => {
    const critical = selections.find((s) => s.SelectionName === 'CriticalData-1');
    expect(critical.IamRoleArn).toBe('arn:aws:iam::111111111111:role/CompactConnect-BackupServiceRole');
    expect(critical.Resources.map((arn: string) => arn.split('/').pop())).toEqual([
      expect.stringMatching(/^ProviderTable/),
      expect.stringMatching(/^StaffUsersTable/),
      expect.stringMatching(/^TransactionHistoryTable/),
      expect.stringMatching(/^DataEventTable/),
    ]);
    const documents = selections.find((s) => s.SelectionName === 'DocumentStorage-1');
    expect(documents.Resources).toEqual([expect.stringMatching(/^arn:aws:s3:::providerusersbucket/i)]);
  });
});

describe('AWS Backup quotas', () => {
  it(`opens a new selection after ${AWS_BACKUP_QUOTAS.resourcesPerSelection} ARNs`, () => {
    // A stack holds at most 500 CloudFormation resources, so the split is driven through the plan directly.
    const { infra, data } = appWithInfrastructure();
    const plan = CategoryBackupPlans.of(data, infra).planFor(infra.policy.categories.document_storage);
    for (let i = 0; i < 501; i++) plan.addResource(`arn:aws:dynamodb:us-east-1:111111111111:table/t${i}`, `Data/T${i}`);
    const template = Template.fromStack(data);
    const selections = Object.values(template.findResources('AWS::Backup::BackupSelection')).map((s) => s.Properties.BackupSelection);
    expect(selections.map((s) => s.Resources.length)).toEqual([500, 1]);
    expect(selections.map((s) => s.SelectionName)).toEqual(['DocumentStorage-1', 'DocumentStorage-2']);
    expect(selections[1].Resources).toEqual(['arn:aws:dynamodb:us-east-1:111111111111:table/t500']);
    template.resourceCountIs('AWS::Backup::BackupPlan', 1);
  });

  it(`refuses, before AWS would, a plan past ${AWS_BACKUP_QUOTAS.selectionsPerPlan} selections`, () => {
    const { infra, data } = appWithInfrastructure();
    const plan = CategoryBackupPlans.of(data, infra).planFor(infra.policy.categories.document_storage);
    const max = AWS_BACKUP_QUOTAS.selectionsPerPlan * AWS_BACKUP_QUOTAS.resourcesPerSelection;
    for (let i = 0; i < max; i++) plan.addResource(`arn:aws:dynamodb:us-east-1:111111111111:table/t${i}`, `Data/T${i}`);
    expect(() => plan.addResource('arn:aws:dynamodb:us-east-1:111111111111:table/one-too-many', 'Data/OneTooMany')).toThrow(
      /Data\/OneTooMany: the document_storage plan of stack Data already selects 50000 resources .* split these resources across stacks/,
    );
  });
});

describe('resource types', () => {
  it('selects EFS file systems, Aurora clusters and RDS instances by their ARNs', () => {
    const { data } = appWithInfrastructure();
    Retention.of(new efs.CfnFileSystem(data, 'Files', { encrypted: true })).protect('critical_data');
    const kmsKeyId = 'arn:aws:kms:us-east-1:111111111111:key/0f0e0d0c-0000-4000-8000-000000000000';
    Retention.of(new rds.CfnDBCluster(data, 'Cluster', { engine: 'aurora-postgresql', storageEncrypted: true, kmsKeyId })).protect('document_storage');
    Retention.of(new rds.CfnDBInstance(data, 'Instance', { engine: 'postgres', dbInstanceClass: 'db.t4g.micro', storageEncrypted: true, kmsKeyId })).protect('document_storage');
    const template = Template.fromStack(data);
    const selections = Object.values(template.findResources('AWS::Backup::BackupSelection')).map((s) => s.Properties.BackupSelection);
    const resources = Object.fromEntries(selections.map((s) => [s.SelectionName, s.Resources]));
    expect(resources['CriticalData-1']).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^Files/), 'Arn'] }]);
    expect(resources['DocumentStorage-1']).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^Cluster/), 'DBClusterArn'] },
      { 'Fn::GetAtt': [expect.stringMatching(/^Instance/), 'DBInstanceArn'] },
    ]);
  });
});

describe('protected buckets keep their versions', () => {
  it('turns versioning on and expires noncurrent versions and delete markers after the category retention', () => {
    const { data } = appWithInfrastructure();
    Retention.of(new s3.Bucket(data, 'Documents')).protect('document_storage');
    Retention.of(new s3.Bucket(data, 'Audit')).protect('audit_logs');
    Retention.of(new s3.CfnBucket(data, 'Raw')).protect('document_storage');
    const buckets = Template.fromStack(data).findResources('AWS::S3::Bucket');
    const props = (prefix: string) => Object.entries(buckets).find(([id]) => id.startsWith(prefix))![1].Properties;
    expect(props('Documents').VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(props('Documents').LifecycleConfiguration.Rules).toEqual([
      { Id: 'retention-kit-noncurrent-versions', Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 90 }, ExpiredObjectDeleteMarker: true },
    ]);
    expect(props('Audit').LifecycleConfiguration.Rules[0]).toMatchObject({
      NoncurrentVersionExpiration: { NoncurrentDays: 2555 },
      NoncurrentVersionTransitions: [
        { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
        { StorageClass: 'GLACIER', TransitionInDays: 90 },
      ],
    });
    expect(props('Raw')).toMatchObject({ VersioningConfiguration: { Status: 'Enabled' }, LifecycleConfiguration: { Rules: [{ NoncurrentVersionExpiration: { NoncurrentDays: 90 } }] } });
  });
});

describe('protect and exclude refuse what AWS Backup cannot do', () => {
  it('fails synth with every pairing problem at once, each naming its resource', () => {
    const { app, data } = appWithInfrastructure();
    const suspended = new s3.Bucket(data, 'Unversioned');
    (suspended.node.defaultChild as s3.CfnBucket).versioningConfiguration = { status: 'Suspended' };
    Retention.of(suspended).protect('document_storage');
    Retention.of(new s3.Bucket(data, 'ColdBucket', { versioned: true })).protect('critical_data');
    Retention.of(new s3.Bucket(data, 'SecretBucket', { versioned: true })).protect('ssn_data');
    Retention.of(table(data, 'Typo')).protect('critcal_data');
    Retention.of(new rds.CfnDBCluster(data, 'ColdCluster', { engine: 'aurora-postgresql', storageEncrypted: true, kmsKeyId: 'k' })).protect('configuration_data');
    const message = synthError(app);
    expect(message).toContain("[Data/Unversioned/Resource] AWS Backup backs up only versioned S3 buckets, and this one's versioning is Suspended");
    expect(message).toContain('[Data/ColdBucket/Resource] category critical_data moves recovery points to cold storage after 30 days, which AWS Backup cannot do for the type S3 bucket');
    expect(message).toContain('[Data/SecretBucket/Resource] category ssn_data uses the sensitive vault and its minimal role, which back up DynamoDB tables only');
    expect(message).toContain('[Data/Typo/Resource] unknown category "critcal_data" (did you mean critical_data?)');
    expect(message).toContain('[Data/ColdCluster] category configuration_data moves recovery points to cold storage after 30 days, which AWS Backup cannot do for the type Aurora/RDS cluster');
  });

  it('refuses a Cognito user pool, saying what to do instead', () => {
    const { data } = appWithInfrastructure();
    expect(() => Retention.of(new cognito.UserPool(data, 'Users')).protect('critical_data')).toThrow(/Cognito has no AWS Backup support: export its users with CognitoUserPoolExport, or exclude it/);
  });

  it('refuses a resource that holds no data', () => {
    const { data } = appWithInfrastructure();
    expect(() => Retention.of(new sns.Topic(data, 'Topic')).protect('critical_data')).toThrow(/protect\(Data\/Topic\): AWS::SNS::Topic is not a stateful resource the toolkit knows/);
  });

  it('refuses an exclusion without a written reason', () => {
    const { data } = appWithInfrastructure();
    expect(() => Retention.of(table(data, 'T')).exclude('temp')).toThrow(/exclude\(Data\/T\): give a written reason of at least 10 characters/);
  });

  it('refuses to declare a resource twice', () => {
    const { data } = appWithInfrastructure();
    const t = table(data, 'T');
    Retention.of(t).protect('critical_data');
    expect(() => Retention.of(t).exclude('regenerated from the other table')).toThrow(/exclude\(Data\/T\): already protected as critical_data/);
  });
});
