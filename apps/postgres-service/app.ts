import { App, type AppProps } from 'aws-cdk-lib';
import { environmentFromContext } from '../../src/constructs/context';
import { BackupInfrastructureStack } from '../../src/stacks/backup-infrastructure-stack';
import { ServiceStack } from './service-stack';

/** The PostgreSQL service app: backup infrastructure and the service's data, offline-synthesizable. */
export function createPostgresServiceApp(props: AppProps = {}): App {
  const app = new App(props);
  const env = environmentFromContext(app);
  new BackupInfrastructureStack(app, 'ServiceBackupInfrastructure', { env });
  new ServiceStack(app, 'Service', { env });
  return app;
}
