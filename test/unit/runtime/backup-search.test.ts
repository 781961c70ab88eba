import { BackupClient, StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { searchCommand } from '../../../packages/retention-kit-cli/src/cli/commands/search';
import { airGappedRestoreSteps } from '../../../packages/retention-kit-cli/src/runtime/air-gapped-restore';
import { type BackupSearchApi, type S3ResultItem, SearchJobFailedError, loadBackupSearchClient, planItemRestores, searchS3 } from '../../../packages/retention-kit-cli/src/runtime/backup-search';

const VAULT = 'ArchiveBackupVault';
const rp = (id: string) => `arn:aws:backup:us-east-1:444444444444:recovery-point:${id}`;
const item = (key: string, point: string, created: string, size = 10): { S3ResultItem: S3ResultItem } => ({
  S3ResultItem: { ObjectKey: key, BackupResourceArn: rp(point), BackupVaultName: VAULT, SourceResourceArn: 'arn:aws:s3:::documents', CreationTime: new Date(created), ObjectSize: size, VersionId: `v-${point}` },
});

/** A mocked AWS Backup search API (no local server has one): records the calls, answers with pages of results after two polls. */
function mockedSearchApi(pages: { S3ResultItem: S3ResultItem }[][], finalStatus = 'COMPLETED') {
  const calls: { op: string; input: unknown }[] = [];
  let polls = 0;
  const api: BackupSearchApi = {
    startSearchJob: async (input) => (calls.push({ op: 'StartSearchJob', input }), { SearchJobIdentifier: 'job-1' }),
    getSearchJob: async (input) => {
      calls.push({ op: 'GetSearchJob', input });
      polls++;
      return polls < 3 ? { Status: 'RUNNING', CurrentSearchProgress: { RecoveryPointsScannedCount: polls, ItemsMatchedCount: 0 } } : { Status: finalStatus, StatusMessage: finalStatus === 'FAILED' ? 'index not active' : undefined };
    },
    listSearchJobResults: async (input) => {
      calls.push({ op: 'ListSearchJobResults', input });
      const index = input.NextToken ? Number(input.NextToken) : 0;
      return { Results: pages[index], NextToken: index + 1 < pages.length ? String(index + 1) : undefined };
    },
  };
  return { api, calls };
}

const PAGES = [
  [item('reports/2026/a.pdf', 'old', '2026-10-01T02:00:00Z'), item('reports/2026/b.pdf', 'old', '2026-10-01T02:00:00Z')],
  [item('reports/2026/a.pdf', 'new', '2026-11-30T02:00:00Z'), ...Array.from({ length: 6 }, (_, i) => item(`reports/2026/c${i}.pdf`, 'new', '2026-11-30T02:00:00Z'))],
];

describe('retention search s3 (mocked AWS Backup search API and a mocked AWS Backup client)', () => {
  it('searches the bucket\'s indexed S3 recovery points by key prefix and time, and reads every page of results', async () => {
    const { api, calls } = mockedSearchApi(PAGES);
    const progress: string[] = [];
    const { searchJobId, hits } = await searchS3(api, { bucket: 'documents', keyPrefix: 'reports/2026/', createdAfter: new Date('2026-09-01T00:00:00Z') }, { sleep: async () => {}, onProgress: (p) => progress.push(p.status) });
    expect(searchJobId).toBe('job-1');
    expect(calls[0]).toEqual({
      op: 'StartSearchJob',
      input: {
        Name: 'retention-search-documents',
        SearchScope: { BackupResourceTypes: ['S3'], SourceResourceArns: ['arn:aws:s3:::documents'], BackupResourceCreationTime: { CreatedAfter: new Date('2026-09-01T00:00:00Z'), CreatedBefore: undefined } },
        ItemFilters: { S3ItemFilters: [{ ObjectKeys: [{ FilterMode: 'BEGINS_WITH', Value: 'reports/2026/' }] }] },
      },
    });
    expect(progress).toEqual(['RUNNING', 'RUNNING', 'COMPLETED']);
    expect(calls.filter((c) => c.op === 'ListSearchJobResults')).toHaveLength(2);
    expect(hits).toHaveLength(9);
    // Each key's newest recovery point first.
    expect(hits.filter((h) => h.key === 'reports/2026/a.pdf').map((h) => h.recoveryPointArn)).toEqual([rp('new'), rp('old')]);
  });

  it('fails, naming the search job and its message, when the search ends FAILED', async () => {
    const { api } = mockedSearchApi(PAGES, 'FAILED');
    await expect(searchS3(api, { bucket: 'documents' }, { sleep: async () => {} })).rejects.toThrow(new SearchJobFailedError('search job job-1 ended FAILED: index not active'));
  });

  it('restores chosen keys from the newest recovery point holding each, five keys a job, and refuses keys no recovery point holds', async () => {
    const { api } = mockedSearchApi(PAGES);
    const { hits } = await searchS3(api, { bucket: 'documents' }, { sleep: async () => {} });
    const keys = ['reports/2026/a.pdf', 'reports/2026/b.pdf', ...Array.from({ length: 6 }, (_, i) => `reports/2026/c${i}.pdf`)];
    const plans = planItemRestores({ bucket: 'documents', keys, hits, destinationBucket: 'documents-restored', iamRoleArn: 'arn:aws:iam::444444444444:role/R' });
    expect(plans.map((p) => [p.recoveryPointArn, p.keys.length])).toEqual([
      [rp('new'), 5],
      [rp('new'), 2],
      [rp('old'), 1],
    ]);
    expect(plans[2].metadata).toEqual({ DestinationBucketName: 'documents-restored', NewBucket: 'false', ItemsToRestore: '["s3://documents/reports/2026/b.pdf"]' });
    expect(() => planItemRestores({ bucket: 'documents', keys: ['reports/2026/a.pdf', 'gone.pdf'], hits, recoveryPointArn: rp('old'), destinationBucket: 'd', iamRoleArn: 'r' })).toThrow(/holds "gone.pdf"/);
  });

  describe('the command', () => {
    const backup = mockClient(BackupClient);
    let stdout: string[];
    beforeEach(() => {
      backup.reset();
      stdout = [];
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (stdout.push(String(chunk)), true));
      vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    });
    afterEach(() => vi.restoreAllMocks());

    const run = (args: string[], api: BackupSearchApi) =>
      new Command('retention')
        .exitOverride()
        .addCommand(searchCommand({ searchApi: async () => api, backup: () => new BackupClient({ region: 'us-east-1' }), pollMs: 0 }))
        .parseAsync(['node', 'retention', 'search', 's3', '--region', 'us-east-1', ...args]);

    it('prints what it found, and starts the restore jobs of the chosen keys with the role given', async () => {
      backup.on(StartRestoreJobCommand).resolvesOnce({ RestoreJobId: 'restore-1' });
      await run(['--bucket', 'documents', '--key-prefix', 'reports/', '--json'], mockedSearchApi(PAGES).api);
      expect(JSON.parse(stdout.join('')).hits).toHaveLength(9);
      stdout = [];
      await run(['--bucket', 'documents', '--restore', 'reports/2026/a.pdf', '--iam-role-arn', 'arn:aws:iam::444444444444:role/Restore'], mockedSearchApi(PAGES).api);
      expect(stdout.join('')).toContain(`Restore job restore-1: reports/2026/a.pdf from ${rp('new')} into documents`);
      const call = backup.commandCalls(StartRestoreJobCommand)[0].args[0].input;
      expect(call).toMatchObject({ RecoveryPointArn: rp('new'), IamRoleArn: 'arn:aws:iam::444444444444:role/Restore', ResourceType: 'S3', Metadata: { ItemsToRestore: '["s3://documents/reports/2026/a.pdf"]' } });
    });

    it('starts nothing on a dry run, and refuses a restore without a role', async () => {
      await run(['--bucket', 'documents', '--restore', 'reports/2026/a.pdf', '--dry-run'], mockedSearchApi(PAGES).api);
      expect(stdout.join('')).toContain('Would call StartRestoreJob for reports/2026/a.pdf');
      expect(backup.commandCalls(StartRestoreJobCommand)).toHaveLength(0);
      await expect(run(['--bucket', 'documents', '--restore', 'x'], mockedSearchApi(PAGES).api)).rejects.toThrow(/--restore needs --iam-role-arn/);
    });
  });
});

describe('the Backup Search client', () => {
  it('says to install the SDK client where it is missing (it is an optional dependency)', async () => {
    await expect(loadBackupSearchClient({ region: 'us-east-1' })).rejects.toThrow('npm install @aws-sdk/client-backupsearch');
  });
});

describe('retention restore air-gapped', () => {
  const VAULT_ARN = 'arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault-AirGapped';
  it('restores in the vault\'s own account', async () => {
    const steps = airGappedRestoreSteps({ vaultArn: VAULT_ARN });
    expect(steps.map((s) => s.account)).toEqual(['222222222222', '222222222222']);
    expect(steps[1].command).toContain('aws backup start-restore-job');
  });

  it('shares the vault to a recovery account through AWS RAM, restores there, and removes the share', async () => {
    const steps = airGappedRestoreSteps({ vaultArn: VAULT_ARN, recoveryAccount: '333333333333' });
    expect(steps[0]).toMatchObject({ account: '222222222222', command: `aws ram create-resource-share --name CompactConnectBackupVault-AirGapped-restore --resource-arns ${VAULT_ARN} --principals 333333333333 --region us-west-2` });
    expect(steps.map((s) => s.account)).toEqual(['222222222222', '333333333333', '333333333333', '333333333333', '222222222222']);
  });

  it('goes through a restore access backup vault with multi-party approval, and revokes it after', async () => {
    const steps = airGappedRestoreSteps({ vaultArn: VAULT_ARN, recoveryAccount: '333333333333', multiPartyApproval: true });
    expect(steps[0].command).toContain(`aws backup create-restore-access-backup-vault --source-backup-vault-arn ${VAULT_ARN}`);
    expect(steps.at(-1)!.command).toContain('aws backup revoke-restore-access-backup-vault');
    expect(() => airGappedRestoreSteps({ vaultArn: 'not-an-arn' })).toThrow(/is not a backup vault ARN/);
  });
});
