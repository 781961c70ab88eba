import { parseBackupAccountConfig, parseRetentionPolicy } from 'retention-kit/policy';
import { breakGlassRunbook } from './break-glass-runbook';
import { categoriesDocument } from './categories';
import { resourceTypesDocument } from './resource-types';

/** The configurations the documents are built from: an environment app's and the backup account app's CDK context. */
export interface DocumentSources {
  readonly environmentContext: Record<string, unknown>;
  readonly backupAccountContext: Record<string, unknown>;
  /** The SSN table's name in the environment app. */
  readonly sensitiveTableName: string;
  /** The name of the recovery role (a BreakGlassRole) the SSN table's lock exempts. */
  readonly recoveryRoleName: string;
}

/** Every generated document, by path from the repository root, built from the given configuration. */
export function generatedDocuments({ environmentContext, backupAccountContext, sensitiveTableName, recoveryRoleName }: DocumentSources): Record<string, string> {
  return {
    'docs/categories.md': categoriesDocument(),
    'docs/resource-types.md': resourceTypesDocument(),
    'docs/runbooks/break-glass.md': breakGlassRunbook({
      environment: parseRetentionPolicy(environmentContext),
      environmentAccount: environmentContext.environment_account_id as string,
      environmentRegion: environmentContext.environment_region as string,
      backupAccount: parseBackupAccountConfig(backupAccountContext),
      sensitiveTableName,
      recoveryRoleName,
    }),
  };
}
