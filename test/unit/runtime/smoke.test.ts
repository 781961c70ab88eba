import {
  BackupClient,
  DescribeBackupJobCommand,
  DescribeCopyJobCommand,
  GetBackupSelectionCommand,
  ListBackupPlansCommand,
  ListBackupSelectionsCommand,
  StartBackupJobCommand,
  StartCopyJobCommand,
} from '@aws-sdk/client-backup';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseRetentionPolicy } from 'retention-kit/policy';
import { smokeCommand } from '../../../packages/retention-kit-cli/src/cli/commands/smoke';
import { SENSITIVE_SKIP_REASON, smokeTest } from '../../../packages/retention-kit-cli/src/runtime/smoke';
import { REFERENCE_CONTEXT } from '../../support/apps';

const backup = mockClient(BackupClient);
const client = new BackupClient({ region: 'us-east-1' });
const table = (name: string) => `arn:aws:dynamodb:us-east-1:111111111111:table/${name}`;
const policy = parseRetentionPolicy(REFERENCE_CONTEXT);

/** A mocked AWS Backup (no local server exists for it): the deployed plans, and jobs that finish after the given number of looks. */
function world(outcome: { copyState?: string; looks?: number } = {}) {
  backup.reset();
  backup.on(ListBackupPlansCommand).resolves({
    BackupPlansList: [
      { BackupPlanId: 'p1', BackupPlanName: 'Persistent-critical_data' },
      { BackupPlanId: 'p2', BackupPlanName: 'Persistent-ssn_data' },
      { BackupPlanId: 'p3', BackupPlanName: 'Persistent-document_storage' },
    ],
  });
  backup.on(ListBackupSelectionsCommand).callsFake((input: { BackupPlanId: string }) => ({ BackupSelectionsList: [{ SelectionId: `${input.BackupPlanId}-s` }] }));
  backup.on(GetBackupSelectionCommand).callsFake((input: { BackupPlanId: string }) => ({
    BackupSelection: {
      SelectionName: 's',
      IamRoleArn: `arn:aws:iam::111111111111:role/${input.BackupPlanId === 'p2' ? 'CompactConnect-SSNBackupRole' : 'CompactConnect-BackupServiceRole'}`,
      Resources: input.BackupPlanId === 'p1' ? [table('ProviderTable'), table('StaffUsersTable')] : input.BackupPlanId === 'p2' ? [table('CompactConnect-SSNTable')] : ['arn:aws:s3:::provider-users-documents'],
    },
  }));
  let n = 0;
  backup.on(StartBackupJobCommand).callsFake(() => ({ BackupJobId: `b${++n}` }));
  const looks = new Map<string, number>();
  const look = (id: string) => looks.set(id, (looks.get(id) ?? 0) + 1).get(id)!;
  backup.on(DescribeBackupJobCommand).callsFake((input: { BackupJobId: string }) =>
    look(input.BackupJobId) < (outcome.looks ?? 3) ? { State: 'RUNNING' } : { State: 'COMPLETED', RecoveryPointArn: `arn:aws:backup:us-east-1:111111111111:recovery-point:${input.BackupJobId}` },
  );
  backup.on(StartCopyJobCommand).callsFake(() => ({ CopyJobId: `c${++n}` }));
  backup.on(DescribeCopyJobCommand).callsFake((input: { CopyJobId: string }) => ({ CopyJob: { State: look(input.CopyJobId) < 2 ? 'RUNNING' : (outcome.copyState ?? 'COMPLETED'), StatusMessage: outcome.copyState === 'FAILED' ? 'Access denied to the destination vault' : undefined } }));
}

/** A clock that moves ten minutes at each wait. */
function clock() {
  let t = Date.UTC(2026, 11, 2, 3, 0);
  return { now: () => t, sleep: async () => void (t += 10 * 60_000) };
}

describe('retention smoke (AWS Backup mocked: no local server exists for it)', () => {
  it('backs up one resource per category into its vault with its role, copies it to the backup account, and times both against the RPO', async () => {
    world();
    const results = await smokeTest(client, policy, { categories: ['critical_data', 'ssn_data'], ...clock() });
    expect(results.map((r) => [r.category, r.resourceArn, r.backupMinutes, r.copyMinutes, r.ok])).toEqual([
      ['critical_data', table('ProviderTable'), 20, 10, true],
      ['ssn_data', table('CompactConnect-SSNTable'), undefined, undefined, true],
    ]);
    const starts = backup.commandCalls(StartBackupJobCommand).map((c) => c.args[0].input);
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatchObject({ BackupVaultName: 'CompactConnectBackupVault', IamRoleArn: 'arn:aws:iam::111111111111:role/CompactConnect-BackupServiceRole', Lifecycle: { DeleteAfterDays: 1 } });
    const copies = backup.commandCalls(StartCopyJobCommand).map((c) => c.args[0].input);
    expect(copies.map((c) => c.DestinationBackupVaultArn)).toEqual(['arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault']);
    expect(copies[0]).toMatchObject({ RecoveryPointArn: 'arn:aws:backup:us-east-1:111111111111:recovery-point:b1', SourceBackupVaultName: 'CompactConnectBackupVault' });
  });

  it('reports the sensitive category as skipped with the reason, starting no job in its vault: its guards refuse the smoke role, rightly', async () => {
    world();
    const [result] = await smokeTest(client, policy, { categories: ['ssn_data'], ...clock() });
    expect(result).toEqual({ category: 'ssn_data', resourceArn: table('CompactConnect-SSNTable'), rpoHours: 24, ok: true, skipped: SENSITIVE_SKIP_REASON });
    expect(backup.commandCalls(StartBackupJobCommand)).toHaveLength(0);
    expect(backup.commandCalls(StartCopyJobCommand)).toHaveLength(0);
  });

  it('fails a category whose copy fails, saying why, and one that takes longer than its RPO', async () => {
    world({ copyState: 'FAILED' });
    const [failed] = await smokeTest(client, policy, { categories: ['critical_data'], ...clock() });
    expect(failed).toMatchObject({ ok: false, problem: 'copy job c2 to arn:aws:backup:us-west-2:222222222222:backup-vault:CompactConnectBackupVault ended FAILED: Access denied to the destination vault' });
    world({ looks: 150 });
    const [slow] = await smokeTest(client, policy, { categories: ['critical_data'], timeoutMinutes: 3000, ...clock() });
    expect(slow.ok).toBe(false);
    expect(slow.problem).toBe('backup and copy took 1500 minutes, longer than the RPO of 24 hours');
    world({ looks: 150 });
    const [timedOut] = await smokeTest(client, policy, { categories: ['critical_data'], ...clock() });
    expect(timedOut.problem).toBe('backup job b1 ended TIMED OUT');
  });

  it('backs a bucket up with the role its deployed selection names (a bucket ARN names no account)', async () => {
    world();
    const [result] = await smokeTest(client, policy, { categories: ['document_storage'], ...clock() });
    expect(result).toMatchObject({ resourceArn: 'arn:aws:s3:::provider-users-documents', ok: true });
    expect(backup.commandCalls(StartBackupJobCommand)[0].args[0].input.IamRoleArn).toBe('arn:aws:iam::111111111111:role/CompactConnect-BackupServiceRole');
  });

  it('fails a category asked for by name that no deployed plan selects anything in', async () => {
    world();
    const [result] = await smokeTest(client, policy, { categories: ['export_data'], ...clock() });
    expect(result).toMatchObject({ ok: false, problem: 'no deployed plan selects a resource of this category' });
    await expect(smokeTest(client, policy, { categories: ['critcal_data'] })).rejects.toThrow(/unknown categories critcal_data/);
  });

  describe('the command', () => {
    let stdout: string[];
    beforeEach(() => {
      stdout = [];
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (stdout.push(String(chunk)), true));
      vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    });
    afterEach(() => {
      vi.restoreAllMocks();
      process.exitCode = undefined;
    });
    const run = (args: string[]) =>
      new Command('retention').exitOverride().addCommand(smokeCommand({ backup: () => client, pollMs: 0 })).parseAsync(['node', 'retention', 'smoke', '--region', 'us-east-1', '--app', 'apps/reference', ...args]);

    it('exits 0 when every category passes, and 1 when one fails', async () => {
      world({ looks: 1 });
      await run(['--category', 'critical_data', '--json']);
      expect(JSON.parse(stdout.join(''))[0]).toMatchObject({ category: 'critical_data', ok: true });
      expect(process.exitCode).toBeUndefined();
      world({ looks: 1, copyState: 'FAILED' });
      stdout = [];
      await run(['--category', 'critical_data']);
      expect(stdout.join('')).toContain('1 categories tested, 1 failed');
      expect(process.exitCode).toBe(1);
    });
  });
});
