/**
 * Who copies into the backup account: its source accounts and organizational units, each with the
 * backup roles it copies with. Pure: no CDK, no SDK.
 */
import type { BackupAccountConfig } from './backup-account-config';

/** A source account and the backup roles of its apps that copy into this account. */
export interface SourceAccount {
  /** The account. */
  readonly accountId: string;
  /** Its general backup roles, one per app that copies here. */
  readonly backupRoleNames: string[];
  /** Its sensitive backup roles (the ones that copy SSN data); none when the account sends no sensitive data. */
  readonly sensitiveBackupRoleNames: string[];
}

/** An organizational unit whose accounts copy into the general vaults: those an organization backup policy reaches. */
export interface SourceOrganizationalUnit {
  /** The OU's ID (ou-...), or the organization's root (r-...). */
  readonly organizationalUnitId: string;
  /** The `aws:PrincipalOrgPaths` pattern of the accounts in it, at any depth. */
  readonly orgPathPattern: string;
  /** The backup roles its accounts copy with. */
  readonly backupRoleNames: string[];
}

/**
 * The `aws:PrincipalOrgPaths` pattern of the accounts in an OU (at any depth below it) or under the
 * root: an OU's ID carries its root's (ou-<root>-<id>).
 */
export function orgPathPattern(organizationId: string, organizationalUnitId: string): string {
  const root = organizationalUnitId.startsWith('r-') ? organizationalUnitId : `r-${organizationalUnitId.split('-')[1]}`;
  return organizationalUnitId.startsWith('r-') ? `${organizationId}/${root}/*` : `${organizationId}/${root}/*${organizationalUnitId}/*`;
}

/** Backup role names of the source accounts' apps, one of each per app that copies into this account. */
export interface SourceRoleNames {
  /** The general backup roles. */
  readonly general: string[];
  /** The sensitive backup roles (the ones that copy SSN data). */
  readonly sensitive: string[];
}

/** The accounts and roles that copy into the general vaults, or into the sensitive one. */
export function copySourcesOf(config: BackupAccountConfig, vault: 'general' | 'sensitive'): { accountId: string; roleNames: string[] }[] {
  return config.sources
    .map((source) => ({ accountId: source.accountId, roleNames: vault === 'general' ? source.backupRoleNames : source.sensitiveBackupRoleNames }))
    .filter((source) => source.roleNames.length > 0);
}
