/**
 * The stateful resource types the toolkit knows, and what AWS Backup can do for each.
 * Cold storage support follows AWS Backup's "Feature availability by resource" table: AWS Backup
 * silently ignores a cold-storage lifecycle for types that lack it, so we refuse it instead.
 */

export interface StatefulResourceType {
  /** CloudFormation type. */
  readonly cfnType: string;
  /** Short name used in reports. */
  readonly label: string;
  /** Whether AWS Backup can back it up at all. */
  readonly awsBackup: boolean;
  /** Whether AWS Backup can move its recovery points to cold storage. */
  readonly coldStorage: boolean;
  /** What to do instead, for types AWS Backup cannot protect. */
  readonly alternative?: string;
}

export const STATEFUL_RESOURCE_TYPES: Readonly<Record<string, StatefulResourceType>> = {
  'AWS::DynamoDB::Table': { cfnType: 'AWS::DynamoDB::Table', label: 'DynamoDB table', awsBackup: true, coldStorage: true },
  'AWS::DynamoDB::GlobalTable': { cfnType: 'AWS::DynamoDB::GlobalTable', label: 'DynamoDB global table', awsBackup: true, coldStorage: true },
  'AWS::S3::Bucket': { cfnType: 'AWS::S3::Bucket', label: 'S3 bucket', awsBackup: true, coldStorage: false },
  'AWS::RDS::DBCluster': { cfnType: 'AWS::RDS::DBCluster', label: 'Aurora/RDS cluster', awsBackup: true, coldStorage: false },
  'AWS::RDS::DBInstance': { cfnType: 'AWS::RDS::DBInstance', label: 'RDS instance', awsBackup: true, coldStorage: false },
  'AWS::EFS::FileSystem': { cfnType: 'AWS::EFS::FileSystem', label: 'EFS file system', awsBackup: true, coldStorage: true },
  'AWS::Cognito::UserPool': {
    cfnType: 'AWS::Cognito::UserPool',
    label: 'Cognito user pool',
    awsBackup: false,
    coldStorage: false,
    alternative: 'Cognito has no AWS Backup support: export its users with CognitoUserPoolExport, or exclude it with a reason',
  },
};

/** Whether a resource of this type, with these properties, holds data of its own. */
export function isStatefulResource(cfnType: string, properties: Record<string, unknown> | undefined): boolean {
  if (!(cfnType in STATEFUL_RESOURCE_TYPES)) return false;
  // An instance inside an Aurora cluster holds no data of its own: the cluster is what is backed up.
  if (cfnType === 'AWS::RDS::DBInstance' && properties?.DBClusterIdentifier !== undefined) return false;
  return true;
}
