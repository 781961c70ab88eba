/**
 * Restore test validation: a few lines over src/runtime/restore-validation.ts, run for each
 * "Restore Job State Change" event with status COMPLETED. Publishes, per category, the restore's
 * duration and whether it was over the RTO or failed validation; the alarms watch those.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import type { EventBridgeEvent } from 'aws-lambda';
import { RESTORE_TEST_METRICS, RESTORE_VALIDATION_ENVIRONMENT } from 'retention-kit/policy';
import { clientSettings } from '../runtime/clients';
import { type RestoreValidationResult, validateRestoreJob } from '../runtime/restore-validation';

const logger = new Logger({ serviceName: 'restore-validation' });
const metrics = new Metrics({ namespace: RESTORE_TEST_METRICS.namespace, serviceName: 'restore-validation' });
const clients = { backup: new BackupClient(clientSettings()), dynamodb: new DynamoDBClient(clientSettings()), s3: new S3Client(clientSettings()), rds: new RDSClient(clientSettings()) };

export const handler = async (event: EventBridgeEvent<'Restore Job State Change', { restoreJobId: string }>): Promise<RestoreValidationResult> => {
  const { RESTORE_TEST_PLANS: plans, COUNT_TOLERANCE: countTolerance } = RESTORE_VALIDATION_ENVIRONMENT.decode();
  const result = await validateRestoreJob({ ...clients, restoreJobId: event.detail.restoreJobId, plans, countTolerance });
  if (result.status === 'skipped') {
    logger.info('restore job skipped', { reason: result.reason });
    return result;
  }
  const metric = metrics.singleMetric();
  metric.addDimension(RESTORE_TEST_METRICS.categoryDimension, result.category);
  metric.addMetric(RESTORE_TEST_METRICS.duration, MetricUnit.Seconds, result.duration.seconds);
  metric.addMetric(RESTORE_TEST_METRICS.overRto, MetricUnit.Count, result.duration.withinRto ? 0 : 1);
  metric.addMetric(RESTORE_TEST_METRICS.validationFailed, MetricUnit.Count, result.status === 'FAILED' ? 1 : 0);
  (result.status === 'FAILED' ? logger.error.bind(logger) : logger.info.bind(logger))('restore test validated', { ...result });
  return result;
};
