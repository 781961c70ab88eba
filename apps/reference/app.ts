import { App, type AppProps } from 'aws-cdk-lib';
import { BackupInfrastructureStack, RetentionContext } from 'retention-kit';
import { PersistentStack } from './persistent-stack';

/**
 * The reference environment app: the backup infrastructure and the data it protects. The account
 * and Region come from context (`environment_account_id`, `environment_region`) so the app
 * synthesizes offline, with no credentials.
 */
export function createReferenceApp(props: AppProps = {}): App {
  const app = new App(props);
  const env = RetentionContext.environment(app);
  new BackupInfrastructureStack(app, 'BackupInfrastructure', { env });
  new PersistentStack(app, 'Persistent', { env });
  return app;
}
