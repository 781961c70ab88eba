import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { OrganizationBackupPolicyStack } from 'retention-kit';
import { parseRetentionPolicy } from 'retention-kit/policy';
import { createBackupAccountApp } from '../../../apps/backup-account/app';
import { memberDeploymentTargets } from '../../../packages/retention-kit/src/stacks/organization-backup-policy-stack';
import { DOCUMENT_ARCHIVE_CONTEXT, documentArchiveApp, synthError, tempDir } from '../../support/apps';
import { type CfnTemplate, resolve } from '../../support/cfn';
import { evaluate } from '../../support/iam';

const BACKUP = '222222222222';
const MEMBER = '666666666666';
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const IN_OU = 'o-exampleorg1/r-ab12/ou-ab12-cdef3456/';
const IN_NESTED_OU = 'o-exampleorg1/r-ab12/ou-ab12-parent00/ou-ab12-cdef3456/';
const ELSEWHERE = 'o-exampleorg1/r-ab12/ou-ab12-zzzzzzzz/';

describe('organization mode: the backup policy, the StackSet that gives every account it reaches its vault and role, and the destination that admits the OU', () => {
  let organization: Record<string, { Type: string; Properties: Record<string, any> }>;
  let backupAccount: CfnTemplate;

  beforeAll(() => {
    const assembly = documentArchiveApp().synth();
    organization = JSON.parse(readFileSync(join(assembly.directory, assembly.getStackByName('OrganizationBackupPolicy').templateFile), 'utf8')).Resources;
    const context = JSON.parse(readFileSync(join(__dirname, '../../../apps/backup-account/cdk.context.example.json'), 'utf8'));
    const backupAssembly = createBackupAccountApp({ context, outdir: tempDir('org-mode-backup') }).synth();
    backupAccount = JSON.parse(readFileSync(join(backupAssembly.directory, 'BackupAccountStack.template.json'), 'utf8')) as CfnTemplate;
  });

  const ofType = (type: string) => Object.values(organization).filter((r) => r.Type === type);

  it('deploys a service-managed StackSet into the OUs the policy targets, in its Regions, following accounts in and out, leaving out the account that deploys the app itself', () => {
    const [stackSet] = ofType('AWS::CloudFormation::StackSet');
    expect(stackSet.Properties).toMatchObject({
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: true },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      CallAs: 'SELF',
      StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-cdef3456'], Accounts: [DOCUMENT_ARCHIVE_CONTEXT.environment_account_id], AccountFilterType: 'DIFFERENCE' }, Regions: ['us-east-1'] }],
    });
  });

  it('gives each member account exactly the vault and role the backup policy names', () => {
    const [policy] = ofType('AWS::Organizations::Policy');
    const plans = Object.values(policy.Properties.Content.plans) as { rules: Record<string, { target_backup_vault_name: { '@@assign': string } }>; selections: { tags: Record<string, { iam_role_arn: { '@@assign': string } }> } }[];
    const [stackSet] = ofType('AWS::CloudFormation::StackSet');
    const member = JSON.parse(stackSet.Properties.TemplateBody as string) as CfnTemplate;
    const vaults = Object.values(member.Resources).filter((r) => r.Type === 'AWS::Backup::BackupVault').map((r) => r.Properties!.BackupVaultName);
    const roles = Object.values(member.Resources).filter((r) => r.Type === 'AWS::IAM::Role').map((r) => `arn:aws:iam::$account:role/${r.Properties!.RoleName}`);
    expect(plans.length).toBeGreaterThan(0);
    for (const plan of plans) {
      for (const rule of Object.values(plan.rules)) expect(vaults).toContain(rule.target_backup_vault_name['@@assign']);
      for (const selection of Object.values(plan.selections.tags)) expect(roles).toContain(selection.iam_role_arn['@@assign']);
    }
  });

  it("guards the member vault: its recovery points may be copied only to the category's destination, evaluated", async () => {
    const [stackSet] = ofType('AWS::CloudFormation::StackSet');
    const member = JSON.parse(stackSet.Properties.TemplateBody as string) as CfnTemplate;
    const vault = resolve({ account: MEMBER, region: 'us-east-1', templates: { member } }, Object.values(member.Resources).find((r) => r.Type === 'AWS::Backup::BackupVault')!.Properties!);
    const copy = (target: string) =>
      evaluate({
        principal: `arn:aws:iam::${MEMBER}:role/Administrator`,
        action: 'backup:CopyFromBackupVault',
        resource: `arn:aws:backup:us-east-1:${MEMBER}:recovery-point:1`,
        resourceAccount: MEMBER,
        identityPolicies: [ALLOW_ALL],
        resourcePolicy: vault.AccessPolicy,
        context: { 'backup:CopyTargets': [target] },
      });
    expect(await copy(`arn:aws:backup:us-west-2:${BACKUP}:backup-vault:CompactConnectBackupVault`)).toBe('Allowed');
    expect(await copy('arn:aws:backup:us-west-2:555555555555:backup-vault:Foreign')).toBe('ExplicitlyDenied');
  });

  describe("the backup account admits the OU's accounts, by aws:PrincipalOrgPaths, to the general vault and key only", () => {
    const resource = (type: string, name: string) =>
      resolve({ account: BACKUP, region: 'us-west-2', templates: { backupAccount } }, Object.values(backupAccount.Resources).find((r) => r.Type === type && JSON.stringify(r.Properties).includes(name))!.Properties!);
    const copyIn = (vaultName: string, path: string, account = MEMBER) =>
      evaluate({
        principal: `arn:aws:iam::${account}:role/DocumentArchive-BackupServiceRole`,
        action: 'backup:CopyIntoBackupVault',
        resource: `arn:aws:backup:us-west-2:${BACKUP}:backup-vault:${vaultName}`,
        resourceAccount: BACKUP,
        identityPolicies: [ALLOW_ALL],
        resourcePolicy: Object.values(backupAccount.Resources).filter((r) => r.Type === 'AWS::Backup::BackupVault').map((r) => resolve({ account: BACKUP, region: 'us-west-2', templates: { backupAccount } }, r.Properties!)).find((p) => p.BackupVaultName === vaultName)!.AccessPolicy,
        context: { 'aws:PrincipalOrgID': 'o-exampleorg1', 'aws:PrincipalAccount': account, 'aws:PrincipalOrgPaths': [path] },
      });
    const useKey = (alias: string, role: string, path: string) =>
      evaluate({
        principal: `arn:aws:iam::${MEMBER}:role/${role}`,
        action: 'kms:GenerateDataKey',
        resource: `arn:aws:kms:us-west-2:${BACKUP}:key/0000`,
        resourceAccount: BACKUP,
        identityPolicies: [ALLOW_ALL],
        resourcePolicy: resource('AWS::KMS::Key', alias).KeyPolicy,
        context: { 'aws:PrincipalOrgID': 'o-exampleorg1', 'aws:PrincipalAccount': MEMBER, 'aws:PrincipalOrgPaths': [path], 'kms:ViaService': 'backup.us-west-2.amazonaws.com' },
      });

    it('lets an account of the OU, at any depth below it, copy into the general vault with its key', async () => {
      expect(await copyIn('CompactConnectBackupVault', IN_OU)).toBe('Allowed');
      expect(await copyIn('CompactConnectBackupVault', IN_NESTED_OU)).toBe('Allowed');
      expect(await useKey('cross-account copies in CompactConnectBackupVault', 'DocumentArchive-BackupServiceRole', IN_OU)).toBe('Allowed');
    });

    it('refuses an account of another OU, any other role of the OU, and the OU anywhere near the sensitive vault', async () => {
      expect(await copyIn('CompactConnectBackupVault', ELSEWHERE)).toBe('ExplicitlyDenied');
      expect(await useKey('cross-account copies in CompactConnectBackupVault', 'DocumentArchive-BackupServiceRole', ELSEWHERE)).not.toBe('Allowed');
      expect(await useKey('cross-account copies in CompactConnectBackupVault', 'SomeOtherRole', IN_OU)).not.toBe('Allowed');
      expect(await copyIn('CompactConnectBackupVault-SSN', IN_OU)).toBe('ExplicitlyDenied');
      expect(await useKey('sensitive data in CompactConnectBackupVault-SSN', 'DocumentArchive-BackupServiceRole', IN_OU)).not.toBe('Allowed');
    });
  });

  it("reaches accounts named one by one through their root, and refuses targets naming accounts only, saying how to fix it", () => {
    expect(memberDeploymentTargets(['ou-ab12-cdef3456', '777777777777'], ['444444444444'])).toEqual([
      { organizationalUnitIds: ['ou-ab12-cdef3456'], accounts: ['444444444444'], accountFilterType: 'DIFFERENCE' },
      { organizationalUnitIds: ['r-ab12'], accounts: ['777777777777'], accountFilterType: 'INTERSECTION' },
    ]);
    const app = new App({ outdir: tempDir('org-accounts-only') });
    const policy = parseRetentionPolicy({ ...DOCUMENT_ARCHIVE_CONTEXT, organization_backup_policy: { ...(DOCUMENT_ARCHIVE_CONTEXT.organization_backup_policy as object), target_ids: ['777777777777'] } });
    new OrganizationBackupPolicyStack(app, 'Org', { policy, env: { account: '999999999999', region: 'us-east-1' } });
    expect(synthError(app)).toContain('organization_backup_policy.target_ids names accounts only (777777777777)');
  });
});
