import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBackupAccountConfig, parseRetentionPolicy } from '../policy';
import { cdkJsonContext } from '../cli/cdk-json';
import { breakGlassRunbook } from './break-glass-runbook';
import { categoriesDocument } from './categories';

const ROOT = join(__dirname, '../..');

/** Every generated document, by path from the repository root, built from the reference configuration. */
export function generatedDocuments(): Record<string, string> {
  const environmentContext = cdkJsonContext(join(ROOT, 'apps/reference'));
  const backupAccountContext = JSON.parse(readFileSync(join(ROOT, 'apps/backup-account/cdk.context.example.json'), 'utf8')) as Record<string, unknown>;
  return {
    'docs/categories.md': categoriesDocument(),
    'docs/runbooks/break-glass.md': breakGlassRunbook({
      environment: parseRetentionPolicy(environmentContext),
      environmentAccount: environmentContext.environment_account_id as string,
      environmentRegion: environmentContext.environment_region as string,
      backupAccount: parseBackupAccountConfig(backupAccountContext),
    }),
  };
}
