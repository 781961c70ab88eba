/**
 * What the code deploys on the sensitive path, for comparing with live policies (the access
 * review's drift check). Built from the same statement functions the stacks use.
 */
import { backupVaultArn, defaultKeyAlias, roleArn } from './arns';
import type { BackupAccountConfig } from './backup-account-config';
import { copySourcesOf } from './source-accounts';
import { DEFAULT_ROLE_NAMES } from './categories';
import type { RetentionPolicy } from './config';
import { destinationKeyUseStatements, destinationSensitiveVaultStatements } from './destination-statements';
import {
  type PolicyStatementJson,
  copyTargetDenyStatements,
  localSensitiveVaultStatements,
  sensitiveKeyDenyStatement,
  sensitiveRoleDenyStatement,
  sensitiveRoleVaultStatements,
} from './statements';

export interface SensitiveExpectations {
  readonly side: 'environment account' | 'backup account';
  readonly account: string;
  readonly region: string;
  readonly vaultName: string;
  readonly keyId: string;
  readonly vaultStatements: PolicyStatementJson[];
  readonly keyStatements: (keyArn: string) => PolicyStatementJson[];
  /** The sensitive backup role and its inline policy, on the environment side. */
  readonly role?: { readonly name: string; readonly inlinePolicyName: string; readonly statements: (keyArn: string) => PolicyStatementJson[] };
  /** The dedicated-vault categories, whose DynamoDB tables carry the table lock (environment side). */
  readonly sensitiveCategories?: readonly string[];
}

/** Name of the sensitive role's inline policy (BackupInfrastructureStack). */
export const SENSITIVE_ROLE_POLICY_NAME = 'SensitiveBackup';

export function environmentExpectations(policy: RetentionPolicy, account: string, region: string): SensitiveExpectations {
  const sensitive = Object.values(policy.categories).filter((c) => c.dedicatedVault);
  const roleName = sensitive[0]?.specializedRole ?? DEFAULT_ROLE_NAMES.sensitive;
  const targets = [...new Set(sensitive.flatMap((c) => (c.copyDestination ? [c.copyDestination.vaultArn] : [])))];
  const destination = sensitive.find((c) => c.copyDestination)?.copyDestination;
  const vaultName = policy.vaultNames.sensitive;
  return {
    side: 'environment account',
    account,
    region,
    vaultName,
    keyId: defaultKeyAlias(vaultName),
    vaultStatements: localSensitiveVaultStatements({ copyRoleArn: roleArn(account, roleName), copyTargets: targets }),
    keyStatements: () => [sensitiveKeyDenyStatement({ region })],
    sensitiveCategories: sensitive.map((c) => c.name),
    role: {
      name: roleName,
      inlinePolicyName: SENSITIVE_ROLE_POLICY_NAME,
      statements: (keyArn) => [
        sensitiveRoleDenyStatement(),
        ...copyTargetDenyStatements(targets, true),
        ...sensitiveRoleVaultStatements({
          region,
          localVaultArn: backupVaultArn({ region, account, vaultName }),
          localKeyArn: keyArn,
          destinationVaultArn: destination?.vaultArn,
          destinationAccount: destination?.account,
          destinationVaultName: destination?.vaultName,
          destinationRegion: destination?.region,
        }),
      ],
    },
  };
}

export function backupAccountExpectations(config: BackupAccountConfig): SensitiveExpectations {
  return {
    side: 'backup account',
    account: config.backupAccountId,
    region: config.backupRegion,
    vaultName: config.vaultNames.sensitive,
    keyId: config.keyAliases.sensitive,
    vaultStatements: destinationSensitiveVaultStatements({ ...config, sourceAccountIds: config.sensitiveSourceAccountIds, vaultName: config.vaultNames.sensitive }),
    keyStatements: () => [
      ...destinationKeyUseStatements({ sources: copySourcesOf(config, 'sensitive'), organizationId: config.organizationId, backupRegion: config.backupRegion }),
      sensitiveKeyDenyStatement({ region: config.backupRegion }),
    ],
  };
}
