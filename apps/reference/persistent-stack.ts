import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import {
  BackupInfrastructureStack,
  BreakGlassRole,
  BucketHydrationStateMachine,
  CognitoUserPoolExport,
  CredentialRotation,
  HydrationStateMachine,
  RecoveryBackup,
  RestoreTestResource,
  RestoreTesting,
  Retention,
  TableRecoveryStateMachine,
} from 'retention-kit';
import { RECOVERY_ROLE_NAME, SSN_TABLE_NAME } from './names';

/**
 * The data of an environment shaped like the reference plan's: each stateful resource says, where it
 * is defined, how it is kept.
 */
export class PersistentStack extends Stack {
  readonly tables: Record<string, dynamodb.Table> = {};
  readonly apiRole: iam.Role;
  readonly recoveryRole: iam.Role;
  readonly userPoolExport: CognitoUserPoolExport;
  readonly restoreTesting: RestoreTesting;
  readonly hydration: HydrationStateMachine;
  readonly bucketHydration: BucketHydrationStateMachine;
  readonly providerTableRecovery: TableRecoveryStateMachine;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const table = (name: string, encryptionKey?: kms.IKey, tableName?: string) =>
      (this.tables[name] = new dynamodb.Table(this, name, {
        tableName,
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: encryptionKey ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.AWS_MANAGED,
        encryptionKey,
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
      }));

    Retention.of(table('ProviderTable')).protect('critical_data');

    // The SSN table is read one item at a time by the API's role; only the recovery tooling may scan it,
    // as a role nobody can assume until `retention break-glass open --role` admits one operator.
    this.apiRole = new iam.Role(this, 'ProviderApiRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: 'Provider API handlers' });
    this.recoveryRole = new BreakGlassRole(this, 'RecoveryRole', { roleName: RECOVERY_ROLE_NAME, description: 'Disaster-recovery tooling (hydration, in-place recovery) of the SSN table: break-glass only' });
    const ssnKey = new kms.Key(this, 'SSNTableKey', { enableKeyRotation: true, description: 'Encrypts the SSN table' });
    Retention.of(table('SSNTable', ssnKey, SSN_TABLE_NAME)).protect('ssn_data', {
      sensitiveTable: { appRoleArns: [this.apiRole.roleArn], recoveryRoleArns: [this.recoveryRole.roleArn] },
    });
    Retention.of(table('StaffUsersTable')).protect('critical_data');
    Retention.of(table('CompactConfigurationTable')).protect('configuration_data');
    Retention.of(table('TransactionHistoryTable')).protect('critical_data');
    Retention.of(table('DataEventTable')).protect('critical_data');

    // When this deployment is the cold standby, its tables are filled from restored copies
    // (restored-*) by this state machine. The SSN table is left to the recovery role.
    this.hydration = new HydrationStateMachine(this, 'Hydration', {
      targets: ['ProviderTable', 'StaffUsersTable', 'CompactConfigurationTable', 'TransactionHistoryTable', 'DataEventTable'].map((name) => this.tables[name]),
    });

    // In-place recovery of the provider table after bad writes: backed up first into its category's
    // vault, restored to a point in time, synced, with the provider API paused meanwhile.
    const infrastructure = BackupInfrastructureStack.find(this);
    const critical = infrastructure.policy.categories.critical_data;
    this.providerTableRecovery = new TableRecoveryStateMachine(this, 'ProviderTableRecovery', {
      table: this.tables.ProviderTable,
      backup: RecoveryBackup.awsBackup(infrastructure.vaultFor(critical), infrastructure.roleFor(critical), Duration.days(critical.retentionDays)),
      pauseFunctions: [lambda.Function.fromFunctionName(this, 'ProviderApiFunction', 'provider-api')],
    });

    const accessLogs = new s3.Bucket(this, 'AccessLogsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(400) }],
    });
    Retention.of(accessLogs).exclude('server access logs of the buckets below: operational records, kept 400 days by lifecycle, not application data');

    // Protected buckets get versioning and their noncurrent-version lifecycle from protect().
    const bucket = (name: string) =>
      new s3.Bucket(this, name, {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: `${name}/`,
        removalPolicy: RemovalPolicy.RETAIN,
      });

    const providerUsersBucket = bucket('ProviderUsersBucket');
    Retention.of(providerUsersBucket).protect('document_storage');
    this.bucketHydration = new BucketHydrationStateMachine(this, 'BucketHydration', { targets: [providerUsersBucket] });
    Retention.of(bucket('BulkUploadsBucket')).exclude('transitory: bulk upload files are processed into the provider table within minutes, then deleted');
    Retention.of(bucket('TransactionReportsBucket')).exclude('derived reports, regenerated from the transaction history table');

    // The licensing database: Aurora PostgreSQL, kept like the records it holds, with point-in-time restore.
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      flowLogs: { all: {} },
    });
    const databaseKey = new kms.Key(this, 'DatabaseKey', { enableKeyRotation: true, description: 'Encrypts the licensing database' });
    const database = new rds.DatabaseCluster(this, 'LicensingDatabase', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      writer: rds.ClusterInstance.serverlessV2('Writer'),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      storageEncryptionKey: databaseKey,
      iamAuthentication: true,
      port: 5433,
      removalPolicy: RemovalPolicy.SNAPSHOT,
    });
    Retention.of(database).protect('relational_data');
    CredentialRotation.rotateDatabase(database, vpc);

    const userPool = (name: string) =>
      new cognito.UserPool(this, name, {
        signInAliases: { email: true },
        selfSignUpEnabled: false,
        passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
        mfa: cognito.Mfa.REQUIRED,
        mfaSecondFactor: { sms: false, otp: true },
        featurePlan: cognito.FeaturePlan.PLUS,
        standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    // Cognito has no AWS Backup support: both pools are exported daily to a bucket kept as export_data.
    this.userPoolExport = new CognitoUserPoolExport(this, 'UserPoolExport', {
      userPools: [userPool('StaffUsers'), userPool('ProviderUsers')],
    });

    // Weekly restore tests prove each category's RTO. ssn_data is left out: its vault denies every
    // restore (break-glass only). The database restores into its own subnet group and security group.
    const subnetGroup = database.node.findChild('Subnets') as rds.SubnetGroup;
    this.restoreTesting = new RestoreTesting(this, 'RestoreTesting', {
      resources: [
        RestoreTestResource.fromTable(this.tables.ProviderTable, 'critical_data'),
        RestoreTestResource.fromTable(this.tables.CompactConfigurationTable, 'configuration_data'),
        RestoreTestResource.fromBucket(providerUsersBucket, 'document_storage'),
        RestoreTestResource.fromCluster(database, 'relational_data', {
          dbsubnetgroupname: subnetGroup.subnetGroupName,
          vpcsecuritygroupids: `["${database.connections.securityGroups[0].securityGroupId}"]`,
        }),
      ],
    });
  }
}
