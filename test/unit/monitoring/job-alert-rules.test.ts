import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobAlertRules, renderAlert } from 'retention-kit/policy';
import { matchesPattern } from '../../support/event-pattern';

const FIXTURES = join(__dirname, '../../fixtures/events');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Record<string, any>;
const ALL = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));

describe('AWS Backup job alert rules against the documented sample events', () => {
  const rules = jobAlertRules({ sensitiveVaultNames: [], sensitiveVaultArns: [], separateSensitive: false });
  const matching = (event: unknown) => rules.filter((r) => matchesPattern(r.pattern, event)).map((r) => r.id);

  it.each([
    ['backup-job-failed', ['BackupJobFailed']],
    ['backup-job-aborted', ['BackupJobFailed']],
    ['backup-job-expired', ['BackupJobFailed']],
    ['copy-job-failed', ['CopyJobFailed']],
    ['restore-job-failed', ['RestoreJobFailed']],
  ])('%s raises %j', (name, expected) => {
    expect(matching(fixture(name))).toEqual(expected);
  });

  it.each(ALL.filter((n) => /completed|running/.test(n)))('%s raises nothing', (name) => {
    expect(matching(fixture(name))).toEqual([]);
  });

  it('matches a PARTIAL copy job, and not a copy job event of another service', () => {
    const partial = fixture('copy-job-failed');
    partial.detail.state = 'PARTIAL';
    expect(matching(partial)).toEqual(['CopyJobFailed']);
    expect(matching({ ...fixture('copy-job-failed'), source: 'aws.other' })).toEqual([]);
  });

  it('says in plain words which resource, which vault, which job, why, and where to look', () => {
    const rule = rules.find((r) => r.id === 'BackupJobFailed')!;
    expect(renderAlert(rule, fixture('backup-job-failed'))).toBe(
      'AWS Backup could not back up type arn:aws:service:us-west-2:1112233445566:resource-type/resource-id: ' +
        'the backup job 34176239-e96d-4e1d-9fad-529dbb3c3556 into vault 9ab3e749-82c6-4342-9320-5edbf4918b86 ended FAILED ' +
        '(account 1112233445566, us-west-2). The reason is on the job: https://us-west-2.console.aws.amazon.com/backup/home?region=us-west-2#/jobs/backup/details/34176239-e96d-4e1d-9fad-529dbb3c3556',
    );
    const restore = rules.find((r) => r.id === 'RestoreJobFailed')!;
    expect(renderAlert(restore, fixture('restore-job-failed'))).toContain('restore job 1B234A56-789B-01CD-2A34-4567A08901FD ended FAILED');
  });

  it('routes a sensitive vault\'s failures to the sensitive rules only', () => {
    const event = fixture('backup-job-failed');
    const split = jobAlertRules({
      sensitiveVaultNames: [event.detail.backupVaultName],
      sensitiveVaultArns: [event.detail.backupVaultArn],
      separateSensitive: true,
    });
    expect(split.filter((r) => matchesPattern(r.pattern, event)).map((r) => [r.id, r.sensitive])).toEqual([['SensitiveBackupJobFailed', true]]);
    const copy = fixture('copy-job-failed');
    expect(split.filter((r) => matchesPattern(r.pattern, copy)).map((r) => r.id)).toEqual(['CopyJobFailed']);
    copy.detail.sourceBackupVaultArn = event.detail.backupVaultArn;
    expect(split.filter((r) => matchesPattern(r.pattern, copy)).map((r) => r.id)).toEqual(['SensitiveCopyJobFailed']);
  });
});

describe('malware scan rules against AWS Backup\'s documented sample scan job events', () => {
  const rules = jobAlertRules({ sensitiveVaultNames: [], sensitiveVaultArns: [], separateSensitive: false, malwareScanning: true });
  const matching = (event: unknown) => rules.filter((r) => matchesPattern(r.pattern, event)).map((r) => r.id);

  it.each([
    ['scan-job-completed-threats-found', ['MalwareFound']],
    ['scan-job-completed-with-issues', ['MalwareScanIncomplete']],
    ['scan-job-failed', ['MalwareScanIncomplete']],
    ['scan-job-canceled', ['MalwareScanIncomplete']],
    ['scan-job-running', []],
  ])('%s raises %j', (name, expected) => {
    expect(matching(fixture(name))).toEqual(expected);
  });

  it('a scan that completed clean raises nothing', () => {
    const clean = fixture('scan-job-completed-threats-found');
    clean.detail.scanResult.scanResultStatus = 'NO_THREATS_FOUND';
    expect(matching(clean)).toEqual([]);
  });

  it('says which recovery point holds malware and not to restore it', () => {
    const rule = rules.find((r) => r.id === 'MalwareFound')!;
    expect(renderAlert(rule, fixture('scan-job-completed-threats-found'))).toBe(
      'MALWARE FOUND: GuardDuty found threats in recovery point arn:aws:backup:us-west-2:1112233445566:recovery-point:abcd1234-5678-abcd-9012-abcdef123456 ' +
        'of EC2 arn:aws:ec2:us-west-2:1112233445566:instance/i-0515aee7de03f58e1 (vault 9ab3e749-82c6-4342-9320-5edbf4918b86, account 1112233445566, us-west-2), ' +
        'scan job 4d5fc12e-7e33-4336-a981-bbe43c300298. Do not restore it; restore from an earlier recovery point that scanned clean. ' +
        'The findings are in GuardDuty: https://us-west-2.console.aws.amazon.com/guardduty/home?region=us-west-2#/malware-scan',
    );
  });

  it('adds no scan rules when no category scans', () => {
    expect(jobAlertRules({ sensitiveVaultNames: [], sensitiveVaultArns: [], separateSensitive: false }).map((r) => r.id)).not.toContain('MalwareFound');
  });
});
