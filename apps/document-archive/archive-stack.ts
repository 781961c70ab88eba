import { Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct, IConstruct } from 'constructs';
import { Retention } from 'retention-kit';

/** Accepts a cdk-nag finding on purpose, with the reason why. */
const acknowledge = (scope: IConstruct, ...acknowledgements: { id: string; reason: string }[]) => {
  for (const acknowledgement of acknowledgements) Validations.of(scope).acknowledge(acknowledgement);
};
const NIST = 'NIST.800.53.R5::NIST.800.53.R5-';
const AWS = 'AwsSolutions::AwsSolutions-';

/** The archive's data: uploaded documents, their catalogue, and the cluster that serves them. */
export class ArchiveStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const key = new kms.Key(this, 'DataKey', { enableKeyRotation: true, description: 'Encrypts the archive data' });

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(400) }],
    });
    Retention.of(accessLogs).exclude('server access logs of the documents bucket: operational records, not archive data');
    acknowledge(
      accessLogs,
      { id: `${AWS}S1`, reason: 'This is the access log bucket itself.' },
      { id: `${NIST}S3BucketLoggingEnabled`, reason: 'This is the access log bucket itself.' },
      { id: `${NIST}S3BucketReplicationEnabled`, reason: 'Operational access logs, excluded from backup with a reason; not replicated either.' },
      { id: `${NIST}S3DefaultEncryptionKMS`, reason: 'S3 server access log delivery supports only SSE-S3 on the destination bucket.' },
    );

    const documents = new s3.Bucket(this, 'Documents', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
    });
    Retention.of(documents).protect('archived_documents');

    const catalogue = new dynamodb.Table(this, 'Catalogue', {
      partitionKey: { name: 'documentId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
    Retention.of(catalogue).protect('configuration_data');

    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'cluster', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    acknowledge(
      vpc,
      { id: `${NIST}VPCDefaultSecurityGroupClosed`, reason: 'Nothing is placed in the default security group.' },
      { id: `${NIST}VPCFlowLogsEnabled`, reason: 'An example network with no traffic of its own; the application account\'s network has flow logs.' },
      { id: `${AWS}VPC7`, reason: 'An example network with no traffic of its own; the application account\'s network has flow logs.' },
    );
    const clusterRole = new iam.Role(this, 'ClusterRole', {
      assumedBy: new iam.ServicePrincipal('eks.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEKSClusterPolicy')],
    });
    acknowledge(clusterRole, { id: `${AWS}IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSClusterPolicy]`, reason: 'The policy AWS maintains for the EKS control plane.' });
    const cluster = new eks.CfnCluster(this, 'Cluster', {
      roleArn: clusterRole.roleArn,
      resourcesVpcConfig: { subnetIds: vpc.isolatedSubnets.map((s) => s.subnetId), endpointPublicAccess: false, endpointPrivateAccess: true },
      logging: { clusterLogging: { enabledTypes: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'].map((type) => ({ type })) } },
    });
    Retention.of(cluster).protect('cluster_state');

    // The archive's domain events (document received, scanned, catalogued): kept in an archive, replayable.
    const bus = new events.EventBus(this, 'ArchiveEvents', { eventBusName: 'document-archive-events' });
    Retention.of(bus).protect('event_history');
  }
}
