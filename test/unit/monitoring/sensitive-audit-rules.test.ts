import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { breakGlassRoleAuditRules, renderAlert, sensitiveAuditRules } from 'retention-kit/policy';
import { matchesPattern } from '../../support/event-pattern';

const CLOUDTRAIL = join(__dirname, '../../fixtures/cloudtrail');
const JOBS = join(__dirname, '../../fixtures/events');
const load = (dir: string, name: string) => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Record<string, any>;
const KEY = 'arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const VAULT_ARN = 'arn:aws:backup:us-west-2:111122223333:backup-vault:CompactConnectBackupVault-SSN';

const rules = sensitiveAuditRules({ vaultNames: ['CompactConnectBackupVault-SSN'], vaultArns: [VAULT_ARN], keyArns: [KEY] });
const raised = (event: unknown) => rules.filter((r) => matchesPattern(r.pattern, event)).map((r) => r.id);

describe('sensitive-path audit rules against CloudTrail API-call events', () => {
  it.each([
    ['kms-schedule-key-deletion', ['SensitiveKeyPolicyChanged']],
    ['kms-put-key-policy', ['SensitiveKeyPolicyChanged']],
    ['kms-put-key-policy-by-break-glass', ['SensitiveKeyPolicyChangedByBreakGlass']],
    ['kms-decrypt-denied', ['SensitiveDecryptDenied']],
    ['kms-create-grant-by-user', ['SensitiveKeyGrantCreated']],
    ['kms-create-grant-by-backup', []],
    ['backup-put-vault-access-policy', ['SensitiveVaultPolicyChanged']],
    ['backup-put-vault-access-policy-by-break-glass', ['SensitiveVaultPolicyChangedByBreakGlass']],
    ['backup-put-vault-access-policy-other-vault', []],
    ['backup-delete-recovery-point-denied', ['SensitiveRecoveryPointTouched']],
    ['backup-start-restore-job-denied', ['RestoreAttemptDenied']],
  ])('%s raises %j', (name, expected) => {
    expect(raised(load(CLOUDTRAIL, name))).toEqual(expected);
  });

  it('does not alert on the same calls against another key', () => {
    const event = load(CLOUDTRAIL, 'kms-put-key-policy');
    event.detail.resources[0].ARN = 'arn:aws:kms:us-west-2:111122223333:key/ffffffff-0000-0000-0000-000000000000';
    expect(raised(event)).toEqual([]);
  });

  it('alerts on a restore job from the sensitive vault, and not from another', () => {
    const completed = load(JOBS, 'restore-job-completed');
    expect(raised(completed)).toEqual([]);
    completed.detail.backupVaultArn = VAULT_ARN;
    expect(raised(completed)).toEqual(['SensitiveRestoreJob']);
  });

  it('says who, what, which vault or key, and from where; and whether it was expected', () => {
    const unexpected = rules.find((r) => r.id === 'SensitiveVaultPolicyChanged')!;
    expect(renderAlert(unexpected, load(CLOUDTRAIL, 'backup-put-vault-access-policy'))).toBe(
      'UNEXPECTED change to sensitive vault CompactConnectBackupVault-SSN: arn:aws:iam::111122223333:user/Alice called PutBackupVaultAccessPolicy ' +
        '(account 111122223333, us-west-2, 2026-03-02T10:15:00Z, from 192.0.2.0). Not made by retention break-glass: if nobody planned it, treat it as an incident and run `retention review sensitive`.',
    );
    const expected = rules.find((r) => r.id === 'SensitiveKeyPolicyChangedByBreakGlass')!;
    expect(renderAlert(expected, load(CLOUDTRAIL, 'kms-put-key-policy-by-break-glass'))).toMatch(
      /^Expected: retention break-glass changed sensitive key 1234abcd-12ab-34cd-56ef-1234567890ab: arn:aws:sts::111122223333:assumed-role\/Operator\/alice called PutKeyPolicy/,
    );
  });
});

describe("a break-glass role's audit rules against CloudTrail API-call events", () => {
  const roleRules = breakGlassRoleAuditRules({ roleNames: ['CompactConnect-SSNRecoveryRole'], roleArns: ['arn:aws:iam::111122223333:role/CompactConnect-SSNRecoveryRole'] });
  const roleRaised = (event: unknown) => roleRules.filter((r) => matchesPattern(r.pattern, event)).map((r) => r.id);

  it.each([
    ['iam-update-assume-role-policy', ['BreakGlassRoleChanged']],
    ['iam-update-assume-role-policy-by-break-glass', ['BreakGlassRoleChangedByBreakGlass']],
    ['iam-attach-role-policy-other-role', []],
    ['sts-assume-role-denied', ['BreakGlassRoleAssumed']],
  ])('%s raises %j', (name, expected) => {
    expect(roleRaised(load(CLOUDTRAIL, name))).toEqual(expected);
  });

  it('names the role, the caller and the call in the alert', () => {
    const rule = roleRules.find((r) => r.id === 'BreakGlassRoleChanged')!;
    const text = renderAlert(rule, load(CLOUDTRAIL, 'iam-update-assume-role-policy'));
    expect(text).toContain('UNEXPECTED change to break-glass role CompactConnect-SSNRecoveryRole: arn:aws:sts::111122223333:assumed-role/Operator/alice called UpdateAssumeRolePolicy');
  });
});

