/**
 * Scheduled freshness check: a few lines over src/runtime/freshness.ts. Publishes, per category,
 * the number of stale resources and the oldest recovery point age; the alarms watch those.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { BackupClient } from '@aws-sdk/client-backup';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { FRESHNESS_CHECK_ENVIRONMENT, FRESHNESS_METRICS } from 'retention-kit/policy';
import { clientSettings } from '../runtime/clients';
import { checkFreshness } from '../runtime/freshness';
import { vaultStorage } from '../runtime/storage';

const logger = new Logger({ serviceName: FRESHNESS_METRICS.service });
const metrics = new Metrics({ namespace: FRESHNESS_METRICS.namespace, serviceName: FRESHNESS_METRICS.service });
const backup = new BackupClient(clientSettings());
const tagging = new ResourceGroupsTaggingAPIClient(clientSettings());

export const handler = async (): Promise<{ stale: number; resources: number; slowJobs: number; missedStarts: number }> => {
  const { CATEGORIES: categories, MARGIN_HOURS: marginHours, SLOW_JOB_SHARE: slowJobShare, VAULTS: vaults, RETENTION_DAYS: retentionDays } = FRESHNESS_CHECK_ENVIRONMENT.decode();
  const report = await checkFreshness(backup, { categories, marginHours, tagging, slowJobShare });
  for (const summary of report.categories) {
    const metric = metrics.singleMetric();
    metric.addDimension(FRESHNESS_METRICS.dimension, summary.category);
    metric.addMetric(FRESHNESS_METRICS.staleResources, MetricUnit.Count, summary.stale);
    if (Number.isFinite(summary.oldestAgeHours) && summary.resources > 0) metric.addMetric(FRESHNESS_METRICS.oldestRecoveryPointAgeHours, MetricUnit.Count, summary.oldestAgeHours);
    metric.addMetric(FRESHNESS_METRICS.slowJobs, MetricUnit.Count, summary.slowJobs);
    metric.addMetric(FRESHNESS_METRICS.oldestRunningJobMinutes, MetricUnit.Count, summary.oldestRunningJobMinutes);
    metric.addMetric(FRESHNESS_METRICS.missedStarts, MetricUnit.Count, summary.missedStarts);
  }
  for (const job of report.slowJobs) logger.warn('job running long', { ...job });
  // What the vaults hold per category and tier, and what outstays its retention.
  for (const usage of vaults.length > 0 ? await vaultStorage(backup, { vaults, retentionDays }) : []) {
    for (const [tier, { count, bytes }] of [['warm', usage.warm], ['cold', usage.cold]] as const) {
      const metric = metrics.singleMetric();
      metric.addDimensions({ [FRESHNESS_METRICS.dimension]: usage.category, Vault: usage.vault, Tier: tier });
      metric.addMetric(FRESHNESS_METRICS.recoveryPoints, MetricUnit.Count, count);
      metric.addMetric(FRESHNESS_METRICS.recoveryPointGigabytes, MetricUnit.Gigabytes, bytes / 1e9);
    }
    const compliance = metrics.singleMetric();
    compliance.addDimensions({ [FRESHNESS_METRICS.dimension]: usage.category, Vault: usage.vault });
    compliance.addMetric(FRESHNESS_METRICS.overRetention, MetricUnit.Count, usage.overRetention);
    compliance.addMetric(FRESHNESS_METRICS.withoutLifecycle, MetricUnit.Count, usage.withoutLifecycle);
  }
  for (const resource of report.resources.filter((r) => r.status !== 'fresh')) {
    logger.warn('recovery point not fresh', { resourceArn: resource.resourceArn, category: resource.category, status: resource.status, problems: resource.problems });
  }
  const stale = report.resources.filter((r) => r.status !== 'fresh').length;
  logger.info('freshness checked', { resources: report.resources.length, stale });
  return { stale, resources: report.resources.length, slowJobs: report.slowJobs.length, missedStarts: report.resources.filter((r) => r.missedStart).length };
};
