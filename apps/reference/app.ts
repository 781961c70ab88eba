import { App, type AppProps, type Environment } from 'aws-cdk-lib';
import { BackupInfrastructureStack } from '../../src/stacks/backup-infrastructure-stack';
import { PersistentStack } from './persistent-stack';

/**
 * The reference environment app: the backup infrastructure and the data it protects. The account
 * and Region come from context (`environment_account_id`, `environment_region`) so the app
 * synthesizes offline, with no credentials.
 */
export function createReferenceApp(props: AppProps = {}): App {
  const app = new App(props);
  const account = app.node.tryGetContext('environment_account_id') as string | undefined;
  const region = app.node.tryGetContext('environment_region') as string | undefined;
  const env: Environment | undefined = account && region ? { account, region } : undefined;
  new BackupInfrastructureStack(app, 'BackupInfrastructure', { env });
  new PersistentStack(app, 'Persistent', { env });
  return app;
}
