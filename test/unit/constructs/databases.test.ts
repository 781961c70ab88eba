import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { RetentionConfigError, parseRetentionPolicy, windowsOverlap } from 'retention-kit/policy';
import { BackupInfrastructureStack, CredentialRotation, Retention } from 'retention-kit';
import { REFERENCE_CONTEXT, synthError, tempDir } from '../../support/apps';

const POSTGRES_CATEGORY = { retention_days: 365, engine_backup_retention_days: 30, continuous_backup: true };

function setup(extra: Record<string, unknown> = {}) {
  const context = { ...REFERENCE_CONTEXT, backup_policies: { ...(REFERENCE_CONTEXT.backup_policies as object), postgres_data: POSTGRES_CATEGORY }, ...extra };
  const app = new App({ context, outdir: tempDir('db') });
  const env = { account: '111111111111', region: 'us-east-1' };
  const infra = new BackupInfrastructureStack(app, 'Infra', { env });
  const data = new Stack(app, 'Db', { env });
  const vpc = new ec2.Vpc(data, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const key = new kms.Key(data, 'DbKey', { enableKeyRotation: true });
  return { app, infra, data, vpc, key };
}

const cluster = (s: ReturnType<typeof setup>, id = 'Cluster', encrypted = true) =>
  new rds.DatabaseCluster(s.data, id, {
    engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
    writer: rds.ClusterInstance.serverlessV2('Writer'),
    vpc: s.vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    storageEncryptionKey: encrypted ? s.key : undefined,
    storageEncrypted: encrypted,
  });

describe('protect() on PostgreSQL databases', () => {
  it('applies the category to an Aurora cluster: engine retention, windows, tags to snapshots, logs, and continuous backup in the plan', () => {
    const s = setup();
    const db = cluster(s);
    Retention.of(db).protect('postgres_data', { database: { backupWindow: '02:00-03:00', maintenanceWindow: 'sat:04:00-sat:05:00' } });
    CredentialRotation.rotateDatabase(db, s.vpc);
    const t = Template.fromStack(s.data);
    t.hasResourceProperties('AWS::RDS::DBCluster', {
      BackupRetentionPeriod: 30,
      PreferredBackupWindow: '02:00-03:00',
      PreferredMaintenanceWindow: 'sat:04:00-sat:05:00',
      CopyTagsToSnapshot: true,
      EnableCloudwatchLogsExports: ['postgresql'],
      StorageEncrypted: true,
    });
    const [plan] = Object.values(t.findResources('AWS::Backup::BackupPlan'));
    const rules = plan.Properties.BackupPlan.BackupPlanRule;
    expect(rules.map((r: { RuleName: string }) => r.RuleName)).toEqual(['PostgresData', 'PostgresDataContinuous']);
    expect(rules[0].Lifecycle).toEqual({ DeleteAfterDays: 365 });
    expect(rules[1]).toMatchObject({ EnableContinuousBackup: true, Lifecycle: { DeleteAfterDays: 35 } });
  });

  it('applies it to an RDS instance too, with deletion protection and a final snapshot in production', () => {
    const s = setup({ environment: 'prod' });
    const instance = new rds.DatabaseInstance(s.data, 'Instance', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16_4 }),
      vpc: s.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      storageEncryptionKey: s.key,
    });
    Retention.of(instance).protect('postgres_data');
    CredentialRotation.rotateDatabase(instance, s.vpc, { automaticallyAfter: Duration.days(14) });
    const t = Template.fromStack(s.data);
    t.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(14 days)' } });
    t.hasResourceProperties('AWS::RDS::DBInstance', {
      BackupRetentionPeriod: 30,
      PreferredBackupWindow: '03:00-04:00',
      PreferredMaintenanceWindow: 'sun:05:00-sun:06:00',
      CopyTagsToSnapshot: true,
      DeletionProtection: true,
      EnableCloudwatchLogsExports: ['postgresql'],
    });
    const [db] = Object.values(t.findResources('AWS::RDS::DBInstance'));
    expect(db.DeletionPolicy).toBe('Snapshot');
  });

  it('refuses, with the reason, what the engine refuses', () => {
    const s = setup();
    Retention.of(cluster(s, 'Overlapping')).protect('postgres_data', { database: { backupWindow: '04:30-05:30', maintenanceWindow: 'sun:05:00-sun:06:00' } });
    Retention.of(cluster(s, 'Plain', false)).protect('postgres_data');
    const retained = new rds.DatabaseCluster(s.data, 'Retained', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      writer: rds.ClusterInstance.serverlessV2('Writer'),
      vpc: s.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      storageEncryptionKey: s.key,
      backup: { retention: Duration.days(7) },
    });
    Retention.of(retained).protect('postgres_data');
    Retention.of(new dynamodb.Table(s.data, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } })).protect('postgres_data');
    const message = synthError(s.app);
    expect(message).toContain('[Db/Overlapping/Resource] backup window 04:30-05:30 overlaps maintenance window sun:05:00-sun:06:00, which RDS refuses');
    expect(message).toContain('[Db/Plain/Resource] storage must be encrypted with a customer-managed KMS key');
    expect(message).toContain('[Db/Retained/Resource] backup retention is set to 7 days, but category postgres_data keeps 30');
    expect(message).toContain('[Db/Table/Resource] category postgres_data asks AWS Backup for continuous backup, offered for S3 bucket, Aurora/RDS cluster, RDS instance only, which AWS Backup cannot do for the type DynamoDB table');
  });

  it('refuses an engine retention over 35 days in the configuration', () => {
    let error: RetentionConfigError | undefined;
    try {
      parseRetentionPolicy({ ...REFERENCE_CONTEXT, backup_policies: { postgres_data: { retention_days: 365, engine_backup_retention_days: 40 } } });
    } catch (e) {
      error = e as RetentionConfigError;
    }
    expect(error?.problems).toContainEqual({
      path: 'backup_policies.postgres_data.engine_backup_retention_days',
      value: 40,
      message: 'must be at most 35: RDS and Aurora keep their own automated backups 1-35 days; AWS Backup keeps recovery points longer (retention_days)',
    });
  });

  it.each([
    ['03:00-04:00', 'sun:05:00-sun:06:00', false],
    ['04:30-05:30', 'sun:05:00-sun:06:00', true],
    ['23:30-00:30', 'mon:00:00-mon:01:00', true],
    ['22:00-23:00', 'sun:23:30-mon:00:30', false],
    ['23:00-23:45', 'sun:23:30-mon:00:30', true],
  ])('backup %s and maintenance %s overlap: %s', (backupWindow, maintenanceWindow, expected) => {
    expect(windowsOverlap(backupWindow, maintenanceWindow)).toBe(expected);
  });
});

describe('database credentials', () => {
  it('rotates a database secret with hosted rotation every 30 days, and lets the rotation reach the database', () => {
    const s = setup();
    const db = cluster(s);
    Retention.of(db).protect('postgres_data');
    CredentialRotation.rotateDatabase(db, s.vpc);
    const t = Template.fromStack(s.data);
    t.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      HostedRotationLambda: Match.objectLike({ RotationType: 'PostgreSQLSingleUser' }),
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
    expect(() => s.app.synth()).not.toThrow();
  });

  it('fails synth for a secret without rotation, unless acknowledged with a reason', () => {
    const s = setup();
    new secretsmanager.Secret(s.data, 'ApiKey');
    const skipped = new secretsmanager.Secret(s.data, 'Vendor');
    CredentialRotation.acknowledgeUnrotated(skipped, 'issued by the vendor, who rotates it yearly by hand');
    const message = synthError(s.app);
    expect(message).toContain('[Db/ApiKey/Resource] secret Db/ApiKey/Resource has no rotation');
    expect(message).not.toContain('Db/Vendor');
  });
});
