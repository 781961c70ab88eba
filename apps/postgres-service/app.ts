import { App, type AppProps, type Environment } from 'aws-cdk-lib';
import { BackupInfrastructureStack } from '../../src/stacks/backup-infrastructure-stack';
import { ServiceStack } from './service-stack';

/** The PostgreSQL service app: backup infrastructure and the service's data, offline-synthesizable. */
export function createPostgresServiceApp(props: AppProps = {}): App {
  const app = new App(props);
  const account = app.node.tryGetContext('environment_account_id') as string | undefined;
  const region = app.node.tryGetContext('environment_region') as string | undefined;
  const env: Environment | undefined = account && region ? { account, region } : undefined;
  new BackupInfrastructureStack(app, 'ServiceBackupInfrastructure', { env });
  new ServiceStack(app, 'Service', { env });
  return app;
}
