/**
 * Scheduled Cognito export: a few lines over src/runtime/cognito/export-job.ts. A Step Functions
 * loop calls it until it answers `complete`; before its time runs out it stops at a part
 * boundary and answers `continue`, and the next call carries on from the checkpoint.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { COGNITO_EXPORT_ENVIRONMENT, COGNITO_EXPORT_METRICS, COGNITO_EXPORT_STATE_SCHEMA, type CognitoExportState, HandlerContractError } from 'retention-kit/policy';
import { clientSettings } from '../runtime/clients';
import { createCognitoClient } from '../runtime/cognito/client';
import { runExportJob } from '../runtime/cognito/export-job';
import { S3Store } from '../runtime/store';

const logger = new Logger({ serviceName: COGNITO_EXPORT_METRICS.service });
const metrics = new Metrics({ namespace: COGNITO_EXPORT_METRICS.namespace, serviceName: COGNITO_EXPORT_METRICS.service });

/** Clients and settings from the environment, made on first use and kept for warm invocations. */
const dependencies = once(() => {
  const settings = COGNITO_EXPORT_ENVIRONMENT.decode();
  return {
    client: createCognitoClient({ rates: settings.RATE_LIMITS }),
    store: new S3Store(new S3Client({ ...clientSettings(), forcePathStyle: settings.S3_PATH_STYLE }), settings.EXPORT_BUCKET, settings.EXPORT_PREFIX),
    userPoolIds: settings.USER_POOL_IDS,
    /** Time kept in hand to finish the current part and save the checkpoint. */
    handoverMs: settings.HANDOVER_MS,
  };
});

function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

export const handler = async (input: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<CognitoExportState> => {
  const parsed = COGNITO_EXPORT_STATE_SCHEMA.safeParse(input);
  if (!parsed.success) throw new HandlerContractError('cognito-export', parsed.error.issues.map((issue) => `event.${issue.path.join('.')}: ${issue.message}`));
  const event = parsed.data;
  const { client, store, userPoolIds, handoverMs } = dependencies();
  const result = await runExportJob({
    client,
    store,
    userPoolIds,
    completed: event?.completed ?? [],
    shouldStop: () => context.getRemainingTimeInMillis() < handoverMs,
  });
  for (const { userPoolId, location, manifest } of result.exported) {
    const metric = metrics.singleMetric();
    metric.addDimension(COGNITO_EXPORT_METRICS.dimension, userPoolId);
    metric.addMetric(COGNITO_EXPORT_METRICS.usersExported, MetricUnit.Count, manifest.counts.users);
    logger.info('user pool exported', { userPoolId, location, counts: manifest.counts, resumes: manifest.resumes, calls: manifest.calls });
  }
  for (const { userPoolId, error } of result.failed) logger.error('user pool export failed; its checkpoint is kept', { userPoolId, error });
  metrics.addMetric(COGNITO_EXPORT_METRICS.poolsExported, MetricUnit.Count, result.exported.length);
  metrics.addMetric(COGNITO_EXPORT_METRICS.poolsFailed, MetricUnit.Count, result.failed.length);
  metrics.publishStoredMetrics();
  const failed = [...(event?.failed ?? []), ...result.failed.map((f) => f.userPoolId)];
  return { status: result.status, completed: result.completed, failed };
};
