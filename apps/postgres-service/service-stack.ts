import { Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct, IConstruct } from 'constructs';
import { CredentialRotation, Retention } from 'retention-kit';

/** Accepts a cdk-nag finding on purpose, with the reason why. */
const acknowledge = (scope: IConstruct, ...acknowledgements: { id: string; reason: string }[]) => {
  for (const acknowledgement of acknowledgements) Validations.of(scope).acknowledge(acknowledgement);
};

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
    Retention.of(this.cluster).protect('postgres_data', { database: { backupWindow: '03:00-04:00', maintenanceWindow: 'sun:05:00-sun:06:00' } });
    CredentialRotation.rotateDatabase(this.cluster, vpc, { vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    for (const id of ['EC2RestrictedSSH', 'EC2RestrictedCommonPorts']) {
      acknowledge(this.cluster.connections.securityGroups[0], { id: `${NIST}${id}`, reason: 'The only ingress is from the credential rotation function\'s security group, on the database port.' });
    }

    // S3 server access logging delivers only to SSE-S3 buckets.
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(400), noncurrentVersionExpiration: Duration.days(30) }],
    });
    acknowledge(
      accessLogs,
      { id: `${NIST}S3BucketReplicationEnabled`, reason: 'Server access logs of the site and audit-log buckets: operational records kept by lifecycle, not replicated.' },
      { id: `${NIST}S3DefaultEncryptionKMS`, reason: 'S3 server access logging delivers only to buckets encrypted with SSE-S3.' },
    );
    Retention.of(accessLogs).exclude('server access logs of the site and audit-log buckets: operational records kept 400 days by lifecycle');

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
    Retention.of(bucket('SiteBucket')).protect('document_storage');
    Retention.of(bucket('AuditLogBucket')).protect('audit_logs');
  }
}
