import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupClient, GetBackupVaultAccessPolicyCommand } from '@aws-sdk/client-backup';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { DescribeTableCommand, DynamoDBClient, GetResourcePolicyCommand, ListBackupsCommand, ListTablesCommand, ListTagsOfResourceCommand } from '@aws-sdk/client-dynamodb';
import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBackupAccountApp } from '../../../apps/backup-account/app';
import { expectationsFor } from '../../../packages/retention-kit-cli/src/cli/commands/review';
import { backupAccountExpectations, environmentExpectations, openPolicy, parseBackupAccountConfig, parseRetentionPolicy } from 'retention-kit/policy';
import { reviewMarkdown, reviewSensitive } from '../../../packages/retention-kit-cli/src/runtime/review';
import { type Deployment, resolve, resourceProps } from '../../support/cfn';
import { ENVIRONMENT_ACCOUNT as ACCOUNT, ENVIRONMENT_REGION as REGION, REFERENCE_CONTEXT, referenceApp, synthesize, tempDir } from '../../support/apps';

const backup = mockClient(BackupClient);
const kms = mockClient(KMSClient);
const iam = mockClient(IAMClient);
const cloudtrail = mockClient(CloudTrailClient);
const dynamodb = mockClient(DynamoDBClient);
const clients = { backup: new BackupClient({}), kms: new KMSClient({}), iam: new IAMClient({}), cloudtrail: new CloudTrailClient({}), dynamodb: new DynamoDBClient({}) };
const SSN_TABLE_ARN = `arn:aws:dynamodb:us-east-1:111111111111:table/CompactConnect-SSNTable`;

interface LiveTables {
  /** The SSN table's live resource policy; undefined: it has none. */
  policy?: unknown;
  backups?: { BackupArn: string; BackupType: 'USER' | 'SYSTEM' | 'AWS_BACKUP'; BackupCreationDateTime: Date }[];
}

/** Mocked DynamoDB with the SSN table (tagged ssn_data) and an ordinary one. */
function tables(live: LiveTables) {
  dynamodb.reset();
  const arn = (name: string) => `arn:aws:dynamodb:us-east-1:111111111111:table/${name}`;
  dynamodb.on(ListTablesCommand).resolves({ TableNames: ['CompactConnect-SSNTable', 'ProviderTable'] });
  dynamodb.on(DescribeTableCommand).callsFake((input: { TableName: string }) => ({ Table: { TableName: input.TableName, TableArn: arn(input.TableName) } }));
  dynamodb.on(ListTagsOfResourceCommand).callsFake((input: { ResourceArn: string }) => ({
    Tags: [{ Key: 'retention-kit:category', Value: input.ResourceArn === SSN_TABLE_ARN ? 'ssn_data' : 'critical_data' }],
  }));
  if (live.policy === undefined) dynamodb.on(GetResourcePolicyCommand).rejects(Object.assign(new Error('no policy'), { name: 'PolicyNotFoundException' }));
  else dynamodb.on(GetResourcePolicyCommand, { ResourceArn: SSN_TABLE_ARN }).resolves({ Policy: JSON.stringify(live.policy) });
  dynamodb.on(ListBackupsCommand).resolves({ BackupSummaries: live.backups ?? [] });
}
const NOW = new Date('2026-11-22T12:00:00Z');

/** Mocked AWS answering with the policies a deployment of the synthesized templates would have. */
function deployed(live: { vault: unknown; key: unknown; keyArn: string; role?: { inline: unknown; attached?: string[] } }) {
  for (const m of [backup, kms, iam, cloudtrail]) m.reset();
  backup.on(GetBackupVaultAccessPolicyCommand).resolves({ Policy: JSON.stringify(live.vault) });
  kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: live.keyArn } });
  kms.on(GetKeyPolicyCommand).resolves({ Policy: JSON.stringify(live.key) });
  iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: (live.role?.attached ?? []).map((arn) => ({ PolicyArn: arn, PolicyName: arn.split('/').pop() })) });
  iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['SensitiveBackup'] });
  // IAM returns policy documents URL-encoded.
  iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: encodeURIComponent(JSON.stringify(live.role?.inline ?? {})) });
  cloudtrail.on(LookupEventsCommand).callsFake((input: { LookupAttributes: { AttributeValue: string }[]; NextToken?: string }) =>
    input.LookupAttributes[0].AttributeValue === 'CompactConnectBackupVault-SSN' && !input.NextToken
      ? {
          Events: [
            { EventId: '1', EventName: 'PutBackupVaultAccessPolicy', EventTime: new Date('2026-11-01T10:00:00Z'), CloudTrailEvent: JSON.stringify({ userIdentity: { arn: 'arn:aws:sts::111111111111:assumed-role/Operator/alice' } }) },
            { EventId: '2', EventName: 'StartRestoreJob', EventTime: new Date('2026-11-02T10:00:00Z'), CloudTrailEvent: JSON.stringify({ userIdentity: { arn: 'arn:aws:iam::111111111111:user/mallory' }, errorCode: 'AccessDenied' }) },
          ],
          NextToken: 'page2',
        }
      : input.NextToken
        ? { Events: [{ EventId: '3', EventName: 'StartRestoreJob', EventTime: new Date('2026-11-03T10:00:00Z'), CloudTrailEvent: JSON.stringify({ userIdentity: { arn: 'arn:aws:iam::111111111111:user/mallory' }, errorCode: 'AccessDenied' }) }] }
        : { Events: [] },
  );
}

describe('retention review sensitive (AWS Backup, KMS, IAM, CloudTrail and DynamoDB mocked: no local server has their policy APIs)', () => {
  let env: Deployment;
  let live: { vault: unknown; key: unknown; keyArn: string; role: { inline: unknown } };
  let tablePolicy: { Version: string; Statement: { Sid: string; Action: string | string[]; Condition: Record<string, Record<string, unknown>> }[] };

  beforeAll(() => {
    env = synthesize(referenceApp());
    const vault = resourceProps(env, 'BackupInfrastructure', 'AWS::Backup::BackupVault', 'SensitiveVault').AccessPolicy;
    const key = resourceProps(env, 'BackupInfrastructure', 'AWS::KMS::Key', 'SensitiveVault').KeyPolicy;
    const keyId = Object.keys(env.templates.BackupInfrastructure.Resources).find((id) => id.startsWith('SensitiveVaultKey') && !id.includes('Alias'));
    const role = resourceProps(env, 'BackupInfrastructure', 'AWS::IAM::Role', 'SensitiveBackupRole');
    live = { vault, key, keyArn: resolve(env, { 'Fn::GetAtt': [keyId, 'Arn'] }), role: { inline: role.Policies[0].PolicyDocument } };
    tablePolicy = resourceProps(env, 'Persistent', 'AWS::DynamoDB::Table', 'SSNTable').ResourcePolicy.PolicyDocument;
  });

  const expectations = () => environmentExpectations(parseRetentionPolicy(REFERENCE_CONTEXT), ACCOUNT, REGION);

  beforeEach(() => {
    deployed(live);
    tables({ policy: tablePolicy });
  });

  it('finds no drift when the live policies are the ones the stack synthesizes, and finds the SSN table by its category tag', async () => {
    const review = await reviewSensitive(clients, expectations(), { now: NOW });
    expect(review.drift).toEqual([]);
    expect(review.tables).toEqual([SSN_TABLE_ARN]);
  });

  describe("the SSN table's lock (DynamoDB mocked: dynalite has no resource policies)", () => {
    const tableDrift = async () => (await reviewSensitive(clients, expectations(), { now: NOW })).drift.filter((d) => d.where.startsWith('table '));

    it('reports a hand-made policy that lacks the point-in-time restore DENY, and only that', async () => {
      const withoutRestore = {
        ...tablePolicy,
        Statement: tablePolicy.Statement.map((s) => ({ ...s, Action: [s.Action].flat().filter((a) => a !== 'dynamodb:RestoreTableToPointInTime') })),
      };
      tables({ policy: withoutRestore });
      expect(await tableDrift()).toEqual([
        { where: `table ${SSN_TABLE_ARN}`, sid: 'RestoreTableToPointInTime', problem: expect.stringContaining('not denied to principals the lock does not name (recovery') },
      ]);
    });

    it('reports a DENY that is present but loosened to exempt every role of the account', async () => {
      const loosened = {
        ...tablePolicy,
        Statement: tablePolicy.Statement.map((s) => (s.Sid === 'DenyConfigurationExceptDeployment' ? { ...s, Condition: { ...s.Condition, ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/*' } } } : s)),
      };
      tables({ policy: loosened });
      const drift = await tableDrift();
      expect(drift.map((d) => d.sid)).toEqual(expect.arrayContaining(['PutResourcePolicy', 'DeleteResourcePolicy', 'UpdateTable']));
      expect(drift.every((d) => d.problem.includes('(deployment:'))).toBe(true);
    });

    it('reports a table with no policy at all, and a DynamoDB backup of it that no vault guards', async () => {
      tables({ policy: undefined });
      expect(await tableDrift()).toEqual([{ where: `table ${SSN_TABLE_ARN}`, sid: '*', problem: expect.stringContaining('the table has no resource policy') }]);
      const backupArn = `${SSN_TABLE_ARN}/backup/01700000000000-abcdef12`;
      tables({ policy: tablePolicy, backups: [{ BackupArn: backupArn, BackupType: 'USER', BackupCreationDateTime: new Date('2026-10-01T00:00:00Z') }] });
      expect(await tableDrift()).toEqual([{ where: `table ${SSN_TABLE_ARN}`, sid: 'RestoreTableFromBackup', problem: expect.stringContaining(`DynamoDB backup ${backupArn} (USER, 2026-10-01T00:00:00.000Z) exists outside the vaults`) }]);
    });

    it('checks the tables named instead of discovering them', async () => {
      const review = await reviewSensitive(clients, expectations(), { now: NOW, tables: ['CompactConnect-SSNTable'] });
      expect(review.tables).toEqual(['CompactConnect-SSNTable']);
      expect(dynamodb.commandCalls(ListTablesCommand)).toHaveLength(0);
      expect(reviewMarkdown(review)).toContain('every table lock denies what the classification limits');
    });
  });

  it('says who can restore, copy and decrypt, and who did what in the last 90 days', async () => {
    const review = await reviewSensitive(clients, expectations(), { now: NOW });
    expect(review.whoCan.map((w) => w.who)).toEqual([
      'nobody: DenyEmergencyRestoreOperations (break-glass closed)',
      `only arn:aws:iam::${ACCOUNT}:role/CompactConnect-SSNBackupRole, to arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault-SSN`,
      'only through AWS Backup: DenySSNKeyDecryptOperations',
      expect.stringContaining(`IAM principals of account ${ACCOUNT}`),
    ]);
    expect(review.whoDid).toEqual([
      { who: 'arn:aws:iam::111111111111:user/mallory', what: 'StartRestoreJob', count: 2, denied: 2, last: new Date('2026-11-03T10:00:00Z') },
      { who: 'arn:aws:sts::111111111111:assumed-role/Operator/alice', what: 'PutBackupVaultAccessPolicy', count: 1, denied: 0, last: new Date('2026-11-01T10:00:00Z') },
    ]);
    const lookups = cloudtrail.commandCalls(LookupEventsCommand).map((c) => c.args[0].input);
    expect(lookups[0]).toMatchObject({ StartTime: new Date('2026-08-24T12:00:00Z'), EndTime: NOW });
    expect(new Set(lookups.map((l) => l.LookupAttributes![0].AttributeValue))).toEqual(new Set(['CompactConnectBackupVault-SSN', live.keyArn, 'CompactConnect-SSNBackupRole']));
    const markdown = reviewMarkdown(review);
    expect(markdown).toContain('| arn:aws:iam::111111111111:user/mallory | StartRestoreJob | 2 | 2 | 2026-11-03T10:00:00.000Z |');
    expect(markdown).toContain('None: the live vault, key and role policies are the deployed ones, and every table lock denies what the classification limits.');
  });

  it('reports a statement added to the vault policy by hand, and a managed policy attached to the role', async () => {
    const vault = live.vault as { Statement: unknown[] };
    deployed({
      ...live,
      vault: { ...vault, Statement: [...vault.Statement, { Sid: 'LetMeIn', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'backup:*', Resource: '*' }] },
      role: { inline: live.role.inline, attached: ['arn:aws:iam::aws:policy/AdministratorAccess'] },
    });
    const review = await reviewSensitive(clients, expectations(), { now: NOW });
    expect(review.drift).toEqual([
      { where: 'vault CompactConnectBackupVault-SSN', sid: 'LetMeIn', problem: 'added by hand: Allow "backup:*"' },
      { where: 'role CompactConnect-SSNBackupRole', sid: 'AdministratorAccess', problem: 'managed policy arn:aws:iam::aws:policy/AdministratorAccess attached by hand: the sensitive role has none' },
    ]);
  });

  it('reports a deny statement removed from the key, and break-glass left open', async () => {
    const key = live.key as { Statement: { Sid?: string }[] };
    const grant = { principalArn: `arn:aws:iam::${ACCOUNT}:role/DisasterRecovery`, notBefore: '2026-11-22T10:00:00Z', notAfter: '2026-11-22T14:00:00Z' };
    deployed({
      ...live,
      vault: openPolicy('vault', live.vault as never, grant),
      key: { ...key, Statement: key.Statement.filter((s) => s.Sid !== 'DenySSNKeyDecryptOperations') },
    });
    const review = await reviewSensitive(clients, expectations(), { now: NOW });
    expect(review.drift.map((d) => `${d.sid}: ${d.problem}`)).toEqual(
      expect.arrayContaining([
        'DenyEmergencyRestoreOperations: changed from what the code deploys',
        'BreakGlassAllowPrincipal: break-glass is OPEN (run `retention break-glass close`)',
        'DenySSNKeyDecryptOperations: missing: the deployed statement is gone',
      ]),
    );
    expect(review.whoCan[0].who).toBe(`only arn:aws:iam::${ACCOUNT}:role/DisasterRecovery (break-glass open until 2026-11-22T14:00:00Z)`);
  });

  it('reviews the backup account side from its own app context, with no drift for its synthesized policies', async () => {
    const context = JSON.parse(readFileSync(join(__dirname, '../../../apps/backup-account/cdk.context.example.json'), 'utf8'));
    const dir = createBackupAccountApp({ context, outdir: tempDir('review-backup') }).synth().directory;
    const d: Deployment = { account: '222222222222', region: 'us-west-2', templates: { BackupAccountStack: JSON.parse(readFileSync(join(dir, 'BackupAccountStack.template.json'), 'utf8')) } };
    const vault = resourceProps(d, 'BackupAccountStack', 'AWS::Backup::BackupVault', 'SSNBackupVault');
    deployed({ vault: vault.AccessPolicy, key: resourceProps(d, 'BackupAccountStack', 'AWS::KMS::Key', 'SSNBackupVault').KeyPolicy, keyArn: vault.EncryptionKeyArn });
    const review = await reviewSensitive(clients, backupAccountExpectations(parseBackupAccountConfig(context)), { now: NOW });
    expect(review.drift).toEqual([]);
    // With a standby, the copy-back role is the one principal the copy-out DENY exempts; nobody may start a copy (break-glass --copy-back).
    expect(review.whoCan[1].who).toMatch(/^only arn:aws:iam::222222222222:role\/retention-copy-back/);
  });

  it('tells the two sides apart by their app context', async () => {
    const env = await expectationsFor(join(__dirname, '../../../apps/reference'), async () => 'us-east-1', async () => ACCOUNT);
    expect(env.side).toBe('environment account');
    const noRegion = async () => {
      throw new Error('no AWS Region: pass --region <region>');
    };
    await expect(expectationsFor(join(__dirname, '../../../apps/reference'), noRegion, async () => ACCOUNT)).rejects.toThrow('no AWS Region');
  });
});
