/** Names shared by the freshness check (which publishes) and the monitoring construct (which alarms). */
export const FRESHNESS_METRICS = {
  namespace: 'RetentionKit',
  /** Resources whose newest recovery point (or copy) is older than the category's RPO plus the margin. */
  staleResources: 'StaleResources',
  /** Age of the oldest newest-recovery-point in the category, in hours. */
  oldestRecoveryPointAgeHours: 'OldestRecoveryPointAgeHours',
  dimension: 'Category',
  /** Running backup or copy jobs older than the slow share of the rule's completion window. */
  slowJobs: 'SlowJobs',
  /** Age of the oldest running backup or copy job, in minutes. */
  oldestRunningJobMinutes: 'OldestRunningJobMinutes',
  /** Resources with no backup job since the last scheduled run whose start window has passed. */
  missedStarts: 'MissedStarts',
  /** Recovery points per category, vault and tier (warm, cold). */
  recoveryPoints: 'RecoveryPoints',
  /** Their size, in gigabytes. */
  recoveryPointGigabytes: 'RecoveryPointGigabytes',
  /** Recovery points older than their category's retention. */
  overRetention: 'RecoveryPointsOverRetention',
  /** Recovery points with no deletion date. */
  withoutLifecycle: 'RecoveryPointsWithoutLifecycle',
  /** Powertools adds a `service` dimension to every metric; the alarms must name it too. */
  service: 'retention-freshness',
} as const;

/** What the freshness check needs to know of a category. */
export interface CategoryFreshness {
  readonly rpoHours: number;
  /** Whether the category copies to the backup account (then the newest copy must be fresh too). */
  readonly copies: boolean;
  /** The rule's schedule (AWS cron, UTC), for the starts missed; without it none are counted. */
  readonly schedule?: string;
  /** Minutes a scheduled job has to start. */
  readonly startWindowMinutes?: number;
  /** Minutes a started job has to complete: slow is a share of it. */
  readonly completionWindowMinutes?: number;
}

/**
 * A running job is slow past this share of its rule's completion window: at 80% there is still a
 * fifth of the window to act in before AWS Backup cancels it.
 */
export const DEFAULT_SLOW_JOB_SHARE = 0.8;

/** Default margin on top of the RPO before a recovery point counts as stale (daily: 24 + 1 = 25 hours). */
export const DEFAULT_FRESHNESS_MARGIN_HOURS = 1;

/** Names shared by the systemic-failure function (which publishes) and the monitoring construct (which alarms). */
export const SYSTEMIC_FAILURE_METRICS = {
  namespace: 'RetentionKit',
  /** Distinct resources with a failed backup or copy job in the window. */
  failedResources: 'FailedResources',
  /** Categories with a failed copy to the backup account in the window. */
  categoriesFailingCopy: 'CategoriesFailingCopy',
  service: 'retention-systemic-failures',
} as const;

/**
 * When failures escalate. Three distinct resources: one failing resource is routine (a lock, a
 * throttled call, a resource being changed) and goes to the alert topic; two can coincide; three
 * failing together point at something they share (the role, a key, the vault, a quota, an AWS
 * event). Sixty minutes: the default start window, so the failures of one scheduled run (every
 * daily job starts within it) fall in one window.
 */
export const DEFAULT_ESCALATION = { minResources: 3, windowMinutes: 60 } as const;
