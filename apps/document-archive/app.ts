import { App, type AppProps } from 'aws-cdk-lib';
import { BackupInfrastructureStack, OrganizationBackupPolicyStack, RetentionContext } from 'retention-kit';
import { ArchiveStack } from './archive-stack';

/**
 * The document archive app: AWS Backup's newer protections from one retention policy. Scanned,
 * indexed and tiered documents with an air-gapped copy, an EKS cluster backed up straight into a
 * local air-gapped vault, volumes of other teams selected by tag, and an organization backup policy
 * for the configuration category, deployed from the management account.
 */
export function createDocumentArchiveApp(props: AppProps = {}): App {
  const app = new App(props);
  const env = RetentionContext.environment(app);
  new BackupInfrastructureStack(app, 'ArchiveBackupInfrastructure', { env });
  new ArchiveStack(app, 'Archive', { env });
  new OrganizationBackupPolicyStack(app, 'OrganizationBackupPolicy', {
    env: { account: app.node.tryGetContext('management_account_id') as string, region: 'us-east-1' },
    // This account deploys the app itself, with the same vault and role: the StackSet leaves it out.
    excludeAccountIds: env?.account ? [env.account] : [],
  });
  return app;
}
