import { BackupClient, ListBackupPlansCommand, ListRecoveryPointsByBackupVaultCommand } from '@aws-sdk/client-backup';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { vaultStorage } from '../../../packages/retention-kit-cli/src/runtime/storage';

const backup = mockClient(BackupClient);
const NOW = new Date('2026-12-02T12:00:00Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);

describe('what the vaults hold per category (AWS Backup mocked: no local server exists for it)', () => {
  it('counts and sizes recovery points by tier, and counts those past their retention or without a deletion date', async () => {
    backup.reset();
    backup.on(ListBackupPlansCommand).resolves({ BackupPlansList: [{ BackupPlanId: 'p1', BackupPlanName: 'Persistent-critical_data' }, { BackupPlanId: 'p2', BackupPlanName: 'Persistent-document_storage' }] });
    const point = (plan: string, created: Date, bytes: number, lifecycle: { MoveToColdStorageAt?: Date; DeleteAt?: Date } | undefined) => ({
      Status: 'COMPLETED' as const,
      CreatedBy: { BackupPlanId: plan },
      CreationDate: created,
      BackupSizeInBytes: bytes,
      CalculatedLifecycle: lifecycle,
    });
    backup.on(ListRecoveryPointsByBackupVaultCommand).callsFake((input: { BackupVaultName: string; NextToken?: string }) => {
      if (input.BackupVaultName !== 'CompactConnectBackupVault') return { RecoveryPoints: [] };
      return input.NextToken
        ? { RecoveryPoints: [point('p2', daysAgo(95), 5e9, { DeleteAt: daysAgo(5) }), point('p2', daysAgo(3), 5e9, undefined), { ...point('p1', daysAgo(1), 1e9, {}), Status: 'EXPIRED' as const }] }
        : { RecoveryPoints: [point('p1', daysAgo(40), 2e9, { MoveToColdStorageAt: daysAgo(10), DeleteAt: daysAgo(-2515) }), point('p1', daysAgo(2), 3e9, { MoveToColdStorageAt: daysAgo(-28), DeleteAt: daysAgo(-2553) })], NextToken: 'next' };
    });
    const usage = await vaultStorage(new BackupClient({ region: 'us-east-1' }), { vaults: ['CompactConnectBackupVault', 'CompactConnectBackupVault-SSN'], retentionDays: { critical_data: 2555, document_storage: 90 }, now: NOW });
    expect(usage).toEqual([
      { category: 'critical_data', vault: 'CompactConnectBackupVault', warm: { count: 1, bytes: 3e9 }, cold: { count: 1, bytes: 2e9 }, overRetention: 0, withoutLifecycle: 0 },
      { category: 'document_storage', vault: 'CompactConnectBackupVault', warm: { count: 2, bytes: 10e9 }, cold: { count: 0, bytes: 0 }, overRetention: 1, withoutLifecycle: 1 },
    ]);
  });
});
