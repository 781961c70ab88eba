/**
 * What constructs need of an environment's backup infrastructure, and where each Stage's one
 * infrastructure is found: registered when it is created, looked up by the Stage (or App) that
 * holds a construct, so no call walks the construct tree.
 */
import { Stage } from 'aws-cdk-lib';
import type * as backup from 'aws-cdk-lib/aws-backup';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { CategoryPolicy, RetentionPolicy } from '../policy/config';
import type { BackupMonitoring } from './backup-monitoring';
import type { EncryptedBackupVault } from './encrypted-backup-vault';

/**
 * An environment account's backup infrastructure: the validated retention policy, the local
 * vaults and roles, and the monitoring. `BackupInfrastructureStack` is the implementation.
 */
export interface IBackupInfrastructure extends IConstruct {
  /** The validated retention policy. */
  readonly policy: RetentionPolicy;
  /** The general local vault and its key. */
  readonly generalVault: EncryptedBackupVault;
  /** The sensitive local vault and its key (break-glass DENY). */
  readonly sensitiveVault: EncryptedBackupVault;
  /** The general AWS Backup service role. */
  readonly generalRole: iam.IRole;
  /** The minimal role that backs up the sensitive category. */
  readonly sensitiveRole: iam.IRole;
  /** Topics, rules, alarms and the dashboard, when monitoring is on. */
  readonly monitoring?: BackupMonitoring;
  /** The local vault a category's recovery points go to. */
  vaultFor(category: CategoryPolicy): backup.IBackupVault;
  /** The role AWS Backup uses for a category's resources. */
  roleFor(category: CategoryPolicy): iam.IRole;
  /** Name of the alarm that fires when the category's recovery points are stale, if monitored. */
  staleAlarmFor(category: CategoryPolicy): string | undefined;
  /** ARN of the local logically air-gapped vault, when a category backs up into one. */
  readonly localAirGappedVaultArn?: string;
  /** The role GuardDuty Malware Protection scans recovery points with, when a category scans. */
  readonly malwareScannerRole?: iam.IRole;
}

const byStage = new WeakMap<IConstruct, IBackupInfrastructure>();

const stageOf = (scope: IConstruct): IConstruct => (Stage.isStage(scope) ? scope : (Stage.of(scope) ?? scope.node.root));

/** Records `infrastructure` as its Stage's one backup infrastructure. */
export function registerBackupInfrastructure(infrastructure: IBackupInfrastructure): void {
  const stage = stageOf(infrastructure);
  const existing = byStage.get(stage);
  if (existing) {
    throw new Error(
      `${infrastructure.node.path}: ${stage.node.path || 'the app'} already has a backup infrastructure (${existing.node.path}); ` +
        'create one BackupInfrastructureStack per Stage (each environment account is its own Stage or App)',
    );
  }
  byStage.set(stage, infrastructure);
}

/** The backup infrastructure of the Stage (or App) that holds `scope`, if it has one yet. */
export function findBackupInfrastructure(scope: IConstruct): IBackupInfrastructure | undefined {
  return byStage.get(stageOf(scope));
}

/** The backup infrastructure of the Stage (or App) that holds `scope`. */
export function backupInfrastructureOf(scope: IConstruct): IBackupInfrastructure {
  const stage = stageOf(scope);
  const found = byStage.get(stage);
  if (!found) {
    throw new Error(
      `${scope.node.path}: no BackupInfrastructureStack in ${stage.node.path ? `the Stage ${stage.node.path}` : 'this app'}; ` +
        'create one in the same Stage before protecting, excluding or exporting its resources',
    );
  }
  return found;
}
