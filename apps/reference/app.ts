import { App, type AppProps } from 'aws-cdk-lib';
import { BackupInfrastructureStack, RetentionContext, StandbyRecovery } from 'retention-kit';
import { PersistentStack } from './persistent-stack';

/**
 * The reference environment app: the backup infrastructure and the data it protects. The account
 * and Region come from context (`environment_account_id`, `environment_region`) so the app
 * synthesizes offline, with no credentials.
 */
export function createReferenceApp(props: AppProps = {}): App {
  const app = new App(props);
  const env = RetentionContext.environment(app);
  const infrastructure = new BackupInfrastructureStack(app, 'BackupInfrastructure', { env });
  // Where a recovery copies recovery points back to when this deployment is the cold standby
  // (the backup account app's standby_recovery names the same vault).
  new StandbyRecovery(infrastructure, 'StandbyRecovery', { recoveryVaultName: 'CompactConnectRecoveryVault' });
  new PersistentStack(app, 'Persistent', { env });
  return app;
}
