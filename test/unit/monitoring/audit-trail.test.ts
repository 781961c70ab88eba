import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackupAccountApp } from '../../../apps/backup-account/app';
import { sensitiveAuditRules } from 'retention-kit/policy';
import { type Deployment, resolve } from '../../support/cfn';
import { ENVIRONMENT_ACCOUNT as ACCOUNT, ENVIRONMENT_REGION as REGION, referenceApp, synthesize, tempDir } from '../../support/apps';
import { matchesPattern } from '../../support/event-pattern';

const BACKUP_CONTEXT = JSON.parse(readFileSync(join(__dirname, '../../../apps/backup-account/cdk.context.example.json'), 'utf8'));

function auditRulesOf(d: Deployment, stack: string) {
  return Object.entries(d.templates[stack].Resources)
    .filter(([id, r]) => r.Type === 'AWS::Events::Rule' && /^Monitoring(Sensitive(Vault|Key|Recovery|Restore|Decrypt)|RestoreAttempt)/.test(id))
    .map(([id, r]) => ({ id: id.replace(/^Monitoring|[0-9A-F]{8}$/g, ''), pattern: resolve(d, r.Properties!.EventPattern), topic: r.Properties!.Targets[0].Arn.Ref as string }));
}

describe('sensitive-path audit trail and alerts', () => {
  let env: Deployment;

  beforeAll(() => {
    env = synthesize(referenceApp());
  });

  it('records every management event of every Region, with log file validation, into an encrypted, versioned, access-logged bucket', () => {
    const [trail] = Object.values(env.templates.BackupInfrastructure.Resources).filter((r) => r.Type === 'AWS::CloudTrail::Trail');
    expect(trail.Properties).toMatchObject({
      IsLogging: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      KMSKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^AuditTrailKey/), 'Arn'] },
    });
    // Management events, read and write: CDK states them only when they differ from CloudTrail's default (all).
    expect(trail.Properties!.EventSelectors ?? [{ IncludeManagementEvents: true, ReadWriteType: 'All' }]).toEqual([{ IncludeManagementEvents: true, ReadWriteType: 'All' }]);
    const buckets = Object.entries(env.templates.BackupInfrastructure.Resources).filter(([, r]) => r.Type === 'AWS::S3::Bucket');
    const logs = buckets.find(([id]) => id.startsWith('AuditTrailLogs'))![1].Properties!;
    expect(logs.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(logs.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
    expect(logs.LoggingConfiguration.DestinationBucketName.Ref).toMatch(/^AuditTrailAccessLogs/);
  });

  it('deploys the audit rules the policy defines, for the sensitive vault and key, to the sensitive topic', () => {
    const deployed = auditRulesOf(env, 'BackupInfrastructure');
    const keyArn = resolve(env, { 'Fn::GetAtt': [Object.keys(env.templates.BackupInfrastructure.Resources).find((id) => id.startsWith('SensitiveVaultKey') && !id.includes('Alias')), 'Arn'] });
    const expected = sensitiveAuditRules({
      vaultNames: ['CompactConnectBackupVault-SSN'],
      vaultArns: [`arn:aws:backup:${REGION}:${ACCOUNT}:backup-vault:CompactConnectBackupVault-SSN`],
      keyArns: [keyArn],
    });
    expect(deployed.map((r) => r.id).sort()).toEqual(expected.map((r) => r.id).sort());
    for (const rule of expected) expect(deployed.find((r) => r.id === rule.id)!.pattern, rule.id).toEqual(rule.pattern);
    for (const rule of deployed) expect(rule.topic).toMatch(/^MonitoringSensitiveAlerts/);
    // The deployed key-policy rule fires for a PutKeyPolicy on the deployed sensitive key.
    const event = JSON.parse(readFileSync(join(__dirname, '../../fixtures/cloudtrail/kms-put-key-policy.json'), 'utf8'));
    event.detail.resources[0].ARN = keyArn;
    expect(deployed.filter((r) => matchesPattern(r.pattern, event)).map((r) => r.id)).toEqual(['SensitiveKeyPolicyChanged']);
  });

  it('relies on an organization trail when the context names one, creating none', () => {
    const app = referenceApp({ audit_trail: { organization_trail_arn: 'arn:aws:cloudtrail:us-east-1:999999999999:trail/org-trail' } });
    const d = synthesize(app as App);
    expect(Object.values(d.templates.BackupInfrastructure.Resources).some((r) => r.Type === 'AWS::CloudTrail::Trail')).toBe(false);
    expect(auditRulesOf(d, 'BackupInfrastructure').length).toBeGreaterThan(0);
  });

  it('the backup account app has its own trail and the same alerts for its sensitive vault and key', () => {
    const app = createBackupAccountApp({ context: BACKUP_CONTEXT, outdir: tempDir('audit-backup') });
    const dir = app.synth().directory;
    const d: Deployment = { account: '222222222222', region: 'us-west-2', templates: { BackupAccountStack: JSON.parse(readFileSync(join(dir, 'BackupAccountStack.template.json'), 'utf8')) } };
    Template.fromJSON(d.templates.BackupAccountStack).resourceCountIs('AWS::CloudTrail::Trail', 1);
    const rules = auditRulesOf(d, 'BackupAccountStack');
    expect(rules.find((r) => r.id === 'SensitiveVaultPolicyChanged')!.pattern).toMatchObject({ detail: { requestParameters: { backupVaultName: ['CompactConnectBackupVault-SSN'] } } });
  });
});
