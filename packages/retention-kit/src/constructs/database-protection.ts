import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { backupWindowProblems, maintenanceWindowProblems, windowsOverlap } from '../policy';

/** Backup and maintenance windows of a protected database. */
export interface DatabaseOptions {
  /**
   * The engine's daily backup window, UTC.
   * @default '03:00-04:00'
   */
  readonly backupWindow?: string;
  /**
   * The engine's weekly maintenance window, UTC; must not overlap the backup window.
   * @default 'sun:05:00-sun:06:00'
   */
  readonly maintenanceWindow?: string;
}

export type Database = rds.CfnDBCluster | rds.CfnDBInstance;

/**
 * The engine's own backups follow the category: retention (its point-in-time window), windows that
 * do not overlap, tags copied to snapshots, encryption with a customer-managed key, log exports;
 * in production, deletion protection and a final snapshot. Returns what the engine cannot take.
 */
export function protectDatabase(cfn: Database, category: { name: string; engineBackupRetentionDays: number }, options: DatabaseOptions, production: boolean): string[] {
  const problems: string[] = [];
  const stack = Stack.of(cfn);
  const backupWindow = options.backupWindow ?? '03:00-04:00';
  const maintenanceWindow = options.maintenanceWindow ?? 'sun:05:00-sun:06:00';
  const windowProblems = [...backupWindowProblems(backupWindow), ...maintenanceWindowProblems(maintenanceWindow)];
  problems.push(...windowProblems);
  if (windowProblems.length === 0 && windowsOverlap(backupWindow, maintenanceWindow)) {
    problems.push(`backup window ${backupWindow} overlaps maintenance window ${maintenanceWindow}, which RDS refuses: move one of them`);
  }
  const current = stack.resolve(cfn.backupRetentionPeriod) as number | undefined;
  if (current !== undefined && current !== category.engineBackupRetentionDays) {
    problems.push(`backup retention is set to ${current} days, but category ${category.name} keeps ${category.engineBackupRetentionDays}: remove the setting or change engine_backup_retention_days`);
  }
  cfn.backupRetentionPeriod = category.engineBackupRetentionDays;
  cfn.preferredBackupWindow = backupWindow;
  cfn.preferredMaintenanceWindow = maintenanceWindow;
  cfn.copyTagsToSnapshot = true;
  const engine = String(stack.resolve(cfn.engine) ?? '');
  if (cfn.enableCloudwatchLogsExports === undefined && engine.includes('postgres')) cfn.enableCloudwatchLogsExports = ['postgresql'];
  if (stack.resolve(cfn.storageEncrypted) !== true || cfn.kmsKeyId === undefined) {
    problems.push('storage must be encrypted with a customer-managed KMS key (storageEncryptionKey on the L2 construct)');
  }
  if (production) {
    cfn.deletionProtection = true;
    cfn.applyRemovalPolicy(RemovalPolicy.SNAPSHOT);
  }
  return problems;
}
