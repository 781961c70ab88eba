import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { accessLogsBucket } from '../../src/constructs/access-logs';
import { acknowledge } from '../../src/constructs/nag';
import { rotateDatabaseCredentials } from '../../src/constructs/secrets';
import { exclude, protect } from '../../src/stacks/backup-infrastructure-stack';

const NIST = 'NIST.800.53.R5::NIST.800.53.R5-';

/**
 * A service on Aurora PostgreSQL, shaped like the PostgreSQL backup story: its database (30 days of
 * recovery points and point-in-time restore; 7 in staging), its site and audit-log buckets, and its
 * rotated credentials.
 */
export class ServiceStack extends Stack {
  readonly cluster: rds.DatabaseCluster;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const key = new kms.Key(this, 'DataKey', { enableKeyRotation: true, description: 'Encrypts the service database and its logs' });
    key.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`));

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: key });
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs) } },
    });
    acknowledge(vpc, { id: `${NIST}VPCDefaultSecurityGroupClosed`, reason: 'Nothing is placed in the default security group; every resource has its own.' });
    acknowledge(vpc.node.findChild('all'), { id: `${NIST}IAMNoInlinePolicy`, reason: 'The flow log role\'s permission to write its own log group, kept with the role.' });

    this.cluster = new rds.DatabaseCluster(this, 'Database', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      writer: rds.ClusterInstance.serverlessV2('Writer', { autoMinorVersionUpgrade: true }),
      readers: [rds.ClusterInstance.serverlessV2('Reader', { scaleWithWriter: true, autoMinorVersionUpgrade: true })],
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      storageEncryptionKey: key,
      iamAuthentication: true,
      port: 5433,
      credentials: rds.Credentials.fromGeneratedSecret('service_admin', { encryptionKey: key }),
      cloudwatchLogsRetention: logs.RetentionDays.ONE_YEAR,
      monitoringInterval: Duration.seconds(60),
      removalPolicy: RemovalPolicy.SNAPSHOT,
    });
    acknowledge(this.cluster.node.findChild('MonitoringRole'), {
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      reason: 'The AWS-maintained policy for RDS enhanced monitoring, on a role only monitoring.rds.amazonaws.com can assume.',
    });
    protect(this.cluster, 'postgres_data', { database: { backupWindow: '03:00-04:00', maintenanceWindow: 'sun:05:00-sun:06:00' } });
    rotateDatabaseCredentials(this.cluster, vpc, { vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    for (const id of ['EC2RestrictedSSH', 'EC2RestrictedCommonPorts']) {
      acknowledge(this.cluster.connections.securityGroups[0], { id: `${NIST}${id}`, reason: 'The only ingress is from the credential rotation function\'s security group, on the database port.' });
    }

    const accessLogs = accessLogsBucket(this, 'AccessLogs', 'the site and audit-log buckets');
    exclude(accessLogs, 'server access logs of the site and audit-log buckets: operational records kept 400 days by lifecycle');

    const bucket = (name: string) =>
      new s3.Bucket(this, name, {
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: key,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: `${name}/`,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    protect(bucket('SiteBucket'), 'document_storage');
    protect(bucket('AuditLogBucket'), 'audit_logs');
  }
}
