import { App, type AppProps } from 'aws-cdk-lib';
import { BackupAccountStack } from 'retention-kit';

/** The backup account app: one stack, deployed in the backup account and Region named by its context. */
export function createBackupAccountApp(props: AppProps = {}): App {
  const app = new App(props);
  const account = app.node.tryGetContext('backup_account_id') as string | undefined;
  const region = app.node.tryGetContext('backup_region') as string | undefined;
  new BackupAccountStack(app, 'BackupAccountStack', {
    env: account && region ? { account, region } : undefined,
    description: 'Destination vaults and keys for cross-account backup copies',
  });
  return app;
}
