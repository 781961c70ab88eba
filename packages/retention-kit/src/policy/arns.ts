/**
 * Every ARN the toolkit writes is derived here, from account, region and name, so a role can never
 * point at one vault while the plan copies to another.
 */

export const ACCOUNT_ID = /^\d{12}$/;
export const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
export const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
/** AWS Backup vault names: 2-50 letters, digits, hyphens and underscores. */
export const VAULT_NAME = /^[a-zA-Z0-9\-_]{2,50}$/;
/** IAM role names (without path). */
export const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

const BACKUP_VAULT_ARN = /^arn:(aws|aws-cn|aws-us-gov):backup:([a-z0-9-]+):(\d{12}):backup-vault:([a-zA-Z0-9\-_]{2,50})$/;

export interface BackupVaultArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly vaultName: string;
}

export function parseBackupVaultArn(arn: string): BackupVaultArn | undefined {
  const m = BACKUP_VAULT_ARN.exec(arn);
  if (!m) return undefined;
  return { partition: m[1], region: m[2], account: m[3], vaultName: m[4] };
}

export function backupVaultArn(parts: { region: string; account: string; vaultName: string; partition?: string }): string {
  return `arn:${parts.partition ?? 'aws'}:backup:${parts.region}:${parts.account}:backup-vault:${parts.vaultName}`;
}

export function roleArn(account: string, roleName: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${account}:role/${roleName}`;
}

export function accountRootArn(account: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${account}:root`;
}

/** The alias a vault's key gets unless one is configured. */
export function defaultKeyAlias(vaultName: string): string {
  return `alias/${vaultName}-key`;
}
