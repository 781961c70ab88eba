import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledge } from './nag';

/** Days server access logs are kept. */
export const ACCESS_LOG_DAYS = 400;

/**
 * A bucket for S3 server access logs: SSE-S3 (the only encryption log delivery supports), private,
 * TLS only, versioned, logs kept 400 days and old versions 30. `of` says whose logs it holds, for
 * the acknowledgements' reasons. The caller declares it excluded (its own reason).
 */
export function accessLogsBucket(scope: Construct, id: string, of: string, removalPolicy?: RemovalPolicy): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    versioned: true,
    lifecycleRules: [{ expiration: Duration.days(ACCESS_LOG_DAYS), noncurrentVersionExpiration: Duration.days(30) }],
    ...(removalPolicy ? { removalPolicy } : {}),
  });
  acknowledge(
    bucket,
    { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled', reason: `Server access logs of ${of}: operational records kept by lifecycle, not replicated.` },
    { id: 'NIST.800.53.R5::NIST.800.53.R5-S3DefaultEncryptionKMS', reason: 'S3 server access logging delivers only to buckets encrypted with SSE-S3.' },
  );
  return bucket;
}
