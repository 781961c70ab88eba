import { BackupClient, DescribeGlobalSettingsCommand, DescribeRegionSettingsCommand } from '@aws-sdk/client-backup';
import { DescribeOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatChecks } from '../../../packages/retention-kit-cli/src/cli/commands/doctor';
import { runDoctor } from '../../../packages/retention-kit-cli/src/runtime/doctor';

const sts = mockClient(STSClient);
const organizations = mockClient(OrganizationsClient);
const backup = mockClient(BackupClient);
const clients = { sts: new STSClient({ region: 'us-east-1' }), organizations: new OrganizationsClient({ region: 'us-east-1' }), backup: new BackupClient({ region: 'us-east-1' }) };
const named = (name: string) => Object.assign(new Error(name), { name });

describe('retention doctor (STS, Organizations and AWS Backup mocked: no local server exists for them)', () => {
  beforeEach(() => {
    for (const m of [sts, organizations, backup]) m.reset();
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111111111111', Arn: 'arn:aws:sts::111111111111:assumed-role/Ops/alice' });
    organizations.on(DescribeOrganizationCommand).resolves({ Organization: { Id: 'o-exampleorg1', MasterAccountId: '999999999999' } });
    backup.on(DescribeGlobalSettingsCommand).resolves({ GlobalSettings: { isCrossAccountBackupEnabled: 'true' } });
    backup.on(DescribeRegionSettingsCommand).resolves({ ResourceTypeManagementPreference: { DynamoDB: true }, ResourceTypeOptInPreference: { DynamoDB: true, S3: true } });
  });

  it('reports every prerequisite ok when all are in place', async () => {
    const checks = await runDoctor(clients, { region: 'us-east-1', organizationId: 'o-exampleorg1' });
    expect(checks.map((c) => [c.check, c.status])).toEqual([
      ['credentials', 'ok'],
      ['organization', 'ok'],
      ['cross-account backup (organization setting)', 'ok'],
      ['advanced DynamoDB backup (us-east-1)', 'ok'],
      ['AWS Backup opt-in for DynamoDB (us-east-1)', 'ok'],
      ['AWS Backup opt-in for S3 (us-east-1)', 'ok'],
    ]);
  });

  it('says what is missing and how to fix it', async () => {
    organizations.on(DescribeOrganizationCommand).resolves({ Organization: { Id: 'o-otherorg123', MasterAccountId: '999999999999' } });
    backup.on(DescribeGlobalSettingsCommand).resolves({ GlobalSettings: { isCrossAccountBackupEnabled: 'false' } });
    backup.on(DescribeRegionSettingsCommand).resolves({ ResourceTypeManagementPreference: { DynamoDB: false }, ResourceTypeOptInPreference: { DynamoDB: true, S3: false } });
    const checks = await runDoctor(clients, { region: 'us-east-1', organizationId: 'o-exampleorg1' });
    const missing = checks.filter((c) => c.status === 'missing');
    expect(missing.map((c) => c.fix)).toEqual([
      'the backup and environment accounts must be in the organization named by organization_id',
      'in the management account: aws backup update-global-settings --global-settings isCrossAccountBackupEnabled=true',
      'aws backup update-region-settings --region us-east-1 --resource-type-management-preference DynamoDB=true',
      'aws backup update-region-settings --region us-east-1 --resource-type-opt-in-preference S3=true',
    ]);
    expect(formatChecks(checks)).toContain('MISSING');
  });

  it('says it cannot tell, rather than guessing, outside the management account or the organization', async () => {
    backup.on(DescribeGlobalSettingsCommand).rejects(named('AccessDeniedException'));
    organizations.on(DescribeOrganizationCommand).rejects(named('AWSOrganizationsNotInUseException'));
    const checks = await runDoctor(clients, { region: 'us-east-1' });
    expect(checks.find((c) => c.check.startsWith('cross-account'))).toMatchObject({ status: 'unknown', fix: 'run `retention doctor` with credentials of the management account to check it' });
    expect(checks.find((c) => c.check === 'organization')).toMatchObject({ status: 'missing', detail: 'this account is not in an AWS Organization' });
  });
});
