import { App, type AppProps } from 'aws-cdk-lib';
import { BackupInfrastructureStack, RetentionContext } from 'retention-kit';
import { ServiceStack } from './service-stack';

/** The PostgreSQL service app: backup infrastructure and the service's data, offline-synthesizable. */
export function createPostgresServiceApp(props: AppProps = {}): App {
  const app = new App(props);
  const env = RetentionContext.environment(app);
  new BackupInfrastructureStack(app, 'ServiceBackupInfrastructure', { env });
  new ServiceStack(app, 'Service', { env });
  return app;
}
