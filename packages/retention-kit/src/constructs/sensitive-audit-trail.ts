import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from './nag';

/** Properties of the sensitive audit trail. */
export interface SensitiveAuditTrailProps {
  /**
   * An organization trail that already records this account's management events. When given, no
   * trail is created: the alerts and the access review rely on that one.
   * @default a trail of this construct's own
   */
  readonly organizationTrailArn?: string;
  /**
   * How long the trail's log files are kept (whole days).
   * @default Duration.days(2555): seven years, like the data they cover
   */
  readonly retention?: Duration;
}

/**
 * CloudTrail coverage of the sensitive path: every management event (AWS Backup and KMS among them)
 * of every Region, into an encrypted, versioned, access-logged bucket with log file validation.
 * EventBridge receives CloudTrail's API-call events only when a trail records them, so the audit
 * alerts depend on this trail, or on the organization trail named instead.
 */
export class SensitiveAuditTrail extends Construct {
  /** The trail, unless an organization trail is relied on. */
  readonly trail?: cloudtrail.Trail;
  /** The trail's bucket. */
  readonly bucket?: s3.Bucket;
  /** The trail bucket's access log bucket. */
  readonly accessLogBucket?: s3.Bucket;
  /** The trail's key. */
  readonly key?: kms.Key;
  /** The organization trail relied on instead, when named. */
  readonly organizationTrailArn?: string;

  constructor(scope: Construct, id: string, props: SensitiveAuditTrailProps = {}) {
    super(scope, id);
    this.organizationTrailArn = props.organizationTrailArn;
    if (props.organizationTrailArn) return;
    const retention = props.retention ?? Duration.days(2555);

    this.key = new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'Encrypts the sensitive-path CloudTrail logs', removalPolicy: RemovalPolicy.RETAIN });
    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ expiration: retention, noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Logs', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'cloudtrail/',
      lifecycleRules: [{ expiration: retention, noncurrentVersionExpiration: retention }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.accessLogBucket,
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled', reason: 'Server access logs of the trail bucket: operational records kept by lifecycle, not replicated.' },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3DefaultEncryptionKMS', reason: 'S3 server access logging delivers only to buckets encrypted with SSE-S3.' },
    );
    acknowledge(this.bucket, {
      id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled',
      reason: 'Kept by AWS Backup, with copies in the backup account and Region (audit_logs category), rather than by replication.',
    });
    this.trail = new cloudtrail.Trail(this, 'Trail', {
      bucket: this.bucket,
      encryptionKey: this.key,
      enableFileValidation: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      managementEvents: cloudtrail.ReadWriteType.ALL,
    });
    acknowledge(this.trail, {
      id: 'NIST.800.53.R5::NIST.800.53.R5-CloudTrailCloudWatchLogsEnabled',
      reason: 'Alerts come from EventBridge rules on the API-call events; the log files are kept, validated, in the encrypted bucket.',
    });
  }
}
