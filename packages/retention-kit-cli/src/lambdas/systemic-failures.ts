/**
 * Runs on every failed backup or copy job event (and every few minutes, so the count falls back):
 * a few lines over src/runtime/systemic-failures.ts. Publishes the distinct failed resources and
 * the categories failing their copies in the window; the escalation alarms watch those.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { BackupClient } from '@aws-sdk/client-backup';
import { SYSTEMIC_FAILURES_ENVIRONMENT, SYSTEMIC_FAILURE_METRICS } from 'retention-kit/policy';
import { clientSettings } from '../runtime/clients';
import { systemicFailures } from '../runtime/systemic-failures';

const logger = new Logger({ serviceName: SYSTEMIC_FAILURE_METRICS.service });
const metrics = new Metrics({ namespace: SYSTEMIC_FAILURE_METRICS.namespace, serviceName: SYSTEMIC_FAILURE_METRICS.service });
const backup = new BackupClient(clientSettings());

export const handler = async (): Promise<{ failedResources: number; categoriesFailingCopy: number; failedJobs: number }> => {
  const { WINDOW_MINUTES: windowMinutes, COPYING_CATEGORIES: copyingCategories } = SYSTEMIC_FAILURES_ENVIRONMENT.decode();
  const report = await systemicFailures(backup, { windowMinutes, copyingCategories });
  metrics.addMetric(SYSTEMIC_FAILURE_METRICS.failedResources, MetricUnit.Count, report.failedResources.length);
  metrics.addMetric(SYSTEMIC_FAILURE_METRICS.categoriesFailingCopy, MetricUnit.Count, report.categoriesFailingCopy.length);
  metrics.publishStoredMetrics();
  if (report.failedResources.length > 0) logger.warn('failed backup or copy jobs in the window', { since: report.since.toISOString(), resources: report.failedResources, categoriesFailingCopy: report.categoriesFailingCopy });
  return { failedResources: report.failedResources.length, categoriesFailingCopy: report.categoriesFailingCopy.length, failedJobs: report.failedJobs };
};
