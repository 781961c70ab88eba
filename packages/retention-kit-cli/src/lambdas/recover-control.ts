/**
 * The recovery state machine's control function: a few lines over the same runtime code as
 * `retention recover dynamodb`. It may back up and restore its one table and set its functions'
 * concurrency; it cannot read or write items (the sync function does that).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RECOVER_CONTROL_ENVIRONMENT, RECOVER_CONTROL_STEPS } from 'retention-kit/policy';
import { clientSettings } from '../runtime/clients';
import {
  type BackupHandle,
  backupStatus,
  planRecovery,
  type RecoveryExecutionInput,
  type RecoveryPlan,
  type RecoveryVerdict,
  removeTable,
  restoreFinished,
  startBackup,
  startRestore,
} from '../runtime/dynamodb/recover-steps';
import { pauseFunctions, restoreConcurrency } from '../runtime/recovery-mode';

const logger = new Logger({ serviceName: 'recover-control' });
const clients = { dynamodb: new DynamoDBClient(clientSettings()), lambda: new LambdaClient(clientSettings()), awsBackup: new BackupClient(clientSettings()) };
/** Set by the construct: the one table this function recovers, how it is backed up, and the functions recovery mode pauses. */
function settings() {
  const { TABLE_NAME: table, PRE_RECOVERY_BACKUP: backup, PAUSE_FUNCTIONS: functions } = RECOVER_CONTROL_ENVIRONMENT.decode();
  return { table, backup, functions };
}

export type RecoverControlEvent =
  | { step: 'check'; input: RecoveryExecutionInput }
  | { step: 'backup-start'; plan: RecoveryPlan }
  | { step: 'backup-status'; plan: RecoveryPlan; backup: BackupHandle }
  | { step: 'restore-start' | 'restore-status' | 'pause' | 'resume-functions'; plan: RecoveryPlan }
  | { step: 'remove'; plan: RecoveryPlan; verdict: RecoveryVerdict };

export const handler = async (input: unknown): Promise<unknown> => {
  const event = RECOVER_CONTROL_STEPS.check<RecoverControlEvent>(input);
  const { table, backup, functions } = settings();
  logger.info('step', { step: event.step, table });
  switch (event.step) {
    case 'check':
      return planRecovery(clients, table, event.input, functions);
    case 'backup-start':
      return startBackup(clients, backup, event.plan.live, event.plan.incident);
    case 'backup-status':
      return backupStatus(clients, event.backup, table);
    case 'restore-start':
      return startRestore(clients.dynamodb, event.plan.live, event.plan.recoveryTable, new Date(event.plan.toTime));
    case 'restore-status':
      return { finished: await restoreFinished(clients.dynamodb, event.plan.recoveryTable) };
    case 'pause':
      await pauseFunctions(clients.lambda, event.plan.functions);
      return { paused: event.plan.functions.map((saved) => saved.functionName) };
    case 'resume-functions':
      await restoreConcurrency(clients.lambda, event.plan.functions);
      return { restored: event.plan.functions };
    case 'remove':
      // Only a verified recovery removes its copy; the state machine asks only then, and this checks again.
      if (!event.verdict.verified) throw new Error(`${event.plan.table} is not verified equal to ${event.plan.recoveryTable}; the copy stays`);
      await removeTable(clients.dynamodb, event.plan.recoveryTable);
      return { removed: event.plan.recoveryTable };
  }
};
