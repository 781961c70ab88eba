/**
 * The stateful resource types the toolkit knows, and what AWS Backup can do for each: one row per
 * CloudFormation type, read from AWS Backup's "Feature availability by resource" table and its
 * announcements (sources below). A category setting a type cannot honour fails synth with the reason,
 * because AWS Backup ignores such settings silently (a cold-storage lifecycle on S3, say).
 */

/** Where the feature columns come from, and when they were read. */
export const RESOURCE_FEATURE_SOURCES = {
  featureAvailability: 'https://docs.aws.amazon.com/aws-backup/latest/devguide/backup-feature-availability.html#features-by-resource',
  malwareScanning: 'https://docs.aws.amazon.com/aws-backup/latest/devguide/malware-protection.html',
  backupSearch: 'https://docs.aws.amazon.com/aws-backup/latest/devguide/backup-search.html',
  tiering: 'https://docs.aws.amazon.com/aws-backup/latest/devguide/backup-tiering.html',
  airGappedVaults: 'https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html',
  read: '2026-12-02',
} as const;

/** How a resource's ARN is written in a template: one of its attributes, or a pattern over its Ref. */
export type ArnRule = { readonly attribute: string } | { readonly sub: string };

/** What AWS Backup can do for one resource type. */
export interface BackupFeatures {
  /** Recovery points can move to cold storage (lifecycle.cold_storage_days). */
  readonly coldStorage: boolean;
  /** AWS Backup offers continuous backup and point-in-time restore (continuous_backup). */
  readonly continuousBackup: boolean;
  /** Recovery points can be copied to another account (copy_to_backup_account). */
  readonly crossAccountCopy: boolean;
  /** AWS Backup restore testing can restore it. */
  readonly restoreTesting: boolean;
  /** Recovery points can be copied into a logically air-gapped vault. */
  readonly airGappedCopy: boolean;
  /**
   * Backing up straight into a local air-gapped vault: `direct` for types whose backups AWS Backup
   * fully manages, `via-snapshot` where it first takes a temporary (billed) snapshot in the backup vault.
   */
  readonly airGappedTarget: 'direct' | 'via-snapshot' | 'no';
  /** GuardDuty Malware Protection can scan its recovery points (malware_scan). */
  readonly malwareScan: boolean;
  /** Its recovery points can be indexed for item-level search (index). */
  readonly index: boolean;
  /** Its recovery points can move to the low-cost warm tier (tiering_after_days). */
  readonly warmTiering: boolean;
  /** The archive tier (OptInToArchiveForSupportedResources) applies to it (archive_tier). */
  readonly archiveTier: boolean;
}

/** One stateful resource type. */
export interface StatefulResourceType {
  /** CloudFormation type. */
  readonly cfnType: string;
  /** Short name used in reports. */
  readonly label: string;
  /** Whether AWS Backup can back it up at all. */
  readonly awsBackup: boolean;
  /** AWS Backup's name for the type (its `ResourceType`), for types it supports. */
  readonly backupResourceType?: string;
  /** What AWS Backup can do for it. */
  readonly features: BackupFeatures;
  /** How its ARN is written, for AWS Backup selections. */
  readonly arn?: ArnRule;
  /** What to do instead, for types AWS Backup cannot protect. */
  readonly alternative?: string;
  /** A limit or caveat worth saying next to the features. */
  readonly note?: string;
  /** Property that makes a resource of this type a member of another, which holds the data (an instance of an Aurora cluster). */
  readonly memberOf?: string;
}

const NONE: BackupFeatures = {
  coldStorage: false,
  continuousBackup: false,
  crossAccountCopy: false,
  restoreTesting: false,
  airGappedCopy: false,
  airGappedTarget: 'no',
  malwareScan: false,
  index: false,
  warmTiering: false,
  archiveTier: false,
};
const features = (f: Partial<BackupFeatures>): BackupFeatures => ({ ...NONE, ...f });
const COPYABLE = { crossAccountCopy: true, airGappedCopy: true } as const;

const clusterArn = 'arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster:${Ref}';

const TYPES: StatefulResourceType[] = [
  {
    cfnType: 'AWS::DynamoDB::Table',
    label: 'DynamoDB table',
    awsBackup: true,
    backupResourceType: 'DynamoDB',
    arn: { attribute: 'Arn' },
    features: features({ ...COPYABLE, coldStorage: true, restoreTesting: true, airGappedTarget: 'direct' }),
    note: 'cold storage and cross-account copy need AWS Backup advanced features for DynamoDB; point-in-time recovery is DynamoDB\'s own',
  },
  {
    cfnType: 'AWS::DynamoDB::GlobalTable',
    label: 'DynamoDB global table',
    awsBackup: true,
    backupResourceType: 'DynamoDB',
    arn: { attribute: 'Arn' },
    features: features({ ...COPYABLE, coldStorage: true, restoreTesting: true, airGappedTarget: 'direct' }),
  },
  {
    cfnType: 'AWS::S3::Bucket',
    label: 'S3 bucket',
    awsBackup: true,
    backupResourceType: 'S3',
    arn: { attribute: 'Arn' },
    features: features({ ...COPYABLE, continuousBackup: true, restoreTesting: true, airGappedTarget: 'direct', malwareScan: true, index: true, warmTiering: true }),
    note: 'versioning must be on',
  },
  {
    cfnType: 'AWS::RDS::DBCluster',
    label: 'Aurora/RDS cluster',
    awsBackup: true,
    backupResourceType: 'Aurora',
    arn: { attribute: 'DBClusterArn' },
    features: features({ ...COPYABLE, continuousBackup: true, restoreTesting: true, airGappedTarget: 'via-snapshot' }),
  },
  {
    cfnType: 'AWS::RDS::DBInstance',
    label: 'RDS instance',
    awsBackup: true,
    backupResourceType: 'RDS',
    arn: { attribute: 'DBInstanceArn' },
    features: features({ ...COPYABLE, continuousBackup: true, restoreTesting: true, airGappedTarget: 'via-snapshot' }),
    memberOf: 'DBClusterIdentifier',
  },
  {
    cfnType: 'AWS::EFS::FileSystem',
    label: 'EFS file system',
    awsBackup: true,
    backupResourceType: 'EFS',
    arn: { attribute: 'Arn' },
    features: features({ ...COPYABLE, coldStorage: true, restoreTesting: true, airGappedTarget: 'direct' }),
  },
  {
    cfnType: 'AWS::EC2::Volume',
    label: 'EBS volume',
    awsBackup: true,
    backupResourceType: 'EBS',
    arn: { sub: 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:volume/${Ref}' },
    features: features({ ...COPYABLE, coldStorage: true, restoreTesting: true, airGappedTarget: 'via-snapshot', malwareScan: true, index: true, archiveTier: true }),
  },
  {
    cfnType: 'AWS::EC2::Instance',
    label: 'EC2 instance',
    awsBackup: true,
    backupResourceType: 'EC2',
    arn: { sub: 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/${Ref}' },
    features: features({ ...COPYABLE, restoreTesting: true, airGappedTarget: 'via-snapshot', malwareScan: true }),
    note: 'AWS Backup keeps an AMI with a snapshot of every attached EBS volume',
  },
  {
    cfnType: 'AWS::EKS::Cluster',
    label: 'EKS cluster',
    awsBackup: true,
    backupResourceType: 'EKS',
    arn: { attribute: 'Arn' },
    features: features({ ...COPYABLE, airGappedTarget: 'direct' }),
    note: 'a composite backup of the cluster state and its persistent volumes (EBS, EFS, S3)',
  },
  {
    cfnType: 'AWS::DocDB::DBCluster',
    label: 'DocumentDB cluster',
    awsBackup: true,
    backupResourceType: 'DocumentDB',
    arn: { sub: clusterArn },
    features: features({ ...COPYABLE, restoreTesting: true, airGappedTarget: 'via-snapshot' }),
  },
  {
    cfnType: 'AWS::Neptune::DBCluster',
    label: 'Neptune cluster',
    awsBackup: true,
    backupResourceType: 'Neptune',
    arn: { sub: clusterArn },
    features: features({ ...COPYABLE, restoreTesting: true, airGappedTarget: 'via-snapshot' }),
  },
  {
    cfnType: 'AWS::FSx::FileSystem',
    label: 'FSx file system',
    awsBackup: true,
    backupResourceType: 'FSx',
    arn: { attribute: 'ResourceARN' },
    features: features({ ...COPYABLE, restoreTesting: true, airGappedTarget: 'via-snapshot' }),
    note: 'air-gapped copies for FSx for NetApp ONTAP since September 2026; check the other FSx file system types in the Region',
  },
  {
    cfnType: 'AWS::Redshift::Cluster',
    label: 'Redshift cluster',
    awsBackup: true,
    backupResourceType: 'Redshift',
    arn: { sub: 'arn:${AWS::Partition}:redshift:${AWS::Region}:${AWS::AccountId}:cluster:${Ref}' },
    features: features({}),
    note: 'AWS Backup cannot copy Redshift backups to another account: exclude copy_to_backup_account or use Redshift cross-Region snapshot copy',
  },
  {
    cfnType: 'AWS::RedshiftServerless::Namespace',
    label: 'Redshift Serverless namespace',
    awsBackup: true,
    backupResourceType: 'Redshift',
    arn: { attribute: 'Namespace.NamespaceArn' },
    features: features({}),
    note: 'AWS Backup cannot copy Redshift Serverless backups to another account',
  },
  {
    cfnType: 'AWS::Timestream::Table',
    label: 'Timestream table',
    awsBackup: true,
    backupResourceType: 'Timestream',
    arn: { attribute: 'Arn' },
    features: features({ ...COPYABLE, coldStorage: true, airGappedTarget: 'direct' }),
  },
  {
    cfnType: 'AWS::DSQL::Cluster',
    label: 'Aurora DSQL cluster',
    awsBackup: true,
    backupResourceType: 'AuroraDSQL',
    arn: { attribute: 'ResourceArn' },
    features: features({ crossAccountCopy: true }),
  },
  {
    cfnType: 'AWS::Events::EventBus',
    label: 'EventBridge event bus',
    awsBackup: false,
    arn: { attribute: 'Arn' },
    features: NONE,
    alternative: 'AWS Backup cannot back up an event bus: protect() gives it an EventBridge archive kept as long as the category says (a category without copy_to_backup_account: an archive stays in its account), or exclude it with a reason',
    note: 'kept in an EventBridge archive (AWS::Events::Archive), replayed with retention replay',
  },
  {
    cfnType: 'AWS::Cognito::UserPool',
    label: 'Cognito user pool',
    awsBackup: false,
    features: NONE,
    alternative: 'Cognito has no AWS Backup support: export its users with CognitoUserPoolExport, or exclude it with a reason',
  },
];

/**
 * Every stateful type, by CloudFormation type. SAP HANA on EC2 is backed up through its EC2 instance
 * and an SSM for SAP application, which holds no data of its own, so it has no row here.
 */
export const STATEFUL_RESOURCE_TYPES: Readonly<Record<string, StatefulResourceType>> = Object.fromEntries(TYPES.map((t) => [t.cfnType, t]));

/** Types kept by an EventBridge archive instead of AWS Backup. */
export const ARCHIVED_TYPES = new Set(['AWS::Events::EventBus']);

/** Whether a resource of this type, with these properties, holds data of its own. */
export function isStatefulResource(cfnType: string, properties: Record<string, unknown> | undefined): boolean {
  const type = STATEFUL_RESOURCE_TYPES[cfnType];
  if (!type) return false;
  // An instance inside an Aurora cluster holds no data of its own: the cluster is what is backed up.
  if (type.memberOf && properties?.[type.memberOf] !== undefined) return false;
  return true;
}

/** The category settings a resource type might not honour, as they are named in CDK context. */
export interface CategoryDemands {
  readonly name: string;
  readonly coldStorageAfterDays?: number;
  readonly continuousBackupDays?: number;
  readonly copyDestination?: unknown;
  readonly airGappedCopy?: unknown;
  readonly airGappedTarget?: boolean;
  readonly malwareScan?: unknown;
  readonly index?: boolean;
  readonly tieringAfterDays?: number;
  readonly archiveTier?: boolean;
}

const continuousTypes = () =>
  Object.values(STATEFUL_RESOURCE_TYPES)
    .filter((t) => t.features.continuousBackup)
    .map((t) => t.label)
    .join(', ');

/** What a category asks of a resource type that the type cannot do, each with the reason and the fix. */
export function unsupportedDemands(type: StatefulResourceType, category: CategoryDemands): string[] {
  const f = type.features;
  const problems: string[] = [];
  const cannot = (setting: string, what: string) =>
    problems.push(`category ${category.name} ${what}, which AWS Backup cannot do for the type ${type.label} (it would ignore the setting silently): use a category without ${setting}`);
  if (category.coldStorageAfterDays !== undefined && !f.coldStorage) cannot('lifecycle.cold_storage_days', `moves recovery points to cold storage after ${category.coldStorageAfterDays} days`);
  if (category.continuousBackupDays !== undefined && !f.continuousBackup) {
    cannot('continuous_backup', `asks AWS Backup for continuous backup, offered for ${continuousTypes()} only`);
  }
  if (category.copyDestination !== undefined && !f.crossAccountCopy) cannot('copy_to_backup_account', 'copies recovery points to the backup account');
  if (category.airGappedCopy !== undefined && !f.airGappedCopy) cannot('air_gapped_copy', 'copies recovery points to an air-gapped vault');
  if (category.airGappedTarget && f.airGappedTarget === 'no') cannot('air_gapped_target', 'backs up into a local air-gapped vault');
  if (category.malwareScan !== undefined && !f.malwareScan) cannot('malware_scan', 'scans recovery points for malware');
  if (category.index && !f.index) cannot('index', 'indexes recovery points for search');
  if (category.tieringAfterDays !== undefined && !f.warmTiering) cannot('tiering_after_days', `moves recovery points to the low-cost warm tier after ${category.tieringAfterDays} days`);
  if (category.archiveTier && !f.archiveTier) cannot('archive_tier', 'opts into the archive tier');
  return problems;
}
