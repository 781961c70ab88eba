/**
 * Checks the account-level prerequisites of cross-account backup that no template can set:
 * membership of the organization, cross-account backup turned on in the management account, and
 * AWS Backup's advanced DynamoDB features (needed for DynamoDB copies and cold storage).
 */
import { type BackupClient, DescribeGlobalSettingsCommand, DescribeRegionSettingsCommand } from '@aws-sdk/client-backup';
import { DescribeOrganizationCommand, type OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';

export type CheckStatus = 'ok' | 'missing' | 'unknown';

export interface DoctorCheck {
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do when the check is not ok. */
  readonly fix?: string;
}

export interface DoctorClients {
  readonly sts: STSClient;
  readonly organizations: OrganizationsClient;
  readonly backup: BackupClient;
}

export interface DoctorExpectations {
  /** The organization the accounts must belong to. */
  readonly organizationId?: string;
  /** The Region checked (for messages). */
  readonly region: string;
}

const errorName = (e: unknown) => (e as { name?: string }).name ?? 'Error';

export async function runDoctor(clients: DoctorClients, expected: DoctorExpectations): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
  checks.push({ check: 'credentials', status: 'ok', detail: `account ${identity.Account} as ${identity.Arn}` });

  let managementAccount: string | undefined;
  try {
    const { Organization } = await clients.organizations.send(new DescribeOrganizationCommand({}));
    managementAccount = Organization?.MasterAccountId;
    if (expected.organizationId && Organization?.Id !== expected.organizationId) {
      checks.push({
        check: 'organization',
        status: 'missing',
        detail: `account belongs to ${Organization?.Id}, not ${expected.organizationId}`,
        fix: 'the backup and environment accounts must be in the organization named by organization_id',
      });
    } else {
      checks.push({ check: 'organization', status: 'ok', detail: `${Organization?.Id} (management account ${managementAccount})` });
    }
  } catch (e) {
    checks.push(
      errorName(e) === 'AWSOrganizationsNotInUseException'
        ? { check: 'organization', status: 'missing', detail: 'this account is not in an AWS Organization', fix: 'cross-account backup works only between accounts of one organization' }
        : { check: 'organization', status: 'unknown', detail: `cannot read the organization (${errorName(e)})`, fix: 'allow organizations:DescribeOrganization, or check by hand' },
    );
  }

  try {
    const { GlobalSettings } = await clients.backup.send(new DescribeGlobalSettingsCommand({}));
    const enabled = GlobalSettings?.isCrossAccountBackupEnabled === 'true';
    checks.push({
      check: 'cross-account backup (organization setting)',
      status: enabled ? 'ok' : 'missing',
      detail: enabled ? 'turned on' : 'turned off',
      fix: enabled ? undefined : 'in the management account: aws backup update-global-settings --global-settings isCrossAccountBackupEnabled=true',
    });
  } catch (e) {
    checks.push({
      check: 'cross-account backup (organization setting)',
      status: 'unknown',
      detail: `only the management account${managementAccount ? ` (${managementAccount})` : ''} can read it (${errorName(e)})`,
      fix: 'run `retention doctor` with credentials of the management account to check it',
    });
  }

  const settings = await clients.backup.send(new DescribeRegionSettingsCommand({}));
  const advanced = settings.ResourceTypeManagementPreference?.DynamoDB === true;
  checks.push({
    check: `advanced DynamoDB backup (${expected.region})`,
    status: advanced ? 'ok' : 'missing',
    detail: advanced ? 'AWS Backup fully manages DynamoDB backups' : 'off: DynamoDB recovery points cannot be copied to another account or moved to cold storage',
    fix: advanced ? undefined : `aws backup update-region-settings --region ${expected.region} --resource-type-management-preference DynamoDB=true`,
  });
  for (const type of ['DynamoDB', 'S3']) {
    const optedIn = settings.ResourceTypeOptInPreference?.[type] === true;
    checks.push({
      check: `AWS Backup opt-in for ${type} (${expected.region})`,
      status: optedIn ? 'ok' : 'missing',
      detail: optedIn ? 'opted in' : 'not opted in',
      fix: optedIn ? undefined : `aws backup update-region-settings --region ${expected.region} --resource-type-opt-in-preference ${type}=true`,
    });
  }
  return checks;
}
